import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type {
  Database,
  OrderStatus,
  PaymentStatus,
  PaymentTable,
  RefundTable,
} from '../db/schema.js';
import type { PaymentIntentSummary, RefundSummary } from '../stripe/gateway.js';
import { recordChargeOfIntent } from './charge-attempts.js';
import {
  advancePaymentStatus,
  findOrder,
  listMiscountedOrders,
  listPaymentsOfOrders,
  raiseRefundedAmount,
  sumMadeRefunds,
  updateOrder,
  updateRefund,
} from './orders.repository.js';

/**
 * Writing down what Stripe says of a payment. The return page, the webhooks and reconciliation
 * all come through here, so they agree, and only ever move a payment forward.
 */

const knownStatuses: ReadonlySet<string> = new Set<PaymentStatus>([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
  'processing',
  'succeeded',
  'canceled',
]);

function paymentStatusOf(intent: Pick<PaymentIntentSummary, 'status'>): PaymentStatus {
  return knownStatuses.has(intent.status) ? (intent.status as PaymentStatus) : 'processing';
}

/**
 * `executor` is the transaction when called inside one (SQLite has a single connection). Without
 * one, each call opens its own: a payment's new state and its order's totals commit together, so a
 * crash between them cannot leave a succeeded payment on an order that does not count it.
 */
export interface PaymentRecords {
  /** Records a PaymentIntent's state on its payment; true when the payment changed. */
  recordIntent(
    payment: PaymentTable,
    intent: PaymentIntentSummary,
    executor?: Kysely<Database>,
  ): Promise<boolean>;
  /** Raises a payment's refunded total (never lowers it) and its order's with it. */
  recordRefunded(
    payment: Pick<PaymentTable, 'payment_id' | 'order_id'>,
    refunded: number,
    executor?: Kysely<Database>,
  ): Promise<void>;
  /**
   * Records the refund Stripe made for one of ours (its answer, the refunds list or a webhook),
   * and counts it in the payment's and the order's refunded totals.
   */
  recordRefund(
    payment: Pick<PaymentTable, 'payment_id' | 'order_id'>,
    refund: Pick<RefundTable, 'refund_id'>,
    made: Pick<RefundSummary, 'id' | 'status'>,
    executor?: Kysely<Database>,
  ): Promise<void>;
  /** Recomputes an order's totals and status from its payments. */
  refreshOrder(orderId: string, executor?: Kysely<Database>): Promise<void>;
  /** Recomputes every order whose totals disagree with its payments; answers their ids. */
  healOrderTotals(workspaceId: string): Promise<string[]>;
}

export function createPaymentRecords(deps: { db: Kysely<Database>; clock: Clock }): PaymentRecords {
  const { db, clock } = deps;

  async function refreshOrder(orderId: string, executor = db): Promise<void> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => refreshOrder(orderId, trx));
    }
    // Touching the order first takes its row lock (PostgreSQL) until this transaction ends: two
    // payments of one order succeeding at once are then counted one after the other, the second
    // seeing the first, instead of the second overwriting the totals with a sum that lacks it.
    await updateOrder(executor, orderId, { updated_at: clock().toISOString() });
    const payments = await listPaymentsOfOrders(executor, [orderId]);
    const order = await findOrder(executor, payments[0]?.workspace_id ?? '', orderId);
    if (!order) return;
    const currency = order.currency ?? payments.find((p) => p.status === 'succeeded')?.currency;
    const counted = payments.filter((p) => p.status === 'succeeded' && p.currency === currency);
    const paid = counted.reduce((sum, p) => sum + Number(p.amount), 0);
    const refunded = counted.reduce((sum, p) => sum + Number(p.refunded_amount), 0);
    await updateOrder(executor, orderId, {
      status: orderStatusOf(paid, refunded),
      paid_amount: paid,
      refunded_amount: refunded,
      currency: currency ?? null,
      updated_at: clock().toISOString(),
    });
  }

  async function recordIntent(
    payment: PaymentTable,
    intent: PaymentIntentSummary,
    executor = db,
  ): Promise<boolean> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => recordIntent(payment, intent, trx));
    }
    // The payment's row is written before the order's, in every caller, so two transactions
    // never wait on each other's locks in opposite orders.
    const status = paymentStatusOf(intent);
    const changed = await advancePaymentStatus(executor, payment.payment_id, status, {
      payment_intent_id: intent.id,
      ...(intent.paymentMethod ? { payment_method_id: intent.paymentMethod } : {}),
      ...(intent.customer ? { stripe_customer_id: intent.customer } : {}),
      // The amount Stripe holds is the truth (an order bump ticked after the form opened).
      amount: intent.amount,
      failure_message: status === 'succeeded' ? null : (intent.lastPaymentError?.message ?? null),
      updated_at: clock().toISOString(),
    });
    // A decline stays in the history when the next card pays: the payment's state alone forgets it.
    await recordChargeOfIntent(executor, payment, intent, clock().toISOString());
    // An order's totals count succeeded payments only.
    if (changed && status === 'succeeded') await refreshOrder(payment.order_id, executor);
    return changed;
  }

  async function recordRefunded(
    payment: Pick<PaymentTable, 'payment_id' | 'order_id'>,
    refunded: number,
    executor = db,
  ): Promise<void> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => recordRefunded(payment, refunded, trx));
    }
    await raiseRefundedAmount(executor, payment.payment_id, refunded, clock().toISOString());
    await refreshOrder(payment.order_id, executor);
  }

  async function recordRefund(
    payment: Pick<PaymentTable, 'payment_id' | 'order_id'>,
    refund: Pick<RefundTable, 'refund_id'>,
    made: Pick<RefundSummary, 'id' | 'status'>,
    executor = db,
  ): Promise<void> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => recordRefund(payment, refund, made, trx));
    }
    await updateRefund(executor, refund.refund_id, {
      status: made.status,
      stripe_refund_id: made.id,
      updated_at: clock().toISOString(),
    });
    // Summed from the refunds Stripe made, not added to: a refund recorded twice counts once.
    await recordRefunded(payment, await sumMadeRefunds(executor, payment.payment_id), executor);
  }

  async function healOrderTotals(workspaceId: string): Promise<string[]> {
    const healed: string[] = [];
    for (;;) {
      const batch = await listMiscountedOrders(db, workspaceId, 100);
      // An order that still disagrees after a refresh (mixed currencies) must not loop forever.
      const fresh = batch.filter((orderId) => !healed.includes(orderId));
      for (const orderId of fresh) await refreshOrder(orderId);
      healed.push(...fresh);
      if (fresh.length < 100) return healed;
    }
  }

  return { recordIntent, recordRefunded, recordRefund, refreshOrder, healOrderTotals };
}

function orderStatusOf(paid: number, refunded: number): OrderStatus {
  if (paid === 0) return 'open';
  if (refunded >= paid) return 'refunded';
  if (refunded > 0) return 'partially_refunded';
  return 'paid';
}
