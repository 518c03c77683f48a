import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  formBody,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';

let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;
let monthly: Stripe.Price;

const day = 24 * 60 * 60;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Subscriptions' });
  stripe = harness.stripe(account.keys.test.secret);
  const product = await stripe.products.create({
    name: 'Coaching club',
    metadata: { line: 'coaching' },
  });
  monthly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 2900,
    recurring: { interval: 'month' },
    lookup_key: 'club-monthly',
  });
});

afterAll(() => harness.close());

async function customerWith(card: string) {
  return stripe.customers.create({
    payment_method: card,
    invoice_settings: { default_payment_method: card },
  });
}

function periodOf(subscription: Stripe.Subscription) {
  const item = subscription.items.data[0];
  return { start: item?.current_period_start ?? 0, end: item?.current_period_end ?? 0 };
}

async function advance(seconds: number) {
  return harness.control<{ now: number }>('POST', '/_emulator/clock/advance', { seconds });
}

describe('products and prices', () => {
  it('creates, finds by lookup key and lists prices of a product', async () => {
    const found = await stripe.prices.list({ lookup_keys: ['club-monthly'] });
    expect(found.data.map((price) => price.id)).toEqual([monthly.id]);
    expect(monthly).toMatchObject({
      type: 'recurring',
      unit_amount: 2900,
      recurring: { interval: 'month', interval_count: 1 },
    });
    const oneTime = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 9900,
      product_data: { name: 'Ebook' },
    });
    expect(oneTime.type).toBe('one_time');
    const product = await stripe.products.retrieve(String(oneTime.product));
    expect(product.name).toBe('Ebook');
    const updated = await stripe.products.update(product.id, { default_price: oneTime.id });
    expect(updated.default_price).toBe(oneTime.id);
  });
});

