import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { CatalogForSale } from '../catalog/catalog.service.js';
import type { Clock } from '../clock.js';
import type { Coupons } from '../coupons/coupons.service.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { StripeGateway } from '../stripe/gateway.js';
import { createBumpAmounts } from './bump-amount.js';
import { createCardForms, credentialsOf } from './card-form.js';
import type { FailoverExecutor } from './failover.js';
import { createOnce } from './in-flight.js';
import { createNewPayments } from './new-payments.js';
import { createOffers, type Offers } from './offers.js';
import { createOrderBump, type OrderBump } from './order-bump.js';
import { createOrderForm, type OrderForm } from './order-form.js';
import { findOrder, findOrderWithSetupRevision, type Order } from './orders.repository.js';
import type { PaymentRecords } from './payment-records.js';
import {
  findPayment,
  findPaymentByIntent,
  listPaymentsOfOrders,
  type Payment,
} from './payments.repository.js';
import { createStripeObjects } from './stripe-objects.js';
import { createSubscriptions } from './subscriptions.js';
import { createVisits } from './visits.js';

/**
 * A visitor's way through a funnel: contact and country, the PaymentIntent on the routed account,
 * the order bump, the return from Stripe.js, one-click upsells on the parent payment's account,
 * and what was bought. Each part lives in the module named after it; this one puts them together.
 */
export interface CheckoutService
  extends Pick<OrderForm, 'startOrder' | 'preparePayment'>,
    Offers,
    OrderBump {
  findOrder(workspaceId: string, orderId: string): Promise<Order | undefined>;
  /**
   * The visit's order with the setup revision, in one read (undefined: no such order): a page
   * that starts from the order takes the setup as of that revision.
   */
  findVisit(
    workspaceId: string,
    orderId: string,
  ): Promise<{ order: Order; revision: number } | undefined>;
  /** The return page: reads the PaymentIntent from its account and records what happened. */
  completeReturn(input: {
    workspaceId: string;
    orderId: string;
    paymentIntentId: string;
  }): Promise<Payment>;
  /** Payments of an order that went through, for the thank-you page. */
  purchasesOf(workspaceId: string, orderId: string): Promise<{ order: Order; payments: Payment[] }>;
}

export interface CheckoutDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  catalog: CatalogForSale;
  payments: Pick<FailoverExecutor, 'createPaymentWithFailover' | 'listAttempts'>;
  accounts: Pick<AccountsService, 'secretKeyOf' | 'publishableKeyOf'>;
  records: PaymentRecords;
  coupons: Pick<Coupons, 'discountFor'>;
}

export function createCheckoutService(deps: CheckoutDependencies): CheckoutService {
  const { db, clock, gateway, catalog, accounts, records } = deps;
  const once = createOnce();
  const visits = createVisits({ db, catalog });
  const stripeObjects = createStripeObjects({ db, clock, gateway });
  const subscriptions = createSubscriptions({ db, clock, gateway, stripeObjects });
  const cardForms = createCardForms({ gateway, accounts, records });
  const newPayments = createNewPayments({
    db,
    clock,
    gateway,
    payments: deps.payments,
    records,
    stripeObjects,
    subscriptions,
  });
  const bumpAmounts = createBumpAmounts({
    db,
    clock,
    gateway,
    accounts,
    records,
    cardForms,
    newPayments,
  });
  const orderForm = createOrderForm({
    db,
    clock,
    gateway,
    catalog,
    accounts,
    records,
    visits,
    newPayments,
    cardForms,
    bumpAmounts,
    coupons: deps.coupons,
    once,
  });
  const orderBump = createOrderBump({ db, visits, orderForm, newPayments });
  const offers = createOffers({
    db,
    clock,
    catalog,
    payments: deps.payments,
    visits,
    newPayments,
    cardForms,
    once,
  });

  return {
    startOrder: orderForm.startOrder,
    findOrder: (workspaceId, orderId) => findOrder(db, workspaceId, orderId),
    async findVisit(workspaceId, orderId) {
      const found = await findOrderWithSetupRevision(db, workspaceId, orderId);
      return found && { order: found.order, revision: found.setupRevision };
    },
    preparePayment: orderForm.preparePayment,

    async completeReturn(input) {
      const payment = await findPaymentByIntent(db, input.paymentIntentId);
      if (
        !payment ||
        payment.orderId !== input.orderId ||
        payment.workspaceId !== input.workspaceId
      ) {
        throw new AppError(
          'not_found',
          'This payment does not belong to your order. Go back to the order form and pay there.',
        );
      }
      if (!payment.accountId || !payment.accountHandle)
        throw new Error('a payment with a PaymentIntent has no account');
      const credentials = await credentialsOf(accounts, {
        id: payment.accountId,
        handle: payment.accountHandle,
        mode: payment.mode,
      });
      const intent = await gateway.retrievePaymentIntent({
        credentials,
        id: input.paymentIntentId,
      });
      await records.recordIntent(payment, intent);
      return (await findPayment(db, payment.workspaceId, payment.paymentId)) ?? payment;
    },

    acceptOffer: offers.acceptOffer,
    chooseBump: orderBump.chooseBump,

    async purchasesOf(workspaceId, orderId) {
      const order = await visits.requireOrder(workspaceId, orderId);
      const payments = await listPaymentsOfOrders(db, [order.orderId]);
      return { order, payments };
    },
  };
}
