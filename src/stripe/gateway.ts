/**
 * Everything Switchyard asks of Stripe, as verb-named calls that take one object and return one
 * object. Failures are thrown as StripeGatewayError. The implementation over the official SDK is
 * `stripe-gateway.ts`; it is the only code that imports `stripe`.
 */

/** The key a call is made with; `stripeAccount` acts on a connected account through a platform. */
export interface StripeCredentials {
  secretKey: string;
  stripeAccount?: string | undefined;
}

export interface StripeAccountSummary {
  id: string;
  country: string | null;
  defaultCurrency: string | null;
  chargesEnabled: boolean;
  /** Stripe's `requirements.disabled_reason` when charges are disabled. */
  disabledReason: string | null;
  displayName: string | null;
  payoutsEnabled: boolean;
  /** What Stripe asks of the account (`requirements`), in Stripe's field names. */
  requirements: {
    currentlyDue: string[];
    pastDue: string[];
    /** When `currently_due` must be provided, as an ISO time; null when Stripe sets none. */
    currentDeadline: string | null;
  };
}

/** A call that other callers make unbounded, and doctor or a job under its time limit. */
export type CallLimit = Partial<TimedCall>;

export interface PaymentIntentSummary {
  id: string;
  status: string;
  amount: number;
  currency: string;
  clientSecret: string | null;
  customer: string | null;
  paymentMethod: string | null;
  latestCharge: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  /** Stripe's request id of the answer this came from, when it came from creating it. */
  requestId?: string | null;
  lastPaymentError: {
    code: string | null;
    declineCode: string | null;
    message: string | null;
    /** The failed charge, when the card was charged (a decline; not a failed 3-D Secure). */
    charge: string | null;
    paymentMethod: string | null;
  } | null;
}

export interface CreatePaymentIntentInput {
  credentials: StripeCredentials;
  idempotencyKey: string;
  amount: number;
  currency: string;
  customer?: string;
  paymentMethod?: string;
  confirm?: boolean;
  offSession?: boolean;
  setupFutureUsage?: 'off_session' | 'on_session';
  captureMethod?: 'automatic' | 'manual';
  metadata?: Record<string, string>;
  description?: string;
  receiptEmail?: string;
}

export interface WebhookEndpointCreated {
  id: string;
  /** The signing secret; Stripe shows it only in this answer. */
  secret: string;
}

/** A webhook endpoint as Stripe holds it. */
export interface WebhookEndpointSummary {
  id: string;
  url: string;
  /** `enabled` or `disabled`, as Stripe shows it. */
  status: string;
  enabledEvents: string[];
  /** The version its events are rendered at; null: the account's default version. */
  apiVersion: string | null;
}

export interface OAuthGrant {
  stripeUserId: string;
  accessToken: string;
  refreshToken: string | null;
  publishableKey: string;
  livemode: boolean;
  scope: string | null;
}

export interface VerifiedWebhookEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  /** Set when the event is about a connected account. */
  account: string | null;
  object: Record<string, unknown>;
}

export interface SubscriptionCreated {
  id: string;
  status: string;
  /** The PaymentIntent of the first invoice, when it has one to pay. */
  paymentIntent: PaymentIntentSummary | null;
}

export interface RefundSummary {
  id: string;
  status: string;
  amount: number;
  currency: string;
  paymentIntent: string | null;
  metadata: Record<string, string>;
}

/** A charge as its events tell it: the decline, or how much of it was refunded. */
export interface ChargeSummary {
  id: string;
  paymentIntent: string | null;
  amountRefunded: number;
  failureCode: string | null;
  /** Stripe's `outcome.reason` (`generic_decline`, `insufficient_funds`, …). */
  declineCode: string | null;
  failureMessage: string | null;
}

/** An invoice as its events tell it. */
export interface InvoiceSummary {
  id: string;
  currency: string;
  amountDue: number;
  /** `subscription_create` for a subscription's first invoice, `subscription_cycle` after. */
  billingReason: string | null;
  subscription: string | null;
  paymentIntent: string | null;
}

