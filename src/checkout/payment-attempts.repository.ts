import type { Kysely } from 'kysely';
import { prepareInsert, prepareUpdate } from '../db/prepared-query.js';
import type { Database, PaymentAttemptTable, PaymentAttemptTryTable } from '../db/schema.js';
import type { Mode, RoutingDecision } from '../routing/index.js';

/** The failover executor's attempts and their tries: one query per function, rows mapped here. */

/** How Stripe's answer went wrong, or all null when it did not. */
export interface StripeFailureRecord {
  failureKind: string | null;
  stripeCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  requestId: string | null;
  message: string | null;
}

/** No failure: what an attempt that made its PaymentIntent records. */
export const noFailure: StripeFailureRecord = {
  failureKind: null,
  stripeCode: null,
  declineCode: null,
  httpStatus: null,
  requestId: null,
  message: null,
};

/** One request an attempt sent to Stripe. */
export interface PaymentAttemptTry extends StripeFailureRecord {
  number: number;
  outcome: 'created' | 'failed';
  latencyMs: number;
  startedAt: string;
  finishedAt: string;
}

/** A try as stored, with the attempt it belongs to. */
export interface StoredTry extends PaymentAttemptTry {
  id: string;
  attemptId: string;
  workspaceId: string;
  paymentId: string;
}

/** An attempt as the transaction log shows it. */
export interface PaymentAttempt extends StripeFailureRecord {
  number: number;
  account: string;
  idempotencyKey: string;
  /** `created`: Stripe made the PaymentIntent; whether the card pays is told by the charges. */
  status: 'pending' | 'created' | 'failed';
  paymentIntentId: string | null;
  /** The time its tries took, together. */
  latencyMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** Every request it sent, in order: a 429, a reset and the one that made it are three. */
  tries: PaymentAttemptTry[];
}

/** An attempt as stored: one account, one idempotency key, the decision that chose the account. */
export interface Attempt extends Omit<PaymentAttempt, 'tries'> {
  id: string;
  workspaceId: string;
  paymentId: string;
  accountId: string;
  mode: Mode;
  amount: number;
  currency: string;
  decision: RoutingDecision;
}

/** What finishing (or resending) an attempt changes of it. */
export type AttemptChanges = Partial<
  StripeFailureRecord &
    Pick<Attempt, 'status' | 'paymentIntentId' | 'latencyMs'> & { finishedAt: string }
>;

function failureOf(row: StripeFailureRow): StripeFailureRecord {
  return {
    failureKind: row.failure_kind,
    stripeCode: row.stripe_code,
    declineCode: row.decline_code,
    httpStatus: row.http_status,
    requestId: row.request_id,
    message: row.message,
  };
}

type StripeFailureRow = Pick<
  PaymentAttemptTable,
  'failure_kind' | 'stripe_code' | 'decline_code' | 'http_status' | 'request_id' | 'message'
>;

