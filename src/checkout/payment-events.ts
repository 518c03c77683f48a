import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AccountsService } from '../accounts/accounts.service.js';
import { formatMoney } from '../catalog/money.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import type { PaymentEventAction } from '../stripe/event-actions.js';
import type {
  ChargeSummary,
  InvoiceSummary,
  PaymentIntentSummary,
  RefundSummary,
  StripeGateway,
} from '../stripe/gateway.js';
import type { StoredEventContext } from '../webhooks/webhooks.service.js';
import { type Attempt, finishAttempt, listAttempts } from './payment-attempts.repository.js';
import type { PaymentRecords } from './payment-records.js';
import {
  findPayment,
  findPaymentByIntent,
  findSubscription,
  insertPaymentIfNew,
  type Payment,
  type StoredRoutingContext,
  updatePayment,
  updateSubscriptionStatus,
} from './payments.repository.js';
import { findRefund } from './refunds.repository.js';

/**
 * What Stripe tells us after the fact: webhook events and reconciliation. Both only move
 * payments forward, so a duplicate, a late event or a second reconciliation changes nothing.
 */

export interface PaymentEventsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  accounts: Pick<AccountsService, 'secretKeyOf'>;
  records: PaymentRecords;
  logger: Pick<Logger, 'warn'>;
}

/** What adopting a PaymentIntent did: wrote it down, or refused it as not the payment's. */
export type Adoption = { adopted: true } | { adopted: false; reason: string };

export interface PaymentEvents {
  /** Reacts to one of Stripe's payment events; a repeat or a late one changes nothing. */
  react(action: PaymentEventAction, context: StoredEventContext): Promise<void>;
  /**
   * Writes down a PaymentIntent found on an account for a payment that lost track of it, when it
   * is that payment's (its order, mode, amount, currency and an account it was tried on); one
   * that is not is refused and left for the unrecorded payments search to report.
   */
  adopt(payment: Payment, intent: PaymentIntentSummary, accountId: string): Promise<Adoption>;
}

/**
 * Why a PaymentIntent naming `payment` in its metadata, found on `accountId`, cannot be its own,
 * or null when it can. Our ids are only metadata: one made by hand may name a payment it is not.
 * The payment has no PaymentIntent yet, so no order bump has changed its amount since.
 */
function mismatchOf(
  payment: Payment,
  intent: PaymentIntentSummary,
  accountId: string,
  attempts: readonly Attempt[],
): string | null {
  const orderId = intent.metadata.switchyard_order;
  if (orderId !== undefined && orderId !== payment.orderId) {
    return `It names order ${orderId}, but payment ${payment.paymentId} is of order ${payment.orderId}.`;
  }
  const mode = intent.livemode ? 'live' : 'test';
  if (payment.mode !== mode) {
    return `It is a ${mode} PaymentIntent, but payment ${payment.paymentId} is a ${payment.mode} one.`;
  }
  if (payment.amount !== intent.amount || payment.currency !== intent.currency) {
    return `It is for ${formatMoney(intent.amount, intent.currency)}, but payment ${payment.paymentId} is for ${formatMoney(payment.amount, payment.currency)}.`;
  }
  const named = attempts.find(
    (tried) => String(tried.number) === intent.metadata.switchyard_attempt,
  );
  if (named && named.accountId !== accountId) {
    return `It names attempt ${named.number} of payment ${payment.paymentId}, which went to ${named.account}, not to the account it is on.`;
  }
  if (!attempts.some((tried) => tried.accountId === accountId)) {
    const tried = [...new Set(attempts.map((one) => one.account))].join(', ') || 'no account';
    return `It is on an account payment ${payment.paymentId} was never tried on (it was tried on ${tried}).`;
  }
  return null;
}

