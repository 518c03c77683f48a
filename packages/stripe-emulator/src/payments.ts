import type { AccountRecord } from './accounts.js';
import type { EmulatorServices } from './api.js';
import { type ApiError, createStripeError, invalidRequest } from './api-error.js';
import type { Ledger } from './ledger.js';
import type {
  ChargeObject,
  ChargeOutcome,
  PaymentError,
  PaymentIntentObject,
  PaymentMethodObject,
} from './objects.js';
import { attachPaymentMethod } from './payment-methods.js';

/*
 * What happens to money: confirming a PaymentIntent against a test card, the charge it makes,
 * declines, 3-D Secure, a bank's redirect (iDEAL), capture and cancel. Routes
 * (payment-intents.ts) and billing (billing.ts) both come here, so a subscription renewal pays
 * exactly as a checkout does.
 */

export interface NewPaymentIntent {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  paymentMethod: string | null;
  setupFutureUsage: string | null;
  metadata: Record<string, string>;
  applicationFeeAmount?: number | null;
  automaticPaymentMethods?: { enabled: boolean; allow_redirects: string } | null;
  captureMethod?: string;
  confirmationMethod?: string;
  excludedPaymentMethodTypes?: string[] | null;
  onBehalfOf?: string | null;
  paymentMethodTypes?: string[];
  receiptEmail?: string | null;
  statementDescriptor?: string | null;
  statementDescriptorSuffix?: string | null;
  transferGroup?: string | null;
}

// Shared by every PaymentIntent: objects here are replaced, never mutated.
const noAmountDetails = { tip: {} };
const defaultPaymentMethodOptions = {
  card: {
    installments: null,
    mandate_options: null,
    network: null,
    request_three_d_secure: 'automatic',
  },
};

/** A fresh PaymentIntent with Stripe's defaults; callers store it and publish its creation. */
export function buildPaymentIntent(
  services: EmulatorServices,
  livemode: boolean,
  fields: NewPaymentIntent,
): PaymentIntentObject {
  const id = services.ids.newId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: fields.amount,
    amount_capturable: 0,
    amount_details: noAmountDetails,
    amount_received: 0,
    application: null,
    application_fee_amount: fields.applicationFeeAmount ?? null,
    automatic_payment_methods: fields.automaticPaymentMethods ?? null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: fields.captureMethod ?? 'automatic_async',
    client_secret: `${id}_secret_${services.ids.newSecret(25)}`,
    confirmation_method: fields.confirmationMethod ?? 'automatic',
    created: services.clock.now(),
    currency: fields.currency,
    customer: fields.customer,
    customer_account: null,
    description: fields.description,
    excluded_payment_method_types: fields.excludedPaymentMethodTypes ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode,
    managed_payments: null,
    metadata: fields.metadata,
    next_action: null,
    on_behalf_of: fields.onBehalfOf ?? null,
    payment_method: fields.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: defaultPaymentMethodOptions,
    payment_method_types: fields.paymentMethodTypes ?? ['card'],
    payment_record: null,
    processing: null,
    receipt_email: fields.receiptEmail ?? null,
    review: null,
    setup_future_usage: fields.setupFutureUsage,
    shipping: null,
    source: null,
    statement_descriptor: fields.statementDescriptor ?? null,
    statement_descriptor_suffix: fields.statementDescriptorSuffix ?? null,
    status: fields.paymentMethod === null ? 'requires_payment_method' : 'requires_confirmation',
    transfer_data: null,
    transfer_group: fields.transferGroup ?? null,
  };
}

export interface ConfirmOptions {
  offSession: boolean;
  /** `http://host:port` of the emulator, for the 3-D Secure or bank page in `next_action`. */
  origin: string;
  /** Where the bank page sends the buyer back; a redirect payment method needs it. */
  returnUrl?: string;
}

/** The outcome of one payment attempt; a decline is not thrown, so billing can record it. */
export type PaymentAttempt =
  | { kind: 'settled'; paymentIntent: PaymentIntentObject }
  | { kind: 'declined'; paymentIntent: PaymentIntentObject; error: ApiError };

