import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
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
import { webhookCodes } from '../doctor/checks/webhooks.js';
import type { Finding, FindingCode } from '../doctor/finding.js';
import { pinnedApiVersion } from '../stripe/stripe-gateway.js';
import { webhookWatchdog } from './webhook-watchdog.js';
import { subscribedEvents } from './webhooks.service.js';

const emulator = useEmulator();

interface Delivery {
  event_id: string;
  event_type: string;
  url: string;
  status: number | null;
  error: string | null;
}

describeEachDatabase('doctor: webhooks, and the webhook watchdog', (database) => {
  let store: TestStore;
  let server: ListeningTestApp;
  let stripeAccount: EmulatorAccount;
  let stripe: Stripe;
  /** Switchyard's clock runs this far ahead of the real one, with the emulator's. */
  let aheadMs = 0;

  async function findings(): Promise<Map<FindingCode, Finding>> {
    const report = await server.services.doctor.run('default', { account: 'us' });
    const ours = report.findings.filter(
      (finding) => webhookCodes.includes(finding.code) && finding.mode === 'test',
    );
    expect(ours.map((finding) => finding.code).sort()).toEqual([...webhookCodes].sort());
    return new Map(ours.map((finding) => [finding.code, finding]));
  }

  async function finding(code: FindingCode): Promise<Finding> {
    const found = (await findings()).get(code);
    if (!found) throw new Error(`no ${code} finding`);
    return found;
  }

  async function expectAllPass() {
    const failing = [...(await findings()).values()].filter((found) => found.status !== 'pass');
    expect(failing).toEqual([]);
  }

  function watchdog() {
    const { services } = server;
    return webhookWatchdog({
      db: store.db,
      clock: services.clock,
      vault: services.vault,
      endpointUpkeep: services.endpointUpkeep,
      eventsBackfill: services.eventsBackfill,
      webhooks: services.webhooks,
      intervalMinutes: 15,
    }).run({ workspaceId: 'default', slotStart: new Date(), signal: new AbortController().signal });
  }

  /** Our endpoint for the account's test mode, as stored. */
  async function currentEndpoint() {
    return store.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('removed_at', 'is', null)
      .executeTakeFirstOrThrow();
  }

  async function stripeEndpointId(): Promise<string> {
    const id = (await currentEndpoint()).stripe_endpoint_id;
    if (!id) throw new Error('the endpoint has no Stripe side');
    return id;
  }

  /** An event at Stripe: the account's state changes, Stripe sends `account.updated`. */
  async function accountUpdated(): Promise<string> {
    const before = await stripe.events.list({ limit: 1 });
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      details_submitted: true,
    });
    const after = await stripe.events.list({ limit: 1 });
    const id = after.data[0]?.id;
    expect(id).not.toBe(before.data[0]?.id);
    return id ?? '';
  }

  /** Waits (bounded) until the emulator has tried to deliver the event to our server. */
  async function deliveryOf(eventId: string): Promise<Delivery> {
    for (let round = 0; round < 200; round += 1) {
      const { data } = await control<{ data: Delivery[] }>(emulator(), 'GET', 'deliveries');
      const found = data.find(
        (delivery) => delivery.event_id === eventId && delivery.url.startsWith(server.url),
      );
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no delivery of ${eventId} was tried`);
  }

  /** How far the emulator's clock is ahead of the real one (it is moved on in some tests). */
  async function emulatorAheadMs(): Promise<number> {
    const { now } = await control<{ now: number }>(emulator(), 'GET', 'clock');
    return Math.max(0, now * 1000 - Date.now());
  }

  beforeEach(async () => {
    aheadMs = await emulatorAheadMs();
    store = await database.openMigrated();
    server = await listenTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
      clock: () => new Date(Date.now() + aheadMs),
    });
    stripeAccount = await createEmulatorAccount(emulator());
    stripe = new Stripe(stripeAccount.keys.test.secret, {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    });
    await server.services.accounts.connectWithKeys(
      'default',
      {
        handle: 'us',
        credentials: {
          test: {
            secretKey: stripeAccount.keys.test.secret,
            publishableKey: stripeAccount.keys.test.publishable,
          },
        },
      },
      'test',
    );
    // As a server does when it starts: read the events list once (connecting made some).
    await server.services.eventsBackfill.backfill();
  });
  afterEach(async () => {
    await control(emulator(), 'POST', 'webhooks/chaos', {});
    await control(emulator(), 'DELETE', 'faults');
    await server.close();
    await store.dispose();
  });

  it('passes every webhook check for an endpoint registered as Switchyard needs it', async () => {
    await expectAllPass();
    const endpoint = await stripe.webhookEndpoints.retrieve(await stripeEndpointId());
    expect(endpoint.api_version).toBe(pinnedApiVersion);
  });

  it('webhook_endpoint_missing: the endpoint deleted at Stripe; the watchdog registers a new one', async () => {
    const deleted = await stripeEndpointId();
    await stripe.webhookEndpoints.del(deleted);

    const missing = await finding('webhook_endpoint_missing');
    expect(missing).toMatchObject({ status: 'fail', account: 'us', mode: 'test' });
    expect(missing.detail).toContain(`no webhook endpoint ${deleted}`);
    expect(missing.fix).toContain('switchyard accounts verify us');

    const summary = await watchdog();
    expect(summary).toContain('us (test): Registered a new test webhook endpoint');
    expect(summary).toContain(`${deleted} is gone at Stripe`);
    expect(await stripeEndpointId()).not.toBe(deleted);
    await expectAllPass();
  });

  it('webhook_endpoint_disabled: disabled at Stripe; the watchdog enables it again', async () => {
    const id = await stripeEndpointId();
    await stripe.webhookEndpoints.update(id, { disabled: true });

    const disabled = await finding('webhook_endpoint_disabled');
    expect(disabled.status).toBe('fail');
    expect(disabled.detail).toContain(`${id} as disabled`);
    expect(disabled.fix).toContain('switchyard accounts verify us');
    expect(disabled.fix).toContain(`Developers → Webhooks → ${id}`);

    expect(await watchdog()).toContain(`Enabled the test webhook endpoint ${id} again`);
    expect((await stripe.webhookEndpoints.retrieve(id)).status).toBe('enabled');
    await expectAllPass();
  });

  it('webhook_endpoint_elsewhere: pointed at another server; the watchdog leaves it, verify points it here', async () => {
    const id = await stripeEndpointId();
    const expected = (await currentEndpoint()).url;
    await stripe.webhookEndpoints.update(id, { url: 'https://old-shop.example.com/hooks' });

    const elsewhere = await finding('webhook_endpoint_elsewhere');
    expect(elsewhere.status).toBe('fail');
    expect(elsewhere.detail).toBe(
      `The webhook endpoint ${id} sends to https://old-shop.example.com/hooks, not to this server's ${expected}.`,
    );
    expect(elsewhere.fix).toContain('run `switchyard accounts verify us`');

    const summary = await watchdog();
    expect(summary).toContain('since another server may own it');
    expect(summary).toContain('`switchyard accounts verify us` mends it');
    expect((await finding('webhook_endpoint_elsewhere')).status).toBe('fail');

    const verified = await server.services.accounts.verifyAccount('default', 'us', 'test');
    expect(verified.warnings).toContain(
      `Pointed the test webhook endpoint ${id} at ${expected} (it pointed at https://old-shop.example.com/hooks).`,
    );
    expect((await stripe.webhookEndpoints.retrieve(id)).url).toBe(expected);
    await expectAllPass();
  });

  it('webhook_events_missing: events narrowed at Stripe are named; the watchdog adds them back', async () => {
    const id = await stripeEndpointId();
    await stripe.webhookEndpoints.update(id, {
      enabled_events: ['account.updated', 'payment_intent.succeeded'],
    });

    const narrowed = await finding('webhook_events_missing');
    expect(narrowed.status).toBe('fail');
    expect(narrowed.detail).toContain(`does not send ${subscribedEvents.length - 2} of the events`);
    expect(narrowed.detail).toContain('payment_intent.payment_failed');
    expect(narrowed.detail).toContain('charge.refunded');
    expect(narrowed.detail).not.toContain('account.updated,');
    expect(narrowed.fix).toContain('switchyard accounts verify us');

    expect(await watchdog()).toContain(
      `Subscribed the test webhook endpoint ${id} to account.application.deauthorized, payment_intent.payment_failed`,
    );
    const restored = await stripe.webhookEndpoints.retrieve(id);
    expect([...restored.enabled_events].sort()).toEqual([...subscribedEvents].sort());
    await expectAllPass();
  });

  it('webhook_signature_failures: the secret rolled in the dashboard; verify replaces the endpoint', async () => {
    const id = await stripeEndpointId();
    await control(emulator(), 'POST', `webhook_endpoints/${id}/roll_secret`);
    const eventId = await accountUpdated();
    expect((await deliveryOf(eventId)).status).toBe(400);

    const failures = await finding('webhook_signature_failures');
    expect(failures.status).toBe('fail');
    expect(failures.detail).toMatch(
      new RegExp(
        `^\\d+ deliveries to the webhook endpoint ${id} failed signature verification in the last hour \\(signed with another secret: \\d+\\)`,
      ),
    );
    expect(failures.fix).toContain('Roll secret');
    expect(failures.fix).toContain('run `switchyard accounts verify us`');
    // Not Stripe's: no signature at all, kept with its reason too.
    const unsigned = await fetch((await currentEndpoint()).url, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(400);
    expect((await finding('webhook_signature_failures')).detail).toContain('no signature: 1');
    const kept = await store.db.selectFrom('webhook_signature_failures').selectAll().execute();
    expect(kept.length).toBeGreaterThan(0);
    expect(JSON.stringify(kept)).not.toContain(eventId);

    // Anyone can post a bad signature, so the watchdog does not replace the endpoint for it.
    expect(await watchdog()).toContain('failed signature verification in the last hour');
    expect(await stripeEndpointId()).toBe(id);

    const verified = await server.services.accounts.verifyAccount('default', 'us', 'test');
    expect(verified.warnings.join(' ')).toContain(`Registered a new test webhook endpoint`);
    expect(verified.warnings.join(' ')).toContain('with a secret Switchyard does not hold');
    await expect(stripe.webhookEndpoints.retrieve(id)).rejects.toThrow(/No such webhook_endpoint/);
    const delivered = await deliveryOf(await accountUpdated());
    expect(delivered.status).toBe(200);
    await expectAllPass();
  });

  it('webhook_api_version_old: an endpoint at an older API version; the watchdog replaces it at the pinned one', async () => {
    // As an older Switchyard registered it: the same URL, at the version of its day.
    const ours = await currentEndpoint();
    const old = await stripe.webhookEndpoints.create({
      url: ours.url,
      enabled_events: [...subscribedEvents],
      api_version: '2024-06-20',
    });
    await stripe.webhookEndpoints.del(await stripeEndpointId());
    await store.db
      .updateTable('webhook_endpoints')
      .set({
        stripe_endpoint_id: old.id,
        secret_encrypted: server.services.vault.seal(old.secret ?? ''),
      })
      .where('endpoint_id', '=', ours.endpoint_id)
      .execute();

    const behind = await finding('webhook_api_version_old');
    expect(behind).toMatchObject({
      status: 'warn',
      detail: `The webhook endpoint ${old.id} renders events at 2024-06-20, not ${pinnedApiVersion}, the version Switchyard's Stripe library reads.`,
    });
    expect(behind.fix).toContain('switchyard accounts verify us');

    expect(await watchdog()).toContain(
      `${old.id} rendered events at 2024-06-20, not ${pinnedApiVersion}`,
    );
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data.map((endpoint) => [endpoint.id, endpoint.api_version])).toEqual([
      [await stripeEndpointId(), pinnedApiVersion],
    ]);
    await expectAllPass();
  });

  it('webhook_lag: a dropped delivery is counted and named; the watchdog fetches and processes it', async () => {
    await control(emulator(), 'POST', 'webhooks/chaos', { drop: 1 });
    const dropped = await accountUpdated();
    expect((await deliveryOf(dropped)).error).toBe('dropped by the emulator');
    // An event younger than a minute may still be on its way: both clocks move on past that, so
    // the dropped event is old and the events doctor's own probes make are not.
    await control(emulator(), 'POST', 'clock/advance', { seconds: 90 });
    aheadMs = await emulatorAheadMs();

    const lag = await finding('webhook_lag');
    expect(lag.status).toBe('warn');
    expect(lag.detail).toMatch(
      new RegExp(
        `^1 event\\(s\\) at Stripe since .+ were not received here; the oldest is ${dropped} \\(account.updated, `,
      ),
    );
    expect(lag.fix).toContain('RECONCILE_INTERVAL_SECONDS');
    expect(lag.fix).toContain('Developers → Webhooks →');

    expect(await watchdog()).toContain('fetched 1 event(s) no delivery brought');
    const stored = await store.db
      .selectFrom('webhook_events')
      .select(['processed_at'])
      .where('stripe_event_id', '=', dropped)
      .execute();
    expect(stored).toEqual([{ processed_at: expect.any(String) }]);
    await expectAllPass();
  });

  it('webhook_processing_failed: events whose handling fails, retried until they give up; the watchdog tries them again', async () => {
    // Handling account.updated reads the account from Stripe, which now answers 500.
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount.id,
      fault: 'server_error',
      path: '/v1/account',
    });
    const eventId = await accountUpdated();
    expect((await deliveryOf(eventId)).status).toBe(200);
    const attempts = async () =>
      (
        await store.db
          .selectFrom('webhook_events')
          .select(['attempts', 'last_error'])
          .where('stripe_event_id', '=', eventId)
          .executeTakeFirstOrThrow()
      ).attempts;
    await server.services.webhooks.processPending();

    const retrying = await finding('webhook_processing_failed');
    expect(retrying.status).toBe('warn');
    expect(retrying.detail).toContain(
      `1 stored event(s) failed processing, still retried; the oldest is ${eventId} (account.updated); the last error: Could not reach Stripe to verify "us"`,
    );

    for (let round = 0; round < 10 && (await attempts()) < 8; round += 1) {
      // Each failure waits out a back-off (at most 10 minutes) before it is tried again.
      aheadMs += 601_000;
      await server.services.webhooks.processPending();
    }
    const givenUp = await finding('webhook_processing_failed');
    expect(givenUp.status).toBe('fail');
    expect(givenUp.detail).toContain('(1 out of attempts)');
    expect(givenUp.fix).toContain(
      'the webhook watchdog (every 15 min, JOB_WEBHOOK_WATCHDOG_MINUTES)',
    );

    await control(emulator(), 'DELETE', 'faults');
    expect(await watchdog()).toContain(
      'Gave 1 event(s) out of attempts another try; processed 1 stored event(s)',
    );
    await expectAllPass();
  });

  it('answers "not checked" for the Stripe side when Stripe refuses the key, and still reads our own side', async () => {
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/roll_keys`);
    const all = await findings();
    for (const code of webhookCodes) {
      const found = all.get(code);
      if (code === 'webhook_signature_failures' || code === 'webhook_processing_failed') {
        expect(found?.status).toBe('pass');
      } else {
        expect(found?.status, code).toBe('warn');
        expect(found?.detail).toMatch(/^Not checked: Stripe answered "/);
        expect(found?.fix).toContain('key_rejected');
      }
    }
  });
});
