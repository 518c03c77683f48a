import type { Kysely } from 'kysely';
import type { ChargeAttemptTable, ChargeOutcome, Database } from '../db/schema.js';

/** What the merchant sees of one charge of a card on a PaymentIntent. */
export interface ChargeAttempt {
  paymentId: string;
  paymentIntentId: string;
  /** `declined`, `authentication_failed`, `failed` (another error) or `paid`. */
  outcome: ChargeOutcome;
  chargeId: string | null;
  /** Stripe's `last_payment_error.code` (or the charge's `failure_code`) and its decline code. */
  stripeCode: string | null;
  declineCode: string | null;
  /** Stripe's own words, for the merchant (the buyer gets plain ones). */
  message: string | null;
  source: string;
  recordedAt: string;
}

/** What Stripe said of one charge, and the key that makes it one record however often it is said. */
export type ChargeFacts = Pick<
  ChargeAttempt,
  'chargeId' | 'outcome' | 'stripeCode' | 'declineCode' | 'message'
> & { chargeKey: string };

/** A charge attempt as stored. */
export type StoredChargeAttempt = ChargeAttempt &
  ChargeFacts & { chargeAttemptId: string; workspaceId: string };

/** Records it unless it is there: a duplicated webhook, or a read after one, changes nothing. */
export async function insertChargeAttemptIfNew(
  db: Kysely<Database>,
  charge: StoredChargeAttempt,
): Promise<void> {
  const row: ChargeAttemptTable = {
    charge_attempt_id: charge.chargeAttemptId,
    workspace_id: charge.workspaceId,
    payment_id: charge.paymentId,
    payment_intent_id: charge.paymentIntentId,
    charge_key: charge.chargeKey,
    charge_id: charge.chargeId,
    outcome: charge.outcome,
    stripe_code: charge.stripeCode,
    decline_code: charge.declineCode,
    message: charge.message,
    source: charge.source,
    recorded_at: charge.recordedAt,
  };
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
