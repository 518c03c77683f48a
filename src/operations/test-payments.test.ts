import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import { clockAhead } from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';

const emulator = useEmulator();

describeEachDatabase('test payments', (database) => {
  const clock = clockAhead();
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let stripeAccount: EmulatorAccount;

  function stripeIn(mode: 'test' | 'live'): Stripe {
    return new Stripe(stripeAccount.keys[mode].secret, {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    });
  }

  beforeEach(async () => {
    clock.reset();
    store = await database.openMigrated();
    testApp = await buildTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
      clock,
    });
    api = await adminClient(testApp);
    stripeAccount = await createEmulatorAccount(emulator(), { default_currency: 'usd' });
    const connected = await api('POST', '/api/accounts', {
      handle: 'us',
      credentials: { ...keysOf(stripeAccount, 'test'), ...keysOf(stripeAccount, 'live') },
    });
    expect(connected.status, JSON.stringify(connected.body)).toBe(201);
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await testApp.app.close();
    await store.dispose();
  });

  it("charges Stripe's test card in test mode and refunds it, and keeps the result", async () => {
    const made = await api('POST', '/api/accounts/us/test-payments', { mode: 'test' });
    expect(made.status).toBe(201);
    const run = made.body.testPayment;
    expect(run).toMatchObject({
      account: 'us',
      mode: 'test',
      outcome: 'succeeded',
      amount: 100,
      currency: 'usd',
      errorCode: null,
      actor: 'token:test-suite',
    });
    expect(run.requestId).toMatch(/^req_/);
    expect(run.latencyMs).toBeGreaterThanOrEqual(0);

    // At Stripe: charged, refunded in full, and marked as a test payment of ours.
    const intent = await stripeIn('test').paymentIntents.retrieve(run.paymentIntentId);
    expect(intent.status).toBe('succeeded');
    expect(intent.metadata).toEqual({ switchyard_test_payment: run.id });
    const charge = await stripeIn('test').charges.retrieve(String(intent.latest_charge));
    expect(charge).toMatchObject({ amount: 100, amount_refunded: 100, refunded: true });
    const refunds = await stripeIn('test').refunds.list({ payment_intent: intent.id });
    expect(refunds.data.map((refund) => refund.id)).toEqual([run.refundId]);

    // Never taken for a sale: no order, and the list keeps the run.
    expect((await api('GET', '/api/orders')).body.orders).toEqual([]);
    const listed = await api('GET', '/api/accounts/us/test-payments');
    expect(listed.status).toBe(200);
    expect(listed.body.testPayments).toEqual([run]);
  });

  it('creates and cancels a PaymentIntent in live mode, never confirming it', async () => {
    const made = await api('POST', '/api/accounts/us/test-payments', { mode: 'live' });
    expect(made.status).toBe(201);
    const run = made.body.testPayment;
    expect(run).toMatchObject({ mode: 'live', outcome: 'succeeded', refundId: null });

    const intent = await stripeIn('live').paymentIntents.retrieve(run.paymentIntentId);
    expect(intent).toMatchObject({ status: 'canceled', latest_charge: null, amount_received: 0 });
    // Nothing was charged: no charge on the account in live mode, and no confirm was ever sent.
    expect((await stripeIn('live').charges.list()).data).toEqual([]);
    const requests = await control<{ data: Array<{ method: string; path: string }> }>(
      emulator(),
      'GET',
      `requests?account=${stripeAccount.id}&limit=100`,
    );
    const paths = requests.data.map((request) => `${request.method} ${request.path}`);
    expect(paths).toContain(`POST /v1/payment_intents/${intent.id}/cancel`);
    expect(paths.filter((path) => path.includes('/confirm'))).toEqual([]);
    expect(paths.filter((path) => path.includes('/refunds'))).toEqual([]);
  });

  it("keeps a failure with Stripe's code and request id, and passes again once mended", async () => {
    const rolledKeys = Object.values(stripeAccount.keys).map((keys) => keys.secret);
    stripeAccount = await control<EmulatorAccount>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
    );
    const rejected = await api('POST', '/api/accounts/us/test-payments', {});
    expect(rejected.status).toBe(201);
    expect(rejected.body.testPayment).toMatchObject({
      mode: 'test',
      outcome: 'failed',
      errorCode: 'api_key_expired',
      paymentIntentId: null,
    });
    expect(rejected.body.testPayment.errorMessage).toMatch(/API Key provided: sk_test_\*+\w{4}$/);
    expect(rejected.body.testPayment.requestId).toMatch(/^req_/);
    // Stripe's message masks the key; the answer holds no key of the account's.
    const answered = JSON.stringify(rejected.body);
    for (const key of rolledKeys) expect(answered).not.toContain(key);

    const replaced = await api('POST', '/api/accounts/us/keys', {
      credentials: { ...keysOf(stripeAccount, 'test'), ...keysOf(stripeAccount, 'live') },
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);

    // Stripe fails the refund: the charge is named, so the merchant can refund it by hand.
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount.id,
      fault: 'server_error',
      path: '/v1/refunds',
    });
    const unrefunded = (await api('POST', '/api/accounts/us/test-payments', { mode: 'test' })).body
      .testPayment;
    expect(unrefunded).toMatchObject({ outcome: 'failed', refundId: null });
    expect(unrefunded.errorCode).not.toBeNull();
    expect(unrefunded.errorMessage).toContain(`${unrefunded.paymentIntentId} was charged`);
    await control(emulator(), 'DELETE', 'faults');

    const mended = await api('POST', '/api/accounts/us/test-payments', { mode: 'test' });
    expect(mended.body.testPayment).toMatchObject({ outcome: 'succeeded', errorCode: null });
    const listed = (await api('GET', '/api/accounts/us/test-payments?mode=test')).body;
    expect(listed.testPayments.map((run: { outcome: string }) => run.outcome)).toEqual([
      'succeeded',
      'failed',
      'failed',
    ]);
    // The next run refunded the charge the failed one left, and says so on it.
    const settled = listed.testPayments[1];
    expect(settled.id).toBe(unrefunded.id);
    expect(settled.refundId).toMatch(/^re_/);
    expect(settled.errorMessage).toContain(
      `Refunded later by test payment ${mended.body.testPayment.id}`,
    );
    const left = await stripeIn('test').paymentIntents.retrieve(unrefunded.paymentIntentId);
    const charge = await stripeIn('test').charges.retrieve(String(left.latest_charge));
    expect(charge).toMatchObject({ amount_refunded: 100, refunded: true });
    // Refunded once: a run after it refunds nothing again.
    await api('POST', '/api/accounts/us/test-payments', { mode: 'test' });
    const refunds = await stripeIn('test').refunds.list({ payment_intent: left.id });
    expect(refunds.data.map((refund) => refund.id)).toEqual([settled.refundId]);
  });

  it('a refund whose answer was lost is found refunded by the next run, never refunded twice', async () => {
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount.id,
      fault: 'server_error',
      after: true,
      path: '/v1/refunds',
      times: 1,
    });
    const lost = (await api('POST', '/api/accounts/us/test-payments', {})).body.testPayment;
    expect(lost).toMatchObject({ outcome: 'failed', refundId: null });
    const next = (await api('POST', '/api/accounts/us/test-payments', {})).body.testPayment;
    expect(next.outcome).toBe('succeeded');
    const listed = (await api('GET', '/api/accounts/us/test-payments')).body.testPayments;
    expect(listed[1]).toMatchObject({ id: lost.id, errorCode: 'charge_already_refunded' });
    expect(listed[1].errorMessage).toContain('Stripe says it was refunded after all.');
    const refunds = await stripeIn('test').refunds.list({ payment_intent: lost.paymentIntentId });
    expect(refunds.data).toHaveLength(1);
    // Settled: the run after it leaves it alone.
    await api('POST', '/api/accounts/us/test-payments', {});
    const requests = await control<{ data: Array<{ method: string; path: string }> }>(
      emulator(),
      'GET',
      `requests?account=${stripeAccount.id}&limit=100`,
    );
    const refundPosts = requests.data.filter(
      (request) => request.method === 'POST' && request.path === '/v1/refunds',
    );
    // Its own, the next run's look and own, the last run's own: none for the settled one.
    expect(refundPosts).toHaveLength(4);
  });

  it("a charge whose create call's answer was lost is found at Stripe and refunded by the next run", async () => {
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount.id,
      fault: 'server_error',
      after: true,
      path: '/v1/payment_intents',
      times: 1,
    });
    const lost = (await api('POST', '/api/accounts/us/test-payments', {})).body.testPayment;
    expect(lost).toMatchObject({ outcome: 'failed', paymentIntentId: null, refundId: null });
    // Stripe did charge the test card: the run never learnt it.
    const charged = await stripeIn('test').paymentIntents.search({
      query: `metadata['switchyard_test_payment']:'${lost.id}'`,
    });
    expect(charged.data.map((intent) => intent.status)).toEqual(['succeeded']);
    const intent = charged.data[0] as Stripe.PaymentIntent;
    const before = await stripeIn('test').charges.retrieve(String(intent.latest_charge));
    expect(before.refunded).toBe(false);

    const next = (await api('POST', '/api/accounts/us/test-payments', {})).body.testPayment;
    expect(next.outcome).toBe('succeeded');
    const listed = (await api('GET', '/api/accounts/us/test-payments')).body.testPayments;
    expect(listed[1]).toMatchObject({ id: lost.id, paymentIntentId: intent.id });
    expect(listed[1].refundId).toMatch(/^re_/);
    expect(listed[1].errorMessage).toContain(`Its PaymentIntent ${intent.id} was found at Stripe.`);
    expect(listed[1].errorMessage).toContain(`Refunded later by test payment ${next.id}`);
    const after = await stripeIn('test').charges.retrieve(String(intent.latest_charge));
    expect(after).toMatchObject({ amount_refunded: 100, refunded: true });

    // Refunded once: the run after it neither searches for it nor refunds it again.
    await api('POST', '/api/accounts/us/test-payments', {});
    const refunds = await stripeIn('test').refunds.list({ payment_intent: intent.id });
    expect(refunds.data.map((refund) => refund.id)).toEqual([listed[1].refundId]);
  });

  it('refuses bad input naming the field, and an unknown account with 404', async () => {
    const badMode = await api('POST', '/api/accounts/us/test-payments', { mode: 'sandbox' });
    expect(badMode.status).toBe(400);
    expect(badMode.body.error.details.fields).toEqual([{ field: 'mode', message: 'test or live' }]);
    const unknownField = await api('POST', '/api/accounts/us/test-payments', { amount: 5 });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.details.fields[0].field).toBe('amount');
    const badQuery = await api('GET', '/api/accounts/us/test-payments?mode=both');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.details.fields).toEqual([
      { field: 'query.mode', message: 'test or live' },
    ]);
    const unknown = await api('POST', '/api/accounts/nowhere/test-payments', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('GET /api/accounts lists the handles.');
    expect((await api('GET', '/api/accounts/nowhere/test-payments')).status).toBe(404);

    // An account without live keys cannot make a live test payment: it says so, by the field.
    const other = await createEmulatorAccount(emulator());
    await api('POST', '/api/accounts', { handle: 'eu', credentials: keysOf(other, 'test') });
    const noLive = await api('POST', '/api/accounts/eu/test-payments', { mode: 'live' });
    expect(noLive.status).toBe(400);
    expect(noLive.body.error.details.fields).toEqual([
      { field: 'mode', message: 'account eu has no live keys to make a test payment with' },
    ]);
  });

  it('runs from the command line: exit 0 on success, 1 on failure, 2 on bad input, 4 unknown', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-test-payment-cli-'));
    const env = {
      ...emulatorEnv(emulator()),
      DATABASE_URL: store.url,
      DATA_DIR: dataDir,
      SWITCHYARD_MASTER_KEY: testApp.masterKey,
      SWITCHYARD_DEMO: 'off',
    };
    try {
      const live = await runInProcess(['test-payment', 'us', '--mode', 'live'], env);
      expect(live.stderr).toBe('');
      expect(live.code).toBe(0);
      expect(live.stdout).toMatch(/^Test payment tpay_\S+ on us \(live\): succeeded in \d+ ms\./);
      expect(live.stdout).toContain('never confirmed: nothing was charged');

      const json = await runInProcess(['test-payment', 'us', '--json'], env);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout).testPayment).toMatchObject({
        mode: 'test',
        outcome: 'succeeded',
      });

      const badMode = await runInProcess(['test-payment', 'us', '--mode', 'sandbox'], env);
      expect(badMode.code).toBe(2);
      expect(badMode.stderr).toContain('--mode: got "sandbox", needs test or live.');
      const badHandle = await runInProcess(['test-payment', 'US!'], env);
      expect(badHandle.code).toBe(2);
      expect(badHandle.stderr).toContain('<handle>: got "US!"');
      const unknown = await runInProcess(['test-payment', 'nowhere'], env);
      expect(unknown.code).toBe(4);
      expect(unknown.stderr).toContain('Run "switchyard accounts list" to see the handles.');

      await control(emulator(), 'POST', `accounts/${stripeAccount.id}/roll_keys`);
      const failed = await runInProcess(['test-payment', 'us'], env);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('failed');
      expect(failed.stdout).toMatch(/Stripe said: {4}api_key_expired: \w+ API Key provided/);
      const runs = (await api('GET', '/api/accounts/us/test-payments')).body.testPayments;
      expect(runs.map((run: { actor: string }) => run.actor.split(':')[0])).toEqual([
        'cli',
        'cli',
        'cli',
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** Doctor's test payment findings for us in `mode`, by code. */
  async function findingsOf(mode: 'test' | 'live') {
    const report = await testApp.services.doctor.run('default', { account: 'us' });
    return Object.fromEntries(
      report.findings
        .filter((finding) => finding.mode === mode && finding.code.startsWith('test_payment'))
        .map((finding) => [finding.code, finding]),
    );
  }

  it('the job tests every account and mode; doctor reports a failed or stale test payment until mended', async () => {
    const job = testApp.services.jobs.jobs.find((one) => one.name === 'test_payments');
    expect(job?.intervalMs).toBe(24 * 60 * 60_000);
    const slot = {
      workspaceId: 'default',
      slotStart: clock(),
      signal: new AbortController().signal,
    };

    // Nothing has run yet: stale (a warning), not failed.
    let findings = await findingsOf('test');
    expect(findings.test_payment_stale).toMatchObject({ status: 'warn' });
    expect(findings.test_payment_stale?.fix).toContain('switchyard test-payment us --mode test');
    expect(findings.test_payment_failed).toMatchObject({ status: 'pass' });

    expect(await job?.run(slot)).toBe(
      'Test payments passed on 2 of 2 accounts and modes: us live, us test.',
    );
    for (const mode of ['test', 'live'] as const) {
      findings = await findingsOf(mode);
      expect(findings.test_payment_stale).toMatchObject({ status: 'pass' });
      expect(findings.test_payment_failed).toMatchObject({ status: 'pass' });
    }
    const runs = (await api('GET', '/api/accounts/us/test-payments')).body.testPayments;
    expect(runs.map((run: { actor: string }) => run.actor)).toEqual([
      'job:test_payments',
      'job:test_payments',
    ]);

    // The key is rolled at Stripe: the job fails, naming it, and doctor says what Stripe said.
    stripeAccount = await control<EmulatorAccount>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
    );
    await expect(job?.run(slot)).rejects.toThrow(
      /Failed: us live: api_key_expired \(tpay_\S+\); us test: api_key_expired/,
    );
    findings = await findingsOf('test');
    expect(findings.test_payment_failed).toMatchObject({ status: 'fail', account: 'us' });
    expect(findings.test_payment_failed?.detail).toMatch(
      /failed: api_key_expired: .*API Key provided.*\(Stripe request req_\w+\)/,
    );
    expect(findings.test_payment_failed?.fix).toContain('switchyard accounts keys us');

    // Mended: new keys and a test payment that passes.
    await api('POST', '/api/accounts/us/keys', {
      credentials: { ...keysOf(stripeAccount, 'test'), ...keysOf(stripeAccount, 'live') },
    });
    await api('POST', '/api/accounts/us/test-payments', { mode: 'test' });
    findings = await findingsOf('test');
    expect(findings.test_payment_failed).toMatchObject({ status: 'pass' });

    // Two days without one: stale again, naming when the last ran.
    clock.advance(49 * 60 * 60);
    findings = await findingsOf('test');
    expect(findings.test_payment_stale).toMatchObject({ status: 'warn' });
    expect(findings.test_payment_stale?.detail).toContain('No test payment in the last 48 h');

    // A disabled account takes no payments: the job leaves it out, and nothing is stale.
    expect((await api('PATCH', '/api/accounts/us', { enabled: false })).status).toBe(200);
    expect(await job?.run(slot)).toBe('No enabled account has keys to test.');
    findings = await findingsOf('test');
    expect(findings.test_payment_stale).toMatchObject({ status: 'pass' });
    expect(findings.test_payment_stale?.detail).toContain('The account is disabled');
  });
});
