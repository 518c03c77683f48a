import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
