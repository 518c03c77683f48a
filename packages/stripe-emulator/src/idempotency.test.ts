import { request as httpRequest } from 'node:http';
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
  account = await harness.createAccount({ name: 'Idempotent' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

const payment = { amount: 3100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and parameters', async () => {
    const first = await stripe.paymentIntents.create(payment, {
      idempotencyKey: 'order-1-attempt-1',
    });
    const again = await stripe.paymentIntents.create(payment, {
      idempotencyKey: 'order-1-attempt-1',
    });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    const listed = await stripe.paymentIntents.list();
    expect(listed.data.filter((paymentIntent) => paymentIntent.id === first.id)).toHaveLength(1);
    expect(listed.data).toHaveLength(1);
  });

  it('answers 400 idempotency_error when the key is reused with other parameters', async () => {
    await stripe.paymentIntents.create(payment, { idempotencyKey: 'order-2' });
    const failure = await stripe.paymentIntents
      .create({ ...payment, amount: 9999 }, { idempotencyKey: 'order-2' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(failure).toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("Try using a key other than 'order-2'"),
    });
  });

  it('replays a decline too, without charging the card again', async () => {
    const declined = { ...payment, payment_method: 'pm_card_chargeDeclined' };
    const first = await stripe.paymentIntents
      .create(declined, { idempotencyKey: 'order-3' })
      .catch((error: unknown) => error);
    const second = await stripe.paymentIntents
      .create(declined, { idempotencyKey: 'order-3' })
      .catch((error: unknown) => error);
    expect(first).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(second).toBeInstanceOf(Stripe.errors.StripeCardError);
    if (!(first instanceof Stripe.errors.StripeCardError)) return;
    if (!(second instanceof Stripe.errors.StripeCardError)) return;
    expect(second.charge).toBe(first.charge);
    expect(second.headers?.['idempotent-replayed']).toBe('true');
  });

  it('does not save a request that failed validation, so the key can be used again', async () => {
    await expect(
      stripe.rawRequest('POST', '/v1/customers', { emial: 'x' }, { idempotencyKey: 'signup-1' }),
    ).rejects.toMatchObject({ code: 'parameter_unknown' });
    const customer = await stripe.customers.create(
      { email: 'x@example.com' },
      { idempotencyKey: 'signup-1' },
    );
    expect(customer.email).toBe('x@example.com');
  });

  it('answers 409 to a duplicate sent while the first is still running', async () => {
    const body = new URLSearchParams({ amount: '3100', currency: 'usd' }).toString();
    // The first request sends its headers and half its body, then waits.
    const first = httpRequest({
      host: '127.0.0.1',
      port: harness.emulator.port,
      method: 'POST',
      path: '/v1/payment_intents',
      headers: {
        Authorization: `Bearer ${account.keys.test.secret}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': Buffer.byteLength(body),
        'Idempotency-Key': 'order-4',
      },
    });
    const firstAnswer = new Promise<number>((resolve, reject) => {
      first.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    first.write(body.slice(0, 5));
    for (let poll = 0; poll < 200; poll++) {
      const log = await harness.control<{ data: Array<{ idempotency_key: string | null }> }>(
        'GET',
        '/_emulator/requests',
      );
      if (log.data.some((entry) => entry.idempotency_key === 'order-4')) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const duplicate = await stripe.paymentIntents
      .create({ amount: 3100, currency: 'usd' }, { idempotencyKey: 'order-4' })
      .catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Stripe.errors.StripeError);
    expect(duplicate).toMatchObject({ statusCode: 409, code: 'idempotency_key_in_use' });
    first.end(body.slice(5));
    expect(await firstAnswer).toBe(200);
    const replayed = await stripe.paymentIntents.create(
      { amount: 3100, currency: 'usd' },
      { idempotencyKey: 'order-4' },
    );
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps keys per account: another account may use the same key', async () => {
    const other = await harness.createAccount();
    const mine = await stripe.customers.create({}, { idempotencyKey: 'shared-key' });
    const theirs = await harness
      .stripe(other.keys.test.secret)
      .customers.create({}, { idempotencyKey: 'shared-key' });
    expect(theirs.id).not.toBe(mine.id);
  });
});
