import type { PaymentLine } from '../checkout/payment-lines.js';
import { escapeHtml } from '../http/pages.js';
import { type CouponRefusal, refusalMessage } from './coupons.service.js';

export const couponRefusals = [
  'unknown',
  'expired',
  'used_up',
  'not_for_product',
  'not_for_currency',
  'not_for_subscriptions',
] as const satisfies readonly CouponRefusal[];

export interface CouponFieldView {
  /** POST target: `code` applies a code, `remove=yes` takes the order's off. */
  action: string;
  currency: string;
  /** The discount on the order now. */
  applied: PaymentLine | null;
  /** What the buyer typed, when it was refused. */
  typed: string;
  refused: CouponRefusal | null;
  productName: string;
}

/** Why a code was refused, from an error of the payment step; null for any other error. */
export function refusalOf(error: unknown): CouponRefusal | null {
  const details = (error as { details?: { field?: unknown; refused?: unknown } } | null)?.details;
  const refused = details?.field === 'code' ? details.refused : undefined;
  return couponRefusals.find((candidate) => candidate === refused) ?? null;
}

/**
 * The code field of the payment step, a plain form: applied, the page comes back with the new
 * total and the discount line; refused, with the typed code and the reason beside it.
 */
export function renderCouponField(view: CouponFieldView): string {
  const action = escapeHtml(view.action);
  const currency = `<input type="hidden" name="currency" value="${escapeHtml(view.currency)}">`;
  if (view.applied?.coupon) {
    return `<p class="line"><span>${escapeHtml(view.applied.name)}</span><b id="discount">${escapeHtml(view.applied.price)}</b></p>
<form class="coupon-remove" method="post" action="${action}">${currency}<input type="hidden" name="remove" value="yes"><button class="link-button" type="submit">Remove code ${escapeHtml(view.applied.coupon)}</button></form>`;
  }
  const message = view.refused
    ? refusalMessage(view.refused, view.typed.toUpperCase(), view.productName)
    : null;
  const error = message
    ? `<p class="field-error" id="coupon-error" role="alert">${escapeHtml(message)}</p>`
    : '';
  const described = message ? ' aria-describedby="coupon-error" aria-invalid="true"' : '';
  return `<form class="coupon" method="post" action="${action}">${currency}
<label for="coupon">Coupon code</label>
<div class="coupon-row"><input type="text" id="coupon" name="code" maxlength="40" autocomplete="off" autocapitalize="characters" value="${escapeHtml(view.typed)}"${described}><button class="coupon-apply" type="submit">Apply</button></div>${error}
</form>`;
}
