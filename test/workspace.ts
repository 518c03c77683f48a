import { expect } from 'vitest';
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
  handles: readonly string[] = ['us', 'eu'],
): Promise<{ testApp: TestApp; api: AdminCall }> {
  const testApp = await buildTestApp(store, {
    env: emulatorEnv(emulator),
    gateway: emulatorGateway(emulator),
  });
  const api = await adminClient(testApp);
  for (const handle of handles) {
    const created = await api('POST', '/api/accounts', {
      handle,
      credentials: keysOf(await createEmulatorAccount(emulator)),
    });
    expect(created.status).toBe(201);
  }
  return { testApp, api };
}
