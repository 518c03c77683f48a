import { z } from 'zod';
import type { AccountRecord } from './accounts.js';
import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { ApiError, invalidRequest, resourceMissing } from './api-error.js';
import { findPrice } from './catalog.js';
import { changedFields, findCustomer } from './customers.js';
import type { Ledger } from './ledger.js';
import { newestFirst, pageList } from './list.js';
import type {
  CustomerObject,
  InvoiceLineObject,
  InvoiceObject,
  PaymentIntentObject,
  PlanObject,
  PriceObject,
  Recurring,
  SubscriptionItemObject,
  SubscriptionObject,
  SubscriptionStatus,
} from './objects.js';
import {
  apiParams,
  formArray,
  formBoolean,
  formEnum,
  formInteger,
  formMetadata,
  formNullableString,
  formString,
  listParams,
  mergeMetadata,
  parseParams,
} from './params.js';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.js';
import { attemptPayment, buildPaymentIntent, type PaymentAttempt } from './payments.js';

/*
 * Subscriptions and their invoices. Each invoice is paid by a PaymentIntent, so renewals charge
 * cards exactly as checkout does; renewals happen when the emulator's clock passes a period end.
 */

const day = 24 * 60 * 60;

/** Stripe bills months on the anchor's day of month, clamped to shorter months. */
export function addInterval(from: number, recurring: Recurring, anchor: number): number {
  const count = recurring.interval_count;
  if (recurring.interval === 'day') return from + count * day;
  if (recurring.interval === 'week') return from + count * 7 * day;
  const start = new Date(from * 1000);
  const anchorDay = new Date(anchor * 1000).getUTCDate();
  const months = recurring.interval === 'month' ? count : count * 12;
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Math.floor(
    Date.UTC(
      year,
      month,
      Math.min(anchorDay, lastDay),
      start.getUTCHours(),
      start.getUTCMinutes(),
      start.getUTCSeconds(),
    ) / 1000,
  );
}

function presentPlan(price: PriceObject): PlanObject {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: price.recurring?.trial_period_days ?? null,
    usage_type: 'licensed',
  };
}

function findSubscriptionOf(
  ledger: Ledger,
  invoice: InvoiceObject,
): SubscriptionObject | undefined {
  const details = invoice.parent.subscription_details;
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return undefined;
  const id = details.subscription;
  return typeof id === 'string' ? ledger.subscriptions.get(id) : undefined;
}

