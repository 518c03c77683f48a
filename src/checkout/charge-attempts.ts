import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { ChargeOutcome, Database } from '../db/schema.js';
import type { PaymentIntentSummary } from '../stripe/gateway.js';
import { type ChargeFacts, insertChargeAttemptIfNew } from './charge-attempts.repository.js';
import type { Payment } from './payments.repository.js';

/**
 * Each try to charge a card that Stripe reports on a PaymentIntent: a decline, a failed 3-D
 * Secure, the charge that paid. An attempt only says the PaymentIntent was made; these say what
 * the card did. Keyed by the charge (or, without one, the error and the card), so the return page,
 * the webhooks and reconciliation reading the same news record it once.
 */

/** A failed charge as Stripe's `charge.failed` event carries it. */
export interface FailedCharge {
  id: string;
  paymentIntentId: string;
  failureCode: string | null;
  declineCode: string | null;
  failureMessage: string | null;
}

/** The payment a charge belongs to. */
export type ChargedPayment = Pick<Payment, 'paymentId' | 'workspaceId'>;

/** `executor` is the transaction the caller records the payment's news in, or the store. */
export interface ChargeAttempts {
  /** Records the charge a PaymentIntent read reports (nothing when it has not been charged yet). */
  recordChargeOfIntent(
    executor: Kysely<Database>,
    payment: ChargedPayment,
    intent: PaymentIntentSummary,
  ): Promise<void>;
  /** Records a failed charge Stripe told of in its own event. */
  recordFailedCharge(
    executor: Kysely<Database>,
    payment: ChargedPayment,
    charge: FailedCharge,
  ): Promise<void>;
}

export function createChargeAttempts(deps: { clock: Clock }): ChargeAttempts {
  async function record(
    executor: Kysely<Database>,
    payment: ChargedPayment,
    paymentIntentId: string,
    facts: ChargeFacts,
    source: string,
  ): Promise<void> {
    await insertChargeAttemptIfNew(executor, {
      chargeAttemptId: newId('cha'),
      workspaceId: payment.workspaceId,
      paymentId: payment.paymentId,
      paymentIntentId,
      ...facts,
      source,
      recordedAt: deps.clock().toISOString(),
    });
  }

  return {
    async recordChargeOfIntent(executor, payment, intent) {
      const facts = factsOfIntent(intent);
      if (facts) await record(executor, payment, intent.id, facts, 'payment_intent');
    },

    async recordFailedCharge(executor, payment, charge) {
      await record(
        executor,
        payment,
        charge.paymentIntentId,
        {
          chargeKey: charge.id,
          chargeId: charge.id,
          outcome: outcomeOf(charge.failureCode, charge.declineCode),
          stripeCode: charge.failureCode,
          declineCode: charge.declineCode,
          message: charge.failureMessage,
        },
        'charge.failed',
      );
    },
  };
}

function outcomeOf(code: string | null, declineCode: string | null): ChargeOutcome {
  if (code === 'payment_intent_authentication_failure') return 'authentication_failed';
  if (code === 'card_declined' || declineCode !== null) return 'declined';
  return 'failed';
}

/** What a PaymentIntent says of its last charge, if anything: paid, or the last error. */
function factsOfIntent(intent: PaymentIntentSummary): ChargeFacts | null {
  if (intent.status === 'succeeded') {
    return {
      chargeKey: intent.latestCharge ?? `${intent.id}:paid`,
      chargeId: intent.latestCharge,
      outcome: 'paid',
      stripeCode: null,
      declineCode: null,
      message: null,
    };
  }
  const error = intent.lastPaymentError;
  if (!error) return null;
  return {
    chargeKey: error.charge ?? `${intent.id}:${error.code ?? 'error'}:${error.paymentMethod ?? ''}`,
    chargeId: error.charge,
    outcome: outcomeOf(error.code, error.declineCode),
    stripeCode: error.code,
    declineCode: error.declineCode,
    message: error.message,
  };
}
