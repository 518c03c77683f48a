import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import Stripe from 'stripe';
import { type RunningEmulator, startEmulator } from './index.js';

export interface EmulatorKeys {
  test: { secret: string; publishable: string };
  live: { secret: string; publishable: string };
}

export interface EmulatorAccount {
  id: string;
  keys: EmulatorKeys;
}

export interface TestEmulator {
  emulator: RunningEmulator;
  url: string;
  /** Calls the control API: JSON in, JSON out; throws on a non-2xx answer. */
  control<Result>(method: string, path: string, body?: unknown): Promise<Result>;
  createAccount(body?: Record<string, unknown>): Promise<EmulatorAccount>;
  /** The official SDK pointed at the emulator, without retries unless asked. */
  stripe(key: string, options?: Stripe.StripeConfig): Stripe;
  close(): Promise<void>;
}

export async function startTestEmulator(): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  async function control<Result>(method: string, path: string, body?: unknown): Promise<Result> {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }
  return {
    emulator,
    url: emulator.url,
    control,
    createAccount: (body = {}) => control<EmulatorAccount>('POST', '/_emulator/accounts', body),
    stripe: (key, options = {}) =>
      new Stripe(key, {
        host: '127.0.0.1',
        port: emulator.port,
        protocol: 'http',
        maxNetworkRetries: 0,
        ...options,
      }),
    close: () => emulator.close(),
  };
}

/** Form-encodes like Stripe.js does, for calls made the way a browser makes them. */
export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant's webhook URL that records every delivery. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Resolves once `count` deliveries have arrived. */
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer(function receive(request, response) {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      for (const waiter of waiters) if (received.length >= waiter.count) waiter.resolve();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    waitFor(count) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
