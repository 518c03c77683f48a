import { expect } from 'vitest';
import type { Clock } from '../src/clock.js';
import type { Store } from '../src/db/database.js';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from './app.js';
import {
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
    /** Receives every admin API response body (for secret-leak checks). */
    seen?: string[];
  } = {},
): Promise<{ testApp: TestApp; api: AdminCall }> {
  const testApp = await buildTestApp(store, {
    env: { ...emulatorEnv(emulator), ...options.env },
    gateway: emulatorGateway(emulator),
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
