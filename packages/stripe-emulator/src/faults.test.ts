import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';

let harness: TestEmulator;
let account: EmulatorAccount;
let other: EmulatorAccount;
let stripe: Stripe;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Fragile' });
  other = await harness.createAccount({ name: 'Sturdy' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterEach(() => harness.control('DELETE', '/_emulator/faults'));

afterAll(() => harness.close());

function addFault(fault: Record<string, unknown>) {
  return harness.control('POST', '/_emulator/faults', fault);
}

describe('injected faults', () => {
  it('server_error answers 500 api_error (StripeAPIError)', async () => {
    await addFault({ account: account.id, fault: 'server_error' });
    const failure = await stripe.customers.create({}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(failure).toMatchObject({ statusCode: 500, rawType: 'api_error' });
  });

  it('fails `times` requests only, so the SDK’s retry gets through', async () => {
    await addFault({ account: account.id, fault: 'server_error', times: 1 });
    const retrying = harness.stripe(account.keys.test.secret, { maxNetworkRetries: 1 });
    const customer = await retrying.customers.create({ email: 'retry@example.com' });
    expect(customer.email).toBe('retry@example.com');
    const log = await harness.control<{
      data: Array<{ path: string; status: number | null; fault: string | null }>;
    }>('GET', `/_emulator/requests?account=${account.id}&limit=2`);
    expect(log.data.map((entry) => [entry.status, entry.fault])).toEqual([
      [500, 'server_error'],
      [200, null],
    ]);
  });

  it('rate_limit answers 429 (StripeRateLimitError)', async () => {
    await addFault({ account: account.id, fault: 'rate_limit', times: 1 });
    const failure = await stripe.customers.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(failure).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect((await stripe.customers.list()).object).toBe('list');
  });

  it('timeout never answers, so the SDK gives up (StripeConnectionError)', async () => {
    await addFault({ account: account.id, fault: 'timeout', times: 1 });
    const impatient = harness.stripe(account.keys.test.secret, { timeout: 300 });
    const failure = await impatient.customers.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(failure).toMatchObject({ message: expect.stringContaining('timeout') });
  });

  it('connection_reset drops the connection (StripeConnectionError)', async () => {
    // The SDK silently retries a reset connection once, even with retries off.
    await addFault({ account: account.id, fault: 'connection_reset', times: 2 });
    const failure = await stripe.customers.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect((await stripe.customers.list()).object).toBe('list');
  });

  it('limits a fault to a path and to an account', async () => {
    await addFault({ account: account.id, fault: 'server_error', path: '/v1/payment_intents' });
    await expect(
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await expect(stripe.paymentIntents.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.customers.list()).object).toBe('list');
    const sturdy = harness.stripe(other.keys.test.secret);
    expect((await sturdy.paymentIntents.list()).object).toBe('list');
  });

  it("hits every account with account '*', until cleared", async () => {
    await addFault({ account: '*', fault: 'server_error' });
    const sturdy = harness.stripe(other.keys.test.secret);
    await expect(sturdy.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await expect(stripe.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    const listed = await harness.control<{ data: unknown[] }>('GET', '/_emulator/faults');
    expect(listed.data).toHaveLength(1);
    const cleared = await harness.control<{ cleared: number }>('DELETE', '/_emulator/faults');
    expect(cleared.cleared).toBe(1);
    expect((await sturdy.customers.list()).object).toBe('list');
  });

  it('hits requests acting on a connected account through Stripe-Account', async () => {
    const platform = await harness.control<EmulatorAccount & { client_id: string }>(
      'POST',
      '/_emulator/platforms',
      {},
    );
    const { code } = await harness.control<{ code: string }>('POST', '/_emulator/oauth/codes', {
      client_id: platform.client_id,
      account: account.id,
    });
    const platformStripe = harness.stripe(platform.keys.test.secret);
    await platformStripe.oauth.token({ grant_type: 'authorization_code', code });
    await addFault({ account: account.id, fault: 'rate_limit' });
    await expect(
      platformStripe.customers.list({}, { stripeAccount: account.id }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
  });

  it('rejects rate_limit after the request ran: Stripe refuses for its rate before running', async () => {
    const response = await fetch(`${harness.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ account: '*', fault: 'rate_limit', after: true }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { param: 'after' } });
  });

  it('rejects a fault it does not know', async () => {
    const response = await fetch(`${harness.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ account: '*', fault: 'meteor_strike' }),
    });
    expect(response.status).toBe(400);
  });
});

describe('faults after the request ran', () => {
  async function paymentIntentsFor(orderId: string) {
    const found = await stripe.paymentIntents.search({
      query: `metadata['order_id']:'${orderId}'`,
    });
    return found.data;
  }

  function chargeOnce(orderId: string, client: Stripe = stripe) {
    return client.paymentIntents.create(
      {
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        off_session: true,
        metadata: { order_id: orderId },
      },
      { idempotencyKey: `charge-${orderId}` },
    );
  }

  it('connection_reset after: charged, no answer; the retry with the key gets the success', async () => {
    // Two, since the SDK silently resends a reset request once (same key, so a replay, reset too).
    await addFault({ account: account.id, fault: 'connection_reset', after: true, times: 2 });
    const failure = await chargeOnce('reset-after').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const charged = await paymentIntentsFor('reset-after');
    expect(charged.map((intent) => intent.status)).toEqual(['succeeded']);
    const retried = await chargeOnce('reset-after');
    expect(retried.id).toBe(charged[0]?.id);
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(await paymentIntentsFor('reset-after')).toHaveLength(1);
  });

  it('timeout after: charged, the answer held; the retry with the key gets the success', async () => {
    await addFault({ account: account.id, fault: 'timeout', after: true, times: 1 });
    const impatient = harness.stripe(account.keys.test.secret, { timeout: 300 });
    const failure = await chargeOnce('timeout-after', impatient).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const charged = await paymentIntentsFor('timeout-after');
    expect(charged.map((intent) => intent.status)).toEqual(['succeeded']);
    const retried = await chargeOnce('timeout-after');
    expect(retried.id).toBe(charged[0]?.id);
    expect(await paymentIntentsFor('timeout-after')).toHaveLength(1);
  });

  it('server_error after: charged, 500; the retry with the key gets the same 500', async () => {
    await addFault({ account: account.id, fault: 'server_error', after: true, times: 1 });
    const first = await chargeOnce('error-after').catch((error: unknown) => error);
    expect(first).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(first).toMatchObject({ statusCode: 500 });
    const charged = await paymentIntentsFor('error-after');
    expect(charged.map((intent) => intent.status)).toEqual(['succeeded']);
    const replayed = await chargeOnce('error-after').catch((error: unknown) => error);
    expect(replayed).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(replayed).toMatchObject({
      statusCode: 500,
      headers: expect.objectContaining({ 'idempotent-replayed': 'true' }),
    });
    expect(await paymentIntentsFor('error-after')).toHaveLength(1);
    const log = await harness.control<{ data: Array<{ status: number; fault: string | null }> }>(
      'GET',
      `/_emulator/requests?account=${account.id}&limit=4`,
    );
    expect(log.data.map((entry) => [entry.status, entry.fault])).toContainEqual([
      500,
      'server_error_after',
    ]);
  });
});
