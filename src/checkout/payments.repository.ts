import type { Kysely, Updateable } from 'kysely';
import { prepareInsert, prepareQuery, prepareUpdate } from '../db/prepared-query.js';
import type { Database, PaymentKind, PaymentStatus, PaymentTable } from '../db/schema.js';
import type { Mode, PaymentContext, RoutingDecision } from '../routing/index.js';
import type { PaymentLine } from './payment-lines.js';

/** Payments and the subscriptions they start: one query per function, rows mapped here. */

/** One charge on one account, as stored. */
export interface Payment {
  /** Also the failover executor's payment id: every attempt's idempotency key derives from it. */
  paymentId: string;
  workspaceId: string;
  orderId: string;
  kind: PaymentKind;
  stepSlug: string;
  /** The payment whose account and saved card an upsell or renewal continues. */
  parentPaymentId: string | null;
  /** Null until an attempt on an account succeeded. */
  accountId: string | null;
  accountHandle: string | null;
  mode: Mode;
  amount: number;
  currency: string;
  /** What the payment buys. */
  lines: PaymentLine[];
  status: PaymentStatus;
  paymentIntentId: string | null;
  stripeCustomerId: string | null;
  paymentMethodId: string | null;
  subscriptionId: string | null;
  refundedAmount: number;
  /** Stripe's message of the last failure (a decline), for the visitor and the merchant. */
  failureMessage: string | null;
  /** The routing decision that put the payment on its account. */
  decision: RoutingDecision | null;
  /** What the router was asked, without health: what `route replay` runs again (issue 16). */
  routingContext?: StoredRoutingContext | null;
  createdAt: string;
  updatedAt: string;
}

/** A payment's routing context as stored: health is left out, it is the moment's, not the payment's. */
export type StoredRoutingContext = Omit<PaymentContext, 'health'>;

/** What a change of a payment may set: everything but its identity and where it belongs. */
export type PaymentChanges = Partial<
  Omit<Payment, 'paymentId' | 'workspaceId' | 'orderId' | 'kind' | 'mode' | 'createdAt'>
>;

/** A subscription on a payment's account; renewals are payments with its payment as parent. */
export interface Subscription {
  stripeSubscriptionId: string;
  workspaceId: string;
  accountId: string;
  orderId: string;
  /** The payment that started it. */
  paymentId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
}

