import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';
import { parseForm } from './form.js';

let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Requests Inc' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

describe('form bodies in bracket notation', () => {
  it('reads nested hashes, appended arrays and indexed arrays', () => {
    expect(
      parseForm(
        'amount=100&metadata[order_id]=42&metadata[note]=a%20b+c&expand[]=x&expand[]=y&items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3',
      ),
    ).toEqual({
      amount: '100',
      metadata: { order_id: '42', note: 'a b c' },
      expand: ['x', 'y'],
      items: { '0': { price: 'p1' }, '1': { price: 'p2', quantity: '3' } },
    });
  });

  it('ignores keys that would reach the object prototype', () => {
    const parsed = parseForm('__proto__[polluted]=yes&metadata[constructor]=x&ok=1');
    expect(parsed).toEqual({ ok: '1' });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('stores metadata and nested params sent by the SDK', async () => {
    const customer = await stripe.customers.create({
      email: 'ada@example.com',
      metadata: { order_id: '42', 'with space': 'yes' },
      address: { line1: '1 Main St', postal_code: '94107', country: 'US' },
    });
    expect(customer.metadata).toEqual({ order_id: '42', 'with space': 'yes' });
    expect(customer.address).toMatchObject({ line1: '1 Main St', postal_code: '94107' });
    const updated = await stripe.customers.update(customer.id, {
      metadata: { order_id: '', source: 'funnel' },
    });
    expect(updated.metadata).toEqual({ 'with space': 'yes', source: 'funnel' });
  });

  it('reads indexed arrays of hashes (subscription items) and expand[]', async () => {
    const product = await stripe.products.create({ name: 'Course' });
    const monthly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 1000,
      recurring: { interval: 'month' },
    });
    const seats = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
    });
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }, { price: seats.id, quantity: 3 }],
      expand: ['latest_invoice', 'customer'],
    });
    expect(subscription.items.data.map((item) => [item.price.id, item.quantity])).toEqual([
      [monthly.id, 1],
      [seats.id, 3],
    ]);
    const invoice = subscription.latest_invoice;
    if (invoice === null || typeof invoice === 'string') throw new Error('invoice not expanded');
    expect(invoice.amount_paid).toBe(2500);
    expect(typeof subscription.customer === 'object' && subscription.customer.id).toBe(customer.id);
  });

  it('expands through lists (data.*) and nested objects', async () => {
    await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const list = await stripe.paymentIntents.list({
      limit: 1,
      expand: ['data.latest_charge', 'data.payment_method'],
    });
    const [first] = list.data;
    expect(typeof first?.latest_charge === 'object' && first.latest_charge?.object).toBe('charge');
    expect(typeof first?.payment_method === 'object' && first.payment_method?.card?.last4).toBe(
      '4242',
    );
  });

  it('answers 400 for a property that cannot be expanded', async () => {
    await expect(
      stripe.paymentIntents.list({ expand: ['data.nothing_here'] }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      param: 'expand',
    });
  });
});

describe('authentication schemes and response headers', () => {
  it('accepts Basic auth with the key as user name, as curl -u sends it', async () => {
    const response = await fetch(`${harness.url}/v1/account`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.keys.test.secret}:`).toString('base64')}`,
      },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: account.id, object: 'account' });
  });

  it('puts a Request-Id on every response, errors and control calls included', async () => {
    const customer = await stripe.customers.create({});
    expect(customer.lastResponse.requestId).toMatch(/^req_/);
    const failure = await stripe.customers.retrieve('cus_missing').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(failure).toMatchObject({ requestId: expect.stringMatching(/^req_/) });
    const control = await fetch(`${harness.url}/_emulator/clock`);
    expect(control.headers.get('request-id')).toMatch(/^req_/);
  });

  it('answers CORS preflights for the browser stand-in of Stripe.js', async () => {
    const response = await fetch(`${harness.url}/v1/payment_intents/pi_x/confirm`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, stripe-account',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toContain('Stripe-Account');
    expect(response.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
  });
});

describe('list objects and paging', () => {
  it('pages newest first with limit, starting_after and ending_before', async () => {
    const lister = await harness.createAccount();
    const client = harness.stripe(lister.keys.test.secret);
    const created: string[] = [];
    for (let index = 0; index < 5; index++) {
      created.push((await client.customers.create({ name: `Customer ${index}` })).id);
    }
    const newest = [...created].reverse();
    const first = await client.customers.list({ limit: 2 });
    expect(first.object).toBe('list');
    expect(first.url).toBe('/v1/customers');
    expect(first.has_more).toBe(true);
    expect(first.data.map((customer) => customer.id)).toEqual(newest.slice(0, 2));
    const second = await client.customers.list({ limit: 2, starting_after: newest[1] });
    expect(second.data.map((customer) => customer.id)).toEqual(newest.slice(2, 4));
    const last = await client.customers.list({ limit: 2, starting_after: newest[3] });
    expect(last.data.map((customer) => customer.id)).toEqual(newest.slice(4));
    expect(last.has_more).toBe(false);
    const before = await client.customers.list({ limit: 2, ending_before: newest[3] });
    expect(before.data.map((customer) => customer.id)).toEqual(newest.slice(1, 3));
    expect(before.has_more).toBe(true);
    const all = await client.customers.list({ limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(all.map((customer) => customer.id)).toEqual(newest);
  });

  it('refuses a limit outside 1 to 100', async () => {
    await expect(stripe.customers.list({ limit: 101 })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'limit',
    });
  });
});

describe('Stripe error bodies for bad requests', () => {
  it('names a missing parameter (400 parameter_missing)', async () => {
    const failure = await stripe.paymentIntents
      // @ts-expect-error amount is required: this is the mistake under test.
      .create({ currency: 'usd' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(failure).toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'amount',
      message: 'Missing required param: amount.',
    });
  });

  it('names an unknown parameter, nested ones in bracket form (400 parameter_unknown)', async () => {
    await expect(
      stripe.rawRequest('POST', '/v1/customers', { emial: 'typo@example.com' }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'parameter_unknown',
      param: 'emial',
      message: 'Received unknown parameter: emial',
    });
    await expect(
      stripe.rawRequest('POST', '/v1/payment_methods', {
        type: 'card',
        card: { number: '4242424242424242', exp_month: 1, exp_year: 2040, colour: 'red' },
      }),
    ).rejects.toMatchObject({ code: 'parameter_unknown', param: 'card[colour]' });
  });

  it('rejects a non-integer amount (parameter_invalid_integer)', async () => {
    await expect(
      stripe.rawRequest('POST', '/v1/payment_intents', { amount: 'ten', currency: 'usd' }),
    ).rejects.toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
  });

  it('answers 404 resource_missing naming the object and id', async () => {
    const failure = await stripe.paymentIntents
      .retrieve('pi_doesnotexist')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(failure).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      message: "No such payment_intent: 'pi_doesnotexist'",
    });
  });

  it('answers 404 for an unknown route', async () => {
    const failure = await stripe
      .rawRequest('GET', '/v1/teleporters')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(failure).toMatchObject({
      statusCode: 404,
      message: expect.stringContaining('Unrecognized request URL (GET: /v1/teleporters)'),
    });
  });
});
