import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';

let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Observed' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

interface LoggedRequest {
  id: string;
  method: string;
  path: string;
  account: string | null;
  idempotency_key: string | null;
  status: number | null;
}

describe('/_emulator/requests', () => {
  it('shows method, path, account, idempotency key and status of each API request', async () => {
    const customer = await stripe.customers.create({}, { idempotencyKey: 'observed-1' });
    await stripe.customers.retrieve('cus_missing').catch(() => undefined);
    const log = await harness.control<{ data: LoggedRequest[] }>(
      'GET',
      `/_emulator/requests?account=${account.id}`,
    );
    expect(log.data.slice(-2)).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/customers',
        account: account.id,
        idempotency_key: 'observed-1',
        status: 200,
        id: customer.lastResponse.requestId,
      }),
      expect.objectContaining({
        method: 'GET',
        path: '/v1/customers/cus_missing',
        idempotency_key: null,
        status: 404,
      }),
    ]);
  });
});

describe('/_emulator/clock/advance', () => {
  it('moves the time objects are created at', async () => {
    const before = await harness.control<{ now: number }>('GET', '/_emulator/clock');
    const advanced = await harness.control<{ now: number }>('POST', '/_emulator/clock/advance', {
      seconds: 3600,
    });
    expect(advanced.now - before.now).toBeGreaterThanOrEqual(3600);
    const customer = await stripe.customers.create({});
    expect(customer.created).toBeGreaterThanOrEqual(advanced.now);
  });

  it('refuses a clock that goes backwards', async () => {
    const response = await fetch(`${harness.url}/_emulator/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ seconds: -5 }),
    });
    expect(response.status).toBe(400);
  });
});

describe('/_emulator/reset', () => {
  it('forgets accounts, keys and objects', async () => {
    const fresh = await startTestEmulator();
    try {
      const doomed = await fresh.createAccount();
      const client = fresh.stripe(doomed.keys.test.secret);
      await client.customers.create({});
      await fresh.control('POST', '/_emulator/reset');
      await expect(client.customers.list()).rejects.toBeInstanceOf(
        Stripe.errors.StripeAuthenticationError,
      );
      const accounts = await fresh.control<{ data: unknown[] }>('GET', '/_emulator/accounts');
      expect(accounts.data).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});

describe('the Stripe.js stand-in', () => {
  it('is served at /v3/ as JavaScript that any origin may load', async () => {
    for (const path of ['/v3/', '/v3']) {
      const response = await fetch(`${harness.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/javascript');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response.text()).toContain('Stripe');
    }
  });
});