describe('subscriptions', () => {
  it('starts active with a paid first invoice', async () => {
    const customer = await customerWith('pm_card_visa');
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
      metadata: { order_id: 'ord_sub_1' },
      expand: ['latest_invoice.payments'],
    });
    expect(subscription.status).toBe('active');
    const invoice = subscription.latest_invoice;
    if (invoice === null || typeof invoice === 'string') throw new Error('invoice not expanded');
    expect(invoice).toMatchObject({
      status: 'paid',
      amount_paid: 2900,
      billing_reason: 'subscription_create',
      parent: { subscription_details: { subscription: subscription.id } },
    });
    const period = periodOf(subscription);
    expect(period.end - period.start).toBeGreaterThanOrEqual(28 * day);
    const created = await stripe.events.list({ type: 'customer.subscription.created', limit: 1 });
    expect(created.data[0]?.data.object).toMatchObject({ id: subscription.id, status: 'active' });
  });

  it('renews when the clock passes the period end, charging the saved card', async () => {
    const customer = await customerWith('pm_card_visa');
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
    });
    const first = periodOf(subscription);
    await advance(first.end - first.start + 60);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.status).toBe('active');
    expect(periodOf(renewed).start).toBe(first.end);
    expect(renewed.latest_invoice).not.toBe(subscription.latest_invoice);
    const invoices = await stripe.invoices.list({ subscription: subscription.id });
    expect(invoices.data.map((invoice) => [invoice.billing_reason, invoice.status])).toEqual([
      ['subscription_cycle', 'paid'],
      ['subscription_create', 'paid'],
    ]);
    const updated = await stripe.events.list({ type: 'customer.subscription.updated' });
    expect(
      updated.data.some(
        (event) => 'id' in event.data.object && event.data.object.id === subscription.id,
      ),
    ).toBe(true);
    const paid = await stripe.events.list({ type: 'invoice.paid' });
    expect(
      paid.data.some(
        (event) => 'id' in event.data.object && event.data.object.id === renewed.latest_invoice,
      ),
    ).toBe(true);
  });

  it('goes past_due when the renewal is declined', async () => {
    const customer = await customerWith('pm_card_chargeCustomerFail');
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
      payment_behavior: 'allow_incomplete',
    });
    // This card attaches fine and declines when charged: the first payment already fails.
    expect(subscription.status).toBe('incomplete');
    const healthy = await customerWith('pm_card_visa');
    const active = await stripe.subscriptions.create({
      customer: healthy.id,
      items: [{ price: monthly.id }],
    });
    const failing = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000341', exp_month: 12, exp_year: new Date().getFullYear() + 2 },
    });
    await stripe.paymentMethods.attach(failing.id, { customer: healthy.id });
    await stripe.subscriptions.update(active.id, { default_payment_method: failing.id });
    const period = periodOf(active);
    await advance(period.end - period.start + 60);
    const afterRenewal = await stripe.subscriptions.retrieve(active.id, {
      expand: ['latest_invoice'],
    });
    expect(afterRenewal.status).toBe('past_due');
    const invoice = afterRenewal.latest_invoice;
    if (invoice === null || typeof invoice === 'string') throw new Error('invoice not expanded');
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
    const failed = await stripe.events.list({ type: 'invoice.payment_failed' });
    expect(
      failed.data.some((event) => 'id' in event.data.object && event.data.object.id === invoice.id),
    ).toBe(true);
    const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(active.id)).status).toBe('active');
  });

  it('cancels at the period end when asked to', async () => {
    const customer = await customerWith('pm_card_visa');
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
    });
    const updated = await stripe.subscriptions.update(subscription.id, {
      cancel_at_period_end: true,
    });
    expect(updated.cancel_at_period_end).toBe(true);
    const period = periodOf(subscription);
    await advance(period.end - period.start + 60);
    const ended = await stripe.subscriptions.retrieve(subscription.id);
    expect(ended.status).toBe('canceled');
    expect(ended.ended_at).toBe(period.end);
    const deleted = await stripe.events.list({ type: 'customer.subscription.deleted' });
    expect(
      deleted.data.some(
        (event) => 'id' in event.data.object && event.data.object.id === subscription.id,
      ),
    ).toBe(true);
  });

  it('cancels at once', async () => {
    const customer = await customerWith('pm_card_visa');
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
    });
    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled.status).toBe('canceled');
    const listed = await stripe.subscriptions.list({ customer: customer.id });
    expect(listed.data).toEqual([]);
    const all = await stripe.subscriptions.list({ customer: customer.id, status: 'all' });
    expect(all.data.map((item) => item.id)).toEqual([subscription.id]);
  });

  it('waits for the first payment in the browser with default_incomplete', async () => {
    const customer = await stripe.customers.create({ email: 'new@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.confirmation_secret'],
    });
    expect(subscription.status).toBe('incomplete');
    const invoice = subscription.latest_invoice;
    if (invoice === null || typeof invoice === 'string') throw new Error('invoice not expanded');
    const clientSecret = String(invoice.confirmation_secret?.client_secret);
    const paymentIntentId = clientSecret.split('_secret_')[0];
    const response = await fetch(`${harness.url}/v1/payment_intents/${paymentIntentId}/confirm`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${account.keys.test.publishable}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: formBody({
        client_secret: clientSecret,
        'payment_method_data[type]': 'card',
        'payment_method_data[card][number]': '4242424242424242',
        'payment_method_data[card][exp_month]': '12',
        'payment_method_data[card][exp_year]': String(new Date().getFullYear() + 2),
        'payment_method_data[card][cvc]': '123',
      }),
    });
    expect(response.status).toBe(200);
    const active = await stripe.subscriptions.retrieve(subscription.id);
    expect(active.status).toBe('active');
    expect(active.default_payment_method).toMatch(/^pm_/);
    const period = periodOf(active);
    await advance(period.end - period.start + 60);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.status).toBe('active');
    expect(periodOf(renewed).start).toBe(period.end);
  });

  it('refuses a subscription without a way to pay', async () => {
    const customer = await stripe.customers.create({});
    await expect(
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing' });
  });

  it('starts a trial without charging, then charges at its end', async () => {
    const customer = await customerWith('pm_card_visa');
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
      trial_period_days: 7,
    });
    expect(subscription.status).toBe('trialing');
    expect(Number(subscription.trial_end) - Number(subscription.trial_start)).toBe(7 * day);
    await advance(7 * day + 60);
    const afterTrial = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice'],
    });
    expect(afterTrial.status).toBe('active');
    const invoice = afterTrial.latest_invoice;
    if (invoice === null || typeof invoice === 'string') throw new Error('invoice not expanded');
    expect(invoice.amount_paid).toBe(2900);
  });
});