const confirmableStatuses = new Set([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
]);

/** Stripe refuses new charges on an account whose `charges_enabled` is false. */
export function refuseIfChargesDisabled(account: AccountRecord, livemode: boolean): void {
  if (account.chargesEnabled) return;
  const reason = account.disabledReason ?? 'requirements.past_due';
  throw invalidRequest(
    `Your account cannot currently make ${livemode ? 'live' : 'test'} charges. The \`requirements.disabled_reason\` property on the account (${reason}) says why.`,
    { code: 'account_invalid' },
  );
}

export function unexpectedState(
  paymentIntent: PaymentIntentObject,
  action: string,
  allowed: string[],
): ApiError {
  return createStripeError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message: `You cannot ${action} this PaymentIntent because it has a status of ${paymentIntent.status}. Only a PaymentIntent with one of the following statuses may be ${action === 'cancel' ? 'canceled' : `${action}d`}: ${allowed.join(', ')}.`,
    payment_intent: paymentIntent,
  });
}

/**
 * Confirms a PaymentIntent whose `payment_method` is set: charges the card, asks for 3-D Secure,
 * or records the decline. Saves the new state and publishes its events.
 */
export function attemptPayment(
  services: EmulatorServices,
  ledger: Ledger,
  account: AccountRecord,
  paymentIntent: PaymentIntentObject,
  options: ConfirmOptions,
): PaymentAttempt {
  if (!confirmableStatuses.has(paymentIntent.status)) {
    throw unexpectedState(paymentIntent, 'confirm', [...confirmableStatuses]);
  }
  const methodId = paymentIntent.payment_method;
  if (methodId === null) {
    throw createStripeError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message:
        "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.",
      param: 'payment_method',
      payment_intent: paymentIntent,
    });
  }
  refuseIfChargesDisabled(account, ledger.livemode);
  const method = ledger.paymentMethods.get(methodId);
  if (method?.type === 'ideal') return requireRedirect(services, ledger, paymentIntent, options);
  const card = ledger.cards.get(methodId);
  if (method === undefined || card === undefined) {
    throw invalidRequest(`No such PaymentMethod: '${methodId}'`, {
      param: 'payment_method',
      code: 'resource_missing',
      status: 404,
    });
  }
  const outcome = card.outcome;
  if (outcome.kind === 'decline') {
    return declinePayment(services, ledger, paymentIntent, method, {
      code: outcome.code,
      declineCode: outcome.declineCode,
      message: outcome.message,
    });
  }
  if (outcome.kind === 'authenticate') {
    const saved = outcome.offSessionAfterSetup && ledger.savedForOffSession.has(method.id);
    if (options.offSession && !saved) {
      return declinePayment(services, ledger, paymentIntent, method, {
        code: 'authentication_required',
        declineCode: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
      });
    }
    if (!options.offSession) return requireAuthentication(services, ledger, paymentIntent, options);
  }
  return { kind: 'settled', paymentIntent: chargeCard(services, ledger, paymentIntent, method) };
}

function requireAuthentication(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  options: ConfirmOptions,
): PaymentAttempt {
  const source = services.ids.newId('src');
  const updated: PaymentIntentObject = {
    ...paymentIntent,
    status: 'requires_action',
    last_payment_error: null,
    next_action: {
      type: 'use_stripe_sdk',
      use_stripe_sdk: {
        type: 'three_d_secure_redirect',
        stripe_js: `${options.origin}/_emulator/three_d_secure/${paymentIntent.id}?client_secret=${encodeURIComponent(paymentIntent.client_secret)}`,
        source,
      },
    },
  };
  ledger.paymentIntents.set(updated.id, updated);
  services.publish(ledger, 'payment_intent.requires_action', updated, {
    status: paymentIntent.status,
  });
  return { kind: 'settled', paymentIntent: updated };
}

