import type { Kysely, Updateable } from 'kysely';
import type { Database, PaymentAttemptTable, PaymentAttemptTryTable } from '../db/schema.js';

export async function insertAttempt(
  db: Kysely<Database>,
  attempt: PaymentAttemptTable,
): Promise<void> {
  await db.insertInto('payment_attempts').values(attempt).execute();
}

export async function finishAttempt(
  db: Kysely<Database>,
  attemptId: string,
  result: Updateable<PaymentAttemptTable>,
): Promise<void> {
  await db
    .updateTable('payment_attempts')
    .set(result)
    .where('attempt_id', '=', attemptId)
    .execute();
}

export async function listAttempts(
  db: Kysely<Database>,
  workspaceId: string,
  paymentId: string,
): Promise<PaymentAttemptTable[]> {
  return db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('payment_id', '=', paymentId)
    .orderBy('attempt_number')
    .execute();
}

export async function insertTry(db: Kysely<Database>, row: PaymentAttemptTryTable): Promise<void> {
  await db.insertInto('payment_attempt_tries').values(row).execute();
}

/** Every try of a payment's attempts, in the order they were sent. */
export async function listTries(
  db: Kysely<Database>,
  workspaceId: string,
  paymentId: string,
): Promise<PaymentAttemptTryTable[]> {
  return db
    .selectFrom('payment_attempt_tries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('payment_id', '=', paymentId)
    .orderBy('try_number')
    .orderBy('finished_at')
    .execute();
}
