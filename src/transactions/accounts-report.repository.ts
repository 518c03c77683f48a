import { type Expression, type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Mode } from '../routing/index.js';

/**
 * The accounts report's figures, each summed by the database per account, mode, day (UTC) and
 * currency. Times are ISO strings in UTC, so a day is their first ten characters on both databases.
 */

/** Where a figure belongs: one account, mode, day and currency. */
export interface ReportKey {
  account: string;
  mode: Mode;
  /** YYYY-MM-DD, UTC. */
  day: string;
  currency: string;
}

export interface ReportRange {
  /** At or after, ISO time. */
  from?: string | undefined;
  /** Before, ISO time. */
  to?: string | undefined;
  mode?: Mode | undefined;
}

export interface Tally extends ReportKey {
  count: number;
  amount: number;
}

export interface FailureTally extends ReportKey {
  count: number;
  code: string | null;
  declineCode: string | null;
}

function dayOf(time: Expression<string>) {
  return sql<string>`substr(${time}, 1, 10)`;
}

function keyOf(row: {
  account: string | null;
  mode: Mode;
  day: string;
  currency: string;
}): ReportKey {
  return { account: row.account ?? '', mode: row.mode, day: row.day, currency: row.currency };
}

/** Payments that succeeded, on the day of their first paid charge: how many, and their amounts. */
export async function tallyPayments(
  db: Kysely<Database>,
  workspaceId: string,
  range: ReportRange,
): Promise<Tally[]> {
  const paid = db
    .selectFrom('charge_attempts')
    .select(['payment_id'])
    .select((eb) => eb.fn.min('recorded_at').as('paid_at'))
    .where('workspace_id', '=', workspaceId)
    .where('outcome', '=', 'paid')
    .groupBy('payment_id');
  let query = db
    .selectFrom('payments as p')
    .innerJoin(paid.as('paid'), 'paid.payment_id', 'p.payment_id')
    .where('p.workspace_id', '=', workspaceId)
    .where('p.status', '=', 'succeeded')
    .where('p.account_handle', 'is not', null);
  if (range.from) query = query.where('paid.paid_at', '>=', range.from);
  if (range.to) query = query.where('paid.paid_at', '<', range.to);
  if (range.mode) query = query.where('p.mode', '=', range.mode);
  const day = dayOf(sql.ref('paid.paid_at'));
  const rows = await query
    .select((eb) => [
      'p.account_handle as account',
      'p.mode as mode',
      day.as('day'),
      'p.currency as currency',
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.sum<number | string>('p.amount').as('amount'),
    ])
    .groupBy(['p.account_handle', 'p.mode', day, 'p.currency'])
    .execute();
  return rows.map((row) => ({
    ...keyOf(row),
    count: Number(row.count),
    amount: Number(row.amount),
  }));
}

/** Refunds Stripe made (not failed or canceled), on the day they were asked for. */
export async function tallyRefunds(
  db: Kysely<Database>,
  workspaceId: string,
  range: ReportRange,
): Promise<Tally[]> {
  let query = db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.payment_id', 'r.payment_id')
    .where('r.workspace_id', '=', workspaceId)
    .where('r.stripe_refund_id', 'is not', null)
    .where('r.status', 'not in', ['failed', 'canceled']);
  if (range.from) query = query.where('r.created_at', '>=', range.from);
  if (range.to) query = query.where('r.created_at', '<', range.to);
  if (range.mode) query = query.where('p.mode', '=', range.mode);
  const day = dayOf(sql.ref('r.created_at'));
  const rows = await query
    .select((eb) => [
      'r.account_handle as account',
      'p.mode as mode',
      day.as('day'),
      'r.currency as currency',
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.sum<number | string>('r.amount').as('amount'),
    ])
    .groupBy(['r.account_handle', 'p.mode', day, 'r.currency'])
    .execute();
  return rows.map((row) => ({
    ...keyOf(row),
    count: Number(row.count),
    amount: Number(row.amount),
  }));
}

/**
 * Tries that ended without paying, by code: charges the card failed (declines, failed 3-D
 * Secure, other errors) and attempts Stripe refused. An attempt whose PaymentIntent has a charge
 * recorded is told by that charge, so a decline is counted once.
 */