/** A bank payment: the buyer approves it on the bank's page, which then returns to `return_url`. */
function requireRedirect(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  options: ConfirmOptions,
): PaymentAttempt {
  if (options.returnUrl === undefined) {
    throw invalidRequest(
      'You must provide a `return_url` when confirming a PaymentIntent with the payment method type ideal.',
      { param: 'return_url' },
    );
  }
  const updated: PaymentIntentObject = {
    ...paymentIntent,
    status: 'requires_action',
    last_payment_error: null,
    next_action: {
      type: 'redirect_to_url',
      redirect_to_url: {
        url: `${options.origin}/_emulator/redirect/${paymentIntent.id}?client_secret=${encodeURIComponent(paymentIntent.client_secret)}`,
        return_url: options.returnUrl,
      },
    },
  };
  ledger.paymentIntents.set(updated.id, updated);
  services.publish(ledger, 'payment_intent.requires_action', updated, {
    status: paymentIntent.status,
  });
  return { kind: 'settled', paymentIntent: updated };
}

/** Stripe's error when the buyer failed their bank's check: 3-D Secure, or a bank's page. */
function failedActionError(method: PaymentMethodObject): PaymentError {
  if (method.type === 'ideal') {
    return {
      type: 'invalid_request_error',
      code: 'payment_intent_payment_attempt_failed',
      decline_code: null,
      message:
        'The latest payment attempt of the PaymentIntent has failed. Check the last_payment_error property on the PaymentIntent for more details, and provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
      charge: null,
      doc_url: 'https://stripe.com/docs/error-codes/payment-intent-payment-attempt-failed',
      payment_method: method,
      payment_method_type: 'ideal',
    };
  }
  return {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    decline_code: null,
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    charge: null,
    doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
    payment_method: method,
    payment_method_type: 'card',
  };
}

/** The customer answered the 3-D Secure challenge or the bank's page. */
export function completeAuthentication(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  passed: boolean,
): PaymentAttempt {
  if (paymentIntent.status !== 'requires_action') {
    throw unexpectedState(paymentIntent, 'authenticate', ['requires_action']);
  }
  const methodId = paymentIntent.payment_method ?? '';
  const method = ledger.paymentMethods.get(methodId);
  if (method === undefined) {
    throw invalidRequest(`No such PaymentMethod: '${methodId}'`, { status: 404 });
  }
  if (passed) {
    return { kind: 'settled', paymentIntent: chargeCard(services, ledger, paymentIntent, method) };
  }
  const lastError = failedActionError(method);
  const failed: PaymentIntentObject = {
    ...paymentIntent,
    status: 'requires_payment_method',
    payment_method: null,
    next_action: null,
    last_payment_error: lastError,
  };
  ledger.paymentIntents.set(failed.id, failed);
  services.publish(ledger, 'payment_intent.payment_failed', failed, {
    status: paymentIntent.status,
  });
  const error = createStripeError(400, {
    type: 'invalid_request_error',
    code: lastError.code,
    message: lastError.message,
    payment_intent: failed,
    payment_method: method,
  });
  return { kind: 'declined', paymentIntent: failed, error };
}

interface ChargeResult {
  status: ChargeObject['status'];
  paid: boolean;
  captured: boolean;
  amountCaptured: number;
  balanceTransaction: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  outcome: ChargeObject['outcome'];
}

function buildCharge(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  method: PaymentMethodObject,
  result: ChargeResult,
): ChargeObject {
  return {
    id: services.ids.newId('ch'),
    object: 'charge',
    amount: paymentIntent.amount,
    amount_captured: result.amountCaptured,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: paymentIntent.application_fee_amount,
    balance_transaction: result.balanceTransaction,
    billing_details: method.billing_details,
    calculated_statement_descriptor: paymentIntent.statement_descriptor ?? 'SWITCHYARD EMULATOR',
    captured: result.captured,
    created: services.clock.now(),
    currency: paymentIntent.currency,
    customer: paymentIntent.customer,
    description: paymentIntent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: result.failureCode,
    failure_message: result.failureMessage,
    fraud_details: noFraudDetails,
    livemode: ledger.livemode,
    metadata: paymentIntent.metadata,
    on_behalf_of: paymentIntent.on_behalf_of,
    outcome: result.outcome,
    paid: result.paid,
    payment_intent: paymentIntent.id,
    payment_method: method.id,
    payment_method_details: paymentMethodDetails(
      method,
      result.status === 'succeeded' ? paymentIntent.amount : null,
    ),
    receipt_email: paymentIntent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: paymentIntent.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: paymentIntent.statement_descriptor,
    statement_descriptor_suffix: paymentIntent.statement_descriptor_suffix,
    status: result.status,
    transfer_data: null,
    transfer_group: paymentIntent.transfer_group,
  };
}

