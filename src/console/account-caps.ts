import { z } from 'zod';
import type { AccountView } from '../accounts/accounts.service.js';
import type { Mode } from '../accounts/key-verification.js';
import { formatMoney, isKnownCurrency, minorUnitDigitsOf } from '../catalog/money.js';
import { type CapReading, describeReading, percentOf } from '../doctor/checks/cap-readings.js';
import { escapeHtml } from '../http/pages.js';
import { type AccountCap, capPeriods } from '../routing/index.js';
import { roleAllows } from '../users/roles.js';
import { accountPath } from './account-list.js';
import { describeCap, modeNames } from './account-words.js';
import type { ConsoleVisit } from './console-app.js';
import {
  badge,
  csrfField,
  csrfInput,
  type FieldErrors,
  postButton,
  selectField,
  textField,
} from './forms.js';

/**
 * The account page's volume caps (issue 16): each cap with what the account took of it this UTC
 * day or month, and a form that sets one with the amount in major units, as a merchant thinks of
 * it ("50000" dollars, not 5000000 cents).
 */

/** The cap form as posted: every field a string, so what was typed comes back on a refusal. */
export const capFormBody = z.object({
  ...csrfField,
  currency: z.string().max(20).default(''),
  period: z.string().max(20).default('day'),
  amount: z.string().max(40).default(''),
});
export type CapForm = z.output<typeof capFormBody>;

export const capRemovalBody = z.object({
  ...csrfField,
  currency: z.string().max(20),
  period: z.enum(capPeriods),
});

/** The cap a form asks for, or the problem of each field beside it. */
export function capOfForm(
  form: CapForm,
): { cap: AccountCap; errors: null } | { cap: null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const currency = form.currency.trim().toLowerCase();
  if (!/^[a-z]{3}$/.test(currency) || !isKnownCurrency(currency)) {
    errors.currency = 'Type a three-letter currency code, such as USD or EUR.';
  }
  const period = capPeriods.find((one) => one === form.period);
  if (period === undefined) errors.period = 'Choose a UTC day or a UTC month.';
  const amount = errors.currency ? null : minorUnitsOf(form.amount, currency);
  if (typeof amount === 'string') errors.amount = amount;
  if (Object.keys(errors).length > 0 || period === undefined || typeof amount !== 'number') {
    return { cap: null, errors };
  }
  return { cap: { currency, period, amount }, errors: null };
}

/** "50,000.00" USD -> 5000000; the problem in words when it is not an amount of the currency. */
function minorUnitsOf(typed: string, currency: string): number | string {
  const digits = minorUnitDigitsOf(currency);
  const example = formatMoney(5_000_000 * 10 ** (digits - 2), currency);
  const text = typed.trim().replace(/[,\s]/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) {
    return `Type the amount in ${currency.toUpperCase()}, such as ${example.replace(/[^\d.,]/g, '')} for ${example}.`;
  }
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) {
    return digits === 0
      ? `${currency.toUpperCase()} has no decimals: type a whole amount, such as ${example.replace(/[^\d,]/g, '')}.`
      : `${currency.toUpperCase()} has ${digits} decimals at most.`;
  }
  // Whole and fraction digits joined as minor units: no floating point on money.
  const minor = Number(`${match[1]}${fraction.padEnd(digits, '0')}`);
  if (!Number.isSafeInteger(minor) || minor < 1) {
    return minor < 1
      ? 'A cap is more than zero; remove the cap for none.'
      : 'That amount is too large.';
  }
  return minor;
}

/** Where the merchant sees a cap's usage: a meter and the words, with a badge near or at 100 %. */
function readingItem(reading: CapReading): string {
  const percent = percentOf(reading);
  const state =
    percent >= 100
      ? ` ${badge('Cap reached: new payments go elsewhere', 'fail')}`
      : percent >= 80
        ? ` ${badge('Near the cap', 'warn')}`
        : '';
  const near = Math.floor(reading.cap.amount * 0.8);
  // The meter is the picture of the words after it, which say the same to a screen reader.
  const meter = `<meter min="0" max="${reading.cap.amount}" low="${near}" high="${near}" optimum="0" value="${Math.min(reading.used, reading.cap.amount)}" aria-hidden="true"></meter>`;
  return `${escapeHtml(describeReading(reading))}${state} ${meter}`;
}

