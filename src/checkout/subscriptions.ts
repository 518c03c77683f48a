import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import type { AttemptTarget } from './attempts.js';
import type { Order } from './orders.repository.js';
import type { PaymentLine } from './payment-lines.js';
import { insertSubscriptionIfNew, updatePayment } from './payments.repository.js';
import type { StripeObjects } from './stripe-objects.js';

/** What a subscription for a recurring line is made from. */
export interface NewSubscription {
  order: Pick<Order, 'orderId' | 'workspaceId'>;
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
        stripeSubscriptionId: subscription.id,
        workspaceId: order.workspaceId,
        accountId: target.accountId,
        orderId: order.orderId,
        paymentId: paymentId,
        status: subscription.status,
        createdAt: now,
        updatedAt: now,
      });
      await updatePayment(db, paymentId, { subscriptionId: subscription.id });
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
