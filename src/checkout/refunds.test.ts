import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  buyOrder,
  deliverEvent,
  eventsAbout,
  importLaunchFunnel,
  settleWebhooks,
  stripeOfAccount,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();

const jonas = { email: 'jonas@example.de', name: 'Jonas', country: 'DE' };

/** The one order of the test's store, as the merchant sees it in GET /api/orders/{id}. */
async function onlyOrder(api: AdminCall) {
  const listed = await api('GET', '/api/orders');
  expect(listed.body.orders).toHaveLength(1);
  const shown = await api('GET', `/api/orders/${listed.body.orders[0].id}`);
  expect(shown.status).toBe(200);
  return shown.body.order;
}

describeEachDatabase('refunds through the API', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
    await importLaunchFunnel(testApp.services);
    // German buyers pay on eu; us stays the primary.
    const routing = await api('GET', '/api/routing');
    const applied = await api('PUT', '/api/routing', {
      document: {
        ...routing.body.document,
        rules: [{ name: 'germany', when: { country: ['DE'] }, use: 'eu' }],
      },
      message: 'German buyers pay on eu',
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('refunds part, then the rest, on the account that took the payment, not the primary', async () => {
    const { intent, back } = await buyOrder(emulator(), visitorOf(testApp.app), jonas);
    expect(back.headers.location).toBe('/f/launch/coaching');
    const payment = (await onlyOrder(api)).payments[0];
    expect(payment).toMatchObject({
      account: 'eu',
      status: 'succeeded',
      amount: 4500,
      currency: 'eur',
    });
    expect((await api('GET', '/api/accounts/us')).body.account.role).toBe('primary');

    const partial = await api('POST', `/api/payments/${payment.id}/refunds`, {
      amount: 1500,
      reason: 'Bought the course twice',
    });
    expect(partial.status, JSON.stringify(partial.body)).toBe(201);
    expect(partial.body.refund).toMatchObject({
      account: 'eu',
      amount: 1500,
      currency: 'eur',
      status: 'succeeded',
      reason: 'Bought the course twice',
    });
    const partly = await onlyOrder(api);
    expect(partly).toMatchObject({ status: 'partially_refunded', paid: 4500, refunded: 1500 });
    expect(partly.payments[0]).toMatchObject({
      refunded: 1500,
      refunds: [
        { account: 'eu', amount: 1500, stripeRefundId: partial.body.refund.stripeRefundId },
      ],
    });

    const tooMuch = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 3001 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details.fields).toEqual([
      { field: 'amount', message: 'at most 3000 eur is left to refund on this payment' },
    ]);

    const rest = await api('POST', `/api/payments/${payment.id}/refunds`, {});
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(rest.body.refund).toMatchObject({ account: 'eu', amount: 3000, status: 'succeeded' });
    const refunded = await onlyOrder(api);
    expect(refunded).toMatchObject({ status: 'refunded', paid: 4500, refunded: 4500 });
    expect(refunded.payments[0].refunds.map((refund: { amount: number }) => refund.amount)).toEqual(
      [1500, 3000],
    );

    const nothingLeft = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 1 });
    expect([nothingLeft.status, nothingLeft.body.error.message]).toEqual([
      409,
      `Payment ${payment.id} is already refunded in full; nothing is left to refund.`,
    ]);

    const eu = await stripeOfAccount(emulator(), api, 'eu');
    const onEu = await eu.refunds.list({ payment_intent: intent.id });
    expect(onEu.data.map((refund) => [refund.id, refund.amount, refund.status]).sort()).toEqual(
      [
        [partial.body.refund.stripeRefundId, 1500, 'succeeded'],
        [rest.body.refund.stripeRefundId, 3000, 'succeeded'],
      ].sort(),
    );
    const us = await stripeOfAccount(emulator(), api, 'us');
    expect((await us.refunds.list()).data).toEqual([]);
  });

  it('refuses to refund a payment that did not succeed, and records nothing', async () => {
    const { back } = await buyOrder(emulator(), visitorOf(testApp.app), jonas, {
      paymentMethod: 'pm_card_chargeDeclined',
    });
    expect(back.headers.location).toBe('/f/launch/order/pay?currency=eur');
    const payment = (await onlyOrder(api)).payments[0];
    expect(payment).toMatchObject({ account: 'eu', status: 'requires_payment_method' });

    const refused = await api('POST', `/api/payments/${payment.id}/refunds`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      `Payment ${payment.id} is requires_payment_method; only a succeeded payment can be refunded.`,
    );
    const unknown = await api('POST', '/api/payments/ord_nothing.order.eur/refunds', {});
    expect(unknown.status).toBe(404);

    expect(await onlyOrder(api)).toMatchObject({ status: 'open', paid: 0, refunded: 0 });
    expect((await onlyOrder(api)).payments[0].refunds).toEqual([]);
    const eu = await stripeOfAccount(emulator(), api, 'eu');
    expect((await eu.refunds.list()).data).toEqual([]);
  });

  /** The Stripe account id of a connected handle, for the emulator's faults. */
  async function stripeAccountOf(handle: string): Promise<string> {
    return (await api('GET', `/api/accounts/${handle}`)).body.account.stripeAccountId;
  }

  /** What the emulator holds as refunds of the PaymentIntent on eu: [amount, our refund id]. */
  async function refundsAtStripe(intent: string): Promise<[number, string | undefined][]> {
    const eu = await stripeOfAccount(emulator(), api, 'eu');
    const { data } = await eu.refunds.list({ payment_intent: intent });
    return data.map((refund) => [refund.amount, refund.metadata?.switchyard_refund]);
  }

  /** A paid order whose refund of `amount` met `fault` at Stripe, before it ran or `after` (then cleared). */
  async function refundAnsweredUnclearly(
    fault: 'server_error' | 'connection_reset',
    amount: number,
    after = false,
  ) {
    const { intent } = await buyOrder(emulator(), visitorOf(testApp.app), jonas);
    const payment = (await onlyOrder(api)).payments[0];
    await control(emulator(), 'POST', 'faults', {
      account: await stripeAccountOf('eu'),
      path: '/v1/refunds',
      fault,
      after,
    });
    const unclear = await api('POST', `/api/payments/${payment.id}/refunds`, { amount });
    await control(emulator(), 'DELETE', 'faults');
    expect([unclear.status, unclear.body.error.code]).toEqual([502, 'upstream_unavailable']);
    return { intent, payment, unclear, refundId: unclear.body.error.details.refund as string };
  }

  /** What a refund Stripe made but never answered leaves there, its idempotency key long expired. */
  async function madeAtStripe(intent: string, amount: number, refundId: string) {
    const eu = await stripeOfAccount(emulator(), api, 'eu');
    return eu.refunds.create({
      payment_intent: intent,
      amount,
      metadata: { switchyard_refund: refundId },
    });
  }

  it('keeps a refund that got a 500 as unsure, not failed, and sending it again refunds it once', async () => {
    const { intent, payment, unclear, refundId } = await refundAnsweredUnclearly(
      'server_error',
      1500,
    );
    expect(unclear.body.error.message).toMatch(
      new RegExp(
        `^Stripe's answer to refund ${refundId} of 1500 eur on payment ${payment.id} was unclear .*may or may not have been made.*nothing will be refunded twice\\. To settle it, POST /api/payments/${payment.id}/refunds again with \\{"refund": "${refundId}"\\}: .*never a second time\\.$`,
      ),
    );
    expect(unclear.body.error.message).not.toContain('switchyard ');
    const waiting = await onlyOrder(api);
    expect(waiting).toMatchObject({ status: 'paid', paid: 4500, refunded: 0 });
    expect(waiting.payments[0]).toMatchObject({
      refunded: 0,
      refunds: [{ id: refundId, amount: 1500, status: 'unsure', stripeRefundId: null }],
    });

    const other = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 1000 });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toContain(`Refund ${refundId} of 1500 eur`);
    expect(other.body.error.message).toContain(
      `POST /api/payments/${payment.id}/refunds again with {"refund": "${refundId}"}`,
    );

    const again = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 1500 });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.refund).toMatchObject({ id: refundId, amount: 1500, status: 'succeeded' });
    const settled = await onlyOrder(api);
    expect(settled).toMatchObject({ status: 'partially_refunded', refunded: 1500 });
    expect(settled.payments[0].refunds).toHaveLength(1);
    expect(await refundsAtStripe(intent.id)).toEqual([[1500, refundId]]);
  });

  it('finds a refund Stripe made though its answer was lost, by our id, and records it instead of making it again', async () => {
    const { intent, payment, refundId } = await refundAnsweredUnclearly('connection_reset', 1500);
    expect((await onlyOrder(api)).payments[0].refunds[0].status).toBe('unsure');
    const made = await madeAtStripe(intent.id, 1500, refundId);

    const again = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 1500 });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.refund).toMatchObject({
      id: refundId,
      status: 'succeeded',
      stripeRefundId: made.id,
    });
    expect(await refundsAtStripe(intent.id)).toEqual([[1500, refundId]]);
    expect(await onlyOrder(api)).toMatchObject({ status: 'partially_refunded', refunded: 1500 });
  });

  for (const fault of ['server_error', 'connection_reset'] as const) {
    it(`records a refund the emulator made before its ${fault}, found by our id, instead of making it again`, async () => {
      const { intent, payment, refundId } = await refundAnsweredUnclearly(fault, 1500, true);
      const [made] = await refundsAtStripe(intent.id);
      expect(made).toEqual([1500, refundId]);
      expect(await onlyOrder(api)).toMatchObject({ status: 'paid', refunded: 0 });
      expect((await onlyOrder(api)).payments[0].refunds[0].status).toBe('unsure');

      const again = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 1500 });
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      expect(again.body.refund).toMatchObject({ id: refundId, amount: 1500, status: 'succeeded' });
      expect(await refundsAtStripe(intent.id)).toEqual([[1500, refundId]]);
      expect(await onlyOrder(api)).toMatchObject({ status: 'partially_refunded', refunded: 1500 });
    });
  }

  it('looks for a refund a crash left pending at Stripe before sending it again', async () => {
    const { intent, payment, refundId } = await refundAnsweredUnclearly('server_error', 2000);
    const made = await madeAtStripe(intent.id, 2000, refundId);
    // What a server killed while sending the refund leaves behind: pending, no Stripe id.
    const leftPending = (updatedAt: string) =>
      store.db
        .updateTable('refunds')
        .set({ status: 'pending', updated_at: updatedAt })
        .where('refund_id', '=', refundId)
        .execute();

    await leftPending(new Date().toISOString());
    const inFlight = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 2000 });
    expect(inFlight.status).toBe(409);
    expect(inFlight.body.error.message).toContain(
      `Refund ${refundId} of 2000 eur on payment ${payment.id} is being sent to Stripe right now`,
    );

    await leftPending(new Date(Date.now() - 10 * 60_000).toISOString());
    const again = await api('POST', `/api/payments/${payment.id}/refunds`, { amount: 2000 });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.refund).toMatchObject({ id: refundId, stripeRefundId: made.id });
    expect(await refundsAtStripe(intent.id)).toEqual([[2000, refundId]]);
    expect(await onlyOrder(api)).toMatchObject({ refunded: 2000 });
  });

  it('settles an unsure refund from its refund.created webhook', async () => {
    const { intent, payment, refundId } = await refundAnsweredUnclearly('server_error', 1500);
    expect(await onlyOrder(api)).toMatchObject({ refunded: 0 });
    const made = await madeAtStripe(intent.id, 1500, refundId);

    const eu = await stripeOfAccount(emulator(), api, 'eu');
    const [created] = await eventsAbout(eu, 'refund.created', made.id);
    expect(created).toBeDefined();
    if (!created) return;
    expect((await deliverEvent(testApp, store, 'eu', created)).status).toBe(200);
    await settleWebhooks(testApp, store);
    const settled = await onlyOrder(api);
    expect(settled).toMatchObject({ status: 'partially_refunded', refunded: 1500 });
    expect(settled.payments[0].refunds).toMatchObject([
      { id: refundId, status: 'succeeded', stripeRefundId: made.id },
    ]);

    // The merchant follows the advice after the webhook settled it: answered, not made again.
    const again = await api('POST', `/api/payments/${payment.id}/refunds`, { refund: refundId });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.refund).toMatchObject({ id: refundId, stripeRefundId: made.id });
    expect(await refundsAtStripe(intent.id)).toEqual([[1500, refundId]]);
    expect(await onlyOrder(api)).toMatchObject({ refunded: 1500 });
    const notOurs = await api('POST', `/api/payments/${payment.id}/refunds`, { refund: 'rfd_x' });
    expect([notOurs.status, notOurs.body.error.details.fields]).toEqual([
      400,
      [{ field: 'refund', message: 'rfd_x is not a refund of this payment' }],
    ]);
  });
});