export async function tallyFailures(
  db: Kysely<Database>,
  workspaceId: string,
  range: ReportRange,
): Promise<FailureTally[]> {
  let attempts = db
    .selectFrom('payment_attempts as a')
    .where('a.workspace_id', '=', workspaceId)
    .where('a.status', '=', 'failed')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('charge_attempts as c')
            .select('c.charge_attempt_id')
            .whereRef('c.payment_id', '=', 'a.payment_id')
            .whereRef('c.payment_intent_id', '=', 'a.payment_intent_id'),
        ),
      ),
    );
  if (range.from) attempts = attempts.where('a.started_at', '>=', range.from);
  if (range.to) attempts = attempts.where('a.started_at', '<', range.to);
  if (range.mode) attempts = attempts.where('a.mode', '=', range.mode);
  const attemptDay = dayOf(sql.ref('a.started_at'));
  const attemptCode = sql<string | null>`coalesce(a.stripe_code, a.failure_kind)`;
  const failedAttempts = await attempts
    .select((eb) => [
      'a.account_handle as account',
      'a.mode as mode',
      attemptDay.as('day'),
      'a.currency as currency',
      attemptCode.as('code'),
      'a.decline_code as decline_code',
      eb.fn.countAll<number | string>().as('count'),
    ])
    .groupBy([
      'a.account_handle',
      'a.mode',
      attemptDay,
      'a.currency',
      attemptCode,
      'a.decline_code',
    ])
    .execute();

  let charges = db
    .selectFrom('charge_attempts as c')
    .innerJoin('payments as p', 'p.payment_id', 'c.payment_id')
    .where('c.workspace_id', '=', workspaceId)
    .where('c.outcome', '<>', 'paid');
  if (range.from) charges = charges.where('c.recorded_at', '>=', range.from);
  if (range.to) charges = charges.where('c.recorded_at', '<', range.to);
  if (range.mode) charges = charges.where('p.mode', '=', range.mode);
  const chargeDay = dayOf(sql.ref('c.recorded_at'));
  const failedCharges = await charges
    .select((eb) => [
      'p.account_handle as account',
      'p.mode as mode',
      chargeDay.as('day'),
      'p.currency as currency',
      'c.stripe_code as code',
      'c.decline_code as decline_code',
      eb.fn.countAll<number | string>().as('count'),
    ])
    .groupBy([
      'p.account_handle',
      'p.mode',
      chargeDay,
      'p.currency',
      'c.stripe_code',
      'c.decline_code',
    ])
    .execute();

  return [...failedAttempts, ...failedCharges].map((row) => ({
    ...keyOf(row),
    code: row.code,
    declineCode: row.decline_code,
    count: Number(row.count),
  }));
}

/**
 * Failovers away from an account: its attempts that failed, after which the payment was tried
 * on another account. Counted on the day of the failed attempt.
 */
export async function tallyFailovers(
  db: Kysely<Database>,
  workspaceId: string,
  range: ReportRange,
): Promise<Tally[]> {
  let query = db
    .selectFrom('payment_attempts as a')
    .where('a.workspace_id', '=', workspaceId)
    .where('a.status', '=', 'failed')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('payment_attempts as later')
          .select('later.attempt_id')
          // The workspace too, so the index of a payment's attempts serves this.
          .whereRef('later.workspace_id', '=', 'a.workspace_id')
          .whereRef('later.payment_id', '=', 'a.payment_id')
          .whereRef('later.attempt_number', '>', 'a.attempt_number')
          .whereRef('later.account_id', '<>', 'a.account_id'),
      ),
    );
  if (range.from) query = query.where('a.started_at', '>=', range.from);
  if (range.to) query = query.where('a.started_at', '<', range.to);
  if (range.mode) query = query.where('a.mode', '=', range.mode);
  const day = dayOf(sql.ref('a.started_at'));
  const rows = await query
    .select((eb) => [
      'a.account_handle as account',
      'a.mode as mode',
      day.as('day'),
      'a.currency as currency',
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.sum<number | string>('a.amount').as('amount'),
    ])
    .groupBy(['a.account_handle', 'a.mode', day, 'a.currency'])
    .execute();
  return rows.map((row) => ({
    ...keyOf(row),
    count: Number(row.count),
    amount: Number(row.amount),
  }));
}
