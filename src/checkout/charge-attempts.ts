import type { Kysely } from 'kysely';
import { newId } from '../db/ids.js';
import type { ChargeAttemptTable, ChargeOutcome, Database, PaymentTable } from '../db/schema.js';
import type { PaymentIntentSummary } from '../stripe/gateway.js';
import { insertChargeAttemptIfNew } from './charge-attempts.repository.js';

/**
 * Each try to charge a card that Stripe reports on a PaymentIntent: a decline, a failed 3-D
 * Secure, the charge that paid. An attempt only says the PaymentIntent was made; these say what
 * the card did. Keyed by the charge (or, without one, the error and the card), so the return page,
 * the webhooks and reconciliation reading the same news record it once.
 */

type ChargeFacts = Pick<
  ChargeAttemptTable,
  'charge_key' | 'charge_id' | 'outcome' | 'stripe_code' | 'decline_code' | 'message'
>;

function outcomeOf(code: string | null, declineCode: string | null): ChargeOutcome {
  if (code === 'payment_intent_authentication_failure') return 'authentication_failed';
  if (code === 'card_declined' || declineCode !== null) return 'declined';
  return 'failed';
}

/** What a PaymentIntent says of its last charge, if anything: paid, or the last error. */
function factsOfIntent(intent: PaymentIntentSummary): ChargeFacts | null {
  if (intent.status === 'succeeded') {
    return {
      charge_key: intent.latestCharge ?? `${intent.id}:paid`,
      charge_id: intent.latestCharge,
      outcome: 'paid',
      stripe_code: null,
      decline_code: null,
      message: null,
    };
  }
  const error = intent.lastPaymentError;
  if (!error) return null;
  return {
    charge_key:
      error.charge ?? `${intent.id}:${error.code ?? 'error'}:${error.paymentMethod ?? ''}`,
    charge_id: error.charge,
    outcome: outcomeOf(error.code, error.declineCode),
    stripe_code: error.code,
    decline_code: error.declineCode,
    message: error.message,
  };
}

/** A failed charge as Stripe's `charge.failed` event carries it. */
export interface FailedCharge {
  id: string;
  paymentIntentId: string;
  failureCode: string | null;
  declineCode: string | null;
  failureMessage: string | null;
}

function factsOfFailedCharge(charge: FailedCharge): ChargeFacts {
  return {
    charge_key: charge.id,
    charge_id: charge.id,
    outcome: outcomeOf(charge.failureCode, charge.declineCode),
    stripe_code: charge.failureCode,
    decline_code: charge.declineCode,
    message: charge.failureMessage,
  };
}

async function record(
  executor: Kysely<Database>,
  payment: Pick<PaymentTable, 'payment_id' | 'workspace_id'>,
  paymentIntentId: string,
  facts: ChargeFacts,
  source: string,
  recordedAt: string,
): Promise<void> {
  await insertChargeAttemptIfNew(executor, {
    charge_attempt_id: newId('cha'),
    workspace_id: payment.workspace_id,
    payment_id: payment.payment_id,
    payment_intent_id: paymentIntentId,
    ...facts,
    source,
    recorded_at: recordedAt,
  });
}

/** Records the charge a PaymentIntent read reports (nothing when it has not been charged yet). */
export async function recordChargeOfIntent(
  executor: Kysely<Database>,
  payment: Pick<PaymentTable, 'payment_id' | 'workspace_id'>,
  intent: PaymentIntentSummary,
  recordedAt: string,
): Promise<void> {
  const facts = factsOfIntent(intent);
  if (facts) await record(executor, payment, intent.id, facts, 'payment_intent', recordedAt);
}

export async function recordFailedCharge(
  executor: Kysely<Database>,
  payment: Pick<PaymentTable, 'payment_id' | 'workspace_id'>,
  charge: FailedCharge,
  recordedAt: string,
): Promise<void> {
  await record(
    executor,
    payment,
    charge.paymentIntentId,
    factsOfFailedCharge(charge),
    'charge.failed',
    recordedAt,
  );
}