/** A call no buyer waits on, under its caller's time limit (doctor, jobs, test payments). */
export interface TimedCall {
  timeoutMs: number;
  /** Checked before the call is sent: an aborted caller sends nothing more. */
  signal?: AbortSignal | undefined;
}

/** What Stripe answered, with the request id Stripe gave the call (kept with test payments). */
export interface Answered<T> {
  answer: T;
  requestId: string | null;
}

export interface StripeGateway {
  retrieveAccount(
    input: { credentials: StripeCredentials } & CallLimit,
  ): Promise<StripeAccountSummary>;
  createPaymentIntent(input: CreatePaymentIntentInput): Promise<PaymentIntentSummary>;
  retrievePaymentIntent(input: {
    credentials: StripeCredentials;
    id: string;
  }): Promise<PaymentIntentSummary>;
  /** The account's newest PaymentIntent, or null when it has none (doctor reads it back with the publishable key). */
  newestPaymentIntent(
    input: { credentials: StripeCredentials } & CallLimit,
  ): Promise<PaymentIntentSummary | null>;
  /** What the browser does: reads a PaymentIntent with a publishable key and its client secret. */
  retrievePaymentIntentAsClient(input: {
    publishableKey: string;
    stripeAccount?: string | undefined;
    clientSecret: string;
  }): Promise<PaymentIntentSummary>;
  /** Changes the amount of a PaymentIntent not yet confirmed (an order bump ticked or unticked). */
  updatePaymentIntent(input: {
    credentials: StripeCredentials;
    /** One key per change: the same change sent again is answered, not made twice. */
    idempotencyKey: string;
    id: string;
    amount: number;
    metadata?: Record<string, string>;
  }): Promise<PaymentIntentSummary>;
  /** PaymentIntents whose metadata holds `key: value`, newest first (reconciliation). */
  findPaymentIntentsByMetadata(input: {
    credentials: StripeCredentials;
    key: string;
    value: string;
  }): Promise<PaymentIntentSummary[]>;
  createCustomer(input: {
    credentials: StripeCredentials;
    idempotencyKey: string;
    email: string;
    name: string;
    metadata: Record<string, string>;
  }): Promise<{ id: string }>;
  createProduct(input: {
    credentials: StripeCredentials;
    idempotencyKey: string;
    name: string;
    metadata: Record<string, string>;
  }): Promise<{ id: string }>;
  createPrice(input: {
    credentials: StripeCredentials;
    idempotencyKey: string;
    product: string;
    currency: string;
    unitAmount: number;
    recurring: { interval: 'day' | 'week' | 'month' | 'year'; intervalCount: number } | null;
    metadata: Record<string, string>;
  }): Promise<{ id: string }>;
  /**
   * A subscription whose first invoice is paid through its PaymentIntent: with the card form
   * (`defaultPaymentMethod` absent), or at once off session with a saved card.
   */
  createSubscription(input: {
    credentials: StripeCredentials;
    idempotencyKey: string;
    customer: string;
    price: string;
    defaultPaymentMethod?: string;
    metadata: Record<string, string>;
  }): Promise<SubscriptionCreated>;
  createRefund(input: {
    credentials: StripeCredentials;
    idempotencyKey: string;
    paymentIntent: string;
    amount?: number;
    metadata: Record<string, string>;
  }): Promise<RefundSummary>;
  /** Every refund Stripe holds of a PaymentIntent, newest first (to find one whose answer was lost). */
  listRefunds(input: {
    credentials: StripeCredentials;
    paymentIntent: string;
  }): Promise<RefundSummary[]>;
  cancelPaymentIntent(
    input: {
      credentials: StripeCredentials;
      id: string;
      idempotencyKey: string;
    } & CallLimit,
  ): Promise<PaymentIntentSummary>;
  /** Whether a (restricted) key holds one permission, e.g. `payment_intents:write`. */
  checkPermission(
    input: {
      credentials: StripeCredentials;
      permission: string;
    } & CallLimit,
  ): Promise<'granted' | 'missing'>;
  /**
   * Whether Stripe knows the Connect platform's OAuth client id as the secret key's, asked
   * without touching any connection; when refused, `error` is in Stripe's words.
   */
  checkOAuthClient(
    input: { platformSecretKey: string; clientId: string } & CallLimit,
  ): Promise<{ known: true } | { known: false; error: string }>;
  createWebhookEndpoint(input: {
    credentials: StripeCredentials;
    url: string;
    events: string[];
    description: string;
    idempotencyKey: string;
    /** Pins the version its events are rendered at (Switchyard pins the SDK's). */
    apiVersion?: string;
  }): Promise<WebhookEndpointCreated>;
  deleteWebhookEndpoint(input: { credentials: StripeCredentials; id: string }): Promise<void>;
  /** Throws `resource_missing` when the endpoint was deleted at Stripe. */
  retrieveWebhookEndpoint(
    input: { credentials: StripeCredentials; id: string } & CallLimit,
  ): Promise<WebhookEndpointSummary>;
  /** Changes what Stripe lets change: the URL, the events, enabled or disabled. */
  updateWebhookEndpoint(
    input: {
      credentials: StripeCredentials;
      id: string;
      url?: string;
      events?: string[];
      disabled?: boolean;
    } & CallLimit,
  ): Promise<WebhookEndpointSummary>;
  exchangeOAuthCode(input: { platformSecretKey: string; code: string }): Promise<OAuthGrant>;
  deauthorizeAccount(input: {
    platformSecretKey: string;
    clientId: string;
    stripeUserId: string;
  }): Promise<void>;
  /**
   * A page of the account's events list (Stripe keeps 30 days), newest first: the events just
   * newer than `endingBefore`, or the newest at or after `createdSince` (unix seconds).
   */
  listEvents(
    input: {
      credentials: StripeCredentials;
      types: readonly string[];
      endingBefore?: string | undefined;
      startingAfter?: string | undefined;
      createdSince?: number | undefined;
      limit: number;
    } & CallLimit,
  ): Promise<{ events: VerifiedWebhookEvent[]; hasMore: boolean }>;
  verifyWebhookEvent(input: {
    payload: string | Buffer;
    signature: string;
    secret: string;
    toleranceSeconds: number;
  }): VerifiedWebhookEvent;
  /**
   * A test payment's PaymentIntent: confirmed with `paymentMethod` (a test card) when given,
   * otherwise created unconfirmed, so nothing is charged.
   */
  createTestPaymentIntent(
    input: TimedCall & {
      credentials: StripeCredentials;
      idempotencyKey: string;
      amount: number;
      currency: string;
      paymentMethod: string | null;
      metadata: Record<string, string>;
      description: string;
    },
  ): Promise<Answered<PaymentIntentSummary>>;
  refundTestPayment(
    input: TimedCall & {
      credentials: StripeCredentials;
      idempotencyKey: string;
      paymentIntent: string;
      metadata: Record<string, string>;
    },
  ): Promise<Answered<RefundSummary>>;
  cancelTestPaymentIntent(
    input: TimedCall & { credentials: StripeCredentials; idempotencyKey: string; id: string },
  ): Promise<Answered<PaymentIntentSummary>>;
  /**
   * One page (newest first) of the PaymentIntents created at or after `createdSince` (unix
   * seconds) whose metadata has `key` at all (Stripe's search: `-metadata['key']:null`).
   */
  searchPaymentIntentsWithMetadataKey(
    input: TimedCall & {
      credentials: StripeCredentials;
      key: string;
      createdSince: number;
      page?: string | undefined;
    },
  ): Promise<{
    /** Each with `created`, Stripe's unix seconds. */
    intents: Array<PaymentIntentSummary & { created: number }>;
    nextPage: string | null;
  }>;
}
