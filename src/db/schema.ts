import type { AnalyticsTables } from './schema-analytics.js';
import type { CouponTables } from './schema-coupons.js';
import type { RecoveryTables } from './schema-recovery.js';
import type { SharedTables } from './schema-shared.js';

/**
 * The tables as Kysely sees them. Times are ISO-8601 UTC strings and JSON is text, so SQLite and
 * PostgreSQL return the same shapes; booleans are 0/1 integers; money is integer minor units.
 * Issue 17's tables are declared in their own files (abandoned checkouts: schema-recovery.ts, analytics: schema-analytics.ts, coupons: schema-coupons.ts).
 */
export interface Database extends RecoveryTables, AnalyticsTables, CouponTables, SharedTables {
  workspaces: WorkspaceTable;
  accounts: AccountTable;
  account_credentials: AccountCredentialTable;
  audit_log: AuditLogTable;
  api_tokens: ApiTokenTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_events: WebhookEventTable;
  oauth_states: OAuthStateTable;
  routing_versions: RoutingVersionTable;
  routing_active: RoutingActiveTable;
  account_breakers: AccountBreakerTable;
  payment_attempts: PaymentAttemptTable;
  payment_attempt_tries: PaymentAttemptTryTable;
  charge_attempts: ChargeAttemptTable;
  products: ProductTable;
  product_prices: ProductPriceTable;
  funnels: FunnelTable;
  funnel_steps: FunnelStepTable;
  customers: CustomerTable;
  routing_ramps: RoutingRampTable;
  customer_accounts: CustomerAccountTable;
  orders: OrderTable;
  payments: PaymentTable;
  refunds: RefundTable;
  subscriptions: SubscriptionTable;
  stripe_catalog_objects: StripeCatalogObjectTable;
  payment_checks: PaymentCheckTable;
  stripe_event_cursors: StripeEventCursorTable;
  setup_revision: SetupRevisionTable;
  test_payments: TestPaymentTable;
  unrecorded_payments: UnrecordedPaymentTable;
  unrecorded_search_cursors: UnrecordedSearchCursorTable;
  job_leases: JobLeaseTable;
  job_runs: JobRunTable;
  alert_settings: AlertSettingsTable;
  alert_conditions: AlertConditionTable;
  alert_deliveries: AlertDeliveryTable;
  alert_marks: AlertMarkTable;
  connect_callback_failures: ConnectCallbackFailureTable;
  webhook_signature_failures: WebhookSignatureFailureTable;
  users: UserTable;
  console_sessions: ConsoleSessionTable;
  user_invites: UserInviteTable;
  one_time_codes: OneTimeCodeTable;
  sign_in_throttle: SignInThrottleTable;
}

/** One row: moved on by triggers at every change of accounts, keys, routing or catalog. */
export interface SetupRevisionTable {
  revision: number;
}

