import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { beforeEach, expect, it } from 'vitest';
import { clockAhead, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  emulatorEnv,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { findLiveAccountByHandle } from '../accounts/accounts.repository.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';
import { findPayment, insertPaymentIfNew } from './payments.repository.js';

const emulator = useEmulator();

describeEachDatabase('unrecorded payments', (database) => {
  const clock = clockAhead();
  // Before the shop opens: each test's accounts are connected at the real time.
  beforeEach(() => clock.reset());
  const shop = launchShopForEachTest(database, emulator, { clock });

  /** The Stripe SDK on an account's test key: what someone with the dashboard or a script does. */
  async function stripeOf(handle: string): Promise<Stripe> {
    const { services } = shop().testApp;
    const account = await findLiveAccountByHandle(shop().store.db, 'default', handle);
    const secretKey = await services.accounts.secretKeyOf(account?.accountId ?? '', 'test');
    return new Stripe(secretKey ?? '', {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    });
  }

  /** A buyer at the card form: an order with one payment whose PaymentIntent is recorded. */
  async function openOrder(): Promise<{ id: string; payments: Array<Record<string, unknown>> }> {
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    expect((await visitor.get('/f/launch/order/pay')).statusCode).toBe(200);
    const listed = await shop().api('GET', '/api/orders');
    return (await shop().api('GET', `/api/orders/${listed.body.orders[0].id}`)).body.order;
  }

  async function unrecordedFinding() {
    const report = await shop().testApp.services.doctor.run('default', { account: 'us' });
    return report.findings.find(
      (finding) => finding.code === 'unrecorded_payments' && finding.mode === 'test',
    );
  }

  it('finds PaymentIntents made behind its back, adopts the one whose order is here, once, and reports the rest until explained', async () => {
    const { services } = shop().testApp;
    const order = await openOrder();
    const recorded = order.payments[0] as { id: string; paymentIntent: string };
    const us = await stripeOf('us');
    // Made by hand with our metadata: a payment of an order that is here, …
    const adoptable = await us.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { switchyard_order: order.id, switchyard_payment: `${order.id}.by-hand` },
    });
    // … one of an order this Switchyard never had, …
    const orphan = await us.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { switchyard_order: 'ord_elsewhere', switchyard_payment: 'ord_elsewhere.main' },
    });
    // … and a second PaymentIntent of a payment that has one.
    const second = await us.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      metadata: { switchyard_order: order.id, switchyard_payment: recorded.id },
    });
    // A test payment carries none of our payment ids: never reported.
    const test = await shop().api('POST', '/api/accounts/us/test-payments', { mode: 'test' });
    expect(test.body.testPayment.outcome).toBe('succeeded');

    // Too young: an attempt may be writing it down right now.
    expect(await services.unrecordedPayments.reconcile('default')).toMatchObject({
      adopted: [],
      open: [],
      failed: [],
    });
    expect(await unrecordedFinding()).toMatchObject({ status: 'pass', fix: null });

    clock.advance(3 * 60);
    const run = await services.unrecordedPayments.reconcile('default');
    expect(run.failed).toEqual([]);
    expect(run.searched).toBe(2);
    expect(run.adopted.map((one) => one.paymentIntentId)).toEqual([adoptable.id]);
    expect(run.open.map((one) => one.paymentIntentId).sort()).toEqual(
      [orphan.id, second.id].sort(),
    );

    // Adopted: the order counts it, as a payment of its own on us.
    const adopted = (await shop().api('GET', `/api/orders/${order.id}`)).body.order;
    expect(adopted).toMatchObject({ status: 'paid', paid: 2500 });
    expect(adopted.payments).toHaveLength(2);
    expect(adopted.payments[1]).toMatchObject({
      id: `${order.id}.by-hand`,
      status: 'succeeded',
      paymentIntent: adoptable.id,
      account: 'us',
    });
    expect(adopted.payments[0].paymentIntent).toBe(recorded.paymentIntent);

    // Reported with ids and amounts, and the step that closes them.
    const finding = await unrecordedFinding();
    expect(finding).toMatchObject({ status: 'fail', account: 'us', mode: 'test' });
    expect(finding?.detail).toContain(
      `${orphan.id} $15.00 (succeeded): It names order ord_elsewhere`,
    );
    expect(finding?.detail).toContain(
      `${second.id} $49.00 (requires_payment_method): Payment ${recorded.id}`,
    );
    expect(finding?.detail).not.toContain(test.body.testPayment.paymentIntentId);
    expect(finding?.fix).toContain('switchyard unrecorded explain <PaymentIntent id> --note');

    // A second run, later, records nothing twice.
    clock.advance(60 * 60);
    const again = await services.unrecordedPayments.reconcile('default');
    expect(again).toMatchObject({ adopted: [], open: [], failed: [] });
    const after = (await shop().api('GET', `/api/orders/${order.id}`)).body.order;
    expect(after).toMatchObject({ paid: 2500 });
    expect(after.payments).toHaveLength(2);

    // The API lists them and closes one; the command line the other.
    const listed = await shop().api('GET', '/api/unrecorded-payments');
    expect(listed.status).toBe(200);
    expect(listed.body.unrecordedPayments).toHaveLength(2);
    const adoptedList = await shop().api('GET', '/api/unrecorded-payments?state=adopted');
    expect(adoptedList.body.unrecordedPayments).toMatchObject([
      { paymentIntentId: adoptable.id, state: 'adopted', resolvedBy: 'job:reconcile_unrecorded' },
    ]);
    const explained = await shop().api(
      'POST',
      `/api/unrecorded-payments/${orphan.id}/explanation`,
      { note: 'Made from the old shop; refunded in the dashboard.' },
    );
    expect(explained.status).toBe(200);
    expect(explained.body.unrecordedPayment).toMatchObject({
      state: 'explained',
      reason: 'Made from the old shop; refunded in the dashboard.',
      resolvedBy: 'token:test-suite',
    });

    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-unrecorded-cli-'));
    const env = {
      ...emulatorEnv(emulator()),
      DATABASE_URL: shop().store.url,
      DATA_DIR: dataDir,
      SWITCHYARD_MASTER_KEY: shop().testApp.masterKey,
      SWITCHYARD_DEMO: 'off',
    };
    try {
      const list = await runInProcess(['unrecorded', 'list'], env);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(
        `${second.id}  us (test)  $49.00  requires_payment_method at Stripe  open`,
      );
      const closed = await runInProcess(
        ['unrecorded', 'explain', second.id, '--note', 'Canceled: the buyer paid the first.'],
        env,
      );
      expect(closed.code).toBe(0);
      expect(closed.stdout).toContain('explained');
      const badState = await runInProcess(['unrecorded', 'list', '--state', 'done'], env);
      expect(badState.code).toBe(2);
      expect(badState.stderr).toContain('--state: got "done", needs open, adopted or explained.');
      const noNote = await runInProcess(['unrecorded', 'explain', second.id, '--note', ' '], env);
      expect(noNote.code).toBe(2);
      expect(noNote.stderr).toContain('--note:');
      const unknown = await runInProcess(['unrecorded', 'explain', 'pi_nope', '--note', 'x'], env);
      expect(unknown.code).toBe(4);
      expect(unknown.stderr).toContain('Run "switchyard unrecorded list" to see them.');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(await unrecordedFinding()).toMatchObject({ status: 'pass' });
  });

  it("adds to an order no PaymentIntent of another mode or currency than the order's", async () => {
    const { services } = shop().testApp;
    const order = await openOrder();
    const both = await createEmulatorAccount(emulator());
    const connected = await shop().api('POST', '/api/accounts', {
      handle: 'both',
      credentials: { ...keysOf(both, 'test'), ...keysOf(both, 'live') },
    });
    expect(connected.status, JSON.stringify(connected.body)).toBe(201);
    const stripe = (mode: 'test' | 'live') =>
      new Stripe(both.keys[mode].secret, {
        host: emulator().host,
        port: emulator().port,
        protocol: 'http',
      });
    const made = (mode: 'test' | 'live', currency: string) =>
      stripe(mode).paymentIntents.create({
        amount: 2500,
        currency,
        payment_method: 'pm_card_visa',
        confirm: true,
        metadata: {
          switchyard_order: order.id,
          switchyard_payment: `${order.id}.${mode}.${currency}`,
        },
      });
    const live = await made('live', 'usd');
    const euros = await made('test', 'eur');
    clock.advance(3 * 60);
    const run = await services.unrecordedPayments.reconcile('default');
    expect(run.adopted).toEqual([]);
    const reasons = Object.fromEntries(run.open.map((one) => [one.paymentIntentId, one.reason]));
    expect(reasons[live.id]).toBe(
      `It names order ${order.id}, a test order, but it is a live PaymentIntent.`,
    );
    expect(reasons[euros.id]).toBe(
      `It names order ${order.id}, whose payments are in USD, but it is in EUR.`,
    );
    const after = (await shop().api('GET', `/api/orders/${order.id}`)).body.order;
    expect(after.payments).toHaveLength(1);
  });

  it('refuses bad input naming the field', async () => {
    const badState = await shop().api('GET', '/api/unrecorded-payments?state=done');
    expect(badState.status).toBe(400);
    expect(badState.body.error.details.fields).toEqual([
      { field: 'query.state', message: 'open, adopted or explained' },
    ]);
    const badId = await shop().api('POST', '/api/unrecorded-payments/nope/explanation', {
      note: 'x',
    });
    expect(badId.status).toBe(400);
    expect(JSON.stringify(badId.body.error)).toContain('paymentIntentId');
    const noNote = await shop().api('POST', '/api/unrecorded-payments/pi_123/explanation', {});
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.details.fields[0].field).toBe('note');
    const unknown = await shop().api('POST', '/api/unrecorded-payments/pi_123/explanation', {
      note: 'x',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('GET /api/unrecorded-payments lists them.');
  });

  it('reports the PaymentIntent of an attempt whose answer was lost, and searches again where Stripe failed', async () => {
    const { services } = shop().testApp;
    const usAccount = await shop().api('GET', '/api/accounts/us');
    const stripeAccount = usAccount.body.account.stripeAccountId;
    // Stripe makes the PaymentIntent but hangs before answering; the payment moves to eu.
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount,
      fault: 'timeout',
      after: true,
      path: '/v1/payment_intents',
      times: 1,
    });
    const order = await openOrder();
    await control(emulator(), 'DELETE', 'faults');
    const payment = order.payments[0] as { id: string; account: string };
    expect(payment.account).toBe('eu');
    const lost = (
      await (
        await stripeOf('us')
      ).paymentIntents.search({
        query: `metadata['switchyard_payment']:'${payment.id}'`,
      })
    ).data;
    expect(lost).toHaveLength(1);

    // Stripe fails the search: that account is tried again next run, from the same place.
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount,
      fault: 'server_error',
      path: '/v1/payment_intents/search',
    });
    clock.advance(3 * 60);
    const job = services.jobs.jobs.find((one) => one.name === 'reconcile_unrecorded');
    expect(job?.intervalMs).toBe(60 * 60_000);
    const slot = {
      workspaceId: 'default',
      slotStart: clock(),
      signal: new AbortController().signal,
    };
    await expect(job?.run(slot)).rejects.toThrow(
      /^Searched 1 accounts and modes: 0 unrecorded payments adopted .* Not searched: us test: /,
    );
    await control(emulator(), 'DELETE', 'faults');

    const run = await services.unrecordedPayments.reconcile('default');
    expect(run.failed).toEqual([]);
    expect(run.open.map((one) => one.paymentIntentId)).toEqual([lost[0]?.id]);
    expect(run.open[0]?.reason).toContain(
      `Payment ${payment.id} of order ${order.id} already has PaymentIntent`,
    );
  });
  it('adopts into a payment only the PaymentIntent that names its order, amount and currency', async () => {
    const { services } = shop().testApp;
    // Stripe refuses every PaymentIntent: the payment is written, with none of its own.
    for (const handle of ['us', 'eu']) {
      const account = await shop().api('GET', `/api/accounts/${handle}`);
      await control(emulator(), 'POST', 'faults', {
        account: account.body.account.stripeAccountId,
        fault: 'server_error',
        path: '/v1/payment_intents',
      });
    }
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    await visitor.get('/f/launch/order/pay');
    await control(emulator(), 'DELETE', 'faults');
    const listed = await shop().api('GET', '/api/orders');
    const order = (await shop().api('GET', `/api/orders/${listed.body.orders[0].id}`)).body.order;
    const payment = order.payments[0] as { id: string; amount: number; paymentIntent: null };
    expect(payment.paymentIntent).toBeNull();

    const us = await stripeOf('us');
    const paid = (amount: number, metadata: Record<string, string>) =>
      us.paymentIntents.create({
        amount,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        metadata,
      });
    // Our payment's id, but another order's; and our order, but another amount: neither is it.
    const otherOrder = await paid(payment.amount, {
      switchyard_order: 'ord_elsewhere',
      switchyard_payment: payment.id,
    });
    const otherAmount = await paid(payment.amount + 100, {
      switchyard_order: order.id,
      switchyard_payment: payment.id,
    });
    clock.advance(3 * 60);
    const run = await services.unrecordedPayments.reconcile('default');
    expect(run.adopted).toEqual([]);
    const reasons = Object.fromEntries(run.open.map((one) => [one.paymentIntentId, one.reason]));
    expect(reasons[otherOrder.id]).toContain(
      `It names order ord_elsewhere, but payment ${payment.id} is of order ${order.id}`,
    );
    expect(reasons[otherAmount.id]).toContain(`but payment ${payment.id} is for $`);
    const untouched = (await shop().api('GET', `/api/orders/${order.id}`)).body.order;
    expect(untouched.payments[0].paymentIntent).toBeNull();

    // The one that matches is adopted.
    const matching = await paid(payment.amount, {
      switchyard_order: order.id,
      switchyard_payment: payment.id,
    });
    clock.advance(3 * 60);
    const again = await services.unrecordedPayments.reconcile('default');
    expect(again.adopted.map((one) => one.paymentIntentId)).toEqual([matching.id]);
    const adopted = (await shop().api('GET', `/api/orders/${order.id}`)).body.order;
    expect(adopted.payments[0].paymentIntent).toBe(matching.id);

    // A payment id another workspace holds: not added here, and not told as added.
    const elsewhere = await findPayment(shop().store.db, 'default', payment.id);
    if (!elsewhere) throw new Error('the payment is stored');
    await insertPaymentIfNew(shop().store.db, {
      ...elsewhere,
      paymentId: `${order.id}.taken`,
      workspaceId: 'other',
      paymentIntentId: null,
    });
    const taken = await paid(2500, {
      switchyard_order: order.id,
      switchyard_payment: `${order.id}.taken`,
    });
    clock.advance(3 * 60);
    const third = await services.unrecordedPayments.reconcile('default');
    expect(third.adopted).toEqual([]);
    expect(third.open).toMatchObject([
      {
        paymentIntentId: taken.id,
        reason: `Payment ${order.id}.taken is recorded already, without this PaymentIntent; it was not added to order ${order.id}.`,
      },
    ]);
  });
});
