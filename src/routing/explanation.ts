import type { MatchLevel, ReasonCode } from './decision.js';
import type { Mode, PaymentKind } from './schema.js';

/**
 * The sentences of a decision's `explanation`, written for the merchant who asks "why this
 * account?". Each function returns one sentence (or a few), so the router reads as a story.
 */

export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

export function explainProductPin(products: readonly string[], handle: string): string {
  return products.length === 1
    ? `Product ${products[0]} pins account ${handle}.`
    : `Products ${joinWords(products)} pin account ${handle}.`;
}

export function explainProductConflict(
  pins: ReadonlyArray<{ product: string; handle: string }>,
): string[] {
  const products = pins.map((pin) => pin.product);
  const each = pins.map((pin) => `${pin.product} pins ${pin.handle}`);
  return [
    `Products ${joinWords(products)} pin different accounts: ${each.join(', ')}.`,
    'One payment cannot be split across accounts: sell these products in separate payments or pin them to the same account.',
  ];
}

export function explainStepPin(step: string, handle: string | null): string {
  return handle === null ? `Step ${step} has a pin.` : `Step ${step} pins account ${handle}.`;
}

export function explainFunnelPin(funnel: string, handle: string | null): string {
  return handle === null
    ? `Funnel ${funnel} has a pin.`
    : `Funnel ${funnel} pins account ${handle}.`;
}

export function explainRuleMatch(rule: string, handle: string | null): string {
  return handle === null
    ? `Rule ${rule} matches.`
    : `Rule ${rule} matches and uses account ${handle}.`;
}

export function explainDefault(primary: string | null): string {
  return primary === null
    ? 'No pin or rule applies, and there is no primary account.'
    : `No pin or rule applies, so the primary account ${primary} is used.`;
}

export function explainReason(
  handle: string,
  reason: ReasonCode,
  payment: { mode: Mode; currency: string },
): string {
  switch (reason) {
    case 'unknown_account':
      return `There is no account ${handle}.`;
    case 'disabled':
      return `${handle} is disabled.`;
    case 'draining':
      return `${handle} is draining and takes no new payments.`;
    case 'no_credentials_for_mode':
      return `${handle} has no ${payment.mode} credentials.`;
    case 'currency_not_accepted':
      return `${handle} does not accept ${payment.currency.toUpperCase()}.`;
    case 'health_degraded':
      return `${handle} is degraded but still takes payments.`;
    case 'health_down':
      return `${handle} is down.`;
    case 'health_disconnected':
      return `${handle} is disconnected.`;
    case 'health_restricted':
      return `${handle} is restricted and cannot take charges.`;
    case 'cap_reached':
      return `${handle} has reached a volume cap.`;
  }
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** 5000000 usd as "$50,000.00": Intl knows each currency's minor units. */
export function formatMinorUnits(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  let format = moneyFormats.get(code);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    moneyFormats.set(code, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

export function explainCapReached(
  handle: string,
  cap: { currency: string; period: 'day' | 'month'; amount: number },
  used: number,
  amount: number,
): string {
  const period = cap.period === 'day' ? 'daily' : 'monthly';
  const money = (value: number) => formatMinorUnits(value, cap.currency);
  return `${handle} has reached its ${period} ${cap.currency.toUpperCase()} cap of ${money(cap.amount)}: ${money(used)} taken this ${cap.period === 'day' ? 'UTC day' : 'UTC month'}, and ${money(amount)} more would pass it.`;
}

export function explainSplit(
  owner: string,
  weights: ReadonlyArray<{ account: string; weight: number }>,
): string {
  const shares = weights.map((share) => `${share.account} ${share.weight}`).join(', ');
  return `${owner} splits new payments by weight: ${shares}.`;
}

export function explainBucket(
  bucket: number,
  key: 'customer' | 'order' | 'none',
  pick: string,
): string {
  const from =
    key === 'customer'
      ? "the customer's email"
      : key === 'order'
        ? 'the order id'
        : 'no customer or order (the empty key)';
  return `The customer's bucket is ${bucket} of 10,000 (from ${from}), which falls on ${pick}.`;
}

export function explainSplitOthers(handles: readonly string[]): string {
  return `The split's other accounts, by weight: ${handles.join(', ')}.`;
}

export function explainAffinity(handle: string): string {
  return `The customer already has a Stripe customer on ${handle}, and the rule prefers the customer's account.`;
}

const levelNouns: Record<MatchLevel, string> = {
  continuation: 'The original payment',
  product: 'Product',
  step: 'Step',
  funnel: 'Funnel',
  rule: 'Rule',
  default: 'The default',
};

export function explainNoFallback(level: MatchLevel, ref: string | null): string {
  const owner = ref === null ? levelNouns[level] : `${levelNouns[level]} ${ref}`;
  return `${owner} allows no fallback.`;
}

export function explainFallbackList(handles: readonly string[]): string {
  return `Fallback list: ${handles.join(', ')}.`;
}

export function explainAutomaticFallback(hasOtherAccounts: boolean): string {
  return hasOtherAccounts
    ? 'Automatic fallback: the primary, then the secondaries by priority.'
    : 'Automatic fallback: there is no other account.';
}

export function explainTakes(handle: string): string {
  return `${handle} takes the payment.`;
}

export function explainNoAccount(): string {
  return 'No account can take the payment.';
}

export function explainContinuation(kind: Exclude<PaymentKind, 'initial'>, handle: string): string {
  switch (kind) {
    case 'upsell':
      return `An upsell is charged to the saved card, which only ${handle} can charge.`;
    case 'renewal':
      return `A renewal is charged on ${handle}, the account that holds the subscription.`;
    case 'refund':
      return `A refund runs on ${handle}, the account that took the payment.`;
  }
}

export function explainMissingParent(kind: Exclude<PaymentKind, 'initial'>): string {
  return `No original payment account was given for this ${kind}.`;
}

export function explainNewCardNeeded(): string[] {
  return [
    'The saved card cannot be charged; the customer must enter a new card.',
    'The new card is routed like a first payment.',
  ];
}

export function explainContinuationUnavailable(
  kind: 'renewal' | 'refund',
  handle: string | null,
): string {
  const account = handle ?? 'the original account';
  return kind === 'renewal'
    ? `The renewal cannot run until ${account} is available again; no other account can charge the saved card.`
    : `The refund cannot run until ${account} is available again; only the account that took the payment can refund it.`;
}