export function createPaymentEvents(deps: PaymentEventsDependencies): PaymentEvents {
  const { db, clock, gateway, records, logger } = deps;

  /** The payment an event's PaymentIntent belongs to: by its id, or by our id in its metadata. */
  async function paymentFor(
    intent: PaymentIntentSummary,
    context: StoredEventContext,
  ): Promise<Payment | undefined> {
    const known = await findPaymentByIntent(db, intent.id);
    if (known) return known;
    const paymentId = intent.metadata.switchyard_payment;
    if (!paymentId) return undefined;
    const payment = await findPayment(db, context.workspaceId, paymentId);
    if (!payment) return undefined;
    // Another PaymentIntent of the same payment (an earlier try's, or one made for a corrected
    // email) is not the one the buyer pays: its events must not move the payment.
    if (payment.paymentIntentId) return undefined;
    // Stripe made it but we never wrote it down (a crash after the call): heal it now.
    const adoption = await adopt(payment, intent, context.accountId);
    if (!adoption.adopted) return undefined;
    return findPayment(db, context.workspaceId, paymentId);
  }

  async function adopt(
    payment: Payment,
    intent: PaymentIntentSummary,
    accountId: string,
  ): Promise<Adoption> {
    const attempts = await listAttempts(db, payment.workspaceId, payment.paymentId);
    const reason = mismatchOf(payment, intent, accountId, attempts);
    if (reason) {
      logger.warn(
        { payment: payment.paymentId, paymentIntent: intent.id, reason },
        'a PaymentIntent naming a payment is not its own: not adopted',
      );
      return { adopted: false, reason };
    }
    const attempt =
      attempts.find((tried) => String(tried.number) === intent.metadata.switchyard_attempt) ??
      attempts.find((tried) => tried.accountId === accountId && tried.status !== 'created');
    // The attempt, the payment's placement and its state commit together.
    await db.transaction().execute(async (trx) => {
      if (attempt && attempt.status !== 'created') {
        await finishAttempt(trx, attempt.id, {
          status: 'created',
          paymentIntentId: intent.id,
          message: 'Recovered by reconciliation: Stripe had made the PaymentIntent.',
          finishedAt: clock().toISOString(),
        });
      }
      await updatePayment(trx, payment.paymentId, {
        accountId: attempt?.accountId ?? accountId,
        accountHandle: attempt?.account ?? null,
        decision: attempt?.decision ?? payment.decision,
        paymentIntentId: intent.id,
        updatedAt: clock().toISOString(),
      });
      const fresh = await findPayment(trx, payment.workspaceId, payment.paymentId);
      if (fresh) await records.recordIntent(fresh, intent, trx);
    });
    return { adopted: true };
  }

  async function onPaymentIntent(intent: PaymentIntentSummary, context: StoredEventContext) {
    const payment = await paymentFor(intent, context);
    if (!payment) return;
    await records.recordIntent(payment, intent);
  }

  async function onChargeRefunded(charge: ChargeSummary) {
    if (!charge.paymentIntent) return;
    const payment = await findPaymentByIntent(db, charge.paymentIntent);
    if (!payment) return;
    await records.recordRefunded(payment, charge.amountRefunded);
  }

  /** Settles our refund Stripe made, found by our id in its metadata (its answer may have been lost). */
  async function onRefund(made: RefundSummary) {
    const ours = made.metadata.switchyard_refund;
    if (!ours) return;
    const refund = await findRefund(db, ours);
    if (!refund) return;
    // Ours already settled by another of Stripe's refunds: this one is not ours to count.
    if (refund.stripeRefundId !== null && refund.stripeRefundId !== made.id) return;
    const payment = await findPayment(db, refund.workspaceId, refund.paymentId);
    if (!payment || payment.paymentIntentId !== made.paymentIntent) return;
    await records.recordRefund(payment, refund, made);
  }

  /** A declined charge, kept in the payment's history (its PaymentIntent event says the same). */
  async function onChargeFailed(charge: ChargeSummary) {
    const intentId = charge.paymentIntent;
    if (!intentId) return;
    const payment = await findPaymentByIntent(db, intentId);
    if (!payment) return;
    await records.recordFailedCharge(payment, {
      id: charge.id,
      paymentIntentId: intentId,
      failureCode: charge.failureCode,
      declineCode: charge.declineCode,
      failureMessage: charge.failureMessage,
    });
  }

  /** A paid or failed invoice of a subscription period after the first is a renewal payment. */
  async function onInvoice(invoice: InvoiceSummary, paid: boolean, context: StoredEventContext) {
    const { subscription: subscriptionId, paymentIntent: intentId } = invoice;
    if (!subscriptionId || !intentId) return;
    const subscription = await findSubscription(db, subscriptionId);
    if (!subscription || invoice.billingReason === 'subscription_create') return;
    const parent = await findPayment(db, subscription.workspaceId, subscription.paymentId);
    if (!parent) return;
    const paymentId = `${parent.paymentId}.renewal.${invoice.id}`;
    const live = await deps.routing.liveRouting(subscription.workspaceId, context.mode);
    // Stored with the renewal (without health), so a replay can ask the router again.
    const routingContext: StoredRoutingContext = {
      mode: context.mode,
      kind: 'renewal',
      currency: invoice.currency,
      amount: invoice.amountDue,
      products: [],
      tags: [],
      order: subscription.orderId,
      parent: { account: parent.accountHandle ?? '' },
    };
    const decision = live.routing.route({ ...routingContext, health: {} });
    const now = clock().toISOString();
    await insertPaymentIfNew(db, {
      paymentId,
      workspaceId: subscription.workspaceId,
      orderId: subscription.orderId,
      kind: 'renewal',
      stepSlug: parent.stepSlug,
      parentPaymentId: parent.paymentId,
      accountId: subscription.accountId,
      accountHandle: parent.accountHandle,
      mode: parent.mode,
      amount: invoice.amountDue,
      currency: invoice.currency,
      lines: parent.lines,
      status: 'pending',
      paymentIntentId: intentId,
      stripeCustomerId: parent.stripeCustomerId,
      paymentMethodId: null,
      subscriptionId,
      refundedAmount: 0,
      failureMessage: null,
      decision,
      routingContext,
      createdAt: now,
      updatedAt: now,
    });
    const payment = await findPayment(db, subscription.workspaceId, paymentId);
    if (!payment) return;
    // The invoice is the news; the PaymentIntent says how the card went.
    const secretKey = await deps.accounts.secretKeyOf(subscription.accountId, parent.mode);
    if (secretKey) {
      const intent = await gateway.retrievePaymentIntent({
        credentials: { secretKey },
        id: intentId,
      });
      await records.recordIntent(payment, intent);
    } else if (paid) {
      // No key to ask with: the paid invoice is word enough.
      await records.recordIntent(payment, {
        id: intentId,
        status: 'succeeded',
        amount: payment.amount,
        currency: invoice.currency,
        clientSecret: null,
        customer: null,
        paymentMethod: null,
        latestCharge: null,
        livemode: payment.mode === 'live',
        metadata: {},
        lastPaymentError: null,
      });
    }
  }

  async function react(action: PaymentEventAction, context: StoredEventContext): Promise<void> {
    switch (action.kind) {
      case 'payment_succeeded':
      case 'payment_processing':
      case 'payment_requires_action':
      case 'payment_failed':
      case 'payment_canceled':
      case 'payment_capturable':
        return onPaymentIntent(action.intent, context);
      case 'charge_failed':
        return onChargeFailed(action.charge);
      case 'charge_refunded':
        return onChargeRefunded(action.charge);
      case 'refund_created':
      case 'refund_updated':
        return onRefund(action.refund);
      case 'invoice_paid':
      case 'invoice_payment_failed':
        return onInvoice(action.invoice, action.kind === 'invoice_paid', context);
      case 'subscription_changed':
        await updateSubscriptionStatus(
          db,
          action.subscription.id,
          action.subscription.status,
          clock().toISOString(),
        );
        return;
      default: {
        const unknown: never = action;
        throw new Error(`No reaction to the Stripe event action ${JSON.stringify(unknown)}.`);
      }
    }
  }

  return { react, adopt };
}
