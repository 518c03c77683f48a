import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { Clock } from '../clock.js';
import type { Database, PaymentTable } from '../db/schema.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import type {
  PaymentIntentSummary,
  StripeGateway,
  VerifiedWebhookEvent,
} from '../stripe/gateway.js';
import type { StoredEventContext } from '../webhooks/webhooks.service.js';
import { recordFailedCharge } from './charge-attempts.js';
import {
  findPayment,
  findPaymentByIntent,
  findRefund,
  findSubscription,
  insertPaymentIfNew,
  updatePayment,
  updateSubscriptionStatus,
} from './orders.repository.js';
import { finishAttempt, listAttempts } from './payment-attempts.repository.js';
import type { PaymentRecords } from './payment-records.js';

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
}

type JsonObject = Record<string, unknown>;

function text(object: JsonObject, key: string): string | null {
  const value = object[key];
  return typeof value === 'string' ? value : null;
}

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'id' in value) {
    return typeof value.id === 'string' ? value.id : null;
  }
  return null;
}

/** The PaymentIntent of an event's object, in the gateway's terms. */
function intentOf(object: JsonObject): PaymentIntentSummary {
  const error = object.last_payment_error as JsonObject | null | undefined;
  return {
    id: text(object, 'id') ?? '',
    status: text(object, 'status') ?? 'processing',
    amount: Number(object.amount ?? 0),
    currency: text(object, 'currency') ?? '',
    clientSecret: null,
    customer: idOf(object.customer),
    paymentMethod: idOf(object.payment_method),
    latestCharge: idOf(object.latest_charge),
    livemode: Boolean(object.livemode),
    metadata: (object.metadata as Record<string, string> | undefined) ?? {},
    lastPaymentError: error
      ? {
          code: text(error, 'code'),
          declineCode: text(error, 'decline_code'),
          message: text(error, 'message'),
          charge: idOf(error.charge),
          paymentMethod: idOf(error.payment_method),
        }
      : null,
  };
}

function invoicePaymentIntent(invoice: JsonObject): string | null {
  const payments = (invoice.payments as { data?: JsonObject[] } | undefined)?.data ?? [];
  for (const entry of payments) {
    const payment = entry.payment as JsonObject | undefined;
    const intent = payment ? idOf(payment.payment_intent) : null;
    if (intent) return intent;
  }
  return idOf(invoice.payment_intent);
}

function invoiceSubscription(invoice: JsonObject): string | null {
  const parent = invoice.parent as JsonObject | null | undefined;
  const details = parent?.subscription_details as JsonObject | undefined;
  return (details ? idOf(details.subscription) : null) ?? idOf(invoice.subscription);
}

