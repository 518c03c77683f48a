import type { Kysely, Updateable } from 'kysely';
import type {
  CustomerAccountTable,
  CustomerTable,
  Database,
  OrderTable,
  PaymentStatus,
  PaymentTable,
  RefundTable,
  StripeCatalogObjectTable,
  SubscriptionTable,
} from '../db/schema.js';

/** Customers, orders, payments, refunds and subscriptions: one query per function. */

/**
 * The workspace's customer with this email, made or brought up to date (name kept when none is
 * given): one statement, so two first visits with one email make one customer.
 */
export async function saveCustomer(
  db: Kysely<Database>,
  row: CustomerTable,
): Promise<CustomerTable> {
  return db
    .insertInto('customers')
    .values(row)
    .onConflict((conflict) =>
      conflict.columns(['workspace_id', 'email']).doUpdateSet((update) => ({
        name: row.name === '' ? update.ref('customers.name') : update.ref('excluded.name'),
        country: update.ref('excluded.country'),
        updated_at: update.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findStripeCustomer(
  db: Kysely<Database>,
  key: { customerId: string; accountId: string; mode: 'test' | 'live' },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('customer_accounts')
    .select('stripe_customer_id')
    .where('customer_id', '=', key.customerId)
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .executeTakeFirst();
  return row?.stripe_customer_id;
}

/** Remembers a Stripe customer; a second writer (a concurrent checkout) keeps the first one. */
export async function rememberStripeCustomer(
  db: Kysely<Database>,
  row: CustomerAccountTable,
): Promise<void> {
  await db
    .insertInto('customer_accounts')
    .values(row)
    .onConflict((conflict) => conflict.columns(['customer_id', 'account_id', 'mode']).doNothing())
    .execute();
}

export async function findStripeCatalogObject(
  db: Kysely<Database>,
  key: { accountId: string; mode: 'test' | 'live'; localId: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('stripe_catalog_objects')
    .select('stripe_id')
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .where('local_id', '=', key.localId)
    .executeTakeFirst();
  return row?.stripe_id;
}

export async function rememberStripeCatalogObject(
  db: Kysely<Database>,
  row: StripeCatalogObjectTable,
): Promise<void> {
  await db
    .insertInto('stripe_catalog_objects')
    .values(row)
    .onConflict((conflict) => conflict.columns(['account_id', 'mode', 'local_id']).doNothing())
    .execute();
}

export async function insertOrder(db: Kysely<Database>, row: OrderTable): Promise<void> {
  await db.insertInto('orders').values(row).execute();
}

export async function findOrder(
  db: Kysely<Database>,
  workspaceId: string,
  orderId: string,
): Promise<OrderTable | undefined> {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
}

export async function updateOrder(
  db: Kysely<Database>,
  orderId: string,
  changes: Updateable<OrderTable>,
): Promise<void> {
  await db.updateTable('orders').set(changes).where('order_id', '=', orderId).execute();
}

export interface OrderFilters {
  account?: string | undefined;
  status?: string | undefined;
  funnel?: string | undefined;
  /** ISO times: created at or after `from`, before `to`. */
  from?: string | undefined;
  to?: string | undefined;
  /** Newest first: orders strictly older than this (created_at, order_id). */
  before?: { createdAt: string; orderId: string } | undefined;
  limit: number;
}

export async function listOrders(
  db: Kysely<Database>,
  workspaceId: string,
  filters: OrderFilters,
): Promise<OrderTable[]> {
  let query = db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId);
  if (filters.status) query = query.where('status', '=', filters.status as OrderTable['status']);
  if (filters.funnel) query = query.where('funnel_slug', '=', filters.funnel);
  if (filters.from) query = query.where('created_at', '>=', filters.from);
  if (filters.to) query = query.where('created_at', '<', filters.to);
  if (filters.account) {
    const handle = filters.account;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('payments')
          .select('payment_id')
          .whereRef('payments.order_id', '=', 'orders.order_id')
          .where('payments.account_handle', '=', handle),
      ),
    );
  }
  const before = filters.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('order_id', '<', before.orderId)]),
      ]),
    );
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('order_id', 'desc')
    .limit(filters.limit)
    .execute();
}

export async function insertPaymentIfNew(db: Kysely<Database>, row: PaymentTable): Promise<void> {
  await db
    .insertInto('payments')
    .values(row)
    .onConflict((conflict) => conflict.column('payment_id').doNothing())
    .execute();
}

export async function findPayment(
  db: Kysely<Database>,
  workspaceId: string,
  paymentId: string,
): Promise<PaymentTable | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('payment_id', '=', paymentId)
    .executeTakeFirst();
}

export async function findPaymentByIntent(
  db: Kysely<Database>,
  paymentIntentId: string,
): Promise<PaymentTable | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
}

export async function listPaymentsOfOrders(
  db: Kysely<Database>,
  orderIds: string[],
): Promise<PaymentTable[]> {
  if (orderIds.length === 0) return [];
  return db
    .selectFrom('payments')
    .selectAll()
    .where('order_id', 'in', orderIds)
    .orderBy('created_at')
    .orderBy('payment_id')
    .execute();
}

