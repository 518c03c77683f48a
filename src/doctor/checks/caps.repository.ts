import type { Kysely } from 'kysely';
import type { Mode } from '../../accounts/key-verification.js';
import { takingStatuses } from '../../checkout/usage.js';
import type { Database } from '../../db/schema.js';

/**
 * What the cap checks read of payments: the volume an account took in the current UTC day and
 * month, per currency. It counts the statuses checkout's usage counts (src/checkout/usage.ts);
 * checkout also holds an open card form's amount for an hour, so the router may refuse a little
 * before doctor reads 100 %.
 */

/**
 * Payments that take up a cap are those checkout counts (`takingStatuses`): succeeded, or on
 * their way with a PaymentIntent. Doctor reports what was taken, so it leaves out the hour a card
 * form still open holds its amount at checkout.
 */
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
    .where('status', 'in', [...takingStatuses])
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
