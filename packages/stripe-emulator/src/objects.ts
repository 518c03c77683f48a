import type { JsonObject, JsonValue } from './json.js';

/*
 * The Stripe objects the emulator keeps, shaped as the API returns them (the fields the SDK's
 * types declare for what is implemented). Stored objects are replaced, never mutated, so an
 * object handed to a webhook event or a response keeps the state it had then.
 */

export type Metadata = { [key: string]: string };

export type Address = {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
};

export type BillingDetails = {
  address: Address;
  email: string | null;
  name: string | null;
  phone: string | null;
  tax_id: string | null;
};

export type CardDetails = {
  brand: string;
  display_brand: string;
  checks: {
    address_line1_check: string | null;
    address_postal_code_check: string | null;
    cvc_check: string | null;
  };
  country: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: string;
  generated_from: null;
  last4: string;
  networks: { available: string[]; preferred: string | null };
  regulated_status: 'regulated' | 'unregulated';
  three_d_secure_usage: { supported: boolean };
  wallet: null;
};

type PaymentMethodFields = {
  id: string;
  object: 'payment_method';
  allow_redisplay: string;
  billing_details: BillingDetails;
  created: number;
  customer: string | null;
  customer_account: string | null;
  livemode: boolean;
  metadata: Metadata;
};

export type CardPaymentMethod = PaymentMethodFields & { type: 'card'; card: CardDetails };

/** A bank payment the buyer approves on their bank's page (a redirect), as iDEAL in Stripe. */
export type IdealPaymentMethod = PaymentMethodFields & {
  type: 'ideal';
  ideal: { bank: string | null; bic: string | null };
};

export type PaymentMethodObject = CardPaymentMethod | IdealPaymentMethod;

export type CustomerObject = {
  id: string;
  object: 'customer';
  address: Address | null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: string | null;
  delinquent: boolean;
  description: string | null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: {
    custom_fields: null;
    default_payment_method: string | null;
    footer: string | null;
    rendering_options: null;
  };
  livemode: boolean;
  metadata: Metadata;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: JsonObject | null;
  tax_exempt: string;
  test_clock: null;
};

export type PaymentError = {
  type: string;
  code: string;
  decline_code: string | null;
  message: string;
  charge: string | null;
  doc_url: string;
  payment_method: PaymentMethodObject | null;
  payment_method_type: string | null;
};

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export type PaymentIntentObject = {
  id: string;
  object: 'payment_intent';
  allowed_payment_method_types: string[] | null;
  amount: number;
  amount_capturable: number;
  amount_details: JsonObject;
  amount_received: number;
  application: string | null;
  application_fee_amount: number | null;
  automatic_payment_methods: { allow_redirects: string; enabled: boolean } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: string;
  client_secret: string;
  confirmation_method: string;
  created: number;
  currency: string;
  customer: string | null;
  customer_account: string | null;
  description: string | null;
  excluded_payment_method_types: string[] | null;
  last_payment_error: PaymentError | null;
  latest_charge: string | null;
  livemode: boolean;
  managed_payments: null;
  metadata: Metadata;
  next_action: JsonObject | null;
  on_behalf_of: string | null;
  payment_method: string | null;
  payment_method_configuration_details: null;
  payment_method_options: JsonObject;
  payment_method_types: string[];
  payment_record: null;
  processing: null;
  receipt_email: string | null;
  review: null;
  setup_future_usage: string | null;
  shipping: JsonObject | null;
  source: null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: PaymentIntentStatus;
  transfer_data: JsonObject | null;
  transfer_group: string | null;
};

export type ChargeOutcome = {
  advice_code: string | null;
  network_advice_code: string | null;
  network_decline_code: string | null;
  network_status: string;
  reason: string | null;
  risk_level: string;
  risk_score: number;
  seller_message: string;
  type: string;
};

export type ChargeIdealDetails = {
  bank: string | null;
  bic: string | null;
  generated_sepa_debit: string | null;
  generated_sepa_debit_mandate: string | null;
  iban_last4: string | null;
  transaction_id: string | null;
  verified_name: string | null;
};

export type ChargeCardDetails = {
  amount_authorized: number | null;
  authorization_code: string | null;
  brand: string;
  checks: CardDetails['checks'];
  country: string;
  electronic_commerce_indicator: string | null;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: string;
  installments: null;
  last4: string;
  mandate: null;
  network: string;
  network_transaction_id: string | null;
  regulated_status: CardDetails['regulated_status'];
  three_d_secure: JsonObject | null;
  transaction_link_id: null;
  wallet: null;
};

