import type { StripeGatewayError } from './errors.js';

/** How a request is sent again on its own account after a 429 or a reset (Stripe's advice). */
export interface RetryPolicy {
  /** Requests in all, the first included. */
  tries: number;
  /** The wait before retry `n` (1 for the first retry). */
  backoffMs(retry: number): number;
}

/** Exponential backoff with jitter: about 100, then 200 ms; three tries stay inside a checkout. */
export const stripeRetry: RetryPolicy = {
  tries: 3,
  backoffMs: (retry) => Math.round(100 * 2 ** (retry - 1) * (0.5 + Math.random() / 2)),
};

/** A 429, or a connection dropped before an answer (not our timeout: a hung account is left). */
export function isWorthRetrying(failure: StripeGatewayError): boolean {
  return failure.kind === 'rate_limit' || (failure.kind === 'connection' && !failure.timedOut);
}

/**
 * Also a 5xx, for a request that changes nothing more when sent again as it is: a read, or a value
 * set under its own idempotency key (a PaymentIntent's amount), where a new PaymentIntent would
 * fail over instead.
 */
export function isSafeToSendAgain(failure: StripeGatewayError): boolean {
  return isWorthRetrying(failure) || failure.kind === 'stripe_error';
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
