import { z } from 'zod';
import type {
  ChargeSummary,
  InvoiceSummary,
  PaymentIntentSummary,
  RefundSummary,
} from './gateway.js';

/**
 * The parts of Stripe's objects Switchyard reads, and how each becomes the gateway's summary. The
 * SDK's answers fit these shapes as they are; an event's object (plain JSON) is parsed with them
 * first. So an object reads the same whether a call answered it or an event carried it.
 */

/** An id, or the object expanded in its place. */
const reference = z.union([z.string(), z.object({ id: z.string() })]).nullish();

function idOf(value: z.infer<typeof reference>): string | null {
  return value == null ? null : typeof value === 'string' ? value : value.id;
}

const metadata = z.record(z.string(), z.string()).nullish();

export const paymentIntentObject = z.object({
  id: z.string(),
  status: z.string(),
  amount: z.number(),
  currency: z.string(),
  client_secret: z.string().nullish(),
  customer: reference,
  payment_method: reference,
  latest_charge: reference,
  livemode: z.boolean(),
  metadata,
  last_payment_error: z
    .object({
      code: z.string().nullish(),
      decline_code: z.string().nullish(),
      message: z.string().nullish(),
      charge: z.string().nullish(),
      payment_method: reference,
    })
    .nullish(),
});

export function paymentIntentSummary(
  intent: z.infer<typeof paymentIntentObject>,
): PaymentIntentSummary {
  const error = intent.last_payment_error;
  return {
    id: intent.id,
    status: intent.status,
    amount: intent.amount,
    currency: intent.currency,
    clientSecret: intent.client_secret ?? null,
    customer: idOf(intent.customer),
    paymentMethod: idOf(intent.payment_method),
    latestCharge: idOf(intent.latest_charge),
    livemode: intent.livemode,
    metadata: intent.metadata ?? {},
    lastPaymentError: error
      ? {
          code: error.code ?? null,
          declineCode: error.decline_code ?? null,
          message: error.message ?? null,
          charge: error.charge ?? null,
          paymentMethod: idOf(error.payment_method),
        }
      : null,
  };
}

export const refundObject = z.object({
  id: z.string(),
  status: z.string().nullish(),
  amount: z.number(),
  currency: z.string(),
  payment_intent: reference,
  metadata,
});

export function refundSummary(refund: z.infer<typeof refundObject>): RefundSummary {
  return {
    id: refund.id,
    status: refund.status ?? 'pending',
    amount: refund.amount,
    currency: refund.currency,
    paymentIntent: idOf(refund.payment_intent),
    metadata: { ...(refund.metadata ?? {}) },
  };
}

export const chargeObject = z.object({
  id: z.string(),
  payment_intent: reference,
  amount_refunded: z.number(),
  failure_code: z.string().nullish(),
  failure_message: z.string().nullish(),
  outcome: z.object({ reason: z.string().nullish() }).nullish(),
});

export function chargeSummary(charge: z.infer<typeof chargeObject>): ChargeSummary {
  return {
    id: charge.id,
    paymentIntent: idOf(charge.payment_intent),
    amountRefunded: charge.amount_refunded,
    failureCode: charge.failure_code ?? null,
    declineCode: charge.outcome?.reason ?? null,
    failureMessage: charge.failure_message ?? null,
  };
}

/** Where an invoice names the PaymentIntent that pays it (any of them may be absent). */
const invoicePayment = {
  payments: z
    .object({
      data: z.array(z.object({ payment: z.object({ payment_intent: reference }).nullish() })),
    })
    .nullish(),
  /** API versions before 2025-03-31 (basil). */
  payment_intent: reference,
  confirmation_secret: z.object({ client_secret: z.string() }).nullish(),
};

export const invoiceObject = z.object({
  id: z.string(),
  currency: z.string(),
  amount_due: z.number(),
  billing_reason: z.string().nullish(),
  parent: z
    .object({ subscription_details: z.object({ subscription: reference }).nullish() })
    .nullish(),
  /** API versions before 2025-03-31 (basil). */
  subscription: reference,
  ...invoicePayment,
});

/** The PaymentIntent that pays an invoice: from its payments, or from its confirmation secret. */
export function invoicePaymentIntentId(
  invoice: z.infer<z.ZodObject<typeof invoicePayment>>,
): string | null {
  for (const entry of invoice.payments?.data ?? []) {
    const intent = idOf(entry.payment?.payment_intent);
    if (intent) return intent;
  }
  const legacy = idOf(invoice.payment_intent);
  if (legacy) return legacy;
  const secret = invoice.confirmation_secret?.client_secret;
  return secret ? (secret.split('_secret_')[0] ?? null) : null;
}

export function invoiceSummary(invoice: z.infer<typeof invoiceObject>): InvoiceSummary {
  return {
    id: invoice.id,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    billingReason: invoice.billing_reason ?? null,
    subscription:
      idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(invoice.subscription),
    paymentIntent: invoicePaymentIntentId(invoice),
  };
}

export const subscriptionObject = z.object({ id: z.string(), status: z.string() });