function capItem(
  visit: ConsoleVisit,
  account: AccountView,
  cap: AccountCap,
  readings: Partial<Record<Mode, CapReading[]>>,
): string {
  const usage = (['live', 'test'] as const).flatMap((mode) => {
    const reading = readings[mode]?.find(
      (one) => one.cap.currency === cap.currency && one.cap.period === cap.period,
    );
    return reading
      ? [`<li><span class="gw-cap-mode">${modeNames[mode]}:</span> ${readingItem(reading)}</li>`]
      : [];
  });
  const remove = roleAllows(visit.user.role, 'admin')
    ? postButton({
        action: `${accountPath(account.handle)}/caps/remove`,
        label: 'Remove',
        context: `the cap of ${describeCap(cap)}`,
        visit,
        fields: { currency: cap.currency, period: cap.period },
      })
    : '';
  return `<li><strong>${escapeHtml(describeCap(cap))}</strong> ${remove}${usage.length ? `<ul class="gw-cap-usage">${usage.join('')}</ul>` : ''}</li>`;
}

/** The "Volume caps" panel of the account page. */
export function capsPanel(
  visit: ConsoleVisit,
  account: AccountView,
  readings: Partial<Record<Mode, CapReading[]>>,
  typed: { form: CapForm; errors: FieldErrors } | null,
): string {
  const caps = account.caps ?? [];
  const list = caps.length
    ? `<ul class="gw-caps">${caps.map((cap) => capItem(visit, account, cap, readings)).join('')}</ul>`
    : '<p class="muted">No cap: the account takes any volume routing sends it.</p>';
  const currency = typed?.form.currency ?? (account.defaultCurrency ?? 'usd').toUpperCase();
  const form = roleAllows(visit.user.role, 'admin')
    ? `<details class="gw-edit"${typed ? ' open' : ''}><summary>Set a cap</summary>
<form method="post" action="${accountPath(account.handle)}/caps" novalidate>${csrfInput(visit)}
${textField({ name: 'currency', label: 'Currency', value: currency, required: true, hint: 'Three letters, such as USD.', error: typed?.errors.currency })}
${selectField({
  name: 'period',
  label: 'Per',
  value: typed?.form.period ?? 'day',
  options: [
    { value: 'day', label: 'UTC day' },
    { value: 'month', label: 'UTC month' },
  ],
  error: typed?.errors.period,
})}
${textField({ name: 'amount', label: 'At most', value: typed?.form.amount ?? '', required: true, inputmode: 'decimal', hint: 'In the currency itself, such as 50000 for $50,000.00. A cap of the same currency and period is replaced.', error: typed?.errors.amount })}
<button type="submit" class="primary">Save the cap</button>
</form></details>`
    : '';
  return `<section class="panel" aria-labelledby="gw-caps"><h2 id="gw-caps">Volume caps</h2>${list}<p class="hint">Succeeded payments and those on their way count. A new payment that would pass a cap goes to the split's other accounts or the fallback; upsells, renewals and refunds stay here.</p>${form}</section>`;
}

/** The account's caps with `cap` in place of the one of the same currency and period. */
export function capsWith(account: AccountView, cap: AccountCap): AccountCap[] {
  const others = (account.caps ?? []).filter(
    (one) => one.currency !== cap.currency || one.period !== cap.period,
  );
  return [...others, cap];
}

export function capsWithout(
  account: AccountView,
  removed: { currency: string; period: AccountCap['period'] },
): AccountCap[] {
  return (account.caps ?? []).filter(
    (one) => one.currency !== removed.currency || one.period !== removed.period,
  );
}
