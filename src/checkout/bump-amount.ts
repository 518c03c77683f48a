import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { PaymentIntentSummary, StripeCredentials, StripeGateway } from '../stripe/gateway.js';
import { type CardForm, type CardForms, credentialsOf } from './card-form.js';
import type { NewPayments } from './new-payments.js';
import type { PaymentLine } from './payment-lines.js';
import type { PaymentRecords } from './payment-records.js';
import { type Payment, updatePayment } from './payments.repository.js';

/**
 * The amount of an open payment, changed at Stripe when the order bump is ticked or unticked.
 * Stripe takes a change until the card is confirmed.
 */
export interface BumpAmounts {
  /**
   * Sets the PaymentIntent's amount, asking the account again after a 429, a reset or a 5xx (the
   * gateway does; the same change under one key is harmless to repeat). Throws the account's
   * failure when the amount stayed as it was, and `upstream_unavailable` with `amountChanged:
   * 'unknown'` when Stripe gave no clear answer and the PaymentIntent could not be read after it.
   */
  changeAmount(payment: Payment, lines: PaymentLine[], amount: number): Promise<CardForm>;
}

export interface BumpAmountsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'updatePaymentIntent' | 'retrievePaymentIntent'>;
  accounts: Pick<AccountsService, 'secretKeyOf'>;
  records: Pick<PaymentRecords, 'recordIntent'>;
  cardForms: CardForms;
  newPayments: Pick<NewPayments, 'again'>;
}

const intentStatusesThatTakeChanges = new Set(['requires_payment_method', 'requires_confirmation']);

/** Whether Stripe still lets a PaymentIntent in this state change (or be canceled): no card yet. */
export function takesChanges(status: string): boolean {
  return intentStatusesThatTakeChanges.has(status);
}

/** The refusal of a change once the buyer has pressed Pay. */
export function alreadyConfirming(details?: Record<string, unknown>): AppError {
  return new AppError(
    'conflict',
    'This payment is already being confirmed; the order can no longer change.',
    details,
  );
}

export function createBumpAmounts(deps: BumpAmountsDependencies): BumpAmounts {
  const { db, clock, gateway, records } = deps;

  /** A payment made in another tab is recorded now, not only when its webhook arrives. */
  async function recordWhatStripeHolds(
    payment: Payment,
    credentials: StripeCredentials,
    id: string,
  ): Promise<void> {
    try {
      await records.recordIntent(payment, await gateway.retrievePaymentIntent({ credentials, id }));
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
    }
  }

  /**
   * A change that got no clear answer (a timeout, a reset, a 5xx) may have been made: the
   * PaymentIntent says. Made, it is the answer; not made, the failure stands.
   */
  async function amountAfterNoAnswer(
    failure: StripeGatewayError,
    credentials: StripeCredentials,
    id: string,
    amount: number,
  ): Promise<PaymentIntentSummary> {
    if (failure.kind !== 'connection' && failure.kind !== 'stripe_error') throw failure;
    let intent: PaymentIntentSummary;
    try {
      intent = await gateway.retrievePaymentIntent({ credentials, id });
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
      throw new AppError(
        'upstream_unavailable',
        `Stripe gave no clear answer to changing the amount of ${id} to ${amount}, nor to reading it after (${error.message}); the payment page reads it again and sets the amount its order shows.`,
        { amountChanged: 'unknown' },
        { cause: failure },
      );
    }
    if (intent.amount === amount) return intent;
    // A change that timed out may still be on its way at Stripe: the old amount proves nothing.
    if (failure.kind === 'connection' && failure.timedOut) {
      throw new AppError(
        'upstream_unavailable',
        `Changing the amount of ${id} to ${amount} timed out, and Stripe may still make the change; the payment page reads it again and sets the amount its order shows.`,
        { amountChanged: 'unknown' },
        { cause: failure },
      );
    }
    throw failure;
  }

  return {
    async changeAmount(payment, lines, amount) {
      if (!payment.accountId || !payment.accountHandle || !payment.paymentIntentId) {
        throw new Error('changeAmount needs a payment with its PaymentIntent');
      }
      const credentials = await credentialsOf(deps.accounts, {
        id: payment.accountId,
        handle: payment.accountHandle,
        mode: payment.mode,
      });
      const id = payment.paymentIntentId;
      let intent: PaymentIntentSummary;
      try {
        intent = await gateway.updatePaymentIntent({
          credentials,
          id,
          amount,
          // One key per change: ticked, unticked and ticked again are three (the row moves on).
          idempotencyKey: `${payment.paymentId}:amount:${amount}:${Date.parse(payment.updatedAt)}`,
        });
      } catch (error) {
        if (!(error instanceof StripeGatewayError)) throw error;
        // The buyer pressed Pay meanwhile: Stripe no longer lets the amount change.
        if (error.kind === 'invalid_request') {
          await recordWhatStripeHolds(payment, credentials, id);
          throw alreadyConfirming({ stripeCode: error.stripeCode });
        }
        intent = await amountAfterNoAnswer(error, credentials, id, amount);
      }
      await updatePayment(db, payment.paymentId, {
        amount,
        lines,
        updatedAt: clock().toISOString(),
      });
      return deps.cardForms.cardFormOf(await deps.newPayments.again(payment), intent);
    },
  };
}