export async function updatePayment(
  db: Kysely<Database>,
  paymentId: string,
  changes: Updateable<PaymentTable>,
): Promise<void> {
  await db.updateTable('payments').set(changes).where('payment_id', '=', paymentId).execute();
}

/**
 * Moves a payment's status forward only: a final status (succeeded, canceled) never changes, so
 * duplicate and late webhooks are harmless. Returns whether the row changed.
 */
export async function advancePaymentStatus(
  db: Kysely<Database>,
  paymentId: string,
  status: PaymentStatus,
  changes: Updateable<PaymentTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('payments')
    .set({ ...changes, status })
    .where('payment_id', '=', paymentId)
    .where('status', 'not in', ['succeeded', 'canceled'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Refunded amounts only grow: a late `charge.refunded` with a smaller total changes nothing. */
export async function raiseRefundedAmount(
  db: Kysely<Database>,
  paymentId: string,
  refunded: number,
  updatedAt: string,
): Promise<void> {
  await db
    .updateTable('payments')
    .set({ refunded_amount: refunded, updated_at: updatedAt })
    .where('payment_id', '=', paymentId)
    .where('refunded_amount', '<', refunded)
    .execute();
}

export async function insertRefund(db: Kysely<Database>, row: RefundTable): Promise<void> {
  await db.insertInto('refunds').values(row).execute();
}

export async function updateRefund(
  db: Kysely<Database>,
  refundId: string,
  changes: Updateable<RefundTable>,
): Promise<void> {
  await db.updateTable('refunds').set(changes).where('refund_id', '=', refundId).execute();
}

/**
 * The payment's refund Stripe has not answered clearly, if any: `unsure` (a 5xx, a timeout, a
 * reset), `not_sent` (written before unsure existed) or `pending` with no Stripe id (being sent,
 * or left so by a crash).
 */
export async function findUnsettledRefund(
  db: Kysely<Database>,
  paymentId: string,
): Promise<RefundTable | undefined> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .where('stripe_refund_id', 'is', null)
    .where('status', 'in', ['unsure', 'not_sent', 'pending'])
    .orderBy('created_at')
    .executeTakeFirst();
}

export async function findRefund(
  db: Kysely<Database>,
  refundId: string,
): Promise<RefundTable | undefined> {
  return db.selectFrom('refunds').selectAll().where('refund_id', '=', refundId).executeTakeFirst();
}

/** What Stripe made of the payment's refunds that we sent: their amounts, failed ones left out. */
export async function sumMadeRefunds(db: Kysely<Database>, paymentId: string): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select((eb) => eb.fn.sum<string | number | null>('amount').as('made'))
    .where('payment_id', '=', paymentId)
    .where('stripe_refund_id', 'is not', null)
    .where('status', 'not in', ['failed', 'canceled'])
    .executeTakeFirst();
  return Number(row?.made ?? 0);
}

export async function listRefundsOfPayments(
  db: Kysely<Database>,
  paymentIds: string[],
): Promise<RefundTable[]> {
  if (paymentIds.length === 0) return [];
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', 'in', paymentIds)
    .orderBy('created_at')
    .execute();
}

export async function insertSubscriptionIfNew(
  db: Kysely<Database>,
  row: SubscriptionTable,
): Promise<void> {
  await db
    .insertInto('subscriptions')
    .values(row)
    .onConflict((conflict) => conflict.column('stripe_subscription_id').doNothing())
    .execute();
}

export async function findSubscription(
  db: Kysely<Database>,
  stripeSubscriptionId: string,
): Promise<SubscriptionTable | undefined> {
  return db
    .selectFrom('subscriptions')
    .selectAll()
    .where('stripe_subscription_id', '=', stripeSubscriptionId)
    .executeTakeFirst();
}

export async function updateSubscriptionStatus(
  db: Kysely<Database>,
  stripeSubscriptionId: string,
  status: string,
  updatedAt: string,
): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({ status, updated_at: updatedAt })
    .where('stripe_subscription_id', '=', stripeSubscriptionId)
    // A canceled subscription stays canceled, whatever arrives late.
    .where('status', '!=', 'canceled')
    .execute();
}

/**
 * Orders whose totals miss (or overcount) their succeeded payments: what a crash between a
 * payment's success and its order's totals left before both shared a transaction.
 */
export async function listMiscountedOrders(
  db: Kysely<Database>,
  workspaceId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('orders')
    .innerJoin('payments', 'payments.order_id', 'orders.order_id')
    .select('orders.order_id')
    .where('orders.workspace_id', '=', workspaceId)
    .where('payments.status', '=', 'succeeded')
    .where((eb) =>
      eb.or([
        eb('orders.currency', 'is', null),
        eb('payments.currency', '=', eb.ref('orders.currency')),
      ]),
    )
    .groupBy(['orders.order_id', 'orders.paid_amount', 'orders.refunded_amount'])
    .having((eb) =>
      eb.or([
        eb(eb.fn.sum('payments.amount'), '<>', eb.ref('orders.paid_amount')),
        eb(eb.fn.sum('payments.refunded_amount'), '<>', eb.ref('orders.refunded_amount')),
      ]),
    )
    .orderBy('orders.order_id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.order_id);
}