export interface OAuthStateTable {
  state_id: string;
  workspace_id: string;
  handle: string;
  actor: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface WorkspaceTable {
  workspace_id: string;
  name: string;
  created_at: string;
}

export interface AccountTable {
  account_id: string;
  workspace_id: string;
  handle: string;
  label: string;
  purpose: string;
  role: 'primary' | 'secondary';
  priority: number;
  /** JSON array of lower-case ISO currency codes, or null for "any". */
  currencies: string | null;
  enabled: number;
  drain: number;
  connected_by: 'api_keys' | 'oauth';
  stripe_account_id: string;
  country: string | null;
  default_currency: string | null;
  charges_enabled: number;
  disabled_reason: string | null;
  /** What Stripe last told us: `healthy`, `restricted` (cannot charge) or `disconnected`. */
  status: 'healthy' | 'restricted' | 'disconnected';
  status_reason: string | null;
  verified_at: string | null;
  created_at: string;
  updated_at: string;
  removed_at: string | null;
  /** JSON list of volume caps [{currency, period, amount}], or null for none (issue 16). */
  caps: string | null;
}

export interface AccountCredentialTable {
  account_id: string;
  mode: 'test' | 'live';
  workspace_id: string;
  kind: 'secret_key' | 'restricted_key' | 'oauth';
  secret_encrypted: string;
  /** `sk_test_…abcd`: enough to recognise a key, never enough to use it. */
  secret_masked: string;
  publishable_key: string;
  refresh_token_encrypted: string | null;
  scope: string | null;
  created_at: string;
}

export interface AuditLogTable {
  audit_id: string;
  workspace_id: string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  before: string | null;
  after: string | null;
}

export interface ApiTokenTable {
  token_id: string;
  workspace_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface WebhookEndpointTable {
  endpoint_id: string;
  workspace_id: string;
  account_id: string;
  mode: 'test' | 'live';
  stripe_endpoint_id: string | null;
  url: string;
  secret_encrypted: string | null;
  created_at: string;
  removed_at: string | null;
}

export interface WebhookEventTable {
  webhook_event_id: string;
  workspace_id: string;
  account_id: string;
  endpoint_id: string;
  stripe_event_id: string;
  type: string;
  stripe_created: number;
  payload: string;
  received_at: string;
  processed_at: string | null;
  attempts: number;
  last_error: string | null;
  /** Until when an instance is reacting to it (migration 0021); null when no one is. */
  claimed_until: string | null;
  /** The claiming instance's token (migration 0022); only it renews or gives back the claim. */
  claimed_by: string | null;
}

export interface RoutingVersionTable {
  workspace_id: string;
  version: number;
  /** JSON of the routing document as applied: accounts part, rules, funnels, steps, products. */
  document: string;
  author: string;
  message: string;
  /** Set when this version is a rollback: the version it copies. */
  restored_from: number | null;
  created_at: string;
}

export interface RoutingActiveTable {
  workspace_id: string;
  version: number;
  activated_at: string;
}

export interface AccountBreakerTable {
  account_id: string;
  mode: 'test' | 'live';
  workspace_id: string;
  /** Half-open is not stored: it is an open breaker whose cooldown has passed. */
  state: 'closed' | 'open';
  consecutive_failures: number;
  /** Bumped on every state change; the failure rate counts only outcomes of the current epoch. */
  epoch: number;
  /** JSON array of the latest outcomes, newest last. */
  recent: string;
  state_changed_at: string;
  /** When the one trial request of a half-open breaker was let through. */
  trial_started_at: string | null;
  /** Optimistic lock: every write checks and bumps it, so instances never lose an outcome. */
  revision: number;
  updated_at: string;
}

export interface PaymentAttemptTable {
  attempt_id: string;
  workspace_id: string;
  payment_id: string;
  attempt_number: number;
  account_id: string;
  account_handle: string;
  mode: 'test' | 'live';
  idempotency_key: string;
  amount: number;
  currency: string;
  /** `created`: Stripe made the PaymentIntent (or subscription); the card is another matter. */
  status: 'pending' | 'created' | 'failed';
  failure_kind: string | null;
  stripe_code: string | null;
  decline_code: string | null;
  http_status: number | null;
  request_id: string | null;
  message: string | null;
  payment_intent_id: string | null;
  latency_ms: number | null;
  /** JSON of the routing decision this attempt followed. */
  decision: string;
  started_at: string;
  finished_at: string | null;
}

/** One request of an attempt to Stripe: an attempt is sent again after a 429 or a reset, or a crash. */
export interface PaymentAttemptTryTable {
  try_id: string;
  attempt_id: string;
  try_number: number;
  workspace_id: string;
  payment_id: string;
  outcome: 'created' | 'failed';
  failure_kind: string | null;
  stripe_code: string | null;
  decline_code: string | null;
  http_status: number | null;
  request_id: string | null;
  message: string | null;
  latency_ms: number;
  started_at: string;
  finished_at: string;
}

export type ChargeOutcome = 'declined' | 'authentication_failed' | 'failed' | 'paid';

/** What Stripe reports of one try to charge a card on a PaymentIntent (webhook or read). */
export interface ChargeAttemptTable {
  charge_attempt_id: string;
  workspace_id: string;
  payment_id: string;
  payment_intent_id: string;
  /** The charge id, or the PaymentIntent, error code and card when no charge was made. */
  charge_key: string;
  charge_id: string | null;
  outcome: ChargeOutcome;
  stripe_code: string | null;
  decline_code: string | null;
  message: string | null;
  /** Who told us: `payment_intent.payment_failed`, `charge.failed`, `return`, … */
  source: string;
  recorded_at: string;
}

export interface ProductTable {
  product_id: string;
  workspace_id: string;
  slug: string;
  name: string;
  description: string;
  image_url: string | null;
  /** JSON array of product lines, e.g. ["courses"]. */
  tags: string;
  created_at: string;
  updated_at: string;
}

export interface ProductPriceTable {
  price_id: string;
  workspace_id: string;
  product_id: string;
  /** Lower-case ISO 4217 code; one price per currency and product. */
  currency: string;
  /** Minor units of the currency (whole yen for jpy). */
  amount: number;
  type: 'one_time' | 'recurring';
  interval: 'day' | 'week' | 'month' | 'year' | null;
  interval_count: number | null;
  created_at: string;
  updated_at: string;
}

export interface FunnelTable {
  funnel_id: string;
  workspace_id: string;
  slug: string;
  name: string;
  mode: 'test' | 'live';
  created_at: string;
  updated_at: string;
}

export interface FunnelStepTable {
  step_id: string;
  workspace_id: string;
  funnel_id: string;
  slug: string;
  /** 0-based order of the step in its funnel. */
  position: number;
  kind: 'optin' | 'sales' | 'order' | 'upsell' | 'downsell' | 'thankyou';
  /** The main offer (order) or the one product (upsell, downsell). */
  product_id: string | null;
  /** The order bump of an order step. */
  bump_product_id: string | null;
  /** JSON of the content blocks. */
  content: string;
  created_at: string;
  updated_at: string;
}

export interface CustomerTable {
  customer_id: string;
  workspace_id: string;
  /** Lower case; one customer per email in a workspace. */
  email: string;
  name: string;
  country: string | null;
  created_at: string;
  updated_at: string;
}

export interface CustomerAccountTable {
  customer_id: string;
  account_id: string;
  mode: 'test' | 'live';
  stripe_customer_id: string;
  created_at: string;
}

export type OrderStatus = 'open' | 'paid' | 'partially_refunded' | 'refunded';

export interface OrderTable {
  order_id: string;
  workspace_id: string;
  funnel_slug: string;
  mode: 'test' | 'live';
  customer_id: string;
  email: string;
  name: string;
  /** ISO alpha-2, upper case: known before the card form, so routing rules on country work. */
  country: string;
  /** Derived from the payments: never stored ahead of them. */
  status: OrderStatus;
  paid_amount: number;
  refunded_amount: number;
  /** The currency of the first payment; null until one is made. */
  currency: string | null;
  created_at: string;
  updated_at: string;
}

export type PaymentKind = 'initial' | 'upsell' | 'renewal';

/**
 * Stripe's PaymentIntent statuses, plus `pending` before Stripe was asked. `succeeded` and
 * `canceled` are final: nothing moves a payment out of them.
 */
export type PaymentStatus =
  | 'pending'
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'requires_capture'
  | 'processing'
  | 'succeeded'
  | 'canceled';

export interface PaymentTable {
  /** Also the failover executor's payment id: every attempt's idempotency key derives from it. */
  payment_id: string;
  workspace_id: string;
  order_id: string;
  kind: PaymentKind;
  step_slug: string;
  /** The payment whose account and saved card an upsell or renewal continues. */
  parent_payment_id: string | null;
  /** Null until an attempt on an account succeeded. */
  account_id: string | null;
  account_handle: string | null;
  mode: 'test' | 'live';
  amount: number;
  currency: string;
  /** JSON array of what the payment buys: [{product, name, amount, recurring}]. */
  lines: string;
  status: PaymentStatus;
  payment_intent_id: string | null;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  subscription_id: string | null;
  refunded_amount: number;
  /** Stripe's message of the last failure (a decline), for the visitor and the merchant. */
  failure_message: string | null;
  /** JSON of the routing decision that put the payment on its account. */
  decision: string | null;
  /** JSON of the routing context the router saw (without health), for replay; null before 0016. */
  routing_context: string | null;
  created_at: string;
  updated_at: string;
}

export interface RefundTable {
  refund_id: string;
  workspace_id: string;
  payment_id: string;
  account_id: string;
  account_handle: string;
  amount: number;
  currency: string;
  status: string;
  stripe_refund_id: string | null;
  reason: string | null;
  actor: string;
  /** JSON of the routing decision (kind `refund`: the payment's own account). */
  decision: string;
  created_at: string;
  updated_at: string;
}

export interface SubscriptionTable {
  stripe_subscription_id: string;
  workspace_id: string;
  account_id: string;
  order_id: string;
  /** The payment that started it; renewals are payments with this as their parent. */
  payment_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface StripeCatalogObjectTable {
  account_id: string;
  mode: 'test' | 'live';
  /** Our product_id or price_id. */
  local_id: string;
  stripe_id: string;
  created_at: string;
}

/** When reconciliation last asked Stripe about an unsettled payment, and when it asks next. */
export interface PaymentCheckTable {
  payment_id: string;
  checks: number;
  checked_at: string;
  next_check_at: string;
}

/** The newest event of an account's events list (per mode) that Switchyard has stored. */
export interface StripeEventCursorTable {
  account_id: string;
  mode: 'test' | 'live';
  workspace_id: string;
  last_event_id: string;
  last_event_created: number;
  updated_at: string;
}

/** One test payment on one account and mode: a charge refunded (test) or a PaymentIntent canceled (live). */
export interface TestPaymentTable {
  test_payment_id: string;
  workspace_id: string;
  account_id: string;
  account_handle: string;
  mode: 'test' | 'live';
  /** Who ran it: `job:test_payments`, `cli:<user>`, `token:<name>`. */
  actor: string;
  started_at: string;
  finished_at: string | null;
  outcome: 'running' | 'succeeded' | 'failed';
  amount: number;
  currency: string;
  payment_intent_id: string | null;
  refund_id: string | null;
  /** Stripe's request id of the last call made (or of the one that failed). */
  request_id: string | null;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number | null;
}

/** A PaymentIntent at Stripe with Switchyard's metadata and no payment or attempt here. */
export interface UnrecordedPaymentTable {
  payment_intent_id: string;
  workspace_id: string;
  account_id: string;
  account_handle: string;
  mode: 'test' | 'live';
  amount: number;
  currency: string;
  stripe_status: string;
  /** Our ids from its metadata, when it has them. */
  order_id: string | null;
  payment_id: string | null;
  stripe_created_at: string;
  found_at: string;
  /** `open` until adopted into its order or explained by the merchant. */
  state: 'open' | 'adopted' | 'explained';
  /** Why it is not adopted yet, or how it was resolved. */
  reason: string;
  resolved_at: string | null;
  resolved_by: string | null;
}

/** How far (unix seconds of `created`) the search for unrecorded payments has read. */
export interface UnrecordedSearchCursorTable {
  account_id: string;
  mode: 'test' | 'live';
  workspace_id: string;
  searched_until: number;
  updated_at: string;
}

/** Who runs a job's current slot; one row per job, free again once its holder finishes or expires. */
export interface JobLeaseTable {
  workspace_id: string;
  job: string;
  slot_start: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** One run of a job for one slot, by one instance. */
export interface JobRunTable {
  run_id: string;
  workspace_id: string;
  job: string;
  slot_start: string;
  instance: string;
  started_at: string;
  finished_at: string | null;
  outcome: 'running' | 'ok' | 'failed' | 'abandoned';
  summary: string | null;
  error: string | null;
}

/** Alert channels set through the API or CLI; null columns fall back to the environment. */
export interface AlertSettingsTable {
  workspace_id: string;
  /** Sealed by the vault: the Slack URL is a credential. */
  sealed_slack_webhook_url: string | null;
  /** Sealed by the vault: it carries the SMTP password. */
  sealed_smtp_url: string | null;
  email_from: string | null;
  /** Comma separated. */
  email_to: string | null;
  warnings: number | null;
  digest: number | null;
  updated_at: string;
  updated_by: string;
}

/** A doctor finding that was not `pass`: code + account + mode ('' for none). */
export interface AlertConditionTable {
  workspace_id: string;
  code: string;
  account: string;
  mode: string;
  status: 'warn' | 'fail';
  detail: string;
  since: string;
  notified_at: string | null;
  resolved_at: string | null;
}

/** One message for one channel, retried with backoff until sent or given up. */
export interface AlertDeliveryTable {
  delivery_id: string;
  workspace_id: string;
  channel: 'slack' | 'email';
  topic: string;
  subject: string;
  body: string;
  created_at: string;
  attempts: number;
  next_at: string;
  last_error: string | null;
  sent_at: string | null;
  gave_up_at: string | null;
}

/** What the alerts job remembers between runs: the audit cursor, the last digest's day. */
export interface AlertMarkTable {
  workspace_id: string;
  name: string;
  value: string;
}

export interface ConnectCallbackFailureTable {
  failure_id: string;
  workspace_id: string | null;
  handle: string | null;
  outcome: string;
  stripe_error: string | null;
  message: string;
  occurred_at: string;
}

/** A delivery whose signature did not verify; no payload, no header. */
export interface WebhookSignatureFailureTable {
  failure_id: string;
  workspace_id: string;
  account_id: string;
  endpoint_id: string;
  mode: 'test' | 'live';
  /** `mismatch` (another secret), `stale` (outside the tolerance), `unsigned`. */
  reason: 'mismatch' | 'stale' | 'unsigned';
  received_at: string;
}

/** A person who signs in to the console: owner, admin or viewer of one workspace. */
export interface UserTable {
  user_id: string;
  workspace_id: string;
  email: string;
  name: string;
  role: string;
  /** argon2id, in its PHC string form. */
  password_hash: string;
  created_at: string;
  updated_at: string;
}

/** A console session: the SHA-256 of its token, never the token. */
export interface ConsoleSessionTable {
  session_id: string;
  token_hash: string;
  workspace_id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute expiry; the idle one is `last_seen_at` plus the idle limit. */
  expires_at: string;
  revoked_at: string | null;
}

/** An invite by one-time link, with the role the new user gets. */
export interface UserInviteTable {
  invite_id: string;
  token_hash: string;
  workspace_id: string;
  email: string;
  role: string;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
}

/** A one-time code (the setup code, the demo's sign-in link), kept as its SHA-256. */
export interface OneTimeCodeTable {
  code_hash: string;
  workspace_id: string;
  purpose: string;
  user_id: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Failed sign-ins in the current window, per IP and per email, shared by every instance. */
export interface SignInThrottleTable {
  throttle_key: string;
  window_start: string;
  failures: number;
}

/** A migration ramp (issue 16): routing versions that move new payments from one account to another. */
export interface RoutingRampTable {
  ramp_id: string;
  workspace_id: string;
  from_handle: string;
  to_handle: string;
  /** JSON list of the new account's percentages, e.g. [10, 25, 50, 100]. */
  steps: string;
  every_seconds: number;
  /** Index into steps of the next step to write; equal to its length once done. */
  next_step: number;
  next_at: string | null;
  status: 'active' | 'done' | 'canceled';
  last_version: number | null;
  last_error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}
