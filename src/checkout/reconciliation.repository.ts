import type { Kysely } from 'kysely';
import type { Database, PaymentStatus } from '../db/schema.js';
import { type Payment, paymentOf } from './payments.repository.js';

/** The payments reconciliation asks Stripe about, and when it asks each one again. */

/** Every state a payment can leave: it has no PaymentIntent yet, or Stripe may still move it. */
export const unsettledStatuses: readonly PaymentStatus[] = [
  'pending',
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
  'processing',
];

/**
 * Unsettled payments made after `createdAfter` that are due: never checked and unchanged since
 * `quietSince`, or whose next check is at or before `now`. The longest waiting come first.
 */
export async function listPaymentsToCheck(
  db: Kysely<Database>,
  query: {
    workspaceId: string;
    createdAfter: string;
    quietSince: string;
    now: string;
    limit: number;
  },
): Promise<Payment[]> {
  const rows = await db
    .selectFrom('payments')
    .leftJoin('payment_checks', 'payment_checks.payment_id', 'payments.payment_id')
    .selectAll('payments')
    .where('payments.workspace_id', '=', query.workspaceId)
    .where('payments.status', 'in', [...unsettledStatuses])
    .where('payments.created_at', '>', query.createdAfter)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('payment_checks.next_check_at', 'is', null),
          eb('payments.updated_at', '<', query.quietSince),
        ]),
        eb('payment_checks.next_check_at', '<=', query.now),
      ]),
    )
    .orderBy((eb) => eb.fn.coalesce('payment_checks.next_check_at', 'payments.updated_at'))
    .orderBy('payments.payment_id')
    .limit(query.limit)
    .execute();
  return rows.map(paymentOf);
}

export async function scheduleNextCheck(
  db: Kysely<Database>,
  paymentId: string,
  check: { checkedAt: string; nextCheckAt: string },
): Promise<void> {
  await db
    .insertInto('payment_checks')
    .values({
      payment_id: paymentId,
      checks: 1,
      checked_at: check.checkedAt,
      next_check_at: check.nextCheckAt,
    })
    .onConflict((conflict) =>
      conflict.column('payment_id').doUpdateSet((eb) => ({
        checks: eb('payment_checks.checks', '+', 1),
        checked_at: eb.ref('excluded.checked_at'),
        next_check_at: eb.ref('excluded.next_check_at'),
      })),
    )
    .execute();
}
