import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import { alreadyConfirming, takesChanges } from './bump-amount.js';
import type { NewPayments } from './new-payments.js';
import type { OrderForm, PreparedPayment } from './order-form.js';
import { findPayment } from './payments.repository.js';
import type { Visits } from './visits.js';

/** What a bump ticked or unticked came to. */
export interface BumpChoice {
  amount: number;
  currency: string;
  bumpChosen: boolean;
  /** The coupon's discount as the form shows it (`−$4.90`), when the order has one. */
  discount?: string;
  /** Why the order stayed as it was, in the buyer's words; null when the change was made. */
  notice: string | null;
  /** Whether the amount at Stripe is unknown until the page is read again (Pay should wait). */
  reload: boolean;
}

export interface ChooseBumpInput {
  workspaceId: string;
  orderId: string;
  funnelSlug: string;
  stepSlug: string;
  currency: string;
  bump: boolean;
}

/** The order bump: the add-on the buyer ticks on the payment step. */
export interface OrderBump {
  /**
   * Sets the order bump on the open PaymentIntent; answers the new amount. When the account
   * cannot change it now (the card is not entered yet), the payment stays as it was and the
   * answer says so in `notice`: the buyer can still pay, or tick again.
   */
  chooseBump(input: ChooseBumpInput): Promise<BumpChoice>;
}

export interface OrderBumpDependencies {
  db: Kysely<Database>;
  visits: Pick<Visits, 'requireOrder'>;
  orderForm: Pick<OrderForm, 'preparePayment' | 'openPaymentIdOf'>;
  newPayments: Pick<NewPayments, 'again'>;
}

export function createOrderBump(deps: OrderBumpDependencies): OrderBump {
  const { db, visits, orderForm } = deps;
  return {
    async chooseBump(input) {
      const order = await visits.requireOrder(input.workspaceId, input.orderId);
      const paymentId = await orderForm.openPaymentIdOf(
        order,
        input.stepSlug,
        input.currency.toLowerCase(),
      );
      const payment = await findPayment(db, order.workspaceId, paymentId);
      if (!payment?.paymentIntentId) {
        throw new AppError('not_found', 'Open the payment step of the order form first.');
      }
      if (!takesChanges(payment.status)) throw alreadyConfirming();
      let prepared: PreparedPayment;
      try {
        prepared = await orderForm.preparePayment({ ...input, currency: payment.currency });
      } catch (error) {
        const unknown =
          error instanceof AppError &&
          (error.details as { amountChanged?: string } | null)?.amountChanged === 'unknown';
        const failing = error instanceof StripeGatewayError && error.isAccountLevel;
        if (!unknown && !failing) throw error;
        const kept = await deps.newPayments.again(payment);
        return {
          amount: kept.amount,
          currency: kept.currency,
          bumpChosen: kept.lines.some((line) => line.bump),
          notice: bumpNotice(input.bump, unknown),
          reload: unknown,
        };
      }
      // Paid in another tab, or Pay was pressed meanwhile: Stripe holds the amount it took.
      if (prepared.bump !== null && prepared.bumpChosen !== input.bump) throw alreadyConfirming();
      const { amount, currency, bumpChosen, discount } = prepared;
      return {
        amount,
        currency,
        bumpChosen,
        notice: null,
        reload: false,
        ...(discount ? { discount: discount.price } : {}),
      };
    },
  };
}

/** The buyer's words when the account could not change the amount; nothing was charged. */
function bumpNotice(wanted: boolean, unknown: boolean): string {
  const what = wanted ? 'added' : 'removed';
  return unknown
    ? `The add-on could not be ${what} just now. Please reload the page to see your total before you pay.`
    : `The add-on could not be ${what} just now. Your order is unchanged: try ${wanted ? 'ticking' : 'unticking'} it again, or pay for your order as it is.`;
}
