import { createServer } from 'node:net';
import type { Clock } from '../src/clock.js';
import type { Store } from '../src/db/database.js';
import type { StripeGateway } from '../src/stripe/gateway.js';
import { buildTestApp, type TestApp } from './app.js';

/** A port that was free a moment ago, so PUBLIC_URL can be known before the app listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ListeningTestApp extends TestApp {
  url: string;
  close(): Promise<void>;
}

/** The real app listening on loopback, reachable by the emulator's webhook deliveries. */
export async function listenTestApp(
  store: Store,
  options: { env?: Record<string, string>; gateway?: StripeGateway; clock?: Clock } = {},
): Promise<ListeningTestApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const built = await buildTestApp(store, {
    env: { PUBLIC_URL: url, ...options.env },
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await built.app.listen({ port, host: '127.0.0.1' });
  return {
    ...built,
    url,
    async close() {
      await built.app.close();
      await built.services.webhooks.stop();
    },
  };
}
