import type { Kysely } from 'kysely';
import type { Mode } from '../../accounts/key-verification.js';
import type { Database, PaymentStatus } from '../../db/schema.js';

/**
 * What the cap checks read of payments: the volume an account took in the current UTC day and
 * month, per currency. Written here before checkout's usage (src/checkout/usage.ts) landed; both
 * count the same statuses, but checkout also holds an open card form's amount for an hour, so the
 * router may refuse a little before doctor reads 100 %.
 */

/**
 * Payments that take up a cap: succeeded, or on their way with a PaymentIntent (confirmed and
 * processing, awaiting 3-D Secure or capture, or Stripe's answer not yet heard). A PaymentIntent
 * still waiting for a card (`requires_payment_method`: a card form left open, or a declined card)
 * and a canceled one take nothing: abandoned card forms would otherwise eat the cap.
 */
export const cappedStatuses: readonly PaymentStatus[] = [
  'succeeded',
  'pending',
  'processing',
  'requires_capture',
  'requires_action',
  'requires_confirmation',
];

/** Minor units taken in one currency since the start of the UTC day and of the UTC month. */
export interface CapUsage {
  currency: string;
  day: number;
  month: number;
}

export async function listCapUsage(
  db: Kysely<Database>,
  query: {
    workspaceId: string;
    accountId: string;
    mode: Mode;
    dayStart: string;
    monthStart: string;
  },
): Promise<CapUsage[]> {
  const rows = await db
    .selectFrom('payments')
    .select((eb) => [
      'currency',
      eb.fn
        .sum<number | string>(
          eb.case().when('created_at', '>=', query.dayStart).then(eb.ref('amount')).else(0).end(),
        )
        .as('day'),
      eb.fn.sum<number | string>('amount').as('month'),
    ])
    .where('workspace_id', '=', query.workspaceId)
    .where('account_id', '=', query.accountId)
    .where('mode', '=', query.mode)
    .where('created_at', '>=', query.monthStart)
    .where('status', 'in', [...cappedStatuses])
    .where('payment_intent_id', 'is not', null)
    .groupBy('currency')
    .execute();
  // PostgreSQL answers sums as strings (bigint); SQLite as numbers.
  return rows.map((row) => ({
    currency: row.currency,
    day: Number(row.day ?? 0),
    month: Number(row.month ?? 0),
  }));
}
