import { afterEach, beforeEach, expect } from 'vitest';
import type { Clock } from '../src/clock.js';
import type { Store } from '../src/db/database.js';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from './app.js';
import { importLaunchFunnel } from './checkout.js';
import type { TestDatabase, TestStore } from './databases.js';
import {
  control,
  createEmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  type RunningEmulator,
} from './emulator.js';

/**
 * The app over the emulator with one emulator account connected per handle (the first becomes the
 * primary), and an admin API client: the starting point of most feature suites.
 */
export async function workspaceWithAccounts(
  store: Store,
  emulator: RunningEmulator,
  options: {
    /** Handles to connect, the first as primary; `us` and `eu` by default. */
    handles?: readonly string[];
    /** More environment for the app's config (limits, demo switch). */
    env?: Record<string, string>;
    clock?: Clock;
    /** `configured`: the app's own gateway, built from its config, instead of the tests' quick one. */
    gateway?: 'configured';
    /** Receives every admin API response body (for secret-leak checks). */
    seen?: string[];
  } = {},
): Promise<{ testApp: TestApp; api: AdminCall }> {
  const testApp = await buildTestApp(store, {
    env: { ...emulatorEnv(emulator), ...options.env },
    ...(options.gateway === 'configured' ? {} : { gateway: emulatorGateway(emulator) }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const api = await adminClient(testApp, options.seen);
  for (const handle of options.handles ?? ['us', 'eu']) {
    const created = await api('POST', '/api/accounts', {
      handle,
      credentials: keysOf(await createEmulatorAccount(emulator)),
    });
    expect(created.status).toBe(201);
  }
  return { testApp, api };
}

/** What a suite's test gets from `launchShopForEachTest`. */
export interface LaunchShop {
  store: TestStore;
  testApp: TestApp;
  api: AdminCall;
}

/**
 * A fresh store per test with `us` and `eu` connected and the demo's `launch` funnel, closed (and
 * the emulator's faults cleared) after it. Call at the top of a `describeEachDatabase` body.
 */
export function launchShopForEachTest(
  database: TestDatabase,
  emulator: () => RunningEmulator,
  options: Parameters<typeof workspaceWithAccounts>[2] = {},
): () => LaunchShop {
  let shop: LaunchShop | undefined;
  beforeEach(async () => {
    const store = await database.openMigrated();
    const { testApp, api } = await workspaceWithAccounts(store, emulator(), options);
    await importLaunchFunnel(testApp.services);
    shop = { store, testApp, api };
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await shop?.testApp.app.close();
    await shop?.store.dispose();
  });
  return () => {
    if (!shop) throw new Error('the shop opens in beforeEach; use it inside tests');
    return shop;
  };
}
