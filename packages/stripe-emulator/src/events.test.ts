import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  startWebhookReceiver,
  type TestEmulator,
  type WebhookReceiver,
} from './emulator.test-helper.js';

let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Events' });
  stripe = harness.stripe(account.keys.test.secret);
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await harness.close();
  await receiver.close();
});

describe('webhook endpoints through the API', () => {
  it('returns the signing secret on create only, and lists, updates and deletes endpoints', async () => {
    const created = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/unused',
      enabled_events: ['charge.refunded'],
      description: 'refunds',
    });
    expect(created.secret).toMatch(/^whsec_/);
    const retrieved = await stripe.webhookEndpoints.retrieve(created.id);
    expect(retrieved.secret).toBeUndefined();
    const updated = await stripe.webhookEndpoints.update(created.id, { disabled: true });
    expect(updated.status).toBe('disabled');
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data.map((endpoint) => endpoint.id)).toContain(created.id);
    const deleted = await stripe.webhookEndpoints.del(created.id);
    expect(deleted.deleted).toBe(true);
    await expect(stripe.webhookEndpoints.retrieve(created.id)).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });

  it('delivers signed events that constructEvent accepts', async () => {
    const endpoint = await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['payment_intent.succeeded', 'customer.created'],
    });
    const customer = await stripe.customers.create({ email: 'hooked@example.com' });
    const paid = await stripe.paymentIntents.create({
      amount: 1234,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await receiver.waitFor(2);
    const events = receiver.received.map((delivery) =>
      stripe.webhooks.constructEvent(
        delivery.body,
        String(delivery.headers['stripe-signature']),
        String(endpoint.secret),
      ),
    );
    expect(events.map((event) => event.type)).toEqual([
      'customer.created',
      'payment_intent.succeeded',
    ]);
    expect(events[1]?.data.object).toMatchObject({ id: paid.id, status: 'succeeded' });
    expect(() =>
      stripe.webhooks.constructEvent(
        receiver.received[0]?.body ?? '',
        String(receiver.received[0]?.headers['stripe-signature']),
        'whsec_wrong',
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const deliveries = await harness.control<{
      data: Array<{ event_type: string; succeeded: boolean }>;
    }>('GET', '/_emulator/deliveries');
    expect(deliveries.data.filter((delivery) => delivery.succeeded)).toHaveLength(2);
  });
});

describe('events through the API', () => {
  it('retrieves an event and lists by type', async () => {
    await stripe.customers.create({ email: 'listed@example.com' });
    const listed = await stripe.events.list({ type: 'customer.created', limit: 1 });
    const [event] = listed.data;
    expect(event?.data.object).toMatchObject({ email: 'listed@example.com' });
    const retrieved = await stripe.events.retrieve(String(event?.id));
    expect(retrieved.id).toBe(event?.id);
    await expect(stripe.events.retrieve('evt_missing')).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });
});

describe('event deliveries', () => {
  it('shows each delivery pending until it succeeds, retried when the clock reaches the retry', async () => {
    const own = await harness.createAccount({ name: 'Deliveries' });
    const shop = harness.stripe(own.keys.test.secret);
    // Nothing listens on port 9: the first attempt fails.
    const endpoint = await shop.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/down',
      enabled_events: ['customer.created'],
    });
    await shop.customers.create({ email: 'late@example.com' });
    type Delivery = {
      id: string;
      created: number;
      delivery: string;
      endpoints: Array<{ state: string; attempts: number; next_attempt_at: number | null }>;
    };
    const deliveries = () =>
      harness.control<{ data: Delivery[] }>('GET', `/_emulator/accounts/${own.id}/events`);
    const failed = await vi.waitFor(async () => {
      const [event] = (await deliveries()).data;
      expect(event?.endpoints).toMatchObject([{ state: 'pending', attempts: 1 }]);
      return event as Delivery;
    });
    // Test mode: Stripe's first retry comes five minutes later.
    expect(failed.delivery).toBe('pending');
    expect((failed.endpoints[0]?.next_attempt_at ?? 0) - failed.created).toBeGreaterThanOrEqual(
      300,
    );
    const undelivered = await shop.events.list({ delivery_success: false });
    expect(undelivered.data.map((event) => event.id)).toEqual([failed.id]);
    expect((await shop.events.list({ delivery_success: true })).data).toEqual([]);

    await shop.webhookEndpoints.update(endpoint.id, { url: receiver.url });
    const before = receiver.received.length;
    await harness.control('POST', '/_emulator/clock/advance', { seconds: 300 });
    await receiver.waitFor(before + 1);
    await vi.waitFor(async () => {
      expect((await deliveries()).data[0]).toMatchObject({
        id: failed.id,
        delivery: 'succeeded',
        endpoints: [{ state: 'succeeded', attempts: 2, next_attempt_at: null }],
      });
    });
    expect((await shop.events.list({ delivery_success: true })).data.map((e) => e.id)).toEqual([
      failed.id,
    ]);
  });

  it('lists events after a time and after a cursor, of the types asked for', async () => {
    const own = await harness.createAccount({ name: 'Listing' });
    const shop = harness.stripe(own.keys.test.secret);
    await shop.customers.create({ email: 'one@example.com' });
    await harness.control('POST', '/_emulator/clock/advance', { seconds: 10 });
    const second = await shop.customers.create({ email: 'two@example.com' });
    await shop.customers.create({ email: 'three@example.com' });
    const all = (await shop.events.list({ limit: 100 })).data;
    const [newest, middle, oldest] = all;
    if (!newest || !middle || !oldest) throw new Error('expected three events');
    const after = await shop.events.list({ created: { gt: oldest.created } });
    expect(after.data.map((event) => event.id)).toEqual([newest.id, middle.id]);
    const customers = await shop.events.list({ types: ['customer.created'] });
    expect(customers.data).toHaveLength(3);
    const page = await shop.events.list({ limit: 1, starting_after: newest.id });
    expect(page.data[0]?.data.object).toMatchObject({ id: second.id });
    expect((await shop.events.list({ types: ['customer.deleted'] })).data).toEqual([]);
    expect(page.has_more).toBe(true);
  });
});
