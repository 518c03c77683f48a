import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { redeemCouponOfPayment } from '../coupons/coupons.repository.js';
import type { Database, OrderStatus, PaymentStatus } from '../db/schema.js';
import type { PaymentIntentSummary, RefundSummary } from '../stripe/gateway.js';
import { createChargeAttempts, type FailedCharge } from './charge-attempts.js';
import { findOrder, listMiscountedOrders, updateOrder } from './orders.repository.js';
import {
  advancePaymentStatus,
  listPaymentsOfOrders,
  type Payment,
  type PaymentChanges,
  raiseRefundedAmount,
  updatePayment,
} from './payments.repository.js';
import { type Refund, sumMadeRefunds, updateRefund } from './refunds.repository.js';

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
    payment: RecordedPayment,
    intent: PaymentIntentSummary,
    executor?: Kysely<Database>,
  ): Promise<boolean>;
  /**
   * Records where a new payment landed (its account and decision) with its PaymentIntent's state,
   * in one write. Answers the payment as now stored, or null when its state did not move (a
   * webhook got there first) and only the placement was written.
   */
  recordPlacement(
    payment: Payment,
    placement: Pick<PaymentChanges, 'accountId' | 'accountHandle' | 'decision' | 'updatedAt'>,
    intent: PaymentIntentSummary,
    executor?: Kysely<Database>,
  ): Promise<Payment | null>;
  /** Raises a payment's refunded total (never lowers it) and its order's with it. */
  recordRefunded(
    payment: Pick<Payment, 'paymentId' | 'orderId'>,
    refunded: number,
    executor?: Kysely<Database>,
  ): Promise<void>;
  /**
   * Records the refund Stripe made for one of ours (its answer, the refunds list or a webhook),
   * and counts it in the payment's and the order's refunded totals.
   */
  recordRefund(
    payment: Pick<Payment, 'paymentId' | 'orderId'>,
    refund: Pick<Refund, 'refundId'>,
    made: Pick<RefundSummary, 'id' | 'status'>,
    executor?: Kysely<Database>,
  ): Promise<void>;
  /** Records a failed charge Stripe told of in its own event, in the payment's history. */
  recordFailedCharge(payment: RecordedPayment, charge: FailedCharge): Promise<void>;
  /** Recomputes an order's totals and status from its payments. */
  refreshOrder(orderId: string, executor?: Kysely<Database>): Promise<void>;
  /** Recomputes every order whose totals disagree with its payments; answers their ids. */
  healOrderTotals(workspaceId: string): Promise<string[]>;
}

/** The payment whose news is recorded. */
export type RecordedPayment = Pick<Payment, 'paymentId' | 'workspaceId' | 'orderId'>;