export type ChargeObject = {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  application: string | null;
  application_fee: string | null;
  application_fee_amount: number | null;
  balance_transaction: string | null;
  billing_details: BillingDetails;
  calculated_statement_descriptor: string | null;
  captured: boolean;
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  disputed: boolean;
  failure_balance_transaction: string | null;
  failure_code: string | null;
  failure_message: string | null;
  fraud_details: JsonObject;
  livemode: boolean;
  metadata: Metadata;
  on_behalf_of: string | null;
  outcome: ChargeOutcome;
  paid: boolean;
  payment_intent: string | null;
  payment_method: string | null;
  payment_method_details:
    | { type: 'card'; card: ChargeCardDetails }
    | { type: 'ideal'; ideal: ChargeIdealDetails };
  receipt_email: string | null;
  receipt_number: string | null;
  receipt_url: string | null;
  refunded: boolean;
  review: string | null;
  shipping: JsonObject | null;
  source: null;
  source_transfer: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: 'succeeded' | 'pending' | 'failed';
  transfer_data: JsonObject | null;
  transfer_group: string | null;
};

export type RefundObject = {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  customer: string | null;
  customer_account: string | null;
  metadata: Metadata;
  payment_intent: string | null;
  payment_method: string | null;
  reason: string | null;
  receipt_number: string | null;
  source_transfer_reversal: string | null;
  status: string;
  transfer_reversal: string | null;
};

export type ProductObject = {
  id: string;
  object: 'product';
  active: boolean;
  created: number;
  default_price: string | null;
  description: string | null;
  images: string[];
  livemode: boolean;
  marketing_features: JsonValue[];
  metadata: Metadata;
  name: string;
  package_dimensions: null;
  shippable: boolean | null;
  statement_descriptor: string | null;
  tax_code: string | null;
  tax_details: null;
  type: 'service' | 'good';
  unit_label: string | null;
  updated: number;
  url: string | null;
};

export type Recurring = {
  interval: 'day' | 'week' | 'month' | 'year';
  interval_count: number;
  meter: null;
  trial_period_days: number | null;
  usage_type: 'licensed';
};

export type PriceObject = {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: boolean;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: Recurring | null;
  tax_behavior: string;
  tiers_mode: null;
  transform_quantity: null;
  type: 'one_time' | 'recurring';
  unit_amount: number;
  unit_amount_decimal: string;
};

/** A recurring price as the older Plans API shows it, on each subscription item. */
export type PlanObject = {
  id: string;
  object: 'plan';
  active: boolean;
  amount: number;
  amount_decimal: string;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  interval: Recurring['interval'];
  interval_count: number;
  livemode: boolean;
  metadata: Metadata;
  meter: null;
  nickname: string | null;
  product: string;
  tiers_mode: null;
  transform_usage: null;
  trial_period_days: number | null;
  usage_type: 'licensed';
};

export type SubscriptionItemObject = {
  id: string;
  object: 'subscription_item';
  billing_thresholds: null;
  created: number;
  current_period_end: number;
  current_period_start: number;
  current_trial: null;
  discounts: string[];
  metadata: Metadata;
  plan: PlanObject;
  price: PriceObject;
  quantity: number;
  subscription: string;
  tax_rates: JsonValue[];
};

export type ListObject<Item extends JsonValue> = {
  object: 'list';
  data: Item[];
  has_more: boolean;
  total_count: number;
  url: string;
};

export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

export type SubscriptionObject = {
  id: string;
  object: 'subscription';
  application: string | null;
  application_fee_percent: number | null;
  automatic_tax: JsonObject;
  billing_cycle_anchor: number;
  billing_cycle_anchor_config: null;
  billing_mode: { flexible: null; type: 'classic' };
  billing_schedules: JsonValue[];
  billing_thresholds: null;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: {
    comment: string | null;
    feedback: string | null;
    feedback_option: string | null;
    reason: string | null;
  };
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string;
  customer_account: null;
  days_until_due: null;
  default_payment_method: string | null;
  default_source: null;
  description: string | null;
  discounts: string[];
  ended_at: number | null;
  invoice_settings: JsonObject;
  items: ListObject<SubscriptionItemObject>;
  latest_invoice: string | null;
  livemode: boolean;
  managed_payments: null;
  metadata: Metadata;
  next_pending_invoice_item_invoice: null;
  on_behalf_of: string | null;
  pause_collection: null;
  payment_settings: JsonObject;
  pending_invoice_item_interval: null;
  pending_setup_intent: null;
  pending_update: null;
  schedule: null;
  start_date: number;
  status: SubscriptionStatus;
  test_clock: null;
  transfer_data: null;
  trial_end: number | null;
  trial_settings: {
    end_behavior: { billing_cycle_anchor: null; missing_payment_method: 'create_invoice' };
  };
  trial_start: number | null;
};

