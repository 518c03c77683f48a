import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebhookHub, type WebhookHubOptions } from './webhooks.js';

interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant's webhook URL: records what arrives and answers with the status `answer` picks. */
interface Receiver {
  url: string;
  received: ReceivedDelivery[];
  answer: (delivery: ReceivedDelivery, index: number) => number | 'hang';
  /** Resolves when the receiver has got `count` requests in all. */
  receivedCount(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: () => 200,
    receivedCount(count) {
      if (receiver.received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => closeServer(server),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const delivery = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = receiver.received.push(delivery) - 1;
      for (const waiter of waiters.filter((w) => receiver.received.length >= w.count)) {
        waiter.resolve();
      }
      const status = receiver.answer(delivery, index);
      if (status === 'hang') return;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  return receiver;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function createHub(options: Partial<WebhookHubOptions> = {}): WebhookHub {
  let counter = 0;
  return new WebhookHub({
    now: () => Math.floor(Date.now() / 1000),
    newId: (prefix) => {
      counter += 1;
      return `${prefix}_test${String(counter).padStart(6, '0')}`;
    },
    ...options,
  });
}

const stripe = new Stripe('sk_test_webhooks', { host: '127.0.0.1', port: 9, protocol: 'http' });

function paymentIntent(id: string, status: string): Record<string, unknown> {
  return { id, object: 'payment_intent', amount: 4900, currency: 'usd', status };
}

function eventTypes(receiver: Receiver): string[] {
  return receiver.received.map((delivery) => JSON.parse(delivery.body).type);
}

describe('WebhookHub', () => {
  let receiver: Receiver;
  let other: Receiver;
  const hubs: WebhookHub[] = [];

  function trackedHub(options: Partial<WebhookHubOptions> = {}): WebhookHub {
    const hub = createHub(options);
    hubs.push(hub);
    return hub;
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    other = await startReceiver();
  });
  afterEach(() => {
    for (const hub of hubs.splice(0)) hub.close();
    for (const each of [receiver, other]) {
      each.received.length = 0;
      each.answer = () => 200;
    }
  });
  afterAll(async () => {
    await Promise.all([receiver.close(), other.close()]);
  });

  it('signs each delivery so the SDK accepts it with the secret, and rejects another secret', async () => {
    const hub = trackedHub();
    const endpoint = hub.createEndpoint('acct_shop', false, {
      url: receiver.url,
      enabled_events: ['payment_intent.succeeded'],
    });
    const secret = String(endpoint.secret);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);

    const published = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'payment_intent.succeeded',
      object: paymentIntent('pi_1', 'succeeded'),
      previousAttributes: { status: 'requires_confirmation' },
      request: { id: 'req_123', idempotency_key: 'order-1' },
    });
    await hub.idle();

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const header = String(delivery?.headers['stripe-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery?.headers['content-type']).toContain('application/json');

    const event = stripe.webhooks.constructEvent(delivery?.body ?? '', header, secret);
    expect(event).toMatchObject({
      id: published.id,
      object: 'event',
      type: 'payment_intent.succeeded',
      livemode: false,
      pending_webhooks: 1,
      request: { id: 'req_123', idempotency_key: 'order-1' },
      data: {
        object: { id: 'pi_1', object: 'payment_intent', status: 'succeeded' },
        previous_attributes: { status: 'requires_confirmation' },
      },
    });
    expect(String(event.id)).toMatch(/^evt_/);
    expect(event.api_version).toBe('2026-10-28.endive');
    expect(event).not.toHaveProperty('account');

    const forged = `whsec_${'x'.repeat(32)}`;
    expect(() => stripe.webhooks.constructEvent(delivery?.body ?? '', header, forged)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => stripe.webhooks.constructEvent(`${delivery?.body} `, header, secret)).toThrow(
      /No signatures found/,
    );
  });

  it('shows the signing secret on create only, and the endpoint as Stripe shows it', () => {
    const hub = trackedHub();
    const created = hub.createEndpoint('acct_shop', false, {
      url: receiver.url,
      enabled_events: ['*'],
      description: 'Orders',
      metadata: { team: 'checkout' },
    });
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      url: receiver.url,
      enabled_events: ['*'],
      status: 'enabled',
      livemode: false,
      application: null,
      description: 'Orders',
      metadata: { team: 'checkout' },
    });
    expect(String(created.id)).toMatch(/^we_/);
    const id = String(created.id);

    const retrieved = hub.retrieveEndpoint('acct_shop', false, id);
    const updated = hub.updateEndpoint('acct_shop', false, id, {
      disabled: true,
      metadata: { team: '', owner: 'ops' },
    });
    const listed = hub.listEndpoints('acct_shop', false);
    for (const shown of [retrieved, updated, ...listed]) expect(shown).not.toHaveProperty('secret');
    expect(updated).toMatchObject({ status: 'disabled', metadata: { owner: 'ops' } });
    expect(hub.retrieveEndpoint('acct_other', false, id)).toBeUndefined();
    expect(hub.retrieveEndpoint('acct_shop', true, id)).toBeUndefined();
  });

  it('lists endpoints newest first and forgets deleted ones', () => {
    const hub = trackedHub();
    const first = hub.createEndpoint('acct_shop', false, {
      url: receiver.url,
      enabled_events: ['*'],
    });
    const second = hub.createEndpoint('acct_shop', false, {
      url: other.url,
      enabled_events: ['*'],
    });
    hub.createEndpoint('acct_shop', true, { url: other.url, enabled_events: ['*'] });
    expect(hub.listEndpoints('acct_shop', false).map((endpoint) => endpoint.id)).toEqual([
      second.id,
      first.id,
    ]);
    expect(hub.deleteEndpoint('acct_shop', false, String(first.id))).toEqual({
      id: first.id,
      object: 'webhook_endpoint',
      deleted: true,
    });
    expect(hub.retrieveEndpoint('acct_shop', false, String(first.id))).toBeUndefined();
    expect(hub.deleteEndpoint('acct_shop', false, String(first.id))).toBeUndefined();
    expect(hub.listEndpoints('acct_shop', false)).toHaveLength(1);
  });

  it('sends only the enabled events, only to the account and mode they belong to', async () => {
    const hub = trackedHub();
    hub.createEndpoint('acct_shop', false, {
      url: receiver.url,
      enabled_events: ['payment_intent.succeeded'],
    });
    hub.createEndpoint('acct_shop', false, { url: other.url, enabled_events: ['*'] });
    hub.createEndpoint('acct_other', false, { url: receiver.url, enabled_events: ['*'] });
    hub.createEndpoint('acct_shop', true, { url: receiver.url, enabled_events: ['*'] });

    for (const type of ['payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded']) {
      hub.publish({
        accountId: 'acct_shop',
        livemode: false,
        type,
        object: paymentIntent('pi_2', 'x'),
      });
    }
    await hub.idle();

    expect(eventTypes(receiver)).toEqual(['payment_intent.succeeded']);
    expect(eventTypes(other)).toEqual([
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });

  it("sends a connected account's events to the platform's connect endpoints, with `account`", async () => {
    const hub = trackedHub();
    const connectEndpoint = hub.createEndpoint('acct_platform', false, {
      url: receiver.url,
      enabled_events: ['*'],
      connect: true,
    });
    hub.createEndpoint('acct_platform', false, { url: other.url, enabled_events: ['*'] });

    hub.publish({
      accountId: 'acct_connected',
      livemode: false,
      type: 'payment_intent.succeeded',
      object: paymentIntent('pi_3', 'succeeded'),
      platformAccountId: 'acct_platform',
    });
    hub.publish({
      accountId: 'acct_platform',
      livemode: false,
      type: 'customer.created',
      object: { id: 'cus_1', object: 'customer' },
    });
    await hub.idle();

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const event = stripe.webhooks.constructEvent(
      delivery?.body ?? '',
      String(delivery?.headers['stripe-signature']),
      String(connectEndpoint.secret),
    );
    expect(event).toMatchObject({ account: 'acct_connected', type: 'payment_intent.succeeded' });
    // The platform's own endpoint hears about the platform's own customer, not the connected payment.
    expect(eventTypes(other)).toEqual(['customer.created']);
  });

  it('retries after a 500 and stops once the endpoint answers 2xx', async () => {
    const hub = trackedHub();
    receiver.answer = (_delivery, index) => (index === 0 ? 500 : 200);
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    const event = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'payment_intent.succeeded',
      object: paymentIntent('pi_4', 'succeeded'),
    });
    await hub.idle();

    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.body).toContain(String(event.id));
    const attempts = hub.deliveries();
    expect(attempts).toMatchObject([
      { event_id: event.id, url: receiver.url, attempt: 1, status: 500, succeeded: false },
      { event_id: event.id, url: receiver.url, attempt: 2, status: 200, succeeded: true },
    ]);
    expect(hub.retrieveEvent('acct_shop', false, String(event.id))).toMatchObject({
      pending_webhooks: 0,
    });
  });