/** Creates an invoice for a subscription period and the PaymentIntent that will pay it. */
function createInvoice(
  services: EmulatorServices,
  ledger: Ledger,
  subscription: SubscriptionObject,
  fields: { periodStart: number; periodEnd: number; billingReason: string; amountDue: number },
): InvoiceObject {
  const customer = ledger.customers.get(subscription.customer);
  const sequence = customer?.next_invoice_sequence ?? ++ledger.invoiceSequence;
  if (customer !== undefined) {
    ledger.customers.set(customer.id, {
      ...customer,
      next_invoice_sequence: customer.next_invoice_sequence + 1,
    });
  }
  const now = services.clock.now();
  const id = services.ids.newId('in');
  const lines = subscription.items.data.map(function buildLine(item): InvoiceLineObject {
    const amount = fields.amountDue === 0 ? 0 : item.price.unit_amount * item.quantity;
    return {
      id: services.ids.newId('il'),
      object: 'line_item',
      amount,
      currency: item.price.currency,
      description: `${item.quantity} × ${item.price.nickname ?? item.price.product}`,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: id,
      livemode: ledger.livemode,
      metadata: {},
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          proration_details: { credited_items: null },
          subscription: subscription.id,
          subscription_item: item.id,
        },
      },
      period: { start: fields.periodStart, end: fields.periodEnd },
      pretax_credit_amounts: [],
      pricing: {
        type: 'price_details',
        price_details: { price: item.price.id, product: item.price.product },
        unit_amount_decimal: item.price.unit_amount_decimal,
      },
      quantity: item.quantity,
      quantity_decimal: String(item.quantity),
      subscription: subscription.id,
      subtotal: amount,
      taxes: [],
    };
  });
  const paid = fields.amountDue === 0;
  let paymentIntent: PaymentIntentObject | undefined;
  if (!paid) {
    paymentIntent = buildPaymentIntent(services, ledger.livemode, {
      amount: fields.amountDue,
      currency: subscription.currency,
      customer: subscription.customer,
      description:
        fields.billingReason === 'subscription_create'
          ? 'Subscription creation'
          : 'Subscription update',
      paymentMethod:
        subscription.default_payment_method ??
        customer?.invoice_settings.default_payment_method ??
        null,
      // The first payment saves the card so that renewals can charge it off session.
      setupFutureUsage: 'off_session',
      metadata: {},
    });
    ledger.paymentIntents.set(paymentIntent.id, paymentIntent);
    ledger.invoiceByPaymentIntent.set(paymentIntent.id, id);
    services.publish(ledger, 'payment_intent.created', paymentIntent);
  }
  const invoice: InvoiceObject = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: null,
    account_tax_ids: null,
    amount_due: fields.amountDue,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: fields.amountDue,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    },
    automatically_finalizes_at: null,
    billing_reason: fields.billingReason,
    collection_method: 'charge_automatically',
    confirmation_secret:
      paymentIntent === undefined
        ? null
        : { client_secret: paymentIntent.client_secret, type: 'payment_intent' },
    created: now,
    currency: subscription.currency,
    custom_fields: null,
    customer: subscription.customer,
    customer_account: null,
    customer_address: customer?.address ?? null,
    customer_email: customer?.email ?? null,
    customer_name: customer?.name ?? null,
    customer_phone: customer?.phone ?? null,
    customer_shipping: customer?.shipping ?? null,
    customer_tax_exempt: customer?.tax_exempt ?? 'none',
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: now,
    // Finalized at once, on a customer balance the emulator keeps at 0.
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: lines,
      has_more: false,
      total_count: lines.length,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: ledger.livemode,
    metadata: {},
    next_payment_attempt: paid ? null : now + 3600,
    number: `${customer?.invoice_prefix ?? 'EMU'}-${String(sequence).padStart(4, '0')}`,
    on_behalf_of: subscription.on_behalf_of,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: subscription.metadata, subscription: subscription.id },
    },
    payments: {
      object: 'list',
      data:
        paymentIntent === undefined
          ? []
          : [
              {
                id: services.ids.newId('inpay'),
                object: 'invoice_payment',
                amount_paid: null,
                amount_requested: fields.amountDue,
                created: now,
                currency: subscription.currency,
                invoice: id,
                is_default: true,
                livemode: ledger.livemode,
                payment: { type: 'payment_intent', payment_intent: paymentIntent.id },
                status: 'open',
                status_transitions: { canceled_at: null, paid_at: null },
              },
            ],
      has_more: false,
      total_count: paymentIntent === undefined ? 0 : 1,
      url: `/v1/invoice_payments?invoice=${id}`,
    },
    payment_settings: {
      default_mandate: null,
      payment_method_options: null,
      payment_method_types: null,
    },
    period_end: fields.periodEnd,
    period_start: fields.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: paid ? 'paid' : 'open',
    status_transitions: {
      finalized_at: now,
      marked_uncollectible_at: null,
      paid_at: paid ? now : null,
      voided_at: null,
    },
    subtotal: fields.amountDue,
    subtotal_excluding_tax: fields.amountDue,
    test_clock: null,
    total: fields.amountDue,
    total_discount_amounts: [],
    total_excluding_tax: fields.amountDue,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: now,
  };
  ledger.invoices.set(id, invoice);
  services.publish(ledger, 'invoice.finalized', invoice);
  if (paid) services.publish(ledger, 'invoice.paid', invoice);
  return invoice;
}

interface InvoiceSettlement {
  before: SubscriptionObject;
  after: SubscriptionObject;
}

/**
 * Records what a PaymentIntent's outcome means for the invoice it pays (paid, or a failed
 * attempt) and for that invoice's subscription. Publishes the invoice's events; the
 * subscription's are left to the caller, who knows whether it is being created or renewed.
 */