export function createPaymentEvents(deps: PaymentEventsDependencies) {
  const { db, clock, gateway, records } = deps;

  /** The payment an event's PaymentIntent belongs to: by its id, or by our id in its metadata. */
  async function paymentFor(
    intent: PaymentIntentSummary,
    context: StoredEventContext,
  ): Promise<PaymentTable | undefined> {
    const known = await findPaymentByIntent(db, intent.id);
    if (known) return known;
    const paymentId = intent.metadata.switchyard_payment;
    if (!paymentId) return undefined;
    const payment = await findPayment(db, context.workspaceId, paymentId);
    if (!payment) return undefined;
    // Another PaymentIntent of the same payment (an earlier try's, or one made for a corrected
    // email) is not the one the buyer pays: its events must not move the payment.
    if (payment.payment_intent_id) return undefined;
    // Stripe made it but we never wrote it down (a crash after the call): heal it now.
    await adopt(payment, intent, context.accountId);
    return findPayment(db, context.workspaceId, paymentId);
  }

  /** Writes down a PaymentIntent found on an account for a payment that lost track of it. */
  async function adopt(payment: PaymentTable, intent: PaymentIntentSummary, accountId: string) {
    const attempts = await listAttempts(db, payment.workspace_id, payment.payment_id);
    const attempt =
      attempts.find((row) => String(row.attempt_number) === intent.metadata.switchyard_attempt) ??
      attempts.find((row) => row.account_id === accountId && row.status !== 'created');
    // The attempt, the payment's placement and its state commit together.
    await db.transaction().execute(async (trx) => {
      if (attempt && attempt.status !== 'created') {
        await finishAttempt(trx, attempt.attempt_id, {
          status: 'created',
          payment_intent_id: intent.id,
          message: 'Recovered by reconciliation: Stripe had made the PaymentIntent.',
          finished_at: clock().toISOString(),
        });
      }
      await updatePayment(trx, payment.payment_id, {
        account_id: attempt?.account_id ?? accountId,
        account_handle: attempt?.account_handle ?? null,
        decision: attempt?.decision ?? payment.decision,
        payment_intent_id: intent.id,
        updated_at: clock().toISOString(),
      });
      const fresh = await findPayment(trx, payment.workspace_id, payment.payment_id);
      if (fresh) await records.recordIntent(fresh, intent, trx);
    });
  }

  async function onPaymentIntent(event: VerifiedWebhookEvent, context: StoredEventContext) {
    const intent = intentOf(event.object);
    const payment = await paymentFor(intent, context);
    if (!payment) return;
    await records.recordIntent(payment, intent);
  }

  async function onChargeRefunded(event: VerifiedWebhookEvent) {
    const intentId = idOf(event.object.payment_intent);
    if (!intentId) return;
    const payment = await findPaymentByIntent(db, intentId);
    if (!payment) return;
    await records.recordRefunded(payment, Number(event.object.amount_refunded ?? 0));
  }

  /** Settles our refund Stripe made, found by our id in its metadata (its answer may have been lost). */
  async function onRefund(event: VerifiedWebhookEvent) {
    const made = event.object;
    const id = text(made, 'id');
    const ours = (made.metadata as Record<string, unknown> | undefined)?.switchyard_refund;
    if (!id || typeof ours !== 'string') return;
    const refund = await findRefund(db, ours);
    if (!refund || (refund.stripe_refund_id !== null && refund.stripe_refund_id !== id)) return;
    const payment = await findPayment(db, refund.workspace_id, refund.payment_id);
    if (!payment || payment.payment_intent_id !== idOf(made.payment_intent)) return;
    await records.recordRefund(payment, refund, { id, status: text(made, 'status') ?? 'pending' });
  }

  /** A declined charge, kept in the payment's history (its PaymentIntent event says the same). */
  async function onChargeFailed(event: VerifiedWebhookEvent) {
    const charge = event.object;
    const intentId = idOf(charge.payment_intent);
    const chargeId = text(charge, 'id');
    if (!intentId || !chargeId) return;
    const payment = await findPaymentByIntent(db, intentId);
    if (!payment) return;
    const outcome = charge.outcome as JsonObject | null | undefined;
    await recordFailedCharge(
      db,
      payment,
      {
        id: chargeId,
        paymentIntentId: intentId,
        failureCode: text(charge, 'failure_code'),
        declineCode: outcome ? text(outcome, 'reason') : null,
        failureMessage: text(charge, 'failure_message'),
      },
      clock().toISOString(),
    );
  }

  /** A paid or failed invoice of a subscription period after the first is a renewal payment. */
  async function onInvoice(event: VerifiedWebhookEvent, context: StoredEventContext) {
    const invoice = event.object;
    const subscriptionId = invoiceSubscription(invoice);
    const intentId = invoicePaymentIntent(invoice);
    if (!subscriptionId || !intentId) return;
    const subscription = await findSubscription(db, subscriptionId);
    if (!subscription || text(invoice, 'billing_reason') === 'subscription_create') return;
    const parent = await findPayment(db, subscription.workspace_id, subscription.payment_id);
    if (!parent) return;
    const paymentId = `${parent.payment_id}.renewal.${text(invoice, 'id')}`;
    const live = await deps.routing.liveRouting(subscription.workspace_id, context.mode);
    const decision = live.routing.route({
      mode: context.mode,
      kind: 'renewal',
      currency: text(invoice, 'currency') ?? parent.currency,
      products: [],
      tags: [],
      parent: { account: parent.account_handle ?? '' },
      health: {},
    });
    const now = clock().toISOString();
    await insertPaymentIfNew(db, {
      payment_id: paymentId,
      workspace_id: subscription.workspace_id,
      order_id: subscription.order_id,
      kind: 'renewal',
      step_slug: parent.step_slug,
      parent_payment_id: parent.payment_id,
      account_id: subscription.account_id,
      account_handle: parent.account_handle,
      mode: parent.mode,
      amount: Number(invoice.amount_due ?? 0),
      currency: text(invoice, 'currency') ?? parent.currency,
      lines: parent.lines,
      status: 'pending',
      payment_intent_id: intentId,
      stripe_customer_id: parent.stripe_customer_id,
      payment_method_id: null,
      subscription_id: subscriptionId,
      refunded_amount: 0,
      failure_message: null,
      decision: JSON.stringify(decision),
      created_at: now,
      updated_at: now,
    });
    const payment = await findPayment(db, subscription.workspace_id, paymentId);
    if (!payment) return;
    const paid = event.type === 'invoice.paid' || event.type === 'invoice.payment_succeeded';
    // The invoice is the news; the PaymentIntent says how the card went.
    const secretKey = await deps.accounts.secretKeyOf(subscription.account_id, parent.mode);
    if (secretKey) {
      const intent = await gateway.retrievePaymentIntent({
        credentials: { secretKey },
        id: intentId,
      });
      await records.recordIntent(payment, intent);
    } else if (paid) {
      await records.recordIntent(payment, {
        ...intentOf({ id: intentId }),
        status: 'succeeded',
        amount: Number(payment.amount),
      });
    }
  }

  async function onSubscription(event: VerifiedWebhookEvent) {
    const id = text(event.object, 'id');
    if (!id) return;
    const status =
      event.type === 'customer.subscription.deleted'
        ? 'canceled'
        : (text(event.object, 'status') ?? 'active');
    await updateSubscriptionStatus(db, id, status, clock().toISOString());
  }

  return {
    /** Registers the handlers on the webhook dispatcher. */
    register(webhooks: {
      on(
        type: string,
        handler: (event: VerifiedWebhookEvent, context: StoredEventContext) => Promise<void>,
      ): void;
    }) {
      for (const type of [
        'payment_intent.succeeded',
        'payment_intent.processing',
        'payment_intent.requires_action',
        'payment_intent.payment_failed',
        'payment_intent.canceled',
        'payment_intent.amount_capturable_updated',
      ]) {
        webhooks.on(type, onPaymentIntent);
      }
      webhooks.on('charge.refunded', onChargeRefunded);
      for (const type of ['refund.created', 'refund.updated']) webhooks.on(type, onRefund);
      webhooks.on('charge.failed', onChargeFailed);
      for (const type of ['invoice.paid', 'invoice.payment_succeeded', 'invoice.payment_failed']) {
        webhooks.on(type, onInvoice);
      }
      for (const type of [
        'customer.subscription.created',
        'customer.subscription.updated',
        'customer.subscription.deleted',
      ]) {
        webhooks.on(type, onSubscription);
      }
    },

    adopt,
  };
}

export type PaymentEvents = ReturnType<typeof createPaymentEvents>;
