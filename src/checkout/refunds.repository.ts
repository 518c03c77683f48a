import type { Kysely, Updateable } from 'kysely';
import type { Database, RefundTable } from '../db/schema.js';
import type { RoutingDecision } from '../routing/index.js';

/** Refunds of payments: one query per function, rows mapped here. */

/** A refund of ours, written before Stripe is asked, then settled by Stripe's answer. */
export interface Refund {
  refundId: string;
  workspaceId: string;
  paymentId: string;
  accountId: string;
  accountHandle: string;
  amount: number;
  currency: string;
  /** `pending`, `unsure` (Stripe's answer was unclear), `failed`, or Stripe's own status. */
  status: string;
  stripeRefundId: string | null;
  reason: string | null;
  actor: string;
  /** The routing decision (kind `refund`: the payment's own account). */
  decision: RoutingDecision;
  createdAt: string;
  updatedAt: string;
}

/** What settling or resending a refund changes of it. */
export type RefundChanges = Partial<
  Pick<Refund, 'status' | 'stripeRefundId' | 'reason' | 'actor' | 'updatedAt'>
>;

function refundOf(row: RefundTable): Refund {
  return {
    refundId: row.refund_id,
    workspaceId: row.workspace_id,
    paymentId: row.payment_id,
    accountId: row.account_id,
    accountHandle: row.account_handle,
    amount: Number(row.amount),
    currency: row.currency,
    status: row.status,
    stripeRefundId: row.stripe_refund_id,
    reason: row.reason,
    actor: row.actor,
    decision: JSON.parse(row.decision) as RoutingDecision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertRefund(db: Kysely<Database>, refund: Refund): Promise<void> {
  await db
    .insertInto('refunds')
    .values({
      refund_id: refund.refundId,
      workspace_id: refund.workspaceId,
      payment_id: refund.paymentId,
      account_id: refund.accountId,
      account_handle: refund.accountHandle,
      amount: refund.amount,
      currency: refund.currency,
      status: refund.status,
      stripe_refund_id: refund.stripeRefundId,
      reason: refund.reason,
      actor: refund.actor,
      decision: JSON.stringify(refund.decision),
      created_at: refund.createdAt,
      updated_at: refund.updatedAt,
    })
    .execute();
}

export async function updateRefund(
  db: Kysely<Database>,
  refundId: string,
  changes: RefundChanges,
): Promise<void> {
  // Kysely leaves out what is undefined: only the changes given are written.
  const row: Updateable<RefundTable> = {
    status: changes.status,
    stripe_refund_id: changes.stripeRefundId,
    reason: changes.reason,
    actor: changes.actor,
    updated_at: changes.updatedAt,
  };
  await db.updateTable('refunds').set(row).where('refund_id', '=', refundId).execute();
}

/**
 * The payment's refund Stripe has not answered clearly, if any: `unsure` (a 5xx, a timeout, a
 * reset), `not_sent` (written before unsure existed) or `pending` with no Stripe id (being sent,
 * or left so by a crash).
 */
export async function findUnsettledRefund(
  db: Kysely<Database>,
  paymentId: string,
): Promise<Refund | undefined> {
  const row = await db
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .where('stripe_refund_id', 'is', null)
    .where('status', 'in', ['unsure', 'not_sent', 'pending'])
    .orderBy('created_at')
    .executeTakeFirst();
  return row && refundOf(row);
}

export async function findRefund(
  db: Kysely<Database>,
  refundId: string,
): Promise<Refund | undefined> {
  const row = await db
    .selectFrom('refunds')
    .selectAll()
    .where('refund_id', '=', refundId)
    .executeTakeFirst();
  return row && refundOf(row);
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
  paymentIds: readonly string[],
): Promise<Refund[]> {
  if (paymentIds.length === 0) return [];
  const rows = await db
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', 'in', paymentIds)
    .orderBy('created_at')
    .execute();
  return rows.map(refundOf);
}
