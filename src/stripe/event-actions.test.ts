import { describe, expect, it } from 'vitest';
import { type DecodedStripeEvent, decodeStripeEvent } from './event-actions.js';
import { parseWebhookEvent } from './webhook-event.js';

/** An event as Stripe sends it (a webhook's body, or one entry of the events list). */
function eventJson(type: string, object: Record<string, unknown>) {
  return {
    id: 'evt_1Q2w3E4r5T6y7U8i',
    object: 'event',
    api_version: '2025-09-30.clover',
    type,
    created: 1_760_000_000,
    livemode: false,
    account: 'acct_1US',
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

const intent = {
  id: 'pi_3PaId',
  object: 'payment_intent',
  amount: 4900,
  amount_received: 4900,
  currency: 'usd',
  status: 'succeeded',
  client_secret: 'pi_3PaId_secret_abc',
  customer: 'cus_Ana',
  payment_method: 'pm_1Card',
  latest_charge: 'ch_3Paid',
  livemode: false,
  metadata: { switchyard_payment: 'pay_1', switchyard_order: 'ord_1' },
  last_payment_error: null,
};

const intentSummary = {
  id: 'pi_3PaId',
  status: 'succeeded',
  amount: 4900,
  currency: 'usd',
  clientSecret: 'pi_3PaId_secret_abc',
  customer: 'cus_Ana',
  paymentMethod: 'pm_1Card',
  latestCharge: 'ch_3Paid',
  livemode: false,
  metadata: { switchyard_payment: 'pay_1', switchyard_order: 'ord_1' },
  lastPaymentError: null,
};

const declinedIntent = {
  ...intent,
  status: 'requires_payment_method',
  customer: { id: 'cus_Ana', object: 'customer' },
  payment_method: null,
  latest_charge: { id: 'ch_3Declined', object: 'charge' },
  last_payment_error: {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
    charge: 'ch_3Declined',
    payment_method: { id: 'pm_1Declined', object: 'payment_method' },
  },
};

const charge = {
  id: 'ch_3Declined',
  object: 'charge',
  amount: 4900,
  amount_refunded: 0,
  currency: 'usd',
  payment_intent: 'pi_3PaId',
  failure_code: 'card_declined',
  failure_message: 'Your card was declined.',
  outcome: { type: 'issuer_declined', reason: 'generic_decline', seller_message: 'declined' },
};

const refund = {
  id: 're_3Made',
  object: 'refund',
  amount: 1500,
  currency: 'eur',
  status: 'succeeded',
  payment_intent: 'pi_3PaId',
  metadata: { switchyard_refund: 'rfd_1' },
};

const invoice = {
  id: 'in_1Renewal',
  object: 'invoice',
  currency: 'usd',
  amount_due: 2900,
  billing_reason: 'subscription_cycle',
  parent: {
    type: 'subscription_details',
    subscription_details: { subscription: 'sub_1Monthly', metadata: {} },
  },
  payments: {
    object: 'list',
    data: [{ id: 'inpay_1', payment: { type: 'payment_intent', payment_intent: 'pi_3Renew' } }],
  },
  confirmation_secret: null,
};

const renewal = {
  id: 'in_1Renewal',
  currency: 'usd',
  amountDue: 2900,
  billingReason: 'subscription_cycle',
  subscription: 'sub_1Monthly',
  paymentIntent: 'pi_3Renew',
};

const cases: Array<[string, ReturnType<typeof eventJson>, DecodedStripeEvent]> = [
  [
    'a succeeded PaymentIntent',
    eventJson('payment_intent.succeeded', intent),
    { kind: 'payment_succeeded', intent: intentSummary },
  ],
  [
    'a declined PaymentIntent, its references expanded',
    eventJson('payment_intent.payment_failed', declinedIntent),
    {
      kind: 'payment_failed',
      intent: {
        ...intentSummary,
        status: 'requires_payment_method',
        paymentMethod: null,
        latestCharge: 'ch_3Declined',
        lastPaymentError: {
          code: 'card_declined',
          declineCode: 'generic_decline',
          message: 'Your card was declined.',
          charge: 'ch_3Declined',
          paymentMethod: 'pm_1Declined',
        },
      },
    },
  ],
  [
    'a canceled PaymentIntent without metadata',
    eventJson('payment_intent.canceled', { ...intent, status: 'canceled', metadata: undefined }),
    { kind: 'payment_canceled', intent: { ...intentSummary, status: 'canceled', metadata: {} } },
  ],
  [
    'a processing PaymentIntent',
    eventJson('payment_intent.processing', { ...intent, status: 'processing' }),
    { kind: 'payment_processing', intent: { ...intentSummary, status: 'processing' } },
  ],
  [
    'a PaymentIntent waiting for 3-D Secure',
    eventJson('payment_intent.requires_action', { ...intent, status: 'requires_action' }),
    { kind: 'payment_requires_action', intent: { ...intentSummary, status: 'requires_action' } },
  ],
  [
    'a PaymentIntent to capture',
    eventJson('payment_intent.amount_capturable_updated', {
      ...intent,
      status: 'requires_capture',
    }),
    { kind: 'payment_capturable', intent: { ...intentSummary, status: 'requires_capture' } },
  ],
  [
    'a failed charge with its codes',
    eventJson('charge.failed', charge),
    {
      kind: 'charge_failed',
      charge: {
        id: 'ch_3Declined',
        paymentIntent: 'pi_3PaId',
        amountRefunded: 0,
        failureCode: 'card_declined',
        declineCode: 'generic_decline',
        failureMessage: 'Your card was declined.',
      },
    },
  ],
  [
    'a refunded charge, its PaymentIntent expanded',
    eventJson('charge.refunded', {
      ...charge,
      amount_refunded: 3000,
      payment_intent: { id: 'pi_3PaId', object: 'payment_intent' },
      failure_code: null,
      failure_message: null,
      outcome: null,
    }),
    {
      kind: 'charge_refunded',
      charge: {
        id: 'ch_3Declined',
        paymentIntent: 'pi_3PaId',
        amountRefunded: 3000,
        failureCode: null,
        declineCode: null,
        failureMessage: null,
      },
    },
  ],
  [
    'a refund made',
    eventJson('refund.created', refund),
    {
      kind: 'refund_created',
      refund: {
        id: 're_3Made',
        status: 'succeeded',
        amount: 1500,
        currency: 'eur',
        paymentIntent: 'pi_3PaId',
        metadata: { switchyard_refund: 'rfd_1' },
      },
    },
  ],
  [
    'a refund without a status yet',
    eventJson('refund.updated', { ...refund, status: null, metadata: null }),
    {
      kind: 'refund_updated',
      refund: {
        id: 're_3Made',
        status: 'pending',
        amount: 1500,
        currency: 'eur',
        paymentIntent: 'pi_3PaId',
        metadata: {},
      },
    },
  ],
  [
    "a subscription's paid invoice",
    eventJson('invoice.paid', invoice),
    { kind: 'invoice_paid', invoice: renewal },
  ],
  [
    'a paid invoice under its older name, in the fields of API versions before basil',
    eventJson('invoice.payment_succeeded', {
      id: 'in_1Renewal',
      currency: 'usd',
      amount_due: 2900,
      billing_reason: 'subscription_cycle',
      subscription: 'sub_1Monthly',
      payment_intent: 'pi_3Renew',
    }),
    { kind: 'invoice_paid', invoice: renewal },
  ],
  [
    'a failed invoice known by its confirmation secret',
    eventJson('invoice.payment_failed', {
      ...invoice,
      payments: { object: 'list', data: [] },
      confirmation_secret: { client_secret: 'pi_3Renew_secret_xyz', type: 'payment_intent' },
    }),
    { kind: 'invoice_payment_failed', invoice: renewal },
  ],
  [
    'an invoice of no subscription, paying nothing yet',
    eventJson('invoice.paid', {
      id: 'in_1OneOff',
      currency: 'eur',
      amount_due: 0,
      billing_reason: 'manual',
      parent: null,
    }),
    {
      kind: 'invoice_paid',
      invoice: {
        id: 'in_1OneOff',
        currency: 'eur',
        amountDue: 0,
        billingReason: 'manual',
        subscription: null,
        paymentIntent: null,
      },
    },
  ],
  [
    'a subscription made',
    eventJson('customer.subscription.created', { id: 'sub_1Monthly', status: 'incomplete' }),
    { kind: 'subscription_changed', subscription: { id: 'sub_1Monthly', status: 'incomplete' } },
  ],
  [
    'a subscription past due',
    eventJson('customer.subscription.updated', { id: 'sub_1Monthly', status: 'past_due' }),
    { kind: 'subscription_changed', subscription: { id: 'sub_1Monthly', status: 'past_due' } },
  ],
  [
    'a subscription deleted is canceled, whatever status it still shows',
    eventJson('customer.subscription.deleted', { id: 'sub_1Monthly', status: 'active' }),
    { kind: 'subscription_changed', subscription: { id: 'sub_1Monthly', status: 'canceled' } },
  ],
  [
    'an account changed',
    eventJson('account.updated', { id: 'acct_1US', object: 'account', charges_enabled: false }),
    { kind: 'account_updated' },
  ],
  [
    'an account that revoked access',
    eventJson('account.application.deauthorized', { id: 'ca_1App', object: 'application' }),
    { kind: 'account_deauthorized' },
  ],
  [
    'a type Switchyard does not act on',
    eventJson('customer.created', { id: 'cus_Ana', object: 'customer' }),
    { kind: 'ignored', reason: 'Switchyard does not act on customer.created events.' },
  ],
  [
    'a type named like an inherited property',
    eventJson('constructor.name', {}),
    { kind: 'ignored', reason: 'Switchyard does not act on constructor.name events.' },
  ],
  [
    'a PaymentIntent without its amount',
    eventJson('payment_intent.succeeded', { ...intent, amount: undefined }),
    {
      kind: 'ignored',
      reason: expect.stringMatching(
        /^The payment_intent\.succeeded event's object is not a well-formed PaymentIntent \(amount: /,
      ),
    },
  ],
  [
    'a PaymentIntent whose error names its card by a number',
    eventJson('payment_intent.payment_failed', {
      ...declinedIntent,
      last_payment_error: { ...declinedIntent.last_payment_error, payment_method: 42 },
    }),
    {
      kind: 'ignored',
      reason: expect.stringContaining('PaymentIntent (last_payment_error.payment_method: '),
    },
  ],
  [
    'a charge without an id',
    eventJson('charge.failed', { ...charge, id: null }),
    { kind: 'ignored', reason: expect.stringContaining('not a well-formed Charge (id: ') },
  ],
  [
    'a refund whose metadata holds a number',
    eventJson('refund.created', { ...refund, metadata: { switchyard_refund: 7 } }),
    {
      kind: 'ignored',
      reason: expect.stringContaining('Refund (metadata.switchyard_refund: '),
    },
  ],
  [
    "an invoice's payments that are not a list",
    eventJson('invoice.paid', { ...invoice, payments: { data: 'pi_3Renew' } }),
    { kind: 'ignored', reason: expect.stringContaining('Invoice (payments.data: ') },
  ],
  [
    'a subscription without a status',
    eventJson('customer.subscription.updated', { id: 'sub_1Monthly' }),
    { kind: 'ignored', reason: expect.stringContaining('Subscription (status: ') },
  ],
];

describe('decodeStripeEvent', () => {
  it.each(cases)('decodes %s', (_name, json, action) => {
    expect(decodeStripeEvent(parseWebhookEvent(json))).toEqual(action);
  });
});
