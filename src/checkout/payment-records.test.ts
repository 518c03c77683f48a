import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import type { PaymentTable } from '../db/schema.js';
import type { PaymentIntentSummary } from '../stripe/gateway.js';
import {
  findOrder,
  findPayment,
  insertOrder,
  insertPaymentIfNew,
  saveCustomer,
  updatePayment,
} from './orders.repository.js';
import { createPaymentRecords, type PaymentRecords } from './payment-records.js';

const workspaceId = 'default';
const at = '2030-01-01T00:00:00.000Z';

function pendingPayment(paymentId: string, kind: 'initial' | 'upsell', amount: number) {
  return {
    payment_id: paymentId,
    workspace_id: workspaceId,
    order_id: 'ord_1',
    kind,
    step_slug: kind === 'initial' ? 'order' : 'coaching',
    parent_payment_id: null,
    account_id: null,
    account_handle: null,
    mode: 'test',
    amount,
    currency: 'usd',
    lines: '[]',
    status: 'requires_payment_method',
    payment_intent_id: null,
    stripe_customer_id: null,
    payment_method_id: null,
    subscription_id: null,
    refunded_amount: 0,
    failure_message: null,
    decision: null,
    created_at: at,
    updated_at: at,
  } satisfies PaymentTable;
}

function succeeded(payment: PaymentTable): PaymentIntentSummary {
  return {
    id: `pi_${payment.payment_id}`,
    status: 'succeeded',
    amount: Number(payment.amount),
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
    const customer = await saveCustomer(store.db, {
      customer_id: 'cus_1',
      workspace_id: workspaceId,
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
      created_at: at,
      updated_at: at,
    });
    await insertOrder(store.db, {
      order_id: 'ord_1',
      workspace_id: workspaceId,
      funnel_slug: 'launch',
      mode: 'test',
      customer_id: customer.customer_id,
      email: customer.email,
      name: customer.name,
      country: 'US',
      status: 'open',
      paid_amount: 0,
      refunded_amount: 0,
      currency: null,
      created_at: at,
      updated_at: at,
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
      paid_amount: 4900 + 19900,
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
    expect(await findPayment(store.db, workspaceId, course.payment_id)).toMatchObject({
      status: 'requires_payment_method',
    });
    expect(await records.recordIntent(course, succeeded(course))).toBe(true);
    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({
      status: 'paid',
      paid_amount: 4900,
    });
  });

  it('of an order left open beside a succeeded payment are repaired', async () => {
    // What a crash between the two commits left before they shared one transaction.
    await updatePayment(store.db, course.payment_id, { status: 'succeeded' });
    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({ status: 'open' });

    expect(await records.healOrderTotals(workspaceId)).toEqual(['ord_1']);
    expect(await findOrder(store.db, workspaceId, 'ord_1')).toMatchObject({
      status: 'paid',
      paid_amount: 4900,
      currency: 'usd',
    });
    expect(await records.healOrderTotals(workspaceId)).toEqual([]);
  });
});