export function createPaymentRecords(deps: { db: Kysely<Database>; clock: Clock }): PaymentRecords {
  const { db, clock } = deps;
  const charges = createChargeAttempts({ clock });

  async function refreshOrder(orderId: string, executor = db): Promise<void> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => refreshOrder(orderId, trx));
    }
    // Touching the order first takes its row lock (PostgreSQL) until this transaction ends: two
    // payments of one order succeeding at once are then counted one after the other, the second
    // seeing the first, instead of the second overwriting the totals with a sum that lacks it.
    await updateOrder(executor, orderId, { updatedAt: clock().toISOString() });
    const payments = await listPaymentsOfOrders(executor, [orderId]);
    const order = await findOrder(executor, payments[0]?.workspaceId ?? '', orderId);
    if (!order) return;
    const currency = order.currency ?? payments.find((p) => p.status === 'succeeded')?.currency;
    const counted = payments.filter((p) => p.status === 'succeeded' && p.currency === currency);
    const paid = counted.reduce((sum, p) => sum + p.amount, 0);
    const refunded = counted.reduce((sum, p) => sum + p.refundedAmount, 0);
    await updateOrder(executor, orderId, {
      status: orderStatusOf(paid, refunded),
      paidAmount: paid,
      refundedAmount: refunded,
      currency: currency ?? null,
      updatedAt: clock().toISOString(),
    });
  }

  /**
   * Moves the payment to its PaymentIntent's state, with `alongside` in the same write; answers
   * what it wrote, or null when the state did not move. `executor` is a transaction.
   */
  async function advanceTo(
    payment: RecordedPayment,
    intent: PaymentIntentSummary,
    executor: Kysely<Database>,
    alongside: PaymentChanges = {},
  ): Promise<(PaymentChanges & { status: PaymentStatus }) | null> {
    // The payment's row is written before the order's, in every caller, so two transactions
    // never wait on each other's locks in opposite orders.
    const status = paymentStatusOf(intent);
    const changes: PaymentChanges = {
      ...alongside,
      paymentIntentId: intent.id,
      ...(intent.paymentMethod ? { paymentMethodId: intent.paymentMethod } : {}),
      ...(intent.customer ? { stripeCustomerId: intent.customer } : {}),
      // The amount Stripe holds is the truth (an order bump ticked after the form opened).
      amount: intent.amount,
      failureMessage: status === 'succeeded' ? null : (intent.lastPaymentError?.message ?? null),
      updatedAt: clock().toISOString(),
    };
    const changed = await advancePaymentStatus(executor, payment.paymentId, status, changes);
    // A decline stays in the history when the next card pays: the payment's state alone forgets it.
    await charges.recordChargeOfIntent(executor, payment, intent);
    // An order's totals count succeeded payments only.
    if (changed && status === 'succeeded') {
      await refreshOrder(payment.orderId, executor);
      await redeemCouponOfPayment(executor, payment.paymentId, clock().toISOString());
    }
    return changed ? { ...changes, status } : null;
  }

  async function recordIntent(
    payment: RecordedPayment,
    intent: PaymentIntentSummary,
    executor = db,
  ): Promise<boolean> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => recordIntent(payment, intent, trx));
    }
    return (await advanceTo(payment, intent, executor)) !== null;
  }

  async function recordPlacement(
    payment: Payment,
    placement: PaymentChanges,
    intent: PaymentIntentSummary,
    executor = db,
  ): Promise<Payment | null> {
    if (!executor.isTransaction) {
      return executor
        .transaction()
        .execute((trx) => recordPlacement(payment, placement, intent, trx));
    }
    const written = await advanceTo(payment, intent, executor, placement);
    if (written) return { ...payment, ...written };
    await updatePayment(executor, payment.paymentId, placement);
    return null;
  }

  async function recordRefunded(
    payment: Pick<Payment, 'paymentId' | 'orderId'>,
    refunded: number,
    executor = db,
  ): Promise<void> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => recordRefunded(payment, refunded, trx));
    }
    await raiseRefundedAmount(executor, payment.paymentId, refunded, clock().toISOString());
    await refreshOrder(payment.orderId, executor);
  }

  async function recordRefund(
    payment: Pick<Payment, 'paymentId' | 'orderId'>,
    refund: Pick<Refund, 'refundId'>,
    made: Pick<RefundSummary, 'id' | 'status'>,
    executor = db,
  ): Promise<void> {
    if (!executor.isTransaction) {
      return executor.transaction().execute((trx) => recordRefund(payment, refund, made, trx));
    }
    await updateRefund(executor, refund.refundId, {
      status: made.status,
      stripeRefundId: made.id,
      updatedAt: clock().toISOString(),
    });
    // Summed from the refunds Stripe made, not added to: a refund recorded twice counts once.
    await recordRefunded(payment, await sumMadeRefunds(executor, payment.paymentId), executor);
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

  return {
    recordIntent,
    recordPlacement,
    recordRefunded,
    recordRefund,
    recordFailedCharge: (payment, charge) => charges.recordFailedCharge(db, payment, charge),
    refreshOrder,
    healOrderTotals,
  };
}

function orderStatusOf(paid: number, refunded: number): OrderStatus {
  if (paid === 0) return 'open';
  if (refunded >= paid) return 'refunded';
  if (refunded > 0) return 'partially_refunded';
  return 'paid';
}
