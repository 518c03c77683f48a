import type { z } from 'zod';
import { fieldPath } from '../errors.js';
import type {
  ChargeSummary,
  InvoiceSummary,
  PaymentIntentSummary,
  RefundSummary,
  VerifiedWebhookEvent,
} from './gateway.js';
import {
  chargeObject,
  chargeSummary,
  invoiceObject,
  invoiceSummary,
  paymentIntentObject,
  paymentIntentSummary,
  refundObject,
  refundSummary,
  subscriptionObject,
} from './objects.js';

/**
 * Stripe's events as the closed set of things Switchyard acts on. Each event is decoded here,
 * once, whether a webhook delivered it or the events list; the app reacts to actions and reads
 * no Stripe object of its own.
 */

/** A PaymentIntent moved; its status, not the event's name, says where to (events come late). */
export interface PaymentIntentChanged {
  kind:
    | 'payment_succeeded'
    | 'payment_processing'
    | 'payment_requires_action'
    | 'payment_failed'
    | 'payment_canceled'
    | 'payment_capturable';
  intent: PaymentIntentSummary;
}

export type PaymentEventAction =
  | PaymentIntentChanged
  /** A card was declined or failed (its PaymentIntent's event says the same, without the codes). */
  | { kind: 'charge_failed'; charge: ChargeSummary }
  /** A charge's refunded total grew (refunds made anywhere, the Dashboard too). */
  | { kind: 'charge_refunded'; charge: ChargeSummary }
  | { kind: 'refund_created' | 'refund_updated'; refund: RefundSummary }
  | { kind: 'invoice_paid' | 'invoice_payment_failed'; invoice: InvoiceSummary }
  /** A subscription's status changed; a deleted one is `canceled`. */
  | { kind: 'subscription_changed'; subscription: { id: string; status: string } };

export type AccountEventAction =
  /** Something of the account changed at Stripe (charges enabled, requirements): read it again. */
  | { kind: 'account_updated' }
  /** The account revoked Switchyard's access. */
  | { kind: 'account_deauthorized' };

export type StripeEventAction = PaymentEventAction | AccountEventAction;

/** An event Switchyard does not act on: a type it does not know, or an object it cannot read. */
export interface IgnoredStripeEvent {
  kind: 'ignored';
  reason: string;
}

export type DecodedStripeEvent = StripeEventAction | IgnoredStripeEvent;

/** The action an event's object makes, once the object has the shape its type promises. */
function reading<T>(
  what: string,
  shape: z.ZodType<T>,
  act: (object: T) => StripeEventAction,
): (event: VerifiedWebhookEvent) => DecodedStripeEvent {
  return function readObject(event) {
    const parsed = shape.safeParse(event.object);
    if (parsed.success) return act(parsed.data);
    const issue = parsed.error.issues[0];
    const where = issue ? `${fieldPath(issue.path)}: ${issue.message}` : 'not an object';
    return {
      kind: 'ignored',
      reason: `The ${event.type} event's object is not a well-formed ${what} (${where}).`,
    };
  };
}

function paymentIntent(kind: PaymentIntentChanged['kind']) {
  return reading('PaymentIntent', paymentIntentObject, (intent) => ({
    kind,
    intent: paymentIntentSummary(intent),
  }));
}

function refund(kind: 'refund_created' | 'refund_updated') {
  return reading('Refund', refundObject, (made) => ({ kind, refund: refundSummary(made) }));
}

function invoice(kind: 'invoice_paid' | 'invoice_payment_failed') {
  return reading('Invoice', invoiceObject, (read) => ({ kind, invoice: invoiceSummary(read) }));
}

function subscription(deleted: boolean) {
  return reading('Subscription', subscriptionObject, ({ id, status }) => ({
    kind: 'subscription_changed',
    subscription: { id, status: deleted ? 'canceled' : status },
  }));
}

const decoders: Readonly<Record<string, (event: VerifiedWebhookEvent) => DecodedStripeEvent>> = {
  'payment_intent.succeeded': paymentIntent('payment_succeeded'),
  'payment_intent.processing': paymentIntent('payment_processing'),
  'payment_intent.requires_action': paymentIntent('payment_requires_action'),
  'payment_intent.payment_failed': paymentIntent('payment_failed'),
  'payment_intent.canceled': paymentIntent('payment_canceled'),
  'payment_intent.amount_capturable_updated': paymentIntent('payment_capturable'),
  'charge.failed': reading('Charge', chargeObject, (charge) => ({
    kind: 'charge_failed',
    charge: chargeSummary(charge),
  })),
  'charge.refunded': reading('Charge', chargeObject, (charge) => ({
    kind: 'charge_refunded',
    charge: chargeSummary(charge),
  })),
  'refund.created': refund('refund_created'),
  'refund.updated': refund('refund_updated'),
  'invoice.paid': invoice('invoice_paid'),
  // The older name of invoice.paid, still sent to endpoints that asked for it.
  'invoice.payment_succeeded': invoice('invoice_paid'),
  'invoice.payment_failed': invoice('invoice_payment_failed'),
  'customer.subscription.created': subscription(false),
  'customer.subscription.updated': subscription(false),
  'customer.subscription.deleted': subscription(true),
  'account.updated': () => ({ kind: 'account_updated' }),
  'account.application.deauthorized': () => ({ kind: 'account_deauthorized' }),
};

/** The event types Switchyard acts on. */
export const actedOnEventTypes: readonly string[] = Object.keys(decoders);

/** What a verified event asks of Switchyard; `ignored`, with the reason, when nothing. */
export function decodeStripeEvent(event: VerifiedWebhookEvent): DecodedStripeEvent {
  const decode = Object.hasOwn(decoders, event.type) ? decoders[event.type] : undefined;
  if (!decode) {
    return { kind: 'ignored', reason: `Switchyard does not act on ${event.type} events.` };
  }
  return decode(event);
}
