import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildTestApp } from '../../test/app.js';
import {
  buyOrder,
  deliverEvent,
  eventsAbout,
  expectNoSecrets,
  holdBackWebhooks,
  settleWebhooks,
  stripeOfAccount,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { capturedLogger } from '../../test/log-capture.js';
import { freePort } from '../../test/server.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { loadConfig } from '../config.js';
import { startServer } from '../server.js';

const emulator = useEmulator();
const token = 'metrics-token-0123456789abcdef';
const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };

/** The value of the one sample named with these labels, or undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith(`${name}{`) &&
        Object.entries(labels).every(([label, value]) => candidate.includes(`${label}="${value}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The value of a metric without labels. */
function total(text: string, name: string): number {
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`the scrape has no ${name}`);
  return Number(value);
}

describeEachDatabase('/metrics behind METRICS_TOKEN', (database) => {
  const shop = launchShopForEachTest(database, emulator, { env: { METRICS_TOKEN: token } });

  async function scrape(): Promise<string> {
    const response = await shop().testApp.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.body;
  }

  it('counts a paid order, its route, a duplicate webhook and a job run, and shows no secret', async () => {
    const { testApp, store, api } = shop();
    const us = await stripeOfAccount(emulator(), api, 'us');
    await holdBackWebhooks(us);
    const { intent } = await buyOrder(emulator(), visitorOf(testApp.app), ana);
    expect(intent.status).toBe('succeeded');
    const [event] = await eventsAbout(us, 'payment_intent.succeeded', intent.id);
    if (!event) throw new Error('Stripe recorded no payment_intent.succeeded');
    expect((await deliverEvent(testApp, store, 'us', event)).duplicate).toBe(false);
    const before = await scrape();
    expect((await deliverEvent(testApp, store, 'us', event)).duplicate).toBe(true);
    const afterDuplicate = await scrape();
    for (const [counter, rise] of [
      ['switchyard_webhook_events_received_total', 1],
      ['switchyard_webhook_events_duplicate_total', 1],
      ['switchyard_webhook_events_failed_total', 0],
    ] as const) {
      expect(total(afterDuplicate, counter) - total(before, counter), counter).toBe(rise);
    }
    const runs = await testApp.services.jobs.runDue();
    const verify = runs.find((run) => run.job === 'verify');
    expect(verify?.outcome).toBe('ok');

    const text = await scrape();
    const paid = { account: 'us', mode: 'test', kind: 'initial', outcome: 'succeeded' };
    expect(sample(text, 'switchyard_payments', paid)).toBe(1);
    expect(
      sample(text, 'switchyard_http_request_duration_seconds_count', {
        route: '/f/:funnel/:step/pay',
        method: 'GET',
        status: '2xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    // The pattern, never the URL asked for.
    expect(text).not.toContain('route="/f/launch/order/pay"');
    expect(sample(text, 'switchyard_job_runs_total', { job: 'verify', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'switchyard_breaker_state', { account: 'us', mode: 'test' })).toBe(0);
    expect(total(text, 'switchyard_webhook_lag_seconds')).toBe(0);
    expect(text).toContain('process_cpu_user_seconds_total');

    await expectNoSecrets(emulator(), [text]);
    expect(text).not.toContain(token);
    expect(JSON.stringify(testApp.logLines())).not.toContain(token);

    // An event waiting since a minute and a half ago (its instance died, say) is the lag.
    await settleWebhooks(testApp, store);
    await store.db
      .updateTable('webhook_events')
      .set({ processed_at: null, received_at: new Date(Date.now() - 90_000).toISOString() })
      .where('stripe_event_id', '=', event.id)
      .execute();
    expect(total(await scrape(), 'switchyard_webhook_lag_seconds')).toBeGreaterThanOrEqual(90);
  });

  it('counts failovers by account and reason', async () => {
    const { testApp, api } = shop();
    const primary = (await stripeSideOf(api, 'us')).stripeAccountId;
    await control(emulator(), 'POST', 'faults', {
      account: primary,
      fault: 'server_error',
      path: '/v1/payment_intents',
    });
    const { pay } = await buyOrder(emulator(), visitorOf(testApp.app), ana);
    expect(pay.statusCode).toBe(200);

    const text = await scrape();
    expect(
      sample(text, 'switchyard_failovers_total', { account: 'us', reason: 'stripe_error' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'switchyard_payments', { account: 'eu', kind: 'initial' })).toBe(1);
  });

  it('refuses a scrape without the token or with another, saying what to send', async () => {
    const { app } = shop().testApp;
    const without = await app.inject({ method: 'GET', url: '/metrics' });
    expect(without.statusCode).toBe(401);
    expect(without.json().error).toMatchObject({ code: 'unauthorized' });
    expect(without.json().error.message).toContain('Authorization: Bearer <token>');
    expect(without.json().error.message).toContain('METRICS_TOKEN');
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${token}x` },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toContain('not METRICS_TOKEN');
    expect(wrong.body).not.toContain(token);
  });
});

describeEachDatabase('/metrics off, or on METRICS_PORT', (database) => {
  let scratch: TestStore | undefined;
  afterEach(async () => {
    await scratch?.dispose();
    scratch = undefined;
  });

  it('answers 404 on the main port when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    scratch = await database.openMigrated();
    const { app } = await buildTestApp(scratch);
    const response = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${token}` },
    });
    await app.close();
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toContain('Set METRICS_TOKEN');
    expect(response.json().error.message).toContain('METRICS_PORT');
  });

  it('serves /metrics without a token on METRICS_PORT, and nothing else there, until closed', async () => {
    scratch = await database.openMigrated();
    const metricsPort = await freePort();
    const server = await startServer({
      config: loadConfig({
        PORT: '0',
        DATABASE_URL: scratch.url,
        DATA_DIR: mkdtempSync(join(tmpdir(), 'switchyard-data-')),
        METRICS_PORT: String(metricsPort),
        JOBS: 'off',
      }),
      logger: capturedLogger().logger,
    });
    try {
      expect(server.metricsUrl).toBe(`http://127.0.0.1:${metricsPort}`);
      await fetch(`${server.url}/healthz`);
      const scraped = await fetch(`${server.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toContain('# TYPE switchyard_payments gauge');
      expect(
        sample(text, 'switchyard_http_request_duration_seconds_count', { route: '/healthz' }),
      ).toBe(1);
      expect((await fetch(`${server.metricsUrl}/api/accounts`)).status).toBe(404);
      const main = await fetch(`${server.url}/metrics`);
      expect(main.status).toBe(404);
      expect((await main.json()).error.message).toContain(`port ${metricsPort} (METRICS_PORT)`);
    } finally {
      await server.close();
    }
    const after = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect(after).toBe('refused');
  });
});
