import type { AccountsService } from '../accounts/accounts.service.js';
import { AppError } from '../errors.js';
import type { Mode } from '../routing/index.js';
import type { PaymentIntentSummary, StripeCredentials, StripeGateway } from '../stripe/gateway.js';
import { cardProblemMessage } from './card-problems.js';
import type { PaymentRecords } from './payment-records.js';
import type { Payment } from './payments.repository.js';

/** What a card form needs: the PaymentIntent and the key of the account that owns it. */
export interface CardForm {
  paymentId: string;
  account: string;
  publishableKey: string;
  clientSecret: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  status: string;
  /** Stripe's message from the last try (a decline), or null. */
  error: string | null;
}

/** The card forms of payments, read from the account each payment is on. */
export interface CardForms {
  /**
   * The card form of a payment that has its PaymentIntent; `known` is that PaymentIntent when
   * Stripe has just answered with it. What Stripe says of it meanwhile is recorded.
   */
  cardFormOf(payment: Payment, known?: PaymentIntentSummary, revision?: number): Promise<CardForm>;
}

export interface CardFormsDependencies {
  gateway: Pick<StripeGateway, 'retrievePaymentIntent'>;
  accounts: Pick<AccountsService, 'secretKeyOf' | 'publishableKeyOf'>;
  records: Pick<PaymentRecords, 'recordIntent'>;
}

/** The secret key of the account a payment is on; a payment whose account lost it cannot be read. */
export async function credentialsOf(
  accounts: Pick<AccountsService, 'secretKeyOf'>,
  account: { id: string; handle: string; mode: Mode },
  /** The setup revision the request has read, if it has. */
  revision?: number,
): Promise<StripeCredentials> {
  const secretKey = await accounts.secretKeyOf(account.id, account.mode, revision);
  if (secretKey === null) {
    throw new AppError(
      'upstream_unavailable',
      `Account ${account.handle} has no ${account.mode} key any more; the payment on it cannot be read. Connect its keys again.`,
    );
  }
  return { secretKey };
}

export function createCardForms(deps: CardFormsDependencies): CardForms {
  const { gateway, accounts, records } = deps;
  return {
    async cardFormOf(payment, known, revision) {
      if (!payment.accountId || !payment.accountHandle || !payment.paymentIntentId) {
        throw new AppError(
          'conflict',
          `Payment ${payment.paymentId} is still being set up. Reload the page in a moment.`,
        );
      }
      const intent =
        known?.id === payment.paymentIntentId && known.clientSecret
          ? known
          : await gateway.retrievePaymentIntent({
              credentials: await credentialsOf(
                accounts,
                {
                  id: payment.accountId,
                  handle: payment.accountHandle,
                  mode: payment.mode,
                },
                revision,
              ),
              id: payment.paymentIntentId,
            });
      // A buyer back on the page may have paid in a tab whose return never reached us.
      if (intent.status !== payment.status) await records.recordIntent(payment, intent);
      const publishableKey = await accounts.publishableKeyOf(
        payment.accountId,
        payment.mode,
        revision,
      );
      if (!publishableKey || !intent.clientSecret) {
        throw new AppError(
          'upstream_unavailable',
          `Account ${payment.accountHandle} has no publishable key for ${payment.mode} mode; connect its keys again.`,
        );
      }
      return {
        paymentId: payment.paymentId,
        account: payment.accountHandle,
        publishableKey,
        clientSecret: intent.clientSecret,
        paymentIntentId: intent.id,
        amount: intent.amount,
        currency: intent.currency,
        status: intent.status,
        // The buyer's words for Stripe's outcome; Stripe's own text stays on the failure record.
        error:
          intent.status === 'requires_payment_method' && intent.lastPaymentError
            ? cardProblemMessage(intent.lastPaymentError)
            : null,
      };
    },
  };
}