const noFraudDetails = {};

/** What the charge says of how it was paid: the card's details, or the bank's. */
function paymentMethodDetails(
  method: PaymentMethodObject,
  amountAuthorized: number | null,
): ChargeObject['payment_method_details'] {
  if (method.type === 'ideal') {
    return {
      type: 'ideal',
      ideal: {
        bank: method.ideal.bank,
        bic: method.ideal.bic,
        generated_sepa_debit: null,
        generated_sepa_debit_mandate: null,
        iban_last4: '5264',
        transaction_id: null,
        verified_name: method.billing_details.name,
      },
    };
  }
  return {
    type: 'card',
    card: {
      amount_authorized: amountAuthorized,
      authorization_code: null,
      brand: method.card.brand,
      checks: method.card.checks,
      country: method.card.country,
      electronic_commerce_indicator: null,
      exp_month: method.card.exp_month,
      exp_year: method.card.exp_year,
      fingerprint: method.card.fingerprint,
      funding: method.card.funding,
      installments: null,
      last4: method.card.last4,
      mandate: null,
      network: method.card.brand,
      network_transaction_id: null,
      regulated_status: method.card.regulated_status,
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    },
  };
}

const approvedOutcome: ChargeOutcome = {
  advice_code: null,
  network_advice_code: null,
  network_decline_code: null,
  network_status: 'approved_by_network',
  reason: null,
  risk_level: 'normal',
  risk_score: 20,
  seller_message: 'Payment complete.',
  type: 'authorized',
};

/** The card is approved: a charge, captured now or held for `capture_method=manual`. */
function chargeCard(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  method: PaymentMethodObject,
): PaymentIntentObject {
  const manual = paymentIntent.capture_method === 'manual';
  const charge = buildCharge(services, ledger, paymentIntent, method, {
    status: 'succeeded',
    paid: true,
    captured: !manual,
    amountCaptured: manual ? 0 : paymentIntent.amount,
    balanceTransaction: manual ? null : services.ids.newId('txn'),
    failureCode: null,
    failureMessage: null,
    outcome: approvedOutcome,
  });
  ledger.charges.set(charge.id, charge);
  let methodId = method.id;
  // Stripe saves a bank payment as a SEPA Direct Debit, which the emulator does not have.
  if (paymentIntent.setup_future_usage !== null && method.type === 'card') {
    ledger.savedForOffSession.add(method.id);
    if (paymentIntent.customer !== null && method.customer === null) {
      methodId = attachPaymentMethod(ledger, method, paymentIntent.customer, {
        checkCard: false,
      }).id;
    }
  }
  const updated: PaymentIntentObject = {
    ...paymentIntent,
    status: manual ? 'requires_capture' : 'succeeded',
    amount_capturable: manual ? paymentIntent.amount : 0,
    amount_received: manual ? 0 : paymentIntent.amount,
    latest_charge: charge.id,
    last_payment_error: null,
    next_action: null,
    payment_method: methodId,
  };
  ledger.paymentIntents.set(updated.id, updated);
  services.publish(ledger, 'charge.succeeded', charge);
  if (manual) {
    services.publish(ledger, 'payment_intent.amount_capturable_updated', updated, {
      amount_capturable: 0,
    });
  } else {
    services.publish(ledger, 'payment_intent.succeeded', updated, {
      status: paymentIntent.status,
    });
  }
  return updated;
}

