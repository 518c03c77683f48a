import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';

let harness: TestEmulator;
let account: EmulatorAccount;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({
    name: 'Keys Ltd',
    country: 'GB',
    default_currency: 'gbp',
  });
});

afterAll(() => harness.close());

describe('API keys', () => {
  it('gives each account test and live keys of both kinds', () => {
    expect(account.id).toMatch(/^acct_/);
    expect(account.keys.test.secret).toMatch(/^sk_test_/);
    expect(account.keys.test.publishable).toMatch(/^pk_test_/);
    expect(account.keys.live.secret).toMatch(/^sk_live_/);
    expect(account.keys.live.publishable).toMatch(/^pk_live_/);
  });

  it('answers an unknown key with 401 and the key redacted', async () => {
    const failure = await harness
      .stripe('sk_test_notarealkey1234abcd')
      .customers.list()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(failure).toMatchObject({
      statusCode: 401,
      message: 'Invalid API Key provided: sk_test_****abcd',
    });
  });

  it('answers a request without a key with 401', async () => {
    const response = await fetch(`${harness.url}/v1/customers`);
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body.error.message).toContain('You did not provide an API key');
  });

  it('shows the account, its country and currency', async () => {
    const own = await harness.stripe(account.keys.test.secret).accounts.retrieveCurrent();
    expect(own).toMatchObject({
      id: account.id,
      object: 'account',
      country: 'GB',
      default_currency: 'gbp',
      charges_enabled: true,
      business_profile: { name: 'Keys Ltd' },
    });
  });

  it('keeps test and live mode apart', async () => {
    const test = harness.stripe(account.keys.test.secret);
    const live = harness.stripe(account.keys.live.secret);
    const customer = await live.customers.create({ email: 'live@example.com' });
    expect(customer.livemode).toBe(true);
    await expect(test.customers.retrieve(customer.id)).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });

  it('lets a publishable key make only the calls Stripe.js makes', async () => {
    const failure = await harness
      .stripe(account.keys.test.publishable)
      .customers.list()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(failure).toMatchObject({
      statusCode: 401,
      message: expect.stringContaining('cannot be made with a publishable API key'),
    });
  });
});

describe('account isolation', () => {
  it('makes every object of one account resource_missing for another', async () => {
    const other = await harness.createAccount({ name: 'Other' });
    const mine = harness.stripe(account.keys.test.secret);
    const theirs = harness.stripe(other.keys.test.secret);
    const customer = await mine.customers.create({ email: 'mine@example.com' });
    const payment = await mine.paymentIntents.create({
      amount: 1500,
      currency: 'gbp',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await expect(theirs.customers.retrieve(customer.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      message: `No such customer: '${customer.id}'`,
    });
    await expect(theirs.paymentIntents.retrieve(payment.id)).rejects.toMatchObject({
      code: 'resource_missing',
    });
    await expect(theirs.refunds.create({ payment_intent: payment.id })).rejects.toMatchObject({
      code: 'resource_missing',
    });
    const paymentMethod = payment.payment_method;
    if (typeof paymentMethod !== 'string') throw new Error('payment method id expected');
    await expect(
      theirs.paymentIntents.create({
        amount: 1500,
        currency: 'gbp',
        payment_method: paymentMethod,
        confirm: true,
      }),
    ).rejects.toMatchObject({ code: 'resource_missing', param: 'payment_method' });
    expect((await theirs.customers.list()).data).toEqual([]);
  });
});

describe('restricted keys', () => {
  it('allows what the permissions name, write implying read', async () => {
    const { secret } = await harness.control<{ secret: string }>(
      'POST',
      `/_emulator/accounts/${account.id}/restricted_keys`,
      { mode: 'test', permissions: ['payment_intents:write', 'customers:read'] },
    );
    expect(secret).toMatch(/^rk_test_/);
    const restricted = harness.stripe(secret);
    const payment = await restricted.paymentIntents.create({ amount: 900, currency: 'gbp' });
    expect((await restricted.paymentIntents.retrieve(payment.id)).id).toBe(payment.id);
    expect((await restricted.paymentIntents.list()).object).toBe('list');
    expect((await restricted.customers.list()).object).toBe('list');
  });

  it('answers 403 for a resource it may not touch, or may only read', async () => {
    const { secret } = await harness.control<{ secret: string }>(
      'POST',
      `/_emulator/accounts/${account.id}/restricted_keys`,
      { mode: 'test', permissions: ['customers:read'] },
    );
    const restricted = harness.stripe(secret);
    const readOnly = await restricted.customers.create({}).catch((error: unknown) => error);
    expect(readOnly).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(readOnly).toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("'customers:write' permission"),
    });
    await expect(restricted.paymentIntents.list()).rejects.toMatchObject({
      type: 'StripePermissionError',
      message: expect.stringContaining("'payment_intents:read' permission"),
    });
    await expect(restricted.balance.retrieve()).rejects.toBeInstanceOf(
      Stripe.errors.StripePermissionError,
    );
  });
});

