import { createServer, type ServerResponse } from 'node:http';
import { AccountDirectory } from './accounts.js';
import { createClock } from './clock.js';
import type { ControlEnvironment } from './control.js';
import { FaultPlan } from './faults.js';
import { createIdFactory } from './ids.js';
import { RequestLog } from './request-log.js';
import { createRequestHandler } from './server.js';
import { createStateWriter, readStateFile } from './state-file.js';

export { UnreadableStateError } from './state-file.js';

import { stripeJsSource } from './stripe-js.js';
import { WebhookHub } from './webhooks.js';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * Keeps the state in this file: loaded on start when it exists, written shortly after each
   * change and on close (state-file.ts). Without it, all state is in memory.
   */
  stateFile?: string;
  /** A save to `stateFile` failed; the emulator goes on and tries again at the next change. */
  onStateError?: (error: Error) => void;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  host: string;
  port: number;
  /** True when it started from a saved `stateFile` rather than empty. */
  restored: boolean;
  close(): Promise<void>;
}

/**
 * Starts the Stripe emulator: an HTTP server that the official `stripe` SDK drives as it would
 * drive Stripe (`new Stripe(key, {host, port, protocol: 'http'})`). State is in memory, and in
 * `stateFile` when one is given.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const saved = options.stateFile === undefined ? null : readStateFile(options.stateFile);
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
  if (saved) {
    clock.advance(saved.clockOffsetSeconds);
    accounts.restoreState(saved.accounts);
    hub.restoreState(saved.webhooks);
  }
  const writer =
    options.stateFile === undefined
      ? null
      : createStateWriter({
          path: options.stateFile,
          onError: options.onStateError,
          snapshot: () => ({
            version: 1,
            clockOffsetSeconds: clock.offset(),
            accounts: accounts.exportState(),
            webhooks: hub.exportState(),
          }),
        });
  const heldResponses = new Set<ServerResponse>();
  const handleRequest = createRequestHandler({ environment, stripeJsSource, heldResponses });
  const server = createServer(
    { keepAlive: true, keepAliveTimeout: 30_000 },
    writer === null
      ? handleRequest
      : function handleAndSave(request, response) {
          handleRequest(request, response);
          // Reads change nothing; anything else may have (API calls, Stripe.js, control).
          if (
            request.method !== 'GET' &&
            request.method !== 'OPTIONS' &&
            request.method !== 'HEAD'
          ) {
            response.once('finish', writer.changed);
          }
        },
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
    restored: saved !== null,
    close: async function close() {
      hub.close();
      for (const response of heldResponses) response.destroy();
      heldResponses.clear();
      await new Promise<void>(function stopServer(resolve, reject) {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      await writer?.flush();
    },
  };
}