function recordInvoicePayment(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
): InvoiceSettlement | undefined {
  const invoiceId = ledger.invoiceByPaymentIntent.get(paymentIntent.id);
  const invoice = invoiceId === undefined ? undefined : ledger.invoices.get(invoiceId);
  if (invoice === undefined || invoice.status !== 'open') return undefined;
  const subscription = findSubscriptionOf(ledger, invoice);
  const now = services.clock.now();
  if (paymentIntent.status === 'succeeded') {
    const paid: InvoiceObject = {
      ...invoice,
      status: 'paid',
      amount_paid: invoice.amount_due,
      amount_remaining: 0,
      attempted: true,
      attempt_count: invoice.attempt_count + 1,
      next_payment_attempt: null,
      payments: {
        ...invoice.payments,
        data: invoice.payments.data.map((payment) => ({
          ...payment,
          amount_paid: invoice.amount_due,
          status: 'paid',
          status_transitions: { ...payment.status_transitions, paid_at: now },
        })),
      },
      status_transitions: { ...invoice.status_transitions, paid_at: now },
    };
    ledger.invoices.set(paid.id, paid);
    services.publish(ledger, 'invoice.paid', paid, { status: 'open' });
    if (subscription === undefined) return undefined;
    const methodId = paymentIntent.payment_method;
    const after: SubscriptionObject = {
      ...subscription,
      status: subscription.status === 'trialing' ? 'trialing' : 'active',
      // Stripe saves the card of the first payment as the subscription's default.
      default_payment_method: subscription.default_payment_method ?? methodId,
    };
    ledger.subscriptions.set(after.id, after);
    return { before: subscription, after };
  }
  if (
    paymentIntent.status === 'requires_payment_method' &&
    paymentIntent.last_payment_error !== null
  ) {
    const failed: InvoiceObject = {
      ...invoice,
      attempted: true,
      attempt_count: invoice.attempt_count + 1,
    };
    ledger.invoices.set(failed.id, failed);
    services.publish(ledger, 'invoice.payment_failed', failed, {
      attempt_count: invoice.attempt_count,
    });
    if (subscription === undefined) return undefined;
    const status: SubscriptionStatus =
      subscription.status === 'incomplete' ? 'incomplete' : 'past_due';
    const after: SubscriptionObject = { ...subscription, status };
    ledger.subscriptions.set(after.id, after);
    return { before: subscription, after };
  }
  if (paymentIntent.status === 'requires_action') {
    services.publish(ledger, 'invoice.payment_action_required', invoice);
  }
  return undefined;
}

/** After a PaymentIntent changed outside billing (Stripe.js confirm, 3-D Secure answer). */
export function settleInvoiceFor(
  services: EmulatorServices,
  ledger: Ledger,
  paymentIntent: PaymentIntentObject,
): void {
  const settled = recordInvoicePayment(services, ledger, paymentIntent);
  if (settled !== undefined && settled.after.status !== settled.before.status) {
    services.publish(
      ledger,
      'customer.subscription.updated',
      settled.after,
      changedFields(settled.before, settled.after),
    );
  }
}

/** Charges an open invoice's PaymentIntent; a refused charge counts as a failed attempt. */
function collectInvoice(
  services: EmulatorServices,
  ledger: Ledger,
  account: AccountRecord,
  invoice: InvoiceObject,
  options: { offSession: boolean; origin: string; paymentMethod?: string },
): PaymentAttempt | undefined {
  const paymentIntentId = invoice.payments.data[0]?.payment.payment_intent;
  const current =
    paymentIntentId === undefined ? undefined : ledger.paymentIntents.get(paymentIntentId);
  if (current === undefined) return undefined;
  const paymentIntent: PaymentIntentObject =
    options.paymentMethod === undefined
      ? current
      : { ...current, payment_method: options.paymentMethod };
  if (paymentIntent.payment_method === null) {
    const failed: InvoiceObject = {
      ...invoice,
      attempted: true,
      attempt_count: invoice.attempt_count + 1,
    };
    ledger.invoices.set(failed.id, failed);
    services.publish(ledger, 'invoice.payment_failed', failed, {
      attempt_count: invoice.attempt_count,
    });
    return undefined;
  }
  ledger.paymentIntents.set(paymentIntent.id, paymentIntent);
  return attemptPayment(services, ledger, account, paymentIntent, options);
}

function priceOfItems(items: SubscriptionItemObject[]): number {
  return items.reduce((total, item) => total + item.price.unit_amount * item.quantity, 0);
}

function buildItems(
  services: EmulatorServices,
  subscriptionId: string,
  prices: Array<{ price: PriceObject; quantity: number; metadata: Record<string, string> }>,
  period: { start: number; end: number },
): SubscriptionItemObject[] {
  return prices.map(({ price, quantity, metadata }) => ({
    id: services.ids.newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: services.clock.now(),
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata,
    plan: presentPlan(price),
    price,
    quantity,
    subscription: subscriptionId,
    tax_rates: [],
  }));
}