/** A payments row as a Payment; the reconciliation's query selects whole rows too. */
export function paymentOf(row: PaymentTable): Payment {
  return {
    paymentId: row.payment_id,
    workspaceId: row.workspace_id,
    orderId: row.order_id,
    kind: row.kind,
    stepSlug: row.step_slug,
    parentPaymentId: row.parent_payment_id,
    accountId: row.account_id,
    accountHandle: row.account_handle,
    mode: row.mode,
    amount: Number(row.amount),
    currency: row.currency,
    lines: JSON.parse(row.lines) as PaymentLine[],
    status: row.status,
    paymentIntentId: row.payment_intent_id,
    stripeCustomerId: row.stripe_customer_id,
    paymentMethodId: row.payment_method_id,
    subscriptionId: row.subscription_id,
    refundedAmount: Number(row.refunded_amount),
    failureMessage: row.failure_message,
    decision: row.decision ? (JSON.parse(row.decision) as RoutingDecision | null) : null,
    routingContext: row.routing_context
      ? (JSON.parse(row.routing_context) as StoredRoutingContext)
      : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function rowOf(payment: Payment): PaymentTable {
  return {
    payment_id: payment.paymentId,
    workspace_id: payment.workspaceId,
    order_id: payment.orderId,
    kind: payment.kind,
    step_slug: payment.stepSlug,
    parent_payment_id: payment.parentPaymentId,
    account_id: payment.accountId,
    account_handle: payment.accountHandle,
    mode: payment.mode,
    amount: payment.amount,
    currency: payment.currency,
    lines: JSON.stringify(payment.lines),
    status: payment.status,
    payment_intent_id: payment.paymentIntentId,
    stripe_customer_id: payment.stripeCustomerId,
    payment_method_id: payment.paymentMethodId,
    subscription_id: payment.subscriptionId,
    refunded_amount: payment.refundedAmount,
    failure_message: payment.failureMessage,
    decision: payment.decision === null ? null : JSON.stringify(payment.decision),
    routing_context: payment.routingContext ? JSON.stringify(payment.routingContext) : null,
    created_at: payment.createdAt,
    updated_at: payment.updatedAt,
  };
}

/** The columns a change writes; Kysely leaves out what is undefined. */
function changesRowOf(changes: PaymentChanges): Updateable<PaymentTable> {
  return {
    step_slug: changes.stepSlug,
    parent_payment_id: changes.parentPaymentId,
    account_id: changes.accountId,
    account_handle: changes.accountHandle,
    amount: changes.amount,
    currency: changes.currency,
    lines: changes.lines === undefined ? undefined : JSON.stringify(changes.lines),
    status: changes.status,
    payment_intent_id: changes.paymentIntentId,
    stripe_customer_id: changes.stripeCustomerId,
    payment_method_id: changes.paymentMethodId,
    subscription_id: changes.subscriptionId,
    refunded_amount: changes.refundedAmount,
    failure_message: changes.failureMessage,
    decision:
      changes.decision === undefined || changes.decision === null
        ? changes.decision
        : JSON.stringify(changes.decision),
    updated_at: changes.updatedAt,
  };
}

const insertPaymentRow = prepareInsert('payments', (insert) =>
  insert.onConflict((conflict) => conflict.column('payment_id').doNothing()),
);

export async function insertPaymentIfNew(db: Kysely<Database>, payment: Payment): Promise<void> {
  await insertPaymentRow.execute(db, rowOf(payment));
}

export async function findPayment(
  db: Kysely<Database>,
  workspaceId: string,
  paymentId: string,
): Promise<Payment | undefined> {
  const row = await db
    .selectFrom('payments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('payment_id', '=', paymentId)
    .executeTakeFirst();
  return row && paymentOf(row);
}

export async function findPaymentByIntent(
  db: Kysely<Database>,
  paymentIntentId: string,
): Promise<Payment | undefined> {
  const row = await db
    .selectFrom('payments')
    .selectAll()
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  return row && paymentOf(row);
}

/** The payments of one order: what every payment step reads. */
const listPaymentsOfOrder = prepareQuery<{ orderId: string }, PaymentTable>((db, slot) =>
  db
    .selectFrom('payments')
    .selectAll()
    .where('order_id', '=', slot('orderId'))
    .orderBy('created_at')
    .orderBy('payment_id'),
);

export async function listPaymentsOfOrders(
  db: Kysely<Database>,
  orderIds: readonly string[],
): Promise<Payment[]> {
  if (orderIds.length === 0) return [];
  const [only] = orderIds;
  if (orderIds.length === 1 && only !== undefined) {
    return (await listPaymentsOfOrder.execute(db, { orderId: only })).rows.map(paymentOf);
  }
  const rows = await db
    .selectFrom('payments')
    .selectAll()
    .where('order_id', 'in', orderIds)
    .orderBy('created_at')
    .orderBy('payment_id')
    .execute();
  return rows.map(paymentOf);
}

export async function updatePayment(
  db: Kysely<Database>,
  paymentId: string,
  changes: PaymentChanges,
): Promise<void> {
  await db
    .updateTable('payments')
    .set(changesRowOf(changes))
    .where('payment_id', '=', paymentId)
    .execute();
}

/**
 * Moves a payment's status forward only: a final status (succeeded, canceled) never changes, so
 * duplicate and late webhooks are harmless. Returns whether the row changed.
 */
const advanceStatus = prepareUpdate<'payments', { paymentId: string }>((db, set, slot) =>
  db
    .updateTable('payments')
    .set(set)
    .where('payment_id', '=', slot('paymentId'))
    .where('status', 'not in', ['succeeded', 'canceled']),
);

export async function advancePaymentStatus(
  db: Kysely<Database>,
  paymentId: string,
  status: PaymentStatus,
  changes: PaymentChanges,
): Promise<boolean> {
  const result = await advanceStatus.execute(
    db,
    { ...changesRowOf(changes), status },
    { paymentId },
  );
  return Number(result.numAffectedRows ?? 0) > 0;
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

export async function insertSubscriptionIfNew(
  db: Kysely<Database>,
  subscription: Subscription,
): Promise<void> {
  await db
    .insertInto('subscriptions')
    .values({
      stripe_subscription_id: subscription.stripeSubscriptionId,
      workspace_id: subscription.workspaceId,
      account_id: subscription.accountId,
      order_id: subscription.orderId,
      payment_id: subscription.paymentId,
      status: subscription.status,
      created_at: subscription.createdAt,
      updated_at: subscription.updatedAt,
    })
    .onConflict((conflict) => conflict.column('stripe_subscription_id').doNothing())
    .execute();
}

export async function findSubscription(
  db: Kysely<Database>,
  stripeSubscriptionId: string,
): Promise<Subscription | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('stripe_subscription_id', '=', stripeSubscriptionId)
    .executeTakeFirst();
  return (
    row && {
      stripeSubscriptionId: row.stripe_subscription_id,
      workspaceId: row.workspace_id,
      accountId: row.account_id,
      orderId: row.order_id,
      paymentId: row.payment_id,
      status: row.status,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }
  );
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
