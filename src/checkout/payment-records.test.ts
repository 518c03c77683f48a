import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import type { PaymentIntentSummary } from '../stripe/gateway.js';
import { findOrder, insertOrder, saveCustomer } from './orders.repository.js';
import { createPaymentRecords, type PaymentRecords } from './payment-records.js';
import {
  findPayment,
  insertPaymentIfNew,
  type Payment,
  updatePayment,
} from './payments.repository.js';

const workspaceId = 'default';
const at = '2030-01-01T00:00:00.000Z';

function pendingPayment(paymentId: string, kind: 'initial' | 'upsell', amount: number) {
  return {
    paymentId,
    workspaceId,
    orderId: 'ord_1',
    kind,
    stepSlug: kind === 'initial' ? 'order' : 'coaching',
    parentPaymentId: null,
    accountId: null,
    accountHandle: null,
    mode: 'test',
    amount,
    currency: 'usd',
    lines: [],
    status: 'requires_payment_method',
    paymentIntentId: null,
    stripeCustomerId: null,
    paymentMethodId: null,
    subscriptionId: null,
    refundedAmount: 0,
    failureMessage: null,
    decision: null,
    createdAt: at,
    updatedAt: at,
  } satisfies Payment;
}

function succeeded(payment: Payment): PaymentIntentSummary {
  return {
    id: `pi_${payment.paymentId}`,
    status: 'succeeded',
    amount: payment.amount,
    currency: payment.currency,
    clientSecret: null,
    customer: null,
    paymentMethod: 'pm_1',
    latestCharge: null,
    livemode: false,
    metadata: {},
    lastPaymentError: null,
  };
}

/** Every update of an order fails from now on, as a crash between two writes would stop it. */
async function breakOrderUpdates(store: TestStore): Promise<void> {
  if (store.dialect === 'sqlite') {
    await sql`create trigger orders_broken before update on orders begin select raise(abort, 'the order could not be written'); end`.execute(
      store.db,
    );
    return;
  }
  await sql`create function orders_broken() returns trigger language plpgsql as $$ begin raise exception 'the order could not be written'; end $$`.execute(
    store.db,
  );
  await sql`create trigger orders_broken before update on orders for each row execute function orders_broken()`.execute(
    store.db,
  );
}

async function repairOrderUpdates(store: TestStore): Promise<void> {
  await sql`drop trigger orders_broken${sql.raw(store.dialect === 'postgres' ? ' on orders' : '')}`.execute(
    store.db,
  );
}

describeEachDatabase("an order's totals", (database) => {
  let store: TestStore;
  let records: PaymentRecords;
  const course = pendingPayment('ord_1.order.usd', 'initial', 4900);
  const coaching = pendingPayment('ord_1.coaching', 'upsell', 19900);

  beforeEach(async () => {
    store = await database.openMigrated();
    records = createPaymentRecords({ db: store.db, clock: () => new Date(at) });
    const customerId = await saveCustomer(store.db, {
      customerId: 'cus_1',
      workspaceId,
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
      createdAt: at,
      updatedAt: at,
    });
    await insertOrder(store.db, {
      orderId: 'ord_1',
      workspaceId,
      funnelSlug: 'launch',
      mode: 'test',
      customerId,
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
      status: 'open',
      paidAmount: 0,
      refundedAmount: 0,
      currency: null,
      createdAt: at,
      updatedAt: at,
    });
    await insertPaymentIfNew(store.db, course);
    await insertPaymentIfNew(store.db, coaching);
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('count both of two payments that succeed at the same time', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let recordedFirst = () => {};
    const firstRecorded = new Promise<void>((resolve) => {
      recordedFirst = resolve;
    });
    // The course's success is recorded in a transaction that stays open a moment (as the
    // executor's does), while the upsell's success arrives by webhook.
    const first = store.db.transaction().execute(async (trx) => {
      await records.recordIntent(course, succeeded(course), trx);
      recordedFirst();
      await held;
    });
    await firstRecorded;
    const second = records.recordIntent(coaching, succeeded(coaching));
    // Long enough for the second to reach the order row on PostgreSQL (on SQLite it waits for
    // the one connection); the outcome must not depend on it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await Promise.all([first, second]);

    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({
      status: 'paid',
      paidAmount: 4900 + 19900,
      currency: 'usd',
    });
  });

  it('are written with the payment success they count, or the success is not written either', async () => {
    await breakOrderUpdates(store);
    await expect(records.recordIntent(course, succeeded(course))).rejects.toThrow(
      /could not be written/,
    );
    await repairOrderUpdates(store);
    // The success was not kept without its totals, so Stripe's next delivery of it still counts.
    expect(await findPayment(store.db, workspaceId, course.paymentId)).toMatchObject({
      status: 'requires_payment_method',
    });
    expect(await records.recordIntent(course, succeeded(course))).toBe(true);
    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({
      status: 'paid',
      paidAmount: 4900,
    });
  });

  it('of an order left open beside a succeeded payment are repaired', async () => {
    // What a crash between the two commits left before they shared one transaction.
    await updatePayment(store.db, course.paymentId, { status: 'succeeded' });
    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({ status: 'open' });

    expect(await records.healOrderTotals(workspaceId)).toEqual(['ord_1']);
    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({
      status: 'paid',
      paidAmount: 4900,
      currency: 'usd',
    });
    expect(await records.healOrderTotals(workspaceId)).toEqual([]);
  });
});
