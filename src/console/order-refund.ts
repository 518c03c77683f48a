import { formatMoney, minorUnitDigitsOf } from '../catalog/money.js';
import type { OrderDetail, PaymentView, RefundView } from '../checkout/orders.service.js';
import { AppError, isAppError } from '../errors.js';
import { messageFor } from '../http/hints.js';
import { escapeHtml } from '../http/pages.js';
import type { ConsoleVisit } from './console-app.js';
import { csrfInput } from './forms.js';
import { renderConsolePage } from './layout.js';
import { paymentKinds } from './order-badges.js';
import {
  orderHref,
  orderTitle,
  purchaseText,
  type RefundForm,
  type RefundProblem,
  refundableOf,
} from './order-detail.js';

/** The refund of a payment from the console: the amount in major units, a confirmation, the post. */

export function refundFormOf(body: unknown): RefundForm {
  const fields = (body ?? {}) as Record<string, unknown>;
  const text = (name: string, max: number) => {
    const value = fields[name];
    return typeof value === 'string' ? value.trim().slice(0, max) : '';
  };
  return { payment: text('payment', 100), amount: text('amount', 40), reason: text('reason', 500) };
}

/** The payment of this order the form names; not found when it is some other order's. */
export function paymentOf(order: OrderDetail, paymentId: string): PaymentView {
  const payment = order.payments.find((candidate) => candidate.id === paymentId);
  if (!payment) {
    throw new AppError('not_found', `This order has no payment ${paymentId}.`, {
      order: order.id,
    });
  }
  return payment;
}

/** `12.50` (or `12,50`, `1,234.50`) in the payment's currency → minor units; null means all. */
export function parseRefundAmount(
  text: string,
  currency: string,
): { amount: number | null } | { error: string } {
  if (text === '') return { amount: null };
  const digits = minorUnitDigitsOf(currency);
  let plain = text.replace(/\s/g, '').replace(/^[^\d.,]+|[^\d.,]+$/g, '');
  plain = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(plain) ? plain.replace(/,/g, '') : plain;
  plain = plain.replace(',', '.');
  const match = /^(\d{1,9})(?:\.(\d+))?$/.exec(plain);
  const example = (1250 / 10 ** digits).toFixed(digits);
  if (!match) return { error: `Enter an amount such as ${example}.` };
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return {
      error:
        digits === 0
          ? `Enter a whole number: ${currency.toUpperCase()} has no smaller unit.`
          : `Enter at most ${digits} digits after the point, such as ${example}.`,
    };
  }
  const amount = Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (amount < 1) return { error: 'Enter an amount above zero.' };
  return { amount };
}

/**
 * The amount to refund in minor units, or the form's refusal: more than is left, a bad number, a
 * payment that cannot be refunded.
 */
export function checkRefund(
  payment: PaymentView,
  form: RefundForm,
): { amount: number } | { problem: RefundProblem } {
  const refundable = refundableOf(payment);
  if (refundable <= 0) {
    const message =
      payment.status === 'succeeded'
        ? 'This payment is already refunded in full; nothing is left to refund.'
        : 'Only a payment that was paid can be refunded.';
    return { problem: { form, message, errors: null } };
  }
  const parsed = parseRefundAmount(form.amount, payment.currency);
  let problem = 'error' in parsed ? parsed.error : null;
  const amount = 'error' in parsed ? refundable : (parsed.amount ?? refundable);
  if (!problem && amount > refundable) {
    problem = `At most ${formatMoney(refundable, payment.currency)} is left to refund on this payment.`;
  }
  if (problem) {
    return {
      problem: { form, message: 'The refund was not made.', errors: { amount: problem } },
    };
  }
  return { amount };
}