function attemptOf(row: PaymentAttemptTable): Attempt {
  return {
    id: row.attempt_id,
    workspaceId: row.workspace_id,
    paymentId: row.payment_id,
    number: row.attempt_number,
    accountId: row.account_id,
    account: row.account_handle,
    mode: row.mode,
    idempotencyKey: row.idempotency_key,
    amount: Number(row.amount),
    currency: row.currency,
    status: row.status,
    ...failureOf(row),
    paymentIntentId: row.payment_intent_id,
    latencyMs: row.latency_ms,
    decision: JSON.parse(row.decision) as RoutingDecision,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function tryOf(row: PaymentAttemptTryTable): StoredTry {
  return {
    id: row.try_id,
    attemptId: row.attempt_id,
    workspaceId: row.workspace_id,
    paymentId: row.payment_id,
    number: row.try_number,
    outcome: row.outcome,
    ...failureOf(row),
    latencyMs: row.latency_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** The failure fields alone, out of a record that has more. */
function failureIn(record: StripeFailureRecord): StripeFailureRecord {
  return {
    failureKind: record.failureKind,
    stripeCode: record.stripeCode,
    declineCode: record.declineCode,
    httpStatus: record.httpStatus,
    requestId: record.requestId,
    message: record.message,
  };
}

/** The attempt with its tries, as the transaction log shows it. */
export function paymentAttemptOf(attempt: Attempt, tries: readonly StoredTry[]): PaymentAttempt {
  return {
    number: attempt.number,
    account: attempt.account,
    idempotencyKey: attempt.idempotencyKey,
    status: attempt.status,
    ...failureIn(attempt),
    paymentIntentId: attempt.paymentIntentId,
    latencyMs: attempt.latencyMs,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt,
    tries: tries
      .filter((tried) => tried.attemptId === attempt.id)
      .map((tried) => ({
        number: tried.number,
        outcome: tried.outcome,
        ...failureIn(tried),
        latencyMs: tried.latencyMs,
        startedAt: tried.startedAt,
        finishedAt: tried.finishedAt,
      })),
  };
}

const insertAttemptRow = prepareInsert('payment_attempts', (insert) => insert);

export async function insertAttempt(db: Kysely<Database>, attempt: Attempt): Promise<void> {
  await insertAttemptRow.execute(db, {
    attempt_id: attempt.id,
    workspace_id: attempt.workspaceId,
    payment_id: attempt.paymentId,
    attempt_number: attempt.number,
    account_id: attempt.accountId,
    account_handle: attempt.account,
    mode: attempt.mode,
    idempotency_key: attempt.idempotencyKey,
    amount: attempt.amount,
    currency: attempt.currency,
    status: attempt.status,
    failure_kind: attempt.failureKind,
    stripe_code: attempt.stripeCode,
    decline_code: attempt.declineCode,
    http_status: attempt.httpStatus,
    request_id: attempt.requestId,
    message: attempt.message,
    payment_intent_id: attempt.paymentIntentId,
    latency_ms: attempt.latencyMs,
    decision: JSON.stringify(attempt.decision),
    started_at: attempt.startedAt,
    finished_at: attempt.finishedAt,
  });
}

const updateAttempt = prepareUpdate<'payment_attempts', { attemptId: string }>((db, set, slot) =>
  db.updateTable('payment_attempts').set(set).where('attempt_id', '=', slot('attemptId')),
);

export async function finishAttempt(
  db: Kysely<Database>,
  attemptId: string,
  changes: AttemptChanges,
): Promise<void> {
  // What is undefined is left out: only the changes given are written.
  await updateAttempt.execute(
    db,
    {
      status: changes.status,
      failure_kind: changes.failureKind,
      stripe_code: changes.stripeCode,
      decline_code: changes.declineCode,
      http_status: changes.httpStatus,
      request_id: changes.requestId,
      message: changes.message,
      payment_intent_id: changes.paymentIntentId,
      latency_ms: changes.latencyMs,
      finished_at: changes.finishedAt,
    },
    { attemptId },
  );
}

export async function listAttempts(
  db: Kysely<Database>,
  workspaceId: string,
  paymentId: string,
): Promise<Attempt[]> {
  const rows = await db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('payment_id', '=', paymentId)
    .orderBy('attempt_number')
    .execute();
  return rows.map(attemptOf);
}

const insertTryRow = prepareInsert('payment_attempt_tries', (insert) => insert);

export async function insertTry(db: Kysely<Database>, tried: StoredTry): Promise<void> {
  await insertTryRow.execute(db, {
    try_id: tried.id,
    attempt_id: tried.attemptId,
    try_number: tried.number,
    workspace_id: tried.workspaceId,
    payment_id: tried.paymentId,
    outcome: tried.outcome,
    failure_kind: tried.failureKind,
    stripe_code: tried.stripeCode,
    decline_code: tried.declineCode,
    http_status: tried.httpStatus,
    request_id: tried.requestId,
    message: tried.message,
    latency_ms: tried.latencyMs,
    started_at: tried.startedAt,
    finished_at: tried.finishedAt,
  });
}

/** Every try of a payment's attempts, in the order they were sent. */
export async function listTries(
  db: Kysely<Database>,
  workspaceId: string,
  paymentId: string,
): Promise<StoredTry[]> {
  const rows = await db
    .selectFrom('payment_attempt_tries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('payment_id', '=', paymentId)
    .orderBy('try_number')
    .orderBy('finished_at')
    .execute();
  return rows.map(tryOf);
}
