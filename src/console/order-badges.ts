import { formatMoney } from '../catalog/money.js';
import type { OrderStatus, PaymentKind } from '../db/schema.js';
import { escapeHtml } from '../http/pages.js';
import { badge, type Tone } from './forms.js';

/** The words and colours the orders screens use for states, in the merchant's terms. */

const orderStatuses: Record<OrderStatus, { label: string; tone: Tone }> = {
  open: { label: 'Not paid yet', tone: 'muted' },
  paid: { label: 'Paid', tone: 'ok' },
  partially_refunded: { label: 'Partly refunded', tone: 'warn' },
  refunded: { label: 'Refunded', tone: 'info' },
};

export const orderStatusOptions = (Object.keys(orderStatuses) as OrderStatus[]).map((status) => ({
  value: status,
  label: orderStatuses[status].label,
}));

export function orderStatusBadge(status: OrderStatus): string {
  const known = orderStatuses[status];
  return known ? badge(known.label, known.tone) : badge(status, 'muted');
}

const paymentStatuses: Partial<Record<string, { label: string; tone: Tone }>> = {
  pending: { label: 'Not sent to Stripe yet', tone: 'muted' },
  requires_payment_method: { label: 'Waiting for a card', tone: 'muted' },
  requires_confirmation: { label: 'Waiting for the buyer', tone: 'muted' },
  requires_action: { label: 'Waiting for 3-D Secure', tone: 'warn' },
  requires_capture: { label: 'Authorised, not captured', tone: 'warn' },
  processing: { label: 'Processing', tone: 'info' },
  succeeded: { label: 'Paid', tone: 'ok' },
  canceled: { label: 'Cancelled', tone: 'fail' },
};

export function paymentStatusBadge(status: string): string {
  const known = paymentStatuses[status];
  return known ? badge(known.label, known.tone) : badge(status, 'muted');
}

export const paymentKinds: Record<PaymentKind, string> = {
  initial: 'Order form',
  upsell: 'One-click offer',
  renewal: 'Subscription renewal',
};

const refundStatuses: Partial<Record<string, { label: string; tone: Tone }>> = {
  succeeded: { label: 'Refunded', tone: 'ok' },
  pending: { label: 'Being sent', tone: 'info' },
  unsure: { label: 'Unsure', tone: 'warn' },
  not_sent: { label: 'Not sent', tone: 'warn' },
  failed: { label: 'Refused by Stripe', tone: 'fail' },
  canceled: { label: 'Cancelled', tone: 'fail' },
  requires_action: { label: 'Waiting at Stripe', tone: 'warn' },
};

export function refundStatusBadge(status: string): string {
  const known = refundStatuses[status];
  return known ? badge(known.label, known.tone) : badge(status, 'muted');
}

const chargeOutcomes: Partial<Record<string, { label: string; tone: Tone }>> = {
  paid: { label: 'Paid', tone: 'ok' },
  declined: { label: 'Declined', tone: 'fail' },
  authentication_failed: { label: '3-D Secure failed', tone: 'fail' },
  failed: { label: 'Failed', tone: 'fail' },
};

export function chargeOutcomeBadge(outcome: string): string {
  const known = chargeOutcomes[outcome];
  return known ? badge(known.label, known.tone) : badge(outcome, 'muted');
}

/** An amount in its currency, or a dash before the order has one. */
export function moneyText(amount: number, currency: string | null): string {
  return currency ? formatMoney(amount, currency) : '—';
}

/** The accounts that took an order's payments, each as a small code tag. */
export function accountsCell(accounts: readonly string[]): string {
  if (accounts.length === 0) return '<span class="muted">None yet</span>';
  return accounts.map((handle) => `<code>${escapeHtml(handle)}</code>`).join(', ');
}

/**
 * Who made a change, as the audit log and refunds name them: a person (`Name <email>`), an API
 * token, the command line, a job.
 */
export function actorText(actor: string): { name: string; detail: string | null } {
  const person = /^(.*) <([^<>]+)>$/.exec(actor);
  if (person?.[1] && person[2]) return { name: person[1], detail: person[2] };
  const [kind, ...rest] = actor.split(':');
  const name = rest.join(':');
  if (name && kind === 'token') return { name: `API token “${name}”`, detail: null };
  if (name && kind === 'cli') return { name: `Command line (${name})`, detail: null };
  if (name && kind === 'job')
    return { name: `Switchyard (${name.replace(/[-_]/g, ' ')})`, detail: null };
  return { name: actor, detail: null };
}

export function actorCell(actor: string): string {
  const { name, detail } = actorText(actor);
  return `${escapeHtml(name)}${detail ? `<br><span class="muted small">${escapeHtml(detail)}</span>` : ''}`;
}
