import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database, PaymentKind } from '../db/schema.js';
import type { PaymentContext } from '../routing/index.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import type { PaymentCreated } from './attempts.js';
import type { FailoverExecutor } from './failover.js';
import { listStripeCustomers, type Order } from './orders.repository.js';
import { type PaymentLine, totalOf } from './payment-lines.js';
import type { PaymentRecords } from './payment-records.js';
import { findPayment, insertPaymentIfNew, type Payment } from './payments.repository.js';
import type { StripeObjects } from './stripe-objects.js';
import type { Subscriptions } from './subscriptions.js';

/** What a new payment is, before any account is asked. */
export interface NewPayment {
  paymentId: string;
  kind: PaymentKind;
  stepSlug: string;
  currency: string;
  lines: PaymentLine[];
  /** The payment whose account and saved card this one continues. */
  parent: Payment | null;
}

/** Who pays, and with what: the card form the buyer fills in, or the card a parent payment saved. */
export type Payer =
  | {
      card: 'form' /** Keep the card for the one-click offers or renewals after. */;
      saveCard: boolean;
    }
  | { card: 'saved'; customer: string; paymentMethod: string };

/** A payment to make on the account routing chooses (and fails over from). */
export interface PaymentToMake {
  order: Order;
  /** The payment as stored, or as it is written with its first attempt. */
  payment: Payment;
  funnelSlug: string;
  stepSlug: string;
  lines: PaymentLine[];
  amount: number;
  context: PaymentContext;
  payer: Payer;
  /** The setup revision the request has read: routing and keys are taken as of it. */
  revision?: number | undefined;
  /** The caller has just found no such payment: it has no attempts to read either. */
  notFound?: boolean | undefined;
}

/** A new payment on the routed account, for a card form (an order form, or an offer's). */
export interface PaymentToOpen {
  order: Order;
  paymentId: string;
  /** The payment as the caller has just read it, if it exists. */
  stored: Payment | undefined;
  kind: PaymentKind;
  stepSlug: string;
  lines: PaymentLine[];
  context: PaymentContext;
  saveCard: boolean;
  /** The setup revision the request has read: routing and keys are taken as of it. */
  revision?: number | undefined;
  /** `stored` is missing because the caller has just looked the payment up and found none. */
  notFound?: boolean | undefined;
}

/** New payments: written before Stripe is asked, made on the routed account, placed when made. */
export interface NewPayments {
  /** A payment as it is first written, before Stripe is asked. */
  pending(order: Order, payment: NewPayment): Payment;
  /** Makes the payment through the failover executor, and records where it landed. */
  make(payment: PaymentToMake): Promise<PaymentCreated>;
  /**
   * Makes (or finds again) the PaymentIntent of a new payment for the card form; the card is
   * entered afterwards.
   */
  open(payment: PaymentToOpen): Promise<{ payment: Payment; intent?: PaymentIntentSummary }>;
  /** The payment as it is stored now. */
  again(payment: Payment): Promise<Payment>;
}

export interface NewPaymentsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'createPaymentIntent'>;
  payments: Pick<FailoverExecutor, 'createPaymentWithFailover'>;
  records: Pick<PaymentRecords, 'recordPlacement'>;
  stripeObjects: Pick<StripeObjects, 'customerOn'>;
  subscriptions: Subscriptions;
}

/**
 * The order's part of a payment's routing context (issue 16): its id, and the buyer's email as
 * the customer key a split buckets by (the contact form trims and lower-cases it already).
 */
function buyerContextOf(order: Order, context: PaymentContext): PaymentContext {
  return {
    ...context,
    order: order.orderId,
    customer: { key: order.email, accounts: context.customer?.accounts ?? [] },
  };
}

