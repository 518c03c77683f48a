import type { Kysely } from 'kysely';
import type { Mode } from '../../accounts/key-verification.js';
import type { Database, PaymentStatus } from '../../db/schema.js';

/** What the state checks read of payments and their attempts: one query per function. */

/** Statuses a payment should not sit in for long: Stripe was not heard, or is still at work. */
export const stuckStatuses: readonly PaymentStatus[] = [
  'pending',
  'processing',
  'requires_capture',
];

export interface RateLimitedTries {
  count: number;
  latestAt: string | null;
  latestRequestId: string | null;
}

/** Requests of payment attempts on the account and mode that Stripe answered with 429. */
export async function findRateLimitedTries(
  db: Kysely<Database>,
  query: { accountId: string; mode: Mode; since: string },
): Promise<RateLimitedTries> {
  const rows = await db
    .selectFrom('payment_attempt_tries')
    .innerJoin(
      'payment_attempts',
      'payment_attempts.attempt_id',
      'payment_attempt_tries.attempt_id',
    )
    .select(['payment_attempt_tries.started_at as at', 'payment_attempt_tries.request_id'])
    .where('payment_attempts.account_id', '=', query.accountId)
    .where('payment_attempts.mode', '=', query.mode)
    .where('payment_attempt_tries.http_status', '=', 429)
    .where('payment_attempt_tries.started_at', '>=', query.since)
    .orderBy('payment_attempt_tries.started_at', 'desc')
    .execute();
  const latest = rows[0];
  return {
    count: rows.length,
    latestAt: latest?.at ?? null,
    latestRequestId: latest?.request_id ?? null,
  };
}

/** When the newest payment the account took in the mode was made, or null for never. */
export async function findLatestPaidAt(
  db: Kysely<Database>,
  query: { accountId: string; mode: Mode },
): Promise<string | null> {
  const row = await db
    .selectFrom('payments')
    .select((eb) => eb.fn.max('created_at').as('latest'))
    .where('account_id', '=', query.accountId)
    .where('mode', '=', query.mode)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  return row?.latest ?? null;
}

export interface StuckPayment {
  paymentId: string;
  orderId: string;
  status: PaymentStatus;
  updatedAt: string;
}

/**
 * Payments of the account and mode unchanged since `before` in a stuck status. A payment whose
 * answer was lost has no account yet: it counts for every account an attempt of it went to.
 */
export async function listStuckPayments(
  db: Kysely<Database>,
  query: { accountId: string; mode: Mode; before: string },
): Promise<StuckPayment[]> {
  const rows = await db
    .selectFrom('payments')
    .select(['payment_id', 'order_id', 'status', 'updated_at'])
    .where('mode', '=', query.mode)
    .where('status', 'in', [...stuckStatuses])
    .where('updated_at', '<', query.before)
    .where((eb) =>
      eb.or([
        eb('account_id', '=', query.accountId),
        eb.and([
          eb('account_id', 'is', null),
          eb.exists(
            eb
              .selectFrom('payment_attempts')
              .select('payment_attempts.attempt_id')
              .whereRef('payment_attempts.payment_id', '=', 'payments.payment_id')
              .where('payment_attempts.account_id', '=', query.accountId),
          ),
        ]),
      ]),
    )
    .orderBy('updated_at')
    .orderBy('payment_id')
    .execute();
  return rows.map((row) => ({
    paymentId: row.payment_id,
    orderId: row.order_id,
    status: row.status,
    updatedAt: row.updated_at,
  }));
}
