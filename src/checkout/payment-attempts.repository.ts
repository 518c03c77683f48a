import type { Kysely, Updateable } from 'kysely';
import type { Database, PaymentAttemptTable } from '../db/schema.js';

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
