import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { Clock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Store } from '../src/db/database.js';
import type { App } from '../src/http/app.js';
import { createServices, type Services } from '../src/services.js';
import type { StripeGateway } from '../src/stripe/gateway.js';
import { buildApp } from '../src/web/app.js';
import type { TestDatabase, TestStore } from './databases.js';
import { capturedLogger } from './log-capture.js';

export interface TestApp {
  app: App;
  services: Services;
  logger: Logger;
  /** Every log line written so far, parsed. */
  logLines: () => Record<string, unknown>[];
  masterKey: string;
}

/** The real app over a test store, with a master key of its own and captured logs. */
export async function buildTestApp(
  store: Store,
  options: { env?: Record<string, string>; gateway?: StripeGateway; clock?: Clock } = {},
): Promise<TestApp> {
  const masterKey = randomBytes(32).toString('hex');
  const config = loadConfig({ SWITCHYARD_MASTER_KEY: masterKey, ...options.env });
  const log = capturedLogger();
  const services = createServices({
    config,
    store,
    logger: log.logger,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const app = await buildApp({ config, store, logger: log.logger, services });
  return { app, services, logger: log.logger, logLines: log.lines, masterKey };
}

/** For each test of a suite: a fresh migrated store and the app over it, both closed after. */
export function appForEachTest(database: TestDatabase): () => TestApp {
  let store: TestStore;
  let testApp: TestApp;
  beforeEach(async () => {
    store = await database.openMigrated();
    testApp = await buildTestApp(store);
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });
  return () => testApp;
}

export type AdminCall = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) => Promise<{ status: number; body: ReturnType<typeof JSON.parse> }>;

/**
 * The admin API called in-process with a bearer token of its own, as an operator's script would.
 * `seen` receives every response body (for searches such as the secret-leak test).
 */
export async function adminClient(testApp: TestApp, seen?: string[]): Promise<AdminCall> {
  const { token } = await testApp.services.tokens.createToken({
    workspaceId: 'default',
    name: 'test-suite',
    actor: 'test',
  });
  return async function callAdminApi(method, url, payload) {
    const response = await testApp.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    seen?.push(response.body);
    return { status: response.statusCode, body: response.body ? response.json() : null };
  };
}