export type InvoiceLineObject = {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string;
  discount_amounts: JsonValue[];
  discountable: boolean;
  discounts: string[];
  invoice: string;
  livemode: boolean;
  metadata: Metadata;
  parent: {
    type: 'subscription_item_details';
    invoice_item_details: null;
    subscription_item_details: {
      invoice_item: null;
      proration: boolean;
      proration_details: { credited_items: null };
      subscription: string;
      subscription_item: string;
    };
  };
  period: { start: number; end: number };
  pretax_credit_amounts: JsonValue[];
  pricing: {
    type: 'price_details';
    price_details: { price: string; product: string };
    unit_amount_decimal: string;
  };
  quantity: number;
  quantity_decimal: string;
  subscription: string | null;
  subtotal: number;
  taxes: JsonValue[];
};

export type InvoicePaymentObject = {
  id: string;
  object: 'invoice_payment';
  amount_paid: number | null;
  amount_requested: number;
  created: number;
  currency: string;
  invoice: string;
  is_default: boolean;
  livemode: boolean;
  payment: { type: 'payment_intent'; payment_intent: string };
  status: string;
  status_transitions: { canceled_at: number | null; paid_at: number | null };
};

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export type InvoiceObject = {
  id: string;
  object: 'invoice';
  account_country: string;
  account_name: string | null;
  account_tax_ids: null;
  amount_due: number;
  amount_overpaid: number;
  amount_paid: number;
  amount_remaining: number;
  amount_shipping: number;
  application: string | null;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatic_tax: {
    disabled_reason: null;
    enabled: false;
    liability: null;
    provider: null;
    status: null;
  };
  automatically_finalizes_at: null;
  billing_reason: string;
  collection_method: 'charge_automatically';
  confirmation_secret: { client_secret: string; type: 'payment_intent' } | null;
  created: number;
  currency: string;
  custom_fields: null;
  customer: string;
  customer_account: null;
  customer_address: Address | null;
  customer_email: string | null;
  customer_name: string | null;
  customer_phone: string | null;
  customer_shipping: JsonObject | null;
  customer_tax_exempt: string;
  default_payment_method: string | null;
  default_source: null;
  default_tax_rates: JsonValue[];
  description: string | null;
  discounts: string[];
  due_date: number | null;
  effective_at: number | null;
  ending_balance: number | null;
  footer: string | null;
  from_invoice: null;
  hosted_invoice_url: string | null;
  issuer: { type: 'self' };
  last_finalization_error: null;
  latest_revision: null;
  lines: ListObject<InvoiceLineObject>;
  livemode: boolean;
  metadata: Metadata;
  next_payment_attempt: number | null;
  number: string;
  on_behalf_of: string | null;
  parent: JsonObject;
  payment_settings: {
    default_mandate: null;
    payment_method_options: null;
    payment_method_types: null;
  };
  payments: ListObject<InvoicePaymentObject>;
  period_end: number;
  period_start: number;
  /** Credit notes: the emulator issues none, so they are 0 (Stripe's value then). */
  post_payment_credit_notes_amount: number;
  pre_payment_credit_notes_amount: number;
  receipt_number: string | null;
  rendering: null;
  shipping_cost: null;
  shipping_details: null;
  starting_balance: number;
  statement_descriptor: string | null;
  status: InvoiceStatus;
  status_transitions: {
    finalized_at: number | null;
    marked_uncollectible_at: number | null;
    paid_at: number | null;
    voided_at: number | null;
  };
  subtotal: number;
  subtotal_excluding_tax: number;
  test_clock: null;
  total: number;
  total_discount_amounts: JsonValue[];
  total_excluding_tax: number;
  total_pretax_credit_amounts: JsonValue[];
  total_taxes: JsonValue[];
  webhooks_delivered_at: number | null;
};

export type AccountObject = {
  id: string;
  object: 'account';
  business_profile: JsonObject;
  business_type: string;
  capabilities: JsonObject;
  charges_enabled: boolean;
  country: string;
  created: number;
  default_currency: string;
  details_submitted: boolean;
  email: string | null;
  metadata: Metadata;
  payouts_enabled: boolean;
  requirements: JsonObject;
  settings: JsonObject;
  type: string;
};

export type BalanceFunds = {
  amount: number;
  currency: string;
  source_types: { card: number };
};

export type BalanceObject = {
  object: 'balance';
  available: BalanceFunds[];
  connect_reserved: BalanceFunds[];
  livemode: boolean;
  pending: BalanceFunds[];
};

export type WebhookEndpointObject = {
  id: string;
  object: 'webhook_endpoint';
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Metadata;
  /** Only in the answer that creates the endpoint. */
  secret?: string;
  status: 'enabled' | 'disabled';
  url: string;
};
