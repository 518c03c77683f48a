/**
 * What went wrong talking to Stripe, in the terms routing and failover need. `account` errors mean
 * the account cannot take payments now (failover may move a new sale); `card` errors are about the
 * customer's card and never move a payment (retrying a declined card elsewhere is card testing).
 */
export type StripeFailureKind =
  | 'authentication' // 401: key mistyped, rolled, revoked, expired
  | 'permission' // 403: restricted key or Connect access without the permission
  | 'card' // 402: declined, or authentication required
  | 'rate_limit' // 429
  | 'stripe_error' // 5xx
  | 'connection' // no answer: network failure, reset, timeout
  | 'invalid_request' // 400/404: our request was wrong, or the object does not exist
  | 'idempotency' // an idempotency key reused with other parameters
  | 'oauth'; // Connect OAuth: bad code, revoked grant

export class StripeGatewayError extends Error {
  override readonly name = 'StripeGatewayError';
  readonly kind: StripeFailureKind;
  readonly statusCode: number | null;
  /** Stripe's error code (`card_declined`, `api_key_expired`, `resource_missing`, …). */
  readonly stripeCode: string | null;
  readonly declineCode: string | null;
  readonly requestId: string | null;
  readonly param: string | null;
  /** The PaymentIntent a card error left behind (e.g. an off-session charge that needs the buyer). */
  readonly paymentIntentId: string | null;
  /** A connection failure that was our timeout running out (the account is hung), not a reset. */
  readonly timedOut: boolean;
  /** A connection failure's own words (`connect ECONNREFUSED …`, `getaddrinfo ENOTFOUND …`, a TLS error). */
  readonly networkCause: string | null;

  constructor(input: {
    kind: StripeFailureKind;
    message: string;
    statusCode?: number | null;
    stripeCode?: string | null;
    declineCode?: string | null;
    requestId?: string | null;
    param?: string | null;
    paymentIntentId?: string | null;
    timedOut?: boolean;
    networkCause?: string | null;
  }) {
    super(input.message);
    this.kind = input.kind;
    this.statusCode = input.statusCode ?? null;
    this.stripeCode = input.stripeCode ?? null;
    this.declineCode = input.declineCode ?? null;
    this.requestId = input.requestId ?? null;
    this.param = input.param ?? null;
    this.paymentIntentId = input.paymentIntentId ?? null;
    this.timedOut = input.timedOut ?? false;
    this.networkCause = input.networkCause ?? null;
  }

  /** True when the account, not the card or our request, is the problem. */
  get isAccountLevel(): boolean {
    return (
      this.kind === 'authentication' ||
      this.kind === 'permission' ||
      this.kind === 'rate_limit' ||
      this.kind === 'stripe_error' ||
      this.kind === 'connection' ||
      (this.kind === 'invalid_request' && this.stripeCode === 'account_invalid')
    );
  }
}
