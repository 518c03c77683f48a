import { createServer, type ServerResponse } from 'node:http';
import { AccountDirectory } from './accounts.js';
import { createClock } from './clock.js';
import type { ControlEnvironment } from './control.js';
import { FaultPlan } from './faults.js';
import { createIdFactory } from './ids.js';
import { RequestLog } from './request-log.js';
import { createRequestHandler } from './server.js';
import { stripeJsSource } from './stripe-js.js';
import { WebhookHub } from './webhooks.js';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the Stripe emulator: an HTTP server that the official `stripe` SDK drives as it would
 * drive Stripe (`new Stripe(key, {host, port, protocol: 'http'})`). All state is in memory.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const clock = createClock();
  const ids = createIdFactory();
  const accounts = new AccountDirectory({ ids, now: clock.now });
  const hub = new WebhookHub({ now: clock.now, newId: (prefix) => ids.newId(prefix) });
  const faults = new FaultPlan();
  const requests = new RequestLog();
  let activeRequest: { id: string; idempotency_key: string | null } | null = null;
  const environment: ControlEnvironment = {
    clock,
    ids,
    accounts,
    hub,
    faults,
    requests,
    publish: function publish(ledger, type, object, previousAttributes, platformAccountId) {
      hub.publish({
        accountId: ledger.accountId,
        livemode: ledger.livemode,
        type,
        object,
        previousAttributes,
        platformAccountId:
          platformAccountId === undefined
            ? accounts.findPlatformOf(ledger.accountId)
            : platformAccountId,
        request: activeRequest,
      });
    },
    withRequest: function withRequest(request, action) {
      activeRequest = request;
      try {
        return action();
      } finally {
        activeRequest = null;
      }
    },
    reset: function reset() {
      accounts.clear();
      faults.clear();
      requests.clear();
      clock.reset();
      hub.reset();
    },
  };
  const heldResponses = new Set<ServerResponse>();
  const server = createServer(
    { keepAlive: true, keepAliveTimeout: 30_000 },
    createRequestHandler({ environment, stripeJsSource, heldResponses }),
  );
  await new Promise<void>(function listen(resolve, reject) {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close: function close() {
      hub.close();
      for (const response of heldResponses) response.destroy();
      heldResponses.clear();
      return new Promise<void>(function stopServer(resolve, reject) {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
  };
}