  it('retries a bounded number of times when nobody answers, then gives up', async () => {
    const hub = trackedHub({ retryDelaysSeconds: [5, 5], realMsPerSecond: 1, timeoutMs: 200 });
    receiver.answer = () => 'hang';
    const closedPort = await startReceiver();
    const refusedUrl = closedPort.url;
    await closedPort.close();
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    hub.createEndpoint('acct_shop', false, { url: refusedUrl, enabled_events: ['*'] });
    const event = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'payment_intent.succeeded',
      object: paymentIntent('pi_5', 'succeeded'),
    });
    await hub.idle();

    const attempts = hub.deliveries();
    const hung = attempts.filter((attempt) => attempt.url === receiver.url);
    const refused = attempts.filter((attempt) => attempt.url === refusedUrl);
    expect(hung.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
    expect(refused.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
    expect(hung[0]).toMatchObject({ status: null, error: 'no answer within 200 ms' });
    expect(String(refused[0]?.error)).toContain('ECONNREFUSED');
    expect(hub.retrieveEvent('acct_shop', false, String(event.id))).toMatchObject({
      pending_webhooks: 2,
    });
  });

  it("retries a live event on Stripe's schedule for three days as the clock reaches each retry", async () => {
    let now = 1_900_000_000;
    // Real waits so long that only the clock sends the retries.
    const hub = trackedHub({ now: () => now, realMsPerSecond: 1_000_000 });
    receiver.answer = () => 500;
    hub.createEndpoint('acct_shop', true, { url: receiver.url, enabled_events: ['*'] });
    const event = hub.publish({
      accountId: 'acct_shop',
      livemode: true,
      type: 'payment_intent.succeeded',
      object: paymentIntent('pi_live', 'succeeded'),
    });
    const published = now;
    const stateOf = () => hub.eventDeliveries('acct_shop', true)[0];
    const waits: number[] = [];
    for (let attempt = 1; ; attempt += 1) {
      await receiver.receivedCount(attempt);
      await vi.waitFor(() => expect(stateOf()?.endpoints).toMatchObject([{ attempts: attempt }]));
      const endpoints = (stateOf()?.endpoints ?? []) as Array<{ next_attempt_at: number | null }>;
      const next = endpoints[0]?.next_attempt_at;
      if (next === null || next === undefined) break;
      waits.push(next - now);
      now = next;
      hub.sendDueRetries();
    }
    // Exponential from a minute, and the last attempt three days after the event.
    expect(waits.slice(0, 4)).toEqual([60, 120, 240, 480]);
    expect(now - published).toBe(3 * 24 * 60 * 60);
    expect(stateOf()).toMatchObject({
      id: event.id,
      delivery: 'failed',
      pending_webhooks: 1,
      endpoints: [{ state: 'failed', attempts: waits.length + 1, next_attempt_at: null }],
    });
    expect(hub.listEvents('acct_shop', true, { deliverySuccess: false })).toHaveLength(1);
    expect(hub.listEvents('acct_shop', true, { deliverySuccess: true })).toHaveLength(0);
  });

