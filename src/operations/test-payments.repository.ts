import type { Kysely, Selectable } from 'kysely';
import type { Mode } from '../accounts/key-verification.js';
import type { Database, TestPaymentTable } from '../db/schema.js';

/** Test payments as kept: one row per run, written when it starts and when it ends. */

export interface TestPayment {
  id: string;
  workspaceId: string;
  accountId: string;
  /** The account's handle when it ran. */
  account: string;
  mode: Mode;
  /** Who ran it: `job:test_payments`, `cli:<user>`, `token:<name>`. */
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: 'running' | 'succeeded' | 'failed';
  amount: number;
  currency: string;
  paymentIntentId: string | null;
  refundId: string | null;
  /** Stripe's request id of the last call made, or of the call that failed. */
  requestId: string | null;
  /** Stripe's error code (`api_key_expired`, …) or, without one, the kind of failure. */
  errorCode: string | null;
  errorMessage: string | null;
  latencyMs: number | null;
}

/** How a run ended. */
export type TestPaymentEnd = Pick<
  TestPayment,
  | 'finishedAt'
  | 'outcome'
  | 'paymentIntentId'
  | 'refundId'
  | 'requestId'
  | 'errorCode'
  | 'errorMessage'
  | 'latencyMs'
>;

function testPaymentOf(row: Selectable<TestPaymentTable>): TestPayment {
  return {
    id: row.test_payment_id,
    workspaceId: row.workspace_id,
    accountId: row.account_id,
    account: row.account_handle,
    mode: row.mode,
    actor: row.actor,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    amount: Number(row.amount),
    currency: row.currency,
    paymentIntentId: row.payment_intent_id,
    refundId: row.refund_id,
    requestId: row.request_id,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
  };
}

function endColumnsOf(end: TestPaymentEnd) {
  return {
    finished_at: end.finishedAt,
    outcome: end.outcome,
    payment_intent_id: end.paymentIntentId,
    refund_id: end.refundId,
    request_id: end.requestId,
    error_code: end.errorCode,
    error_message: end.errorMessage,
    latency_ms: end.latencyMs,
  };
}

export async function insertTestPayment(db: Kysely<Database>, run: TestPayment): Promise<void> {
  await db
    .insertInto('test_payments')
    .values({
      test_payment_id: run.id,
      workspace_id: run.workspaceId,
      account_id: run.accountId,
      account_handle: run.account,
      mode: run.mode,
      actor: run.actor,
      started_at: run.startedAt,
      amount: run.amount,
      currency: run.currency,
      ...endColumnsOf(run),
    })
    .execute();
}

export async function finishTestPayment(
  db: Kysely<Database>,
  id: string,
  end: TestPaymentEnd,
): Promise<void> {
  await db
    .updateTable('test_payments')
    .set(endColumnsOf(end))
    .where('test_payment_id', '=', id)
    .execute();
}

/** An account's test payments, newest first, in one mode or both. */
export async function listTestPayments(
  db: Kysely<Database>,
  query: { workspaceId: string; accountId: string; mode?: Mode | undefined; limit: number },
): Promise<TestPayment[]> {
  let select = db
    .selectFrom('test_payments')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .where('account_id', '=', query.accountId);
  if (query.mode) select = select.where('mode', '=', query.mode);
  const rows = await select
    .orderBy('started_at', 'desc')
    .orderBy('test_payment_id', 'desc')
    .limit(query.limit)
    .execute();
  return rows.map(testPaymentOf);
}

/** The newest finished test payment of an account and mode (a running one says nothing yet). */
export async function findLatestTestPayment(
  db: Kysely<Database>,
  accountId: string,
  mode: Mode,
): Promise<TestPayment | undefined> {
  const row = await db
    .selectFrom('test_payments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('mode', '=', mode)
    .where('outcome', '!=', 'running')
    .orderBy('started_at', 'desc')
    .orderBy('test_payment_id', 'desc')
    .executeTakeFirst();
  return row && testPaymentOf(row);
}

/** An account's failed test-mode runs with no refund recorded, oldest first. */
function failedUnrefunded(db: Kysely<Database>, accountId: string) {
  return db
    .selectFrom('test_payments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('mode', '=', 'test')
    .where('outcome', '=', 'failed')
    .where('refund_id', 'is', null)
    .orderBy('started_at');
}

/**
 * Test-mode runs that charged the test card and failed to refund it (their refund call failed):
 * the next run of the account refunds them.
 */
export async function listUnrefundedTestPayments(
  db: Kysely<Database>,
  accountId: string,
): Promise<TestPayment[]> {
  const rows = await failedUnrefunded(db, accountId)
    .where('payment_intent_id', 'is not', null)
    // Left in another status by Stripe, the test card was never charged; and one Stripe said
    // was refunded after all is done.
    .where('error_code', 'not like', 'payment_intent_%')
    .where('error_code', '!=', alreadyRefunded)
    .execute();
  return rows.map(testPaymentOf);
}

/**
 * Test-mode runs since `since` whose create call failed with no answer, so no PaymentIntent id
 * is known: the answer may have been lost after Stripe charged the card. The next run of the
 * account searches Stripe for them.
 */
export async function listLostTestPayments(
  db: Kysely<Database>,
  accountId: string,
  since: string,
): Promise<TestPayment[]> {
  const rows = await failedUnrefunded(db, accountId)
    .where('payment_intent_id', 'is', null)
    .where('started_at', '>=', since)
    .execute();
  return rows.map(testPaymentOf);
}

/** Stripe's code for a refund of a charge refunded already: a refund whose answer was lost. */
export const alreadyRefunded = 'charge_already_refunded';

/** A later run refunded what this one left charged (or found it refunded: no refund id then). */
export async function recordLateRefund(
  db: Kysely<Database>,
  id: string,
  refund: {
    refundId: string | null;
    errorCode: string | null;
    errorMessage: string;
    /** The PaymentIntent found at Stripe, for a run that never learnt its id. */
    paymentIntentId?: string | undefined;
  },
): Promise<void> {
  await db
    .updateTable('test_payments')
    .set({
      ...(refund.paymentIntentId ? { payment_intent_id: refund.paymentIntentId } : {}),
      refund_id: refund.refundId,
      error_code: refund.errorCode,
      error_message: refund.errorMessage.slice(0, 1000),
    })
    .where('test_payment_id', '=', id)
    // Of two runs at once, the one that made the refund keeps its id.
    .where('refund_id', 'is', null)
    .execute();
}
