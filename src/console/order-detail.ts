import { formatMoney, minorUnitDigitsOf } from '../catalog/money.js';
import {
  isUnsettledRefund,
  stripeFailureText,
  unsettledRefundSentences,
} from '../checkout/order-words.js';
import type { OrderDetail, PaymentView } from '../checkout/orders.service.js';
import { escapeHtml } from '../http/pages.js';
import { roleAllows } from '../users/roles.js';
import type { ConsoleVisit } from './console-app.js';
import {
  badge,
  dataTable,
  errorSummary,
  type FieldErrors,
  formatWhen,
  postButton,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';
import {
  accountsCell,
  actorCell,
  chargeOutcomeBadge,
  moneyText,
  orderStatusBadge,
  paymentKinds,
  paymentStatusBadge,
  refundStatusBadge,
} from './order-badges.js';

/** `/admin/orders/{id}`: the order, each payment with its account and why, its history, refunds. */

/** The refund form of one payment, as typed: the amount in major units (12.50). */
export interface RefundForm {
  payment: string;
  amount: string;
  reason: string;
}

/**
 * A refund form to show filled in: refused (its message, each problem beside its field), or
 * brought back from the confirmation to change it (no message).
 */
export interface RefundProblem {
  form: RefundForm;
  message: string | null;
  errors: FieldErrors | null;
  /** About the payment rather than the form (an unsure refund): shown at the top of the page. */
  atTop?: boolean;
}

export const refundFieldLabels: Record<string, string> = {
  amount: 'Amount to refund',
  reason: 'Reason',
};

export function orderHref(orderId: string): string {
  return `/admin/orders/${encodeURIComponent(orderId)}`;
}

export function refundableOf(payment: PaymentView): number {
  return payment.status === 'succeeded' && payment.paymentIntent && payment.account
    ? Math.max(0, payment.amount - payment.refunded)
    : 0;
}

/** What the payment bought, in a line: "Launch Masterclass, Workbook (bump)". */
export function purchaseText(payment: PaymentView): string {
  return payment.lines.map((line) => `${line.name}${line.bump ? ' (bump)' : ''}`).join(', ');
}

function paymentHeading(payment: PaymentView, index: number): string {
  const on = payment.account ? ` on ${payment.account}` : '';
  return `Payment ${index + 1}: ${paymentKinds[payment.kind] ?? payment.kind}, ${formatMoney(payment.amount, payment.currency)}${on}`;
}

function paymentFacts(payment: PaymentView): string {
  const facts: Array<[string, string]> = [
    ['Status', paymentStatusBadge(payment.status)],
    ['Account', payment.account ? `<code>${escapeHtml(payment.account)}</code>` : 'Not chosen yet'],
    ['Amount', escapeHtml(formatMoney(payment.amount, payment.currency))],
  ];
  if (payment.refunded > 0) {
    facts.push(['Refunded', escapeHtml(formatMoney(payment.refunded, payment.currency))]);
  }
  facts.push(
    [
      'Bought',
      payment.lines.length
        ? `<ul class="plain">${payment.lines.map((line) => `<li>${escapeHtml(line.name)} ${escapeHtml(line.price)}${line.bump ? ` ${badge('Bump', 'info')}` : ''}</li>`).join('')}</ul>`
        : '—',
    ],
    ['Funnel step', `<code>${escapeHtml(payment.step)}</code>`],
    [
      'Stripe payment',
      payment.paymentIntent ? `<code>${escapeHtml(payment.paymentIntent)}</code>` : 'None yet',
    ],
  );
  if (payment.subscription) {
    facts.push(['Subscription', `<code>${escapeHtml(payment.subscription)}</code>`]);
  }
  if (payment.failureMessage) facts.push(['Last problem', escapeHtml(payment.failureMessage)]);
  return `<dl class="facts">${facts.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function decisionSection(payment: PaymentView, headingId: string): string {
  const explanation = payment.decision?.explanation ?? [];
  const sentences = explanation.length
    ? `<ol class="explanation">${explanation.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ol>`
    : '<p class="muted">No routing decision is recorded yet.</p>';
  return `<h3 id="${headingId}">Why this account</h3>${sentences}`;
}

const attemptResults: Record<string, string> = {
  created: badge('Made', 'ok'),
  failed: badge('Failed', 'fail'),
  pending: badge('No answer yet', 'warn'),
};

function attemptsTable(payment: PaymentView): string {
  const rows = payment.attempts.flatMap((attempt) => {
    const row = [
      `Attempt ${attempt.number}`,
      `<code>${escapeHtml(attempt.account)}</code>`,
      attemptResults[attempt.status] ?? escapeHtml(attempt.status),
      attempt.paymentIntentId ? `<code>${escapeHtml(attempt.paymentIntentId)}</code>` : '—',
      attempt.latencyMs === null ? '—' : `${attempt.latencyMs} ms`,
      attempt.status === 'failed' ? escapeHtml(stripeFailureText(attempt)) : '',
    ];
    // One request is the attempt itself; retries and resends are listed under it.
    if (attempt.tries.length <= 1) return [row];
    return [
      row,
      ...attempt.tries.map((tried) => [
        `<span class="try">Try ${tried.number}</span>`,
        '',
        tried.outcome === 'created' ? badge('Made', 'ok') : badge('Failed', 'fail'),
        '',
        `${tried.latencyMs} ms`,
        tried.outcome === 'failed' ? escapeHtml(stripeFailureText(tried)) : '',
      ]),
    ];
  });
  // The column of problems only when there is one to show.
  const failed = payment.attempts.some(
    (attempt) =>
      attempt.status === 'failed' || attempt.tries.some((tried) => tried.outcome === 'failed'),
  );
  const headers = ['Attempt', 'Account', 'Result', 'Stripe payment', 'Took', 'What went wrong'];
  return dataTable({
    caption: 'Attempts: making the payment at Stripe on an account',
    headers: failed ? headers : headers.slice(0, -1),
    rows: failed ? rows : rows.map((row) => row.slice(0, -1)),
    empty: 'No attempt yet: the payment was not sent to Stripe.',
  });
}

function chargesTable(payment: PaymentView): string {
  const said = payment.charges.some(
    (charge) => charge.message || charge.stripeCode || charge.declineCode,
  );
  const headers = ['When', 'Result', 'Charge', "Stripe's words"];
  const rows = payment.charges.map((charge) => [
    formatWhen(charge.recordedAt),
    chargeOutcomeBadge(charge.outcome),
    charge.chargeId ? `<code>${escapeHtml(charge.chargeId)}</code>` : '—',
    escapeHtml(
      [charge.message, charge.stripeCode, charge.declineCode]
        .filter((part) => part !== null && part !== '')
        .join(' · '),
    ),
  ]);
  return dataTable({
    caption: 'Card charges: what the card did',
    headers: said ? headers : headers.slice(0, -1),
    rows: said ? rows : rows.map((row) => row.slice(0, -1)),
    empty: 'No card charge yet.',
  });
}

function refundsSection(order: OrderDetail, payment: PaymentView, visit: ConsoleVisit): string {
  if (payment.refunds.length === 0) return '';
  const table = dataTable({
    caption: 'Refunds of this payment',
    headers: ['When', 'Amount', 'Account', 'Status', 'By', 'Reason', 'Stripe refund'],
    rows: payment.refunds.map((refund) => [
      formatWhen(refund.createdAt),
      escapeHtml(formatMoney(refund.amount, refund.currency)),
      `<code>${escapeHtml(refund.account)}</code>`,
      refundStatusBadge(refund.status),
      actorCell(refund.actor),
      refund.reason ? escapeHtml(refund.reason) : '<span class="muted">—</span>',
      refund.stripeRefundId ? `<code>${escapeHtml(refund.stripeRefundId)}</code>` : '—',
    ]),
    empty: '',
  });
  const mayRefund = roleAllows(visit.user.role, 'admin');
  const unsettled = payment.refunds.filter(isUnsettledRefund).map((refund) => {
    const money = formatMoney(refund.amount, refund.currency);
    const resend = mayRefund
      ? `<p>Sending it again is safe: Switchyard first looks for it at Stripe and records it if Stripe made it, and sends it only if Stripe never did.</p>
<div class="buttons">${postButton({
          action: `${orderHref(order.id)}/refunds/confirm`,
          label: 'Send the refund again',
          context: `: the refund of ${money} on ${refund.account}`,
          visit,
          fields: { payment: payment.id, refund: refund.id },
          tone: 'primary',
        })}</div>`
      : '<p>An owner or an admin can send it again from this page; that is safe.</p>';
    return `<div class="unsure-refund" id="${escapeHtml(refund.id)}"><p><strong>${escapeHtml(`The refund of ${money} on ${refund.account} is unsure.`)}</strong> ${escapeHtml(unsettledRefundSentences.join(' '))}</p>${resend}</div>`;
  });
  return `<h3>Refunds</h3><div class="wide-table">${table}</div>${unsettled.join('')}`;
}

function refundForm(
  order: OrderDetail,
  payment: PaymentView,
  visit: ConsoleVisit,
  problem: RefundProblem | null,
): string {
  const refundable = refundableOf(payment);
  if (refundable <= 0 || !roleAllows(visit.user.role, 'admin')) return '';
  if (payment.refunds.some(isUnsettledRefund)) {
    return '<p class="refund-form muted">Once the unsure refund above is settled, you can refund more of this payment.</p>';
  }
  const mine = problem?.form.payment === payment.id && !problem.atTop ? problem : null;
  const idPrefix = `refund-${payment.id}`;
  const errors = mine?.errors ?? {};
  return `<form method="post" action="${escapeHtml(orderHref(order.id))}/refunds" class="refund-form" aria-labelledby="${idPrefix}-title">
<h3 id="${idPrefix}-title">Refund this payment</h3>
${mine?.message ? errorSummary(mine.message, mine.errors, refundFieldLabels) : ''}
<input type="hidden" name="_csrf" value="${escapeHtml(visit.csrfToken)}">
<input type="hidden" name="payment" value="${escapeHtml(payment.id)}">
${textField({ id: mine ? 'field-amount' : `${idPrefix}-amount`, name: 'amount', label: refundFieldLabels.amount ?? 'Amount', inputmode: 'decimal', value: mine?.form.amount, hint: `Up to ${formatMoney(refundable, payment.currency)}, e.g. ${exampleAmount(refundable, payment.currency)}. Leave it empty to refund all of it.`, error: errors.amount })}
${textField({ id: mine ? 'field-reason' : `${idPrefix}-reason`, name: 'reason', label: refundFieldLabels.reason ?? 'Reason', value: mine?.form.reason, hint: 'Optional; kept with the refund, e.g. “Asked for it within 14 days”.', error: errors.reason })}
<div class="buttons"><button type="submit" class="button secondary">Review the refund</button></div>
</form>`;
}

/** A plain major-unit amount below what is left, as an example to type: "12.50". */
function exampleAmount(refundable: number, currency: string): string {
  const digits = minorUnitDigitsOf(currency);
  const half = Math.max(1, Math.floor(refundable / 2));
  return (half / 10 ** digits).toFixed(digits);
}

function paymentSection(
  order: OrderDetail,
  payment: PaymentView,
  index: number,
  visit: ConsoleVisit,
  problem: RefundProblem | null,
): string {
  const headingId = `payment-${index + 1}`;
  return `<section class="panel payment" aria-labelledby="${headingId}" id="${escapeHtml(payment.id)}">
<h2 id="${headingId}">${escapeHtml(paymentHeading(payment, index))}</h2>
${paymentFacts(payment)}
${decisionSection(payment, `${headingId}-why`)}
<h3>Attempts</h3>
<div class="wide-table">${attemptsTable(payment)}</div>
<h3>Card charges</h3>
<div class="wide-table">${chargesTable(payment)}</div>
${refundsSection(order, payment, visit)}
${refundForm(order, payment, visit, problem)}
</section>`;
}

function orderFacts(order: OrderDetail): string {
  const facts: Array<[string, string]> = [
    [
      'Status',
      `${orderStatusBadge(order.status)}${order.mode === 'test' ? ` ${badge('Test mode', 'muted')}` : ''}`,
    ],
    [
      'Buyer',
      `${order.name ? `${escapeHtml(order.name)}<br>` : ''}<a href="mailto:${escapeHtml(order.email)}">${escapeHtml(order.email)}</a>, ${escapeHtml(order.country)}`,
    ],
    ['Placed', formatWhen(order.createdAt)],
    ['Funnel', `<code>${escapeHtml(order.funnel)}</code>`],
    ['Paid', escapeHtml(moneyText(order.paid, order.currency))],
    [
      'Refunded',
      order.refunded > 0 ? escapeHtml(moneyText(order.refunded, order.currency)) : 'Nothing',
    ],
    ['Accounts', accountsCell(order.accounts)],
    ['Order', `<code>${escapeHtml(order.id)}</code>`],
  ];
  return `<section class="panel" aria-label="The order"><dl class="facts">${facts.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl></section>`;
}

export function orderTitle(order: Pick<OrderDetail, 'name' | 'email'>): string {
  return `Order from ${order.name || order.email}`;
}

export function renderOrderDetail(
  visit: ConsoleVisit,
  order: OrderDetail,
  problem: RefundProblem | null = null,
): string {
  const payments = order.payments.length
    ? order.payments
        .map((payment, index) => paymentSection(order, payment, index, visit, problem))
        .join('\n')
    : '<p class="empty">No payments yet: the buyer has not reached the card form.</p>';
  // A refusal that is about no field of a form is shown once, at the top.
  const shownInForm =
    !problem?.atTop &&
    order.payments.some(
      (payment) =>
        payment.id === problem?.form.payment &&
        refundableOf(payment) > 0 &&
        !payment.refunds.some(isUnsettledRefund),
    );
  const top =
    problem?.message && !shownInForm
      ? errorSummary(problem.message, problem.errors, refundFieldLabels)
      : '';
  return renderConsolePage({
    visit,
    title: orderTitle(order),
    section: 'orders',
    breadcrumbs: [{ href: '/admin/orders', label: 'Orders' }],
    body: `${top}${orderFacts(order)}\n${payments}`,
  });
}