function declinePayment(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  method: PaymentMethodObject,
  decline: { code: string; declineCode: string; message: string },
): PaymentAttempt {
  const charge = buildCharge(services, ledger, paymentIntent, method, {
    status: 'failed',
    paid: false,
    captured: false,
    amountCaptured: 0,
    balanceTransaction: null,
    failureCode: decline.code,
    failureMessage: decline.message,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'declined_by_network',
      reason: decline.declineCode,
      risk_level: 'normal',
      risk_score: 40,
      seller_message: 'The bank did not return any further details with this decline.',
      type: 'issuer_declined',
    },
  });
  ledger.charges.set(charge.id, charge);
  const lastError: PaymentError = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    message: decline.message,
    charge: charge.id,
    doc_url: `https://stripe.com/docs/error-codes/${decline.code.replaceAll('_', '-')}`,
    payment_method: method,
    payment_method_type: 'card',
  };
  const failed: PaymentIntentObject = {
    ...paymentIntent,
    status: 'requires_payment_method',
    latest_charge: charge.id,
    last_payment_error: lastError,
    next_action: null,
    payment_method: null,
  };
  ledger.paymentIntents.set(failed.id, failed);
  services.publish(ledger, 'charge.failed', charge);
  services.publish(ledger, 'payment_intent.payment_failed', failed, {
    status: paymentIntent.status,
  });
  const error = createStripeError(402, {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    message: decline.message,
    charge: charge.id,
    payment_intent: failed,
    payment_method: method,
  });
  return { kind: 'declined', paymentIntent: failed, error };
}

export function capturePayment(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  amountToCapture: number | undefined,
): PaymentIntentObject {
  if (paymentIntent.status !== 'requires_capture') {
    throw unexpectedState(paymentIntent, 'capture', ['requires_capture']);
  }
  const amount = amountToCapture ?? paymentIntent.amount_capturable;
  if (amount < 1 || amount > paymentIntent.amount_capturable) {
    throw invalidRequest(
      `The amount to capture (${amount}) must be between 1 and the amount capturable (${paymentIntent.amount_capturable}).`,
      { param: 'amount_to_capture', code: 'amount_too_large' },
    );
  }
  const chargeId = paymentIntent.latest_charge ?? '';
  const charge = ledger.charges.get(chargeId);
  if (charge !== undefined) {
    const captured: ChargeObject = {
      ...charge,
      captured: true,
      amount_captured: amount,
      // The part not captured goes back to the card, which Stripe shows as refunded.
      amount_refunded: charge.amount - amount,
      balance_transaction: services.ids.newId('txn'),
    };
    ledger.charges.set(captured.id, captured);
    services.publish(ledger, 'charge.captured', captured, { captured: false });
  }
  const updated: PaymentIntentObject = {
    ...paymentIntent,
    status: 'succeeded',
    amount_capturable: 0,
    amount_received: amount,
  };
  ledger.paymentIntents.set(updated.id, updated);
  services.publish(ledger, 'payment_intent.succeeded', updated, { status: 'requires_capture' });
  return updated;
}

const cancelableStatuses = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];

export function cancelPayment(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
  reason: string | undefined,
): PaymentIntentObject {
  if (!cancelableStatuses.includes(paymentIntent.status)) {
    throw unexpectedState(paymentIntent, 'cancel', cancelableStatuses);
  }
  if (paymentIntent.status === 'requires_capture') {
    const charge = ledger.charges.get(paymentIntent.latest_charge ?? '');
    if (charge !== undefined) {
      const released: ChargeObject = { ...charge, amount_refunded: charge.amount, refunded: true };
      ledger.charges.set(released.id, released);
    }
  }
  const canceled: PaymentIntentObject = {
    ...paymentIntent,
    status: 'canceled',
    canceled_at: services.clock.now(),
    cancellation_reason: reason ?? null,
    amount_capturable: 0,
    next_action: null,
  };
  ledger.paymentIntents.set(canceled.id, canceled);
  services.publish(ledger, 'payment_intent.canceled', canceled, { status: paymentIntent.status });
  return canceled;
}
