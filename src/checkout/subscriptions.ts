import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database, OrderTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import type { AttemptTarget } from './attempts.js';
import { insertSubscriptionIfNew, updatePayment } from './orders.repository.js';
import type { PaymentLine } from './payment-lines.js';
import type { StripeObjects } from './stripe-objects.js';

/** What a subscription for a recurring line is made from. */
export interface NewSubscription {
  order: Pick<OrderTable, 'order_id' | 'workspace_id'>;
  paymentId: string;
  customer: string;
  line: PaymentLine;
  metadata: Record<string, string>;
  /** The saved card that pays its first invoice at once; without one the card form pays it. */
  defaultPaymentMethod?: string;
}

/** Subscriptions: a recurring line is bought as a subscription on the payment's account. */
export interface Subscriptions {
  /**
   * Makes the subscription on the attempt's account and records it on the payment; its first
   * invoice's PaymentIntent, answered, is the payment's.
   */
  subscribeOn(target: AttemptTarget, subscription: NewSubscription): Promise<PaymentIntentSummary>;
}

export interface SubscriptionsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'createSubscription'>;
  stripeObjects: Pick<StripeObjects, 'priceOn'>;
}

export function createSubscriptions(deps: SubscriptionsDependencies): Subscriptions {
  const { db, clock, gateway, stripeObjects } = deps;
  return {
    async subscribeOn(target, input) {
      const { order, paymentId } = input;
      const subscription = await gateway.createSubscription({
        credentials: target.credentials,
        idempotencyKey: `${target.idempotencyKey}:subscription`,
        customer: input.customer,
        price: await stripeObjects.priceOn(target, input.line),
        metadata: input.metadata,
        ...(input.defaultPaymentMethod ? { defaultPaymentMethod: input.defaultPaymentMethod } : {}),
      });
      const now = clock().toISOString();
      await insertSubscriptionIfNew(db, {
        stripe_subscription_id: subscription.id,
        workspace_id: order.workspace_id,
        account_id: target.accountId,
        order_id: order.order_id,
        payment_id: paymentId,
        status: subscription.status,
        created_at: now,
        updated_at: now,
      });
      await updatePayment(db, paymentId, { subscription_id: subscription.id });
      if (!subscription.paymentIntent) {
        throw new AppError(
          'internal',
          `Stripe made subscription ${subscription.id} without a first payment to take.`,
        );
      }
      return subscription.paymentIntent;
    },
  };
}
