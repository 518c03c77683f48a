import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp } from '../../test/app.js';
import { clockAhead } from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  useEmulator,
} from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';
import { openStore } from '../db/database.js';
import { actedOnEventTypes } from '../stripe/event-actions.js';
import { claimUnprocessedEvents, markEventFailed, renewEventClaim } from './webhooks.repository.js';
import { subscribedEvents } from './webhooks.service.js';

const emulator = useEmulator();

interface Delivery {
  event_id: string;
  event_type: string;
  url: string;
  succeeded: boolean;
}

/** Waits until the emulator() has delivered `count` events of a type to our server (bounded). */
async function deliveredEvents(type: string, url: string, count: number): Promise<Delivery[]> {
  for (let round = 0; round < 200; round += 1) {
    const { data } = await control<{ data: Delivery[] }>(emulator(), 'GET', 'deliveries');
    const ours = data.filter((d) => d.event_type === type && d.url.startsWith(url) && d.succeeded);
    if (ours.length >= count) return ours;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`fewer than ${count} ${type} deliveries to ${url} arrived`);
}

describeEachDatabase('webhooks from connected accounts', (database) => {
  let store: TestStore;
  let server: ListeningTestApp;
  let stripeAccount: EmulatorAccount;

  async function connect(handle: string) {
    const result = await server.services.accounts.connectWithKeys(
      'default',
      {
        handle,
        credentials: {
          test: {
            secretKey: stripeAccount.keys.test.secret,
            publishableKey: stripeAccount.keys.test.publishable,
          },
        },
      },
      'test',
    );
    return result;
  }

  async function endpointRow() {
    const row = await store.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .executeTakeFirstOrThrow();
    if (!row.secret_encrypted) throw new Error('the endpoint has no secret');
    return { ...row, secret: server.services.vault.open(row.secret_encrypted) };
  }

  /** Stores the account's events as deliveries would, without processing them (as a busy instance). */
  async function storeEventsOf(type: string): Promise<number> {
    const { endpoint_id: endpointId, secret } = await endpointRow();
    const events = await new Stripe(stripeAccount.keys.test.secret, {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    }).events.list({ type, limit: 100 });
    for (const event of events.data) {
      const payload = JSON.stringify(event);
      await server.services.webhooks.receive({
        endpointId,
        rawBody: Buffer.from(payload),
        signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }),
      });
    }
    return events.data.length;
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    server = await listenTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
    });
    stripeAccount = await createEmulatorAccount(emulator());
  });
  afterEach(async () => {
    await control(emulator(), 'POST', 'webhooks/chaos', {});
    await server.close();
    await store.dispose();
  });

  it('registers an endpoint per account and mode at our public URL, keeping its secret encrypted', async () => {
    await connect('us');
    const endpoints = await new Stripe(stripeAccount.keys.test.secret, {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    }).webhookEndpoints.list();
    expect(endpoints.data).toHaveLength(1);
    const row = await endpointRow();
    expect(endpoints.data[0]?.url).toBe(`${server.url}/webhooks/stripe/${row.endpoint_id}`);
    expect(endpoints.data[0]?.enabled_events).toContain('account.updated');
    expect(row.secret_encrypted).not.toContain('whsec_');
    expect(row.secret.startsWith('whsec_')).toBe(true);
  });

  it('hears account.updated and marks the account restricted when Stripe disables charges', async () => {
    await connect('us');
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'requirements.past_due',
    });
    await deliveredEvents('account.updated', server.url, 1);
    await server.services.webhooks.processPending();
    const account = await server.services.accounts.showAccount('default', 'us');
    expect(account.health).toBe('restricted');
    expect(account.healthReason).toContain('requirements.past_due');
  });

  it('stores duplicated and reordered deliveries once each and ends in the true state', async () => {
    await connect('us');
    await control(emulator(), 'POST', 'webhooks/chaos', { duplicates: 2, shuffle: true });
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'under_review',
    });
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: true,
    });
    const deliveries = await deliveredEvents('account.updated', server.url, 6);
    const distinct = new Set(deliveries.map((d) => d.event_id));
    expect(distinct.size).toBe(2);
    await server.services.webhooks.processPending();
    const stored = await store.db
      .selectFrom('webhook_events')
      .select(['stripe_event_id', 'processed_at'])
      .execute();
    expect(stored).toHaveLength(2);
    expect(stored.every((event) => event.processed_at !== null)).toBe(true);
    expect((await server.services.accounts.showAccount('default', 'us')).health).toBe('healthy');
  });

  it('refuses a delivery whose signature does not verify, with a 400 that gives nothing away', async () => {
    await connect('us');
    const { endpoint_id: endpointId, secret } = await endpointRow();
    const payload = JSON.stringify({
      id: 'evt_forged',
      object: 'event',
      type: 'account.updated',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: {} },
    });
    const post = (signature: string | undefined, path = endpointId) =>
      fetch(`${server.url}/webhooks/stripe/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'stripe-signature': signature } : {}),
        },
        body: payload,
      });
    const wrongSecret = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: 'whsec_wrong',
    });
    const stale = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    for (const response of [
      await post(wrongSecret),
      await post(stale),
      await post(undefined),
      await post(wrongSecret, 'whe_unknown'),
    ]) {
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.error.message).toBe('Webhook signature verification failed.');
      expect(body.error.details).toBeNull();
    }
    const nul = await fetch(`${server.url}/webhooks/stripe/%00`, { method: 'POST', body: payload });
    expect(nul.status).toBe(400);
    expect(await store.db.selectFrom('webhook_events').selectAll().execute()).toHaveLength(0);
    const good = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect((await post(good)).status).toBe(200);
    expect((await (await post(good)).json()).duplicate).toBe(true);
  });

  it('refuses a correctly signed event of the wrong shape with a 400 that says why, storing nothing', async () => {
    await connect('us');
    const { endpoint_id: endpointId, secret } = await endpointRow();
    const event = {
      id: 'evt_shape_1',
      object: 'event',
      type: 'account.updated',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: {} },
    };
    const deliver = (payload: string) =>
      fetch(`${server.url}/webhooks/stripe/${endpointId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }),
        },
        body: payload,
      });
    const malformed: Array<[Record<string, unknown>, string]> = [
      [{ created: 'yesterday' }, 'created: expected the Unix time in whole seconds'],
      [{ id: `evt_${'x'.repeat(5_000)}` }, 'id: expected Stripe\'s event id ("evt_…", at most 64'],
      [{ type: `account.${'x'.repeat(5_000)}` }, 'type: expected an event type of at most 100'],
      [{ data: null }, 'data: expected the object the event is about'],
    ];
    for (const [change, reason] of malformed) {
      const response = await deliver(JSON.stringify({ ...event, ...change }));
      expect(response.status, reason).toBe(400);
      const { error } = await response.json();
      expect(error.message).toContain('The webhook event is not a well-formed Stripe event (');
      expect(error.message).toContain(reason);
    }
    expect(await store.db.selectFrom('webhook_events').selectAll().execute()).toHaveLength(0);
    expect((await deliver(JSON.stringify(event))).status).toBe(200);
  });

  it('has two instances processing at once react to each event once', async () => {
    await connect('us');
    // Stripe's deliveries are lost: the events reach us only as stored below.
    await control(emulator(), 'POST', 'webhooks/chaos', { drop: 100 });
    // Three batches' worth, so the two claim side by side more than once.
    for (let change = 0; change < 30; change += 1) {
      await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
        charges_enabled: change % 2 === 1,
        ...(change % 2 === 0 ? { disabled_reason: 'under_review' } : {}),
      });
    }
    expect(await storeEventsOf('account.updated')).toBe(30);
    // A second instance: its own process's store on the same database, the same master key.
    const otherStore = openStore(store.url);
    const other = await buildTestApp(otherStore, {
      env: { ...emulatorEnv(emulator()), SWITCHYARD_MASTER_KEY: server.masterKey },
      gateway: emulatorGateway(emulator()),
    });
    try {
      const counts = await Promise.all([
        server.services.webhooks.processPending(),
        other.services.webhooks.processPending(),
      ]);
      const stored = await store.db
        .selectFrom('webhook_events')
        .select(['stripe_event_id', 'processed_at', 'attempts'])
        .execute();
      expect(stored).toHaveLength(30);
      // Each event was reacted to by one of them: one attempt each, thirty between the two.
      expect(stored.map((event) => event.attempts)).toEqual(Array(30).fill(1));
      expect(stored.every((event) => event.processed_at !== null)).toBe(true);
      expect(counts[0] + counts[1]).toBe(30);
      expect((await server.services.accounts.showAccount('default', 'us')).health).toBe('healthy');
    } finally {
      await other.app.close();
      await otherStore.close();
    }
  });

  it('leaves an event another instance holds alone until its claim runs out', async () => {
    await connect('us');
    await control(emulator(), 'POST', 'webhooks/chaos', { drop: 100 });
    const clock = clockAhead();
    const later = await buildTestApp(store, {
      env: { ...emulatorEnv(emulator()), SWITCHYARD_MASTER_KEY: server.masterKey },
      gateway: emulatorGateway(emulator()),
      clock,
    });
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'requirements.past_due',
    });
    expect(await storeEventsOf('account.updated')).toBe(1);
    // An instance claims it and dies before reacting.
    const now = Date.now();
    const claimed = await claimUnprocessedEvents(store.db, {
      maxAttempts: 8,
      limit: 10,
      now: new Date(now).toISOString(),
      until: new Date(now + 60_000).toISOString(),
      holder: 'wcl_crashed',
    });
    expect(claimed.map((event) => event.type)).toEqual(['account.updated']);
    expect(await later.services.webhooks.processPending()).toBe(0);
    expect((await later.services.accounts.showAccount('default', 'us')).health).toBe('healthy');
    clock.advance(61);
    expect(await later.services.webhooks.processPending()).toBe(1);
    expect((await later.services.accounts.showAccount('default', 'us')).health).toBe('restricted');
    await later.app.close();
  });

  it("never lets an instance whose claim ran out renew it or give back another's", async () => {
    await connect('us');
    await control(emulator(), 'POST', 'webhooks/chaos', { drop: 100 });
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'under_review',
    });
    expect(await storeEventsOf('account.updated')).toBe(1);
    const at = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
    const claim = (holder: string, now: number) =>
      claimUnprocessedEvents(store.db, {
        maxAttempts: 8,
        limit: 10,
        now: at(now),
        until: at(now + 60),
        holder,
      });
    const [event] = await claim('wcl_slow', 0);
    if (!event) throw new Error('the slow instance claimed nothing');
    // The slow instance's minute passes; another takes the event over.
    expect(await claim('wcl_next', 61)).toHaveLength(1);
    expect(
      await renewEventClaim(store.db, { id: event.id, holder: 'wcl_slow', until: at(200) }),
    ).toBe(false);
    await markEventFailed(store.db, {
      id: event.id,
      holder: 'wcl_slow',
      error: 'late',
      retryAt: at(0),
    });
    // The late failure changed nothing: the event is still the other's, and no third takes it.
    expect(await claim('wcl_third', 62)).toEqual([]);
    const row = await store.db
      .selectFrom('webhook_events')
      .select(['claimed_by', 'attempts', 'last_error'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ claimed_by: 'wcl_next', attempts: 0, last_error: null });
  });

  it('resumes events stored before a restart, and a deauthorization disconnects the account', async () => {
    await connect('us');
    const { endpoint_id: endpointId, secret } = await endpointRow();
    const payload = JSON.stringify({
      id: 'evt_deauth_1',
      object: 'event',
      type: 'account.application.deauthorized',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: { id: 'ca_platform', object: 'application' } },
    });
    // Stored, but the process "dies" before handling it.
    await server.services.webhooks.receive({
      endpointId,
      rawBody: Buffer.from(payload),
      signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }),
    });
    await server.close();

    const restarted = await buildTestApp(store, {
      env: { ...emulatorEnv(emulator()), SWITCHYARD_MASTER_KEY: server.masterKey },
      gateway: emulatorGateway(emulator()),
    });
    restarted.services.webhooks.start(60_000);
    await restarted.services.webhooks.processPending();
    await restarted.services.webhooks.stop();
    const account = await restarted.services.accounts.showAccount('default', 'us');
    expect(account.health).toBe('disconnected');
    expect(account.healthReason).toContain('revoked');
    const audit = await restarted.services.audit.list({ workspaceId: 'default', limit: 10 });
    expect(audit.map((entry) => entry.action)).toContain('account.disconnected');
    // `server.close` in afterEach is harmless a second time.
  });
});

it('acts on every event type it asks Stripe for', () => {
  expect(subscribedEvents.filter((type) => !actedOnEventTypes.includes(type))).toEqual([]);
});