export function createNewPayments(deps: NewPaymentsDependencies): NewPayments {
  const { db, clock, gateway, records, stripeObjects, subscriptions } = deps;

  function pending(order: Order, input: NewPayment): Payment {
    const now = clock().toISOString();
    return {
      paymentId: input.paymentId,
      workspaceId: order.workspaceId,
      orderId: order.orderId,
      kind: input.kind,
      stepSlug: input.stepSlug,
      parentPaymentId: input.parent?.paymentId ?? null,
      accountId: null,
      accountHandle: null,
      mode: order.mode,
      amount: totalOf(input.lines),
      currency: input.currency,
      lines: input.lines,
      status: 'pending',
      paymentIntentId: null,
      stripeCustomerId: input.parent?.stripeCustomerId ?? null,
      paymentMethodId: input.parent?.paymentMethodId ?? null,
      subscriptionId: null,
      refundedAmount: 0,
      failureMessage: null,
      decision: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Stores where a payment landed and its PaymentIntent's state, in one write; the executor calls
   * it in the transaction that marks the attempt succeeded. `stored` is told the payment as it is
   * stored then (null: read it again).
   */
  function recordPlacement(payment: Payment, stored: (placed: Payment | null) => void) {
    return async (executor: Kysely<Database>, created: PaymentCreated): Promise<void> => {
      const placement = {
        accountId: created.accountId,
        accountHandle: created.account,
        decision: created.decision,
        updatedAt: clock().toISOString(),
      };
      stored(await records.recordPlacement(payment, placement, created.paymentIntent, executor));
    };
  }

  async function again(payment: Payment): Promise<Payment> {
    return (await findPayment(db, payment.workspaceId, payment.paymentId)) ?? payment;
  }

  async function make(input: PaymentToMake): Promise<PaymentCreated> {
    return (await makeAndPlace(input)).created;
  }

  /** Makes the payment; answers it as stored once placed, when that is known without a read. */
  async function makeAndPlace(
    input: PaymentToMake,
  ): Promise<{ created: PaymentCreated; placed: Payment | null }> {
    const { order, payment, lines, amount, payer } = input;
    let placed: Payment | null = null;
    const paymentId = payment.paymentId;
    const currency = input.context.currency;
    const recurring = lines.find((line) => line.recurring !== null);
    // Read once: routing prefers the buyer's accounts, and the chosen one's customer is reused.
    const stripeCustomers = new Map(
      (await listStripeCustomers(db, order.customerId, order.mode)).map((known) => [
        known.accountId,
        known.stripeCustomerId,
      ]),
    );
    const created = await deps.payments.createPaymentWithFailover({
      workspaceId: order.workspaceId,
      paymentId,
      context: { ...buyerContextOf(order, input.context), amount },
      customerAccountIds: [...stripeCustomers.keys()],
      revision: input.revision,
      noAttemptsYet: input.notFound,
      // Charging a saved card is in the request: an unclear answer may have charged it.
      confirms: payer.card === 'saved',
      // A new payment is written with its first attempt, in one commit, before Stripe is asked,
      // with what the router was asked, so a replay can ask it again.
      recordAttempt: (executor, routingContext) =>
        insertPaymentIfNew(executor, { ...payment, routingContext }),
      recordCreated: recordPlacement(payment, (stored) => {
        placed = stored;
      }),
      createOn: async (target) => {
        const customer =
          payer.card === 'saved'
            ? payer.customer
            : await stripeObjects.customerOn(target, order, stripeCustomers);
        const metadata = {
          ...target.metadata,
          switchyard_order: order.orderId,
          switchyard_funnel: input.funnelSlug,
          switchyard_step: input.stepSlug,
        };
        if (recurring) {
          return subscriptions.subscribeOn(target, {
            order,
            paymentId,
            customer,
            line: recurring,
            metadata,
            ...(payer.card === 'saved' ? { defaultPaymentMethod: payer.paymentMethod } : {}),
          });
        }
        return gateway.createPaymentIntent({
          credentials: target.credentials,
          idempotencyKey: target.idempotencyKey,
          amount,
          currency,
          customer,
          ...(payer.card === 'saved'
            ? { paymentMethod: payer.paymentMethod, confirm: true, offSession: true }
            : payer.saveCard
              ? { setupFutureUsage: 'off_session' as const }
              : {}),
          metadata,
          receiptEmail: order.email,
          description: lines.map((line) => line.name).join(' + '),
        });
      },
    });
    return { created, placed };
  }

  return {
    pending,

    make,

    async open(input) {
      const { order, paymentId, stored } = input;
      const currency = input.context.currency;
      if (stored?.paymentIntentId) return { payment: stored };
      const payment =
        stored ??
        pending(order, {
          paymentId,
          kind: input.kind,
          stepSlug: input.stepSlug,
          currency,
          lines: input.lines,
          parent: null,
        });
      const { created, placed } = await makeAndPlace({
        order,
        payment,
        funnelSlug: order.funnelSlug,
        stepSlug: input.stepSlug,
        lines: payment.lines,
        amount: payment.amount,
        context: input.context,
        payer: { card: 'form', saveCard: input.saveCard },
        revision: input.revision,
        notFound: stored === undefined && input.notFound,
      });
      return { payment: placed ?? (await again(payment)), intent: created.paymentIntent };
    },

    again,
  };
}
