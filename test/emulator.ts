import { type RunningEmulator, startEmulator } from '@switchyard/stripe-emulator';
import { afterAll, beforeAll } from 'vitest';
import type { StripeGateway } from '../src/stripe/gateway.js';
import { createStripeGateway } from '../src/stripe/stripe-gateway.js';

export type { RunningEmulator };
export { startEmulator };

export interface EmulatorAccount {
  id: string;
  keys: {
    test: { secret: string; publishable: string };
    live: { secret: string; publishable: string };
  };
}

/** Calls the emulator's control API (`/_emulator/…`), JSON in and out. */
export async function control<T = Record<string, unknown>>(
  emulator: RunningEmulator,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) {
    throw new Error(
      `emulator ${method} ${path} answered ${response.status}: ${await response.text()}`,
    );
  }
  return (await response.json()) as T;
}

export function createEmulatorAccount(
  emulator: RunningEmulator,
  details: { name?: string; country?: string; default_currency?: string } = {},
): Promise<EmulatorAccount> {
  return control<EmulatorAccount>(emulator, 'POST', 'accounts', details);
}

/** A Connect platform at the emulator: an account with an OAuth client id. */
export interface EmulatorPlatform {
  id: string;
  client_id: string;
  keys: EmulatorAccount['keys'];
}

export function createEmulatorPlatform(
  emulator: RunningEmulator,
  name: string,
): Promise<EmulatorPlatform> {
  return control<EmulatorPlatform>(emulator, 'POST', 'platforms', { name });
}

/** The production gateway pointed at the emulator, with a short timeout so fault tests are quick. */
export function emulatorGateway(emulator: RunningEmulator, timeoutMs = 2_000): StripeGateway {
  return createStripeGateway({
    endpoint: { host: emulator.host, port: emulator.port, protocol: 'http' },
    timeoutMs,
    checkoutTimeoutMs: timeoutMs,
    maxNetworkRetries: 0,
  });
}

/** Environment that points the app at the emulator. */
export function emulatorEnv(emulator: RunningEmulator): Record<string, string> {
  return {
    STRIPE_API_HOST: emulator.host,
    STRIPE_API_PORT: String(emulator.port),
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_JS_URL: `${emulator.url}/v3/`,
  };
}

/**
 * One emulator for a whole test file: started before its tests, closed after. Call at the top
 * level of the file; the returned function gives the running emulator inside tests and hooks.
 */
export function useEmulator(): () => RunningEmulator {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return () => {
    if (!emulator)
      throw new Error('the emulator starts in beforeAll; use it inside tests or hooks');
    return emulator;
  };
}

/** An emulator account's keys in the shape of the API's `credentials`. */
export function keysOf(account: EmulatorAccount, mode: 'test' | 'live' = 'test') {
  return {
    [mode]: {
      secretKey: account.keys[mode].secret,
      publishableKey: account.keys[mode].publishable,
    },
  };
}