function recurringOf(price: PriceObject, param: string): Recurring {
  if (price.recurring === null) {
    throw invalidRequest(
      `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
      { param },
    );
  }
  return price.recurring;
}

const itemParams = z.strictObject({
  price: formString,
  quantity: formInteger.optional(),
  metadata: formMetadata.optional(),
});

const createParams = apiParams({
  customer: formString,
  items: formArray(itemParams),
  default_payment_method: formString.optional(),
  metadata: formMetadata.optional(),
  description: formNullableString.optional(),
  payment_behavior: formEnum([
    'allow_incomplete',
    'default_incomplete',
    'error_if_incomplete',
    'pending_if_incomplete',
  ]).optional(),
  off_session: formBoolean.optional(),
  trial_period_days: formInteger.optional(),
  trial_end: formInteger.optional(),
  cancel_at_period_end: formBoolean.optional(),
  cancel_at: formInteger.optional(),
  collection_method: formEnum(['charge_automatically']).optional(),
  currency: formString.optional(),
  payment_settings: z.unknown().optional(),
  proration_behavior: formEnum(['create_prorations', 'none', 'always_invoice']).optional(),
});

const updateParams = apiParams({
  items: formArray(
    z.strictObject({
      id: formString.optional(),
      price: formString.optional(),
      quantity: formInteger.optional(),
      deleted: formBoolean.optional(),
      metadata: formMetadata.optional(),
    }),
  ).optional(),
  default_payment_method: formString.optional(),
  metadata: formMetadata.optional(),
  description: formNullableString.optional(),
  cancel_at_period_end: formBoolean.optional(),
  cancel_at: z.union([z.literal(''), formInteger]).optional(),
  payment_behavior: formEnum([
    'allow_incomplete',
    'default_incomplete',
    'error_if_incomplete',
    'pending_if_incomplete',
  ]).optional(),
  proration_behavior: formEnum(['create_prorations', 'none', 'always_invoice']).optional(),
  off_session: formBoolean.optional(),
  payment_settings: z.unknown().optional(),
  cancellation_details: z.unknown().optional(),
});

function findSubscription(call: ApiCall): SubscriptionObject {
  const id = call.pathParams.id ?? '';
  const subscription = call.ledger.subscriptions.get(id);
  if (subscription === undefined) throw resourceMissing('subscription', id, 'id');
  return subscription;
}

/** A default payment method must belong to the customer; a test id is attached on the fly. */
function resolveCustomerPaymentMethod(
  call: ApiCall,
  services: EmulatorServices,
  customer: CustomerObject,
  requested: string,
): string {
  const method = resolvePaymentMethod(services, call.ledger, requested, 'default_payment_method');
  if (method.customer === customer.id) return method.id;
  if (method.customer === null) return attachPaymentMethod(call.ledger, method, customer.id).id;
  throw invalidRequest(
    `The customer does not have a payment method with the ID ${requested}. The payment method must be attached to the customer.`,
    { param: 'default_payment_method' },
  );
}

function createSubscription(call: ApiCall, services: EmulatorServices): SubscriptionObject {
  const params = parseParams(createParams, call.params);
  const customer = findCustomer(call, params.customer);
  if (params.items.length === 0) {
    throw invalidRequest('Missing required param: items.', {
      param: 'items',
      code: 'parameter_missing',
      replayable: false,
    });
  }
  const prices = params.items.map((item, index) => ({
    price: findPrice(call, item.price, `items[${index}][price]`),
    quantity: item.quantity ?? 1,
    metadata: mergeMetadata({}, item.metadata),
  }));
  const first = prices[0]?.price;
  if (first === undefined)
    throw invalidRequest('Missing required param: items.', { param: 'items' });
  const recurring = recurringOf(first, 'items[0][price]');
  prices.forEach(({ price }, index) => {
    const other = recurringOf(price, `items[${index}][price]`);
    if (price.currency !== first.currency || other.interval !== recurring.interval) {
      throw invalidRequest(
        'All prices on a subscription must have the same `currency` and `recurring.interval`.',
        { param: `items[${index}][price]` },
      );
    }
  });
  const defaultMethod =
    params.default_payment_method === undefined
      ? null
      : resolveCustomerPaymentMethod(call, services, customer, params.default_payment_method);
  const behavior = params.payment_behavior ?? 'allow_incomplete';
  const trialDays = params.trial_period_days ?? recurring.trial_period_days ?? undefined;
  const now = services.clock.now();
  const trialEnd =
    params.trial_end ?? (trialDays === undefined ? undefined : now + trialDays * day);
  const payingMethod = defaultMethod ?? customer.invoice_settings.default_payment_method;
  if (trialEnd === undefined && behavior !== 'default_incomplete' && payingMethod === null) {
    throw invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
      { code: 'resource_missing' },
    );
  }
  const id = services.ids.newId('sub');
  const periodEnd = trialEnd ?? addInterval(now, recurring, now);
  const items = buildItems(services, id, prices, { start: now, end: periodEnd });
  const draft: SubscriptionObject = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: periodEnd,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: params.cancel_at ?? null,
    cancel_at_period_end: params.cancel_at_period_end ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: first.currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: defaultMethod,
    default_source: null,
    description: params.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: items,
      has_more: false,
      total_count: items.length,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: call.livemode,
    managed_payments: null,
    metadata: mergeMetadata({}, params.metadata),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trialEnd === undefined ? 'incomplete' : 'trialing',
    test_clock: null,
    transfer_data: null,
    trial_end: trialEnd ?? null,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: trialEnd === undefined ? null : now,
  };
  call.ledger.subscriptions.set(id, draft);
  const invoice = createInvoice(services, call.ledger, draft, {
    periodStart: now,
    periodEnd,
    billingReason: 'subscription_create',
    amountDue: trialEnd === undefined ? priceOfItems(items) : 0,
  });
  call.ledger.subscriptions.set(id, { ...draft, latest_invoice: invoice.id });
  if (invoice.status === 'open' && behavior !== 'default_incomplete') {
    const attempt = collectInvoice(services, call.ledger, call.account, invoice, {
      offSession: params.off_session ?? false,
      origin: call.origin,
    });
    if (attempt !== undefined) recordInvoicePayment(services, call.ledger, attempt.paymentIntent);
    if (attempt?.kind === 'declined' && behavior === 'error_if_incomplete') {
      // Stripe does not create the subscription when its first payment fails this way.
      call.ledger.subscriptions.delete(id);
      throw attempt.error;
    }
  }
  const created = call.ledger.subscriptions.get(id) ?? draft;
  services.publish(call.ledger, 'customer.subscription.created', created);
  return created;
}

function cancelNow(
  services: EmulatorServices,
  ledger: Ledger,
  subscription: SubscriptionObject,
  at: number,
  reason: string,
): SubscriptionObject {
  const canceled: SubscriptionObject = {
    ...subscription,
    status: 'canceled',
    canceled_at: subscription.canceled_at ?? at,
    ended_at: at,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason },
  };
  ledger.subscriptions.set(canceled.id, canceled);
  services.publish(ledger, 'customer.subscription.deleted', canceled, {
    status: subscription.status,
  });
  return canceled;
}

const renewingStatuses = new Set<SubscriptionStatus>(['active', 'trialing', 'past_due']);

/** Bills every period that ended by `now`: a new invoice, charged off session. */
function renewSubscription(
  services: EmulatorServices,
  ledger: Ledger,
  account: AccountRecord,
  subscriptionId: string,
  origin: string,
): void {
  const now = services.clock.now();
  // Bounded: a clock moved years ahead bills at most this many periods at once.
  for (let period = 0; period < 1000; period++) {
    const subscription = ledger.subscriptions.get(subscriptionId);
    if (subscription === undefined || !renewingStatuses.has(subscription.status)) return;
    const firstItem = subscription.items.data[0];
    if (firstItem === undefined) return;
    const periodEnd = firstItem.current_period_end;
    if (periodEnd > now) return;
    if (
      subscription.cancel_at_period_end ||
      (subscription.cancel_at !== null && subscription.cancel_at <= periodEnd)
    ) {
      cancelNow(services, ledger, subscription, periodEnd, 'cancellation_requested');
      return;
    }
    const recurring = firstItem.price.recurring;
    if (recurring === null) return;
    const nextEnd = addInterval(periodEnd, recurring, subscription.billing_cycle_anchor);
    const renewed: SubscriptionObject = {
      ...subscription,
      items: {
        ...subscription.items,
        data: subscription.items.data.map((item) => ({
          ...item,
          current_period_start: periodEnd,
          current_period_end: nextEnd,
        })),
      },
    };
    ledger.subscriptions.set(renewed.id, renewed);
    const invoice = createInvoice(services, ledger, renewed, {
      periodStart: periodEnd,
      periodEnd: nextEnd,
      billingReason: 'subscription_cycle',
      amountDue: priceOfItems(renewed.items.data),
    });
    ledger.subscriptions.set(renewed.id, {
      ...renewed,
      latest_invoice: invoice.id,
      status: subscription.status === 'trialing' ? 'active' : subscription.status,
    });
    try {
      const attempt = collectInvoice(services, ledger, account, invoice, {
        offSession: true,
        origin,
      });
      if (attempt !== undefined) recordInvoicePayment(services, ledger, attempt.paymentIntent);
      else markPastDue(ledger, renewed.id);
    } catch (error) {
      // An account that cannot charge fails the renewal, as a decline does.
      if (!(error instanceof ApiError)) throw error;
      markPastDue(ledger, renewed.id);
    }
    const after = ledger.subscriptions.get(renewed.id) ?? renewed;
    services.publish(
      ledger,
      'customer.subscription.updated',
      after,
      changedFields(subscription, after),
    );
  }
}

function markPastDue(ledger: Ledger, subscriptionId: string): void {
  const subscription = ledger.subscriptions.get(subscriptionId);
  if (subscription !== undefined) {
    ledger.subscriptions.set(subscriptionId, { ...subscription, status: 'past_due' });
  }
}

/** Runs after the clock moves: every account, both modes. */
export function renewDueSubscriptions(services: EmulatorServices, origin: string): void {
  for (const account of services.accounts.accounts.values()) {
    for (const ledger of [account.ledgers.test, account.ledgers.live]) {
      for (const id of [...ledger.subscriptions.keys()]) {
        renewSubscription(services, ledger, account, id, origin);
      }
    }
  }
}

function updateSubscription(call: ApiCall, services: EmulatorServices): SubscriptionObject {
  const params = parseParams(updateParams, call.params);
  const current = findSubscription(call);
  if (current.status === 'canceled') {
    throw invalidRequest(
      'A canceled subscription can only update its cancellation_details and metadata.',
      { param: 'id' },
    );
  }
  const customer = findCustomer(call, current.customer);
  let items = current.items.data;
  if (params.items !== undefined) {
    const period = {
      start: items[0]?.current_period_start ?? services.clock.now(),
      end: items[0]?.current_period_end ?? services.clock.now(),
    };
    for (const [index, change] of params.items.entries()) {
      if (change.id !== undefined) {
        const existing = items.find((item) => item.id === change.id);
        if (existing === undefined) {
          throw resourceMissing('subscription_item', change.id, `items[${index}][id]`);
        }
        if (change.deleted === true) {
          items = items.filter((item) => item.id !== change.id);
          continue;
        }
        const price =
          change.price === undefined
            ? existing.price
            : findPrice(call, change.price, `items[${index}][price]`);
        recurringOf(price, `items[${index}][price]`);
        items = items.map((item) =>
          item.id === change.id
            ? {
                ...item,
                price,
                plan: presentPlan(price),
                quantity: change.quantity ?? item.quantity,
                metadata: mergeMetadata(item.metadata, change.metadata),
              }
            : item,
        );
      } else if (change.price !== undefined) {
        const price = findPrice(call, change.price, `items[${index}][price]`);
        recurringOf(price, `items[${index}][price]`);
        items = [
          ...items,
          ...buildItems(
            services,
            current.id,
            [
              {
                price,
                quantity: change.quantity ?? 1,
                metadata: mergeMetadata({}, change.metadata),
              },
            ],
            period,
          ),
        ];
      }
    }
  }
  const cancelAt = params.cancel_at === '' ? null : (params.cancel_at ?? current.cancel_at);
  const updated: SubscriptionObject = {
    ...current,
    items: { ...current.items, data: items, total_count: items.length },
    default_payment_method:
      params.default_payment_method === undefined
        ? current.default_payment_method
        : resolveCustomerPaymentMethod(call, services, customer, params.default_payment_method),
    metadata: mergeMetadata(current.metadata, params.metadata),
    description: params.description === undefined ? current.description : params.description,
    cancel_at_period_end: params.cancel_at_period_end ?? current.cancel_at_period_end,
    cancel_at: cancelAt,
    canceled_at:
      params.cancel_at_period_end === true || cancelAt !== null
        ? (current.canceled_at ?? services.clock.now())
        : params.cancel_at_period_end === false
          ? null
          : current.canceled_at,
  };
  call.ledger.subscriptions.set(updated.id, updated);
  services.publish(
    call.ledger,
    'customer.subscription.updated',
    updated,
    changedFields(current, updated),
  );
  return updated;
}

function findInvoice(call: ApiCall): InvoiceObject {
  const id = call.pathParams.id ?? '';
  const invoice = call.ledger.invoices.get(id);
  if (invoice === undefined) throw resourceMissing('invoice', id, 'invoice');
  return invoice;
}

export const billingRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/v1/subscriptions',
    handle: function createSubscriptionRoute(call, services): ResponseBody {
      return createSubscription(call, services);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/subscriptions/:id',
    handle: function retrieveSubscription(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      return findSubscription(call);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/subscriptions/:id',
    handle: function updateSubscriptionRoute(call, services): ResponseBody {
      return updateSubscription(call, services);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/subscriptions/:id',
    handle: function cancelSubscription(call, services): ResponseBody {
      parseParams(
        apiParams({
          invoice_now: formBoolean.optional(),
          prorate: formBoolean.optional(),
          cancellation_details: z.unknown().optional(),
        }),
        call.params,
      );
      const current = findSubscription(call);
      if (current.status === 'canceled') {
        throw invalidRequest(`The subscription ${current.id} has already been canceled.`, {
          param: 'id',
        });
      }
      return cancelNow(
        services,
        call.ledger,
        current,
        services.clock.now(),
        'cancellation_requested',
      );
    },
  },
  {
    method: 'GET',
    pattern: '/v1/subscriptions',
    handle: function listSubscriptions(call): ResponseBody {
      const params = parseParams(
        listParams({
          customer: formString.optional(),
          price: formString.optional(),
          status: formEnum([
            'active',
            'all',
            'canceled',
            'ended',
            'incomplete',
            'incomplete_expired',
            'past_due',
            'paused',
            'trialing',
            'unpaid',
          ]).optional(),
        }),
        call.params,
      );
      const items = newestFirst(call.ledger.subscriptions.values()).filter(
        (subscription) =>
          (params.customer === undefined || subscription.customer === params.customer) &&
          (params.price === undefined ||
            subscription.items.data.some((item) => item.price.id === params.price)) &&
          (params.status === 'all' ||
            (params.status === undefined
              ? subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired'
              : params.status === 'ended'
                ? subscription.status === 'canceled'
                : subscription.status === params.status)),
      );
      return pageList(items, params, '/v1/subscriptions');
    },
  },
  {
    method: 'GET',
    pattern: '/v1/invoices/:id',
    handle: function retrieveInvoice(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      return findInvoice(call);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/invoices',
    handle: function listInvoices(call): ResponseBody {
      const params = parseParams(
        listParams({
          customer: formString.optional(),
          subscription: formString.optional(),
          status: formEnum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
          collection_method: formString.optional(),
        }),
        call.params,
      );
      const items = newestFirst(call.ledger.invoices.values()).filter(
        (invoice) =>
          (params.customer === undefined || invoice.customer === params.customer) &&
          (params.status === undefined || invoice.status === params.status) &&
          (params.subscription === undefined ||
            findSubscriptionOf(call.ledger, invoice)?.id === params.subscription),
      );
      return pageList(items, params, '/v1/invoices');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/invoices/:id/pay',
    handle: function payInvoice(call, services): ResponseBody {
      const params = parseParams(
        apiParams({ payment_method: formString.optional(), off_session: formBoolean.optional() }),
        call.params,
      );
      const invoice = findInvoice(call);
      if (invoice.status !== 'open') {
        throw invalidRequest('Invoice is already paid', { code: 'invoice_not_open' });
      }
      const method =
        params.payment_method === undefined
          ? undefined
          : resolvePaymentMethod(services, call.ledger, params.payment_method).id;
      const attempt = collectInvoice(services, call.ledger, call.account, invoice, {
        offSession: params.off_session ?? true,
        origin: call.origin,
        paymentMethod: method,
      });
      if (attempt !== undefined) settleInvoiceFor(services, call.ledger, attempt.paymentIntent);
      if (attempt?.kind === 'declined') throw attempt.error;
      return call.ledger.invoices.get(invoice.id) ?? invoice;
    },
  },
];
