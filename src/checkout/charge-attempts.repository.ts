import type { Kysely } from 'kysely';
import type { ChargeAttemptTable, Database } from '../db/schema.js';

/** What the merchant sees of one charge of a card on a PaymentIntent. */
export interface ChargeAttempt {
  paymentId: string;
  paymentIntentId: string;
  /** `declined`, `authentication_failed`, `failed` (another error) or `paid`. */
  outcome: ChargeAttemptTable['outcome'];
  chargeId: string | null;
  /** Stripe's `last_payment_error.code` (or the charge's `failure_code`) and its decline code. */
  stripeCode: string | null;
  declineCode: string | null;
  /** Stripe's own words, for the merchant (the buyer gets plain ones). */
  message: string | null;
  source: string;
  recordedAt: string;
}

/** Records it unless it is there: a duplicated webhook, or a read after one, changes nothing. */
export async function insertChargeAttemptIfNew(
  db: Kysely<Database>,
  row: ChargeAttemptTable,
): Promise<void> {
  await db
    .insertInto('charge_attempts')
    .values(row)
    .onConflict((conflict) => conflict.columns(['payment_id', 'charge_key']).doNothing())
    .execute();
}

export async function listChargeAttempts(
  db: Kysely<Database>,
  paymentIds: readonly string[],
): Promise<ChargeAttempt[]> {
  if (paymentIds.length === 0) return [];
  const rows = await db
    .selectFrom('charge_attempts')
    .selectAll()
    .where('payment_id', 'in', paymentIds)
    .orderBy('recorded_at')
    .orderBy('charge_attempt_id')
    .execute();
  return rows.map((row) => ({
    paymentId: row.payment_id,
    paymentIntentId: row.payment_intent_id,
    outcome: row.outcome,
    chargeId: row.charge_id,
    stripeCode: row.stripe_code,
    declineCode: row.decline_code,
    message: row.message,
    source: row.source,
    recordedAt: row.recorded_at,
  }));
}
