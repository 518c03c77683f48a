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
const futureYear = new Date().getFullYear() + 3;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Customers' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

describe('customers', () => {
  it('creates, updates, lists by email and deletes a customer', async () => {
    const customer = await stripe.customers.create({
      email: 'grace@example.com',
      name: 'Grace Hopper',
      metadata: { workspace: 'w1' },
    });
    expect(customer).toMatchObject({
      object: 'customer',
      email: 'grace@example.com',
      name: 'Grace Hopper',
      livemode: false,
    });
    const updated = await stripe.customers.update(customer.id, { name: 'Rear Admiral Hopper' });
    expect(updated.name).toBe('Rear Admiral Hopper');
    const found = await stripe.customers.list({ email: 'grace@example.com' });
    expect(found.data.map((item) => item.id)).toEqual([customer.id]);
    const deleted = await stripe.customers.del(customer.id);
    expect(deleted).toEqual({ id: customer.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true });
    const created = await stripe.events.list({ type: 'customer.created' });
    expect(
      created.data.some(
        (event) => 'id' in event.data.object && event.data.object.id === customer.id,
      ),
    ).toBe(true);
  });
});

describe('searching customers', () => {
  let client: Stripe;
  let ada: Stripe.Customer;
  let grace: Stripe.Customer;
  let alan: Stripe.Customer;

  beforeAll(async () => {
    // An account of its own: the search sees exactly these three customers.
    client = harness.stripe((await harness.createAccount({ name: 'Search' })).keys.test.secret);
    ada = await client.customers.create({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      metadata: { plan: 'pro' },
    });
    grace = await client.customers.create({
      email: 'grace@navy.example',
      name: 'Grace Hopper',
      phone: '+15555550100',
      metadata: { plan: 'pro' },
    });
    alan = await client.customers.create({ email: 'alan@example.com', name: 'Alan Turing' });
  });

  async function idsFound(query: string): Promise<string[]> {
    return (await client.customers.search({ query })).data.map((customer) => customer.id);
  }

  it('finds customers by email, name, phone and metadata, newest first', async () => {
    expect(await idsFound("email:'ada@example.com'")).toEqual([ada.id]);
    expect(await idsFound('email:"ADA@example.com"')).toEqual([ada.id]);
    expect(await idsFound("name:'Grace Hopper'")).toEqual([grace.id]);
    expect(await idsFound("phone:'+15555550100'")).toEqual([grace.id]);
    expect(await idsFound("metadata['plan']:'pro'")).toEqual([grace.id, ada.id]);
    expect(await idsFound("email:'nobody@example.com'")).toEqual([]);
  });

  it('joins clauses with AND or OR, negates with -, and matches substrings with ~', async () => {
    expect(await idsFound("metadata['plan']:'pro' AND name:'Ada Lovelace'")).toEqual([ada.id]);
    expect(await idsFound("name:'Ada Lovelace' OR name:'Alan Turing'")).toEqual([alan.id, ada.id]);
    expect(await idsFound("-metadata['plan']:'pro'")).toEqual([alan.id]);
    expect(await idsFound("email~'example.com'")).toEqual([alan.id, ada.id]);
    expect(await idsFound("name~'hop'")).toEqual([grace.id]);
    expect(await idsFound(`created>=${ada.created} AND -email~'navy'`)).toEqual([alan.id, ada.id]);
  });

  it("answers Stripe's search result and pages with next_page", async () => {
    const first = await client.customers.search({ query: "email~'example'", limit: 2 });
    expect(first).toMatchObject({
      object: 'search_result',
      url: '/v1/customers/search',
      has_more: true,
      next_page: expect.any(String),
    });
    expect(first.data).toHaveLength(2);
    const rest = await client.customers.search({
      query: "email~'example'",
      limit: 2,
      page: String(first.next_page),
    });
    expect(rest).toMatchObject({ has_more: false, next_page: null });
    expect([...first.data, ...rest.data].map((customer) => customer.id)).toEqual([
      alan.id,
      grace.id,
      ada.id,
    ]);
    const everyone = await client.customers
      .search({ query: "email~'example'", limit: 1 })
      .autoPagingToArray({ limit: 10 });
    expect(everyone).toHaveLength(3);
  });

  it("refuses a query it cannot answer with Stripe's invalid_request_error", async () => {
    for (const query of [
      "colour:'red'",
      "name:'Ada' AND email:'a@example.com' OR name:'Alan'",
      "name~'ad'",
      "metadata['plan']~'pro'",
      "name>'a'",
      'name Ada',
    ]) {
      const failure = await client.customers.search({ query }).catch((error: unknown) => error);
      expect(failure, query).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(failure, query).toMatchObject({ statusCode: 400, param: 'query' });
    }
  });

  it('still retrieves a customer by id next to the search route', async () => {
    expect((await client.customers.retrieve(ada.id)).id).toBe(ada.id);
  });
});