describe('rolling keys', () => {
  it('revokes the old keys (401) and returns new ones that work', async () => {
    const rolled = await harness.createAccount({ name: 'Rolled' });
    const { secret: restrictedKey } = await harness.control<{ secret: string }>(
      'POST',
      `/_emulator/accounts/${rolled.id}/restricted_keys`,
      { mode: 'test', permissions: ['customers:read'] },
    );
    const customer = await harness.stripe(rolled.keys.test.secret).customers.create({});
    const result = await harness.control<{ keys: EmulatorAccount['keys'] }>(
      'POST',
      `/_emulator/accounts/${rolled.id}/roll_keys`,
    );
    expect(result.keys.test.secret).not.toBe(rolled.keys.test.secret);
    for (const oldKey of [rolled.keys.test.secret, rolled.keys.live.secret, restrictedKey]) {
      await expect(harness.stripe(oldKey).customers.list()).rejects.toBeInstanceOf(
        Stripe.errors.StripeAuthenticationError,
      );
    }
    const fresh = harness.stripe(result.keys.test.secret);
    expect((await fresh.customers.retrieve(customer.id)).id).toBe(customer.id);
    await expect(harness.stripe(rolled.keys.test.secret).customers.list()).rejects.toMatchObject({
      statusCode: 401,
      code: 'api_key_expired',
      message: `Expired API Key provided: sk_test_****${rolled.keys.test.secret.slice(-4)}`,
    });
  });

  it('keeps the old keys working until the expiry the roll was given', async () => {
    const rolled = await harness.createAccount({ name: 'Rolled later' });
    // The emulator's clock runs on: the roll happens within these two readings of it.
    const before = (await harness.control<{ now: number }>('GET', '/_emulator/clock')).now;
    const result = await harness.control<{ old_keys_expire_at: number }>(
      'POST',
      `/_emulator/accounts/${rolled.id}/roll_keys`,
      { expires_in_seconds: 3600 },
    );
    const after = (await harness.control<{ now: number }>('GET', '/_emulator/clock')).now;
    const old = harness.stripe(rolled.keys.test.secret);
    expect((await old.accounts.retrieveCurrent()).id).toBe(rolled.id);
    expect(result.old_keys_expire_at).toBeGreaterThanOrEqual(before + 3600);
    expect(result.old_keys_expire_at).toBeLessThanOrEqual(after + 3600);
    await harness.control('POST', '/_emulator/clock/advance', { seconds: 3600 });
    await expect(old.accounts.retrieveCurrent()).rejects.toMatchObject({
      statusCode: 401,
      code: 'api_key_expired',
    });
  });
});

describe('editing a restricted key', () => {
  it('answers 403 to what its new permissions leave out', async () => {
    const owner = await harness.createAccount({ name: 'Edited key' });
    const { secret } = await harness.control<{ secret: string }>(
      'POST',
      `/_emulator/accounts/${owner.id}/restricted_keys`,
      { mode: 'test', permissions: ['account:read', 'customers:write'] },
    );
    await harness.stripe(secret).customers.create({});
    await harness.control('POST', `/_emulator/accounts/${owner.id}/restricted_keys/${secret}`, {
      permissions: ['account:read', 'customers:read'],
    });
    await harness.stripe(secret).customers.list();
    await expect(harness.stripe(secret).customers.create({})).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("Having the 'customers:write' permission"),
    });
  });
});

describe('deleting a restricted key', () => {
  it('makes it unknown: 401 Invalid API Key, no code', async () => {
    const owner = await harness.createAccount({ name: 'Deleted key' });
    const { secret } = await harness.control<{ secret: string }>(
      'POST',
      `/_emulator/accounts/${owner.id}/restricted_keys`,
      { mode: 'test', permissions: ['account:read'] },
    );
    expect((await harness.stripe(secret).accounts.retrieveCurrent()).id).toBe(owner.id);
    await harness.control('DELETE', `/_emulator/accounts/${owner.id}/restricted_keys/${secret}`);
    const failure = await harness
      .stripe(secret)
      .accounts.retrieveCurrent()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(failure).toMatchObject({
      statusCode: 401,
      code: undefined,
      message: `Invalid API Key provided: rk_test_****${secret.slice(-4)}`,
    });
    // Only restricted keys are deleted; the standard secret key is rolled instead.
    await expect(
      harness.control(
        'DELETE',
        `/_emulator/accounts/${owner.id}/restricted_keys/${owner.keys.test.secret}`,
      ),
    ).rejects.toThrow(/404/);
  });
});