  it('delivers every event extra times with chaos duplicates', async () => {
    const hub = trackedHub();
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    hub.setChaos({ duplicates: 2 });
    const event = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'charge.refunded',
      object: { id: 'ch_1', object: 'charge' },
    });
    await hub.idle();

    const ids = receiver.received.map((delivery) => JSON.parse(delivery.body).id);
    expect(ids).toEqual([event.id, event.id, event.id]);
    expect(hub.deliveries().map((attempt) => attempt.duplicate)).toEqual([false, true, true]);

    hub.setChaos({});
    hub.publish({ accountId: 'acct_shop', livemode: false, type: 'charge.refunded', object: {} });
    await hub.idle();
    expect(receiver.received).toHaveLength(4);
  });

  it('loses the next deliveries with chaos drop, leaving them undelivered in the events list', async () => {
    const hub = trackedHub({ retryDelaysSeconds: [1] });
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    hub.setChaos({ drop: 1 });
    const lost = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'charge.refunded',
      object: {},
    });
    const kept = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'charge.refunded',
      object: {},
    });
    await hub.idle();

    expect(receiver.received.map((delivery) => JSON.parse(delivery.body).id)).toEqual([kept.id]);
    expect(hub.deliveries()).toMatchObject([
      { event_id: lost.id, error: 'dropped by the emulator', succeeded: false },
      { event_id: kept.id, succeeded: true },
    ]);
    const undelivered = hub.listEvents('acct_shop', false, { deliverySuccess: false });
    expect(undelivered).toMatchObject([{ id: lost.id, pending_webhooks: 1 }]);
    expect(hub.eventDeliveries('acct_shop', false)[1]).toMatchObject({
      id: lost.id,
      delivery: 'failed',
    });
  });

  it('fails every attempt with chaos failing, and retries succeed once it is cleared', async () => {
    let now = 1_800_000_000;
    const hub = trackedHub({
      now: () => now,
      retryDelaysSeconds: [60],
      realMsPerSecond: 1_000_000,
    });
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    hub.setChaos({ failing: true });
    const event = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'charge.refunded',
      object: {},
    });
    await vi.waitFor(() => expect(hub.deliveries()).toHaveLength(1));
    expect(receiver.received).toHaveLength(0);
    expect(hub.deliveries()[0]).toMatchObject({
      error: 'failed by the emulator',
      succeeded: false,
    });

    hub.setChaos({});
    now += 60;
    hub.sendDueRetries();
    await hub.idle();
    expect(receiver.received.map((delivery) => JSON.parse(delivery.body).id)).toEqual([event.id]);
  });

  it("signs with a new secret after the dashboard's roll, and keeps the endpoint's api_version", async () => {
    const hub = trackedHub();
    const created = hub.createEndpoint('acct_shop', false, {
      url: receiver.url,
      enabled_events: ['*'],
      api_version: '2024-06-20',
    });
    expect(created.api_version).toBe('2024-06-20');
    expect(
      hub.createEndpoint('acct_shop', false, { url: other.url, enabled_events: [] }).api_version,
    ).toBeNull();
    const rolled = hub.rollEndpointSecret(String(created.id));
    expect(rolled?.secret).not.toBe(created.secret);
    hub.publish({ accountId: 'acct_shop', livemode: false, type: 'charge.refunded', object: {} });
    await hub.idle();
    const [delivery] = receiver.received;
    const header = String(delivery?.headers['stripe-signature']);
    expect(() =>
      stripe.webhooks.constructEvent(delivery?.body ?? '', header, String(created.secret)),
    ).toThrow(/No signatures found/);
    expect(
      stripe.webhooks.constructEvent(delivery?.body ?? '', header, String(rolled?.secret)).type,
    ).toBe('charge.refunded');
    expect(hub.rollEndpointSecret('we_missing')).toBeUndefined();
  });

  it('keeps publish order normally and reorders deliveries with chaos shuffle', async () => {
    const hub = trackedHub();
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    const publishBurst = () =>
      Array.from({ length: 30 }, (_, index) =>
        String(
          hub.publish({
            accountId: 'acct_shop',
            livemode: false,
            type: 'invoice.paid',
            object: { id: `in_${index}`, object: 'invoice' },
          }).id,
        ),
      );
    const receivedIds = () => receiver.received.map((delivery) => JSON.parse(delivery.body).id);

    const inOrder = publishBurst();
    await hub.idle();
    expect(receivedIds()).toEqual(inOrder);

    receiver.received.length = 0;
    hub.setChaos({ shuffle: true });
    const shuffled = publishBurst();
    await hub.idle();
    expect(receivedIds()).not.toEqual(shuffled);
    expect([...receivedIds()].sort()).toEqual([...shuffled].sort());
  });

  it('stops delivering, retries included, to a deleted or disabled endpoint', async () => {
    const hub = trackedHub({ retryDelaysSeconds: [60], realMsPerSecond: 1_000 });
    receiver.answer = () => 500;
    const failing = hub.createEndpoint('acct_shop', false, {
      url: receiver.url,
      enabled_events: ['*'],
    });
    const disabled = hub.createEndpoint('acct_shop', false, {
      url: other.url,
      enabled_events: ['*'],
    });
    other.answer = () => 500;
    const publishOne = () =>
      hub.publish({ accountId: 'acct_shop', livemode: false, type: 'invoice.paid', object: {} });

    publishOne();
    await Promise.all([receiver.receivedCount(1), other.receivedCount(1)]);
    hub.deleteEndpoint('acct_shop', false, String(failing.id));
    hub.updateEndpoint('acct_shop', false, String(disabled.id), { disabled: true });
    // The one-minute retry is dropped, so idle() resolves at once.
    await hub.idle();
    publishOne();
    await hub.idle();

    expect(receiver.received).toHaveLength(1);
    expect(other.received).toHaveLength(1);
  });

  it('keeps events per account and mode, newest first, filtered by type', () => {
    const hub = trackedHub();
    const publish = (accountId: string, livemode: boolean, type: string) =>
      String(hub.publish({ accountId, livemode, type, object: { id: 'x' } }).id);
    const created = publish('acct_shop', false, 'payment_intent.created');
    const charged = publish('acct_shop', false, 'charge.succeeded');
    const succeeded = publish('acct_shop', false, 'payment_intent.succeeded');
    const live = publish('acct_shop', true, 'payment_intent.created');
    publish('acct_other', false, 'payment_intent.created');

    const ids = (filter: { type?: string }) =>
      hub.listEvents('acct_shop', false, filter).map((event) => event.id);
    expect(ids({})).toEqual([succeeded, charged, created]);
    expect(ids({ type: 'charge.succeeded' })).toEqual([charged]);
    expect(ids({ type: 'payment_intent.*' })).toEqual([succeeded, created]);
    expect(hub.retrieveEvent('acct_shop', false, created)).toMatchObject({ id: created });
    expect(hub.retrieveEvent('acct_other', false, created)).toBeUndefined();
    expect(hub.retrieveEvent('acct_shop', false, live)).toBeUndefined();
  });

  it('keeps the object as it was when the event happened', () => {
    const hub = trackedHub();
    const intent = paymentIntent('pi_6', 'processing');
    const event = hub.publish({
      accountId: 'acct_shop',
      livemode: false,
      type: 'payment_intent.processing',
      object: intent,
    });
    intent.status = 'succeeded';
    expect(hub.retrieveEvent('acct_shop', false, String(event.id))).toMatchObject({
      data: { object: { status: 'processing' } },
    });
  });

  it('forgets endpoints, events and deliveries on reset', async () => {
    const hub = trackedHub();
    hub.createEndpoint('acct_shop', false, { url: receiver.url, enabled_events: ['*'] });
    hub.publish({ accountId: 'acct_shop', livemode: false, type: 'invoice.paid', object: {} });
    await hub.idle();
    hub.reset();
    expect(hub.listEndpoints('acct_shop', false)).toEqual([]);
    expect(hub.listEvents('acct_shop', false, {})).toEqual([]);
    expect(hub.deliveries()).toEqual([]);
  });
});