describe('payment methods', () => {
  it('creates a card, attaches it, lists it for the customer and detaches it', async () => {
    const customer = await stripe.customers.create({});
    const method = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242 4242 4242 4242', exp_month: 8, exp_year: futureYear, cvc: '314' },
      billing_details: { name: 'Ada', email: 'ada@example.com' },
    });
    expect(method).toMatchObject({
      type: 'card',
      customer: null,
      card: { brand: 'visa', last4: '4242', exp_month: 8, exp_year: futureYear },
      billing_details: { name: 'Ada' },
    });
    const attached = await stripe.paymentMethods.attach(method.id, { customer: customer.id });
    expect(attached.customer).toBe(customer.id);
    const listed = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    expect(listed.data.map((item) => item.id)).toEqual([method.id]);
    const viaCustomer = await stripe.customers.listPaymentMethods(customer.id);
    expect(viaCustomer.data.map((item) => item.id)).toEqual([method.id]);
    const detached = await stripe.paymentMethods.detach(method.id);
    expect(detached.customer).toBeNull();
    expect((await stripe.paymentMethods.list({ customer: customer.id })).data).toEqual([]);
  });

  it('gives the same card the same fingerprint', async () => {
    const card = { number: '5555555555554444', exp_month: 1, exp_year: futureYear };
    const first = await stripe.paymentMethods.create({ type: 'card', card });
    const second = await stripe.paymentMethods.create({ type: 'card', card });
    expect(first.card?.fingerprint).toBe(second.card?.fingerprint);
  });

  it('declines attaching a card that the issuer declines', async () => {
    const customer = await stripe.customers.create({});
    const failure = await stripe.paymentMethods
      .attach('pm_card_chargeDeclined', { customer: customer.id })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(failure).toMatchObject({ code: 'card_declined', decline_code: 'generic_decline' });
  });

  it('refuses an expired card', async () => {
    await expect(
      stripe.paymentMethods.create({
        type: 'card',
        card: { number: '4242424242424242', exp_month: 1, exp_year: 2001 },
      }),
    ).rejects.toMatchObject({ type: 'StripeCardError', code: 'invalid_expiry_year' });
  });

  it('sets a default payment method at creation with a test card', async () => {
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const methodId = customer.invoice_settings.default_payment_method;
    expect(methodId).toMatch(/^pm_(?!card_)/);
    const method = await stripe.paymentMethods.retrieve(String(methodId));
    expect(method.customer).toBe(customer.id);
  });

  it('refuses a default payment method that belongs to no one', async () => {
    const customer = await stripe.customers.create({});
    const method = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 1, exp_year: futureYear },
    });
    await expect(
      stripe.customers.update(customer.id, {
        invoice_settings: { default_payment_method: method.id },
      }),
    ).rejects.toMatchObject({ param: 'invoice_settings[default_payment_method]' });
  });
});
