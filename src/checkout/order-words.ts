import type { RefundView } from './orders.service.js';
import type { StripeFailureRecord } from './payment-attempts.repository.js';

/** How an order's history is told to the merchant, the same in the CLI and the console. */

/** Why a request to Stripe failed: kind, HTTP status, Stripe's codes and words. */
export function stripeFailureText(failure: StripeFailureRecord): string {
  return [
    failure.failureKind,
    failure.httpStatus === null ? null : `HTTP ${failure.httpStatus}`,
    failure.stripeCode,
    failure.declineCode,
    failure.message,
  ]
    .filter((part) => part !== null && part !== '')
    .join(', ');
}

/** A refund Stripe has not clearly answered (a 5xx, a timeout, a reset, or a crash while sending). */
export function isUnsettledRefund(refund: Pick<RefundView, 'stripeRefundId' | 'status'>): boolean {
  return (
    refund.stripeRefundId === null && ['unsure', 'not_sent', 'pending'].includes(refund.status)
  );
}

/** What an unsettled refund means for the money, before the surface says how to settle it. */
export const unsettledRefundSentences = [
  "Stripe's answer to this refund was unclear, so it may or may not have been made.",
  'It is not counted as refunded until Stripe confirms it, and nothing will be refunded twice.',
] as const;