/** The confirmation: exactly what will be refunded, of which payment, on which account. */
export function renderRefundConfirmation(
  visit: ConsoleVisit,
  order: OrderDetail,
  payment: PaymentView,
  form: RefundForm,
  amount: number,
): string {
  const money = formatMoney(amount, payment.currency);
  const left = refundableOf(payment) - amount;
  const account = payment.account ?? '';
  const buyer = order.name ? `${order.name} (${order.email})` : order.email;
  const changeLink = `${orderHref(order.id)}?${new URLSearchParams({
    payment: payment.id,
    amount: form.amount,
    reason: form.reason,
  }).toString()}#${encodeURIComponent(payment.id)}`;
  const facts: Array<[string, string]> = [
    [
      'Refund',
      `<strong>${escapeHtml(money)}</strong>${left === 0 ? ' (all that is left of this payment)' : ' (part of this payment)'}`,
    ],
    ['To', escapeHtml(buyer)],
    [
      'Of the payment',
      escapeHtml(
        `${paymentKinds[payment.kind] ?? payment.kind}, ${formatMoney(payment.amount, payment.currency)}${purchaseText(payment) ? `: ${purchaseText(payment)}` : ''}`,
      ),
    ],
    [
      'On the account',
      `<code>${escapeHtml(account)}</code> <span class="muted">(the account that took the payment; a refund always goes back through it)</span>`,
    ],
    [
      'Afterwards',
      escapeHtml(
        left === 0
          ? 'Nothing of this payment stays paid.'
          : `${formatMoney(left, payment.currency)} of this payment stays paid.`,
      ),
    ],
    ['Reason', form.reason ? escapeHtml(form.reason) : '<span class="muted">None given</span>'],
  ];
  const body = `<section class="panel confirm-refund" aria-labelledby="confirm-what">
<p class="lead" id="confirm-what">${escapeHtml(`Refund ${money} to ${buyer} on the Stripe account ${account}?`)}</p>
<dl class="facts">${facts.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>
<p>Stripe sends the money back to the card the buyer paid with. A refund cannot be undone.</p>
<div class="buttons">
<form method="post" action="${escapeHtml(orderHref(order.id))}/refunds/confirm" class="inline">${csrfInput(visit)}<input type="hidden" name="payment" value="${escapeHtml(payment.id)}"><input type="hidden" name="amount" value="${amount}"><input type="hidden" name="reason" value="${escapeHtml(form.reason)}"><button type="submit" class="button danger">${escapeHtml(`Refund ${money} on ${account}`)}</button></form>
<a class="button" href="${escapeHtml(changeLink)}">Change the refund</a>
</div>
</section>`;
  return renderConsolePage({
    visit,
    title: 'Confirm the refund',
    section: 'orders',
    breadcrumbs: [
      { href: '/admin/orders', label: 'Orders' },
      { href: orderHref(order.id), label: orderTitle(order) },
    ],
    body,
  });
}

/** The notice the order shows after a refund Stripe took. */
export function refundNotice(refund: RefundView): string {
  const money = formatMoney(refund.amount, refund.currency);
  return refund.status === 'succeeded'
    ? `Refunded ${money} on ${refund.account}. Stripe sends it back to the buyer's card.`
    : `Stripe took the refund of ${money} on ${refund.account}; it is ${refund.status.replace(/_/g, ' ')} at Stripe for now.`;
}

/**
 * A refund the service refused, as the order shows it: an amount problem beside the amount, an
 * unsure refund in words that say what happened and how to settle it, anything else as it is.
 */
export function refundProblemOf(
  error: unknown,
  payment: PaymentView,
  form: RefundForm,
): RefundProblem {
  if (!isAppError(error) || error.code === 'forbidden') throw error;
  const details = (error.details ?? {}) as Record<string, unknown>;
  if (details.unsure === true) {
    const amount = typeof details.amount === 'number' ? details.amount : 0;
    const money = formatMoney(amount, payment.currency);
    const message =
      error.code === 'conflict'
        ? `The refund of ${money} on ${payment.account ?? ''} is still unsure, so no other amount can be refunded on this payment until it is settled. Choose “Send the refund again” beside it first.`
        : `Stripe's answer to the refund of ${money} on ${payment.account ?? ''} was unclear, so it may or may not have been made. It is not counted as refunded until Stripe confirms it, and nothing will be refunded twice. Choose “Send the refund again” beside it to settle it.`;
    return { form, message, errors: null, atTop: true };
  }
  const amountRefused = (
    details as { fields?: Array<{ field: string; message: string }> }
  ).fields?.some((field) => field.field === 'amount');
  if (amountRefused) {
    const refundable = refundableOf(payment);
    return {
      form,
      message: 'The refund was not made.',
      errors: {
        amount: `At most ${formatMoney(refundable, payment.currency)} is left to refund on this payment.`,
      },
    };
  }
  return {
    form,
    message: `The refund was not made. ${messageFor(error, 'console')}`,
    errors: null,
  };
}
