/**
 * Money is an integer amount of a currency's minor units. Stripe counts some currencies in whole
 * units (zero-decimal: 4900 jpy is ¥4,900) and a few in thousandths; everything here follows
 * Stripe's table, which is what the amounts we send it mean.
 */

/** Stripe's zero-decimal currencies: the amount is in whole units. */
export const zeroDecimalCurrencies: ReadonlySet<string> = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Stripe's three-decimal currencies: amounts must end in 0 (Stripe rounds to hundredths). */
export const threeDecimalCurrencies: ReadonlySet<string> = new Set([
  'bhd',
  'jod',
  'kwd',
  'omr',
  'tnd',
]);

/** The largest amount Stripe takes in one charge: eight digits of minor units. */
export const maximumAmount = 99_999_999;

const isoCurrencies: ReadonlySet<string> = new Set(
  Intl.supportedValuesOf('currency').map((code) => code.toLowerCase()),
);

export function isKnownCurrency(currency: string): boolean {
  return isoCurrencies.has(currency.toLowerCase());
}

/** How many digits after the decimal point one minor unit stands for: 0, 2 or 3. */
export function minorUnitDigitsOf(currency: string): number {
  const code = currency.toLowerCase();
  if (zeroDecimalCurrencies.has(code)) return 0;
  if (threeDecimalCurrencies.has(code)) return 3;
  return 2;
}

/** Minor units to the major-unit number a person reads: 4900 usd -> 49, 4900 jpy -> 4900. */
export function toMajorUnits(amount: number, currency: string): number {
  return amount / 10 ** minorUnitDigitsOf(currency);
}

/** `$49.00`, `€29.00`, `¥4,900`, in the given locale (English by default). */
export function formatMoney(amount: number, currency: string, locale = 'en-US'): string {
  return moneyFormatOf(currency, locale).format(toMajorUnits(amount, currency));
}

/** Building an Intl.NumberFormat costs far more than using one: one per currency and locale. */
const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormatOf(currency: string, locale: string): Intl.NumberFormat {
  const key = `${locale}:${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    const digits = minorUnitDigitsOf(currency);
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    moneyFormats.set(key, format);
  }
  return format;
}

export type Interval = 'day' | 'week' | 'month' | 'year';

export interface PriceTerms {
  amount: number;
  currency: string;
  type: 'one_time' | 'recurring';
  interval: Interval | null;
  intervalCount: number | null;
}

/** `$49.00`, `$19.00 / month`, `€99.00 every 3 months`. */
export function describePrice(price: PriceTerms, locale = 'en-US'): string {
  const money = formatMoney(price.amount, price.currency, locale);
  if (price.type === 'one_time' || price.interval === null) return money;
  const count = price.intervalCount ?? 1;
  return count === 1
    ? `${money} / ${price.interval}`
    : `${money} every ${count} ${price.interval}s`;
}

/** Why an amount cannot be charged in a currency, or null when it can. */
export function findAmountProblem(amount: number, currency: string): string | null {
  const code = currency.toLowerCase();
  if (!Number.isInteger(amount) || amount < 1) {
    return zeroDecimalCurrencies.has(code)
      ? `an amount is a whole number of ${code.toUpperCase()} at least 1; ${code} has no minor unit, so 4900 means ${formatMoney(4900, code)}`
      : `an amount is a whole number of minor units at least 1, e.g. 4900 for ${formatMoney(4900, code)}`;
  }
  if (amount > maximumAmount) {
    return `at most ${maximumAmount} minor units (${formatMoney(maximumAmount, code)}): Stripe takes no larger charge`;
  }
  if (threeDecimalCurrencies.has(code) && amount % 10 !== 0) {
    return `${code} amounts must end in 0: Stripe charges ${code} in hundredths (e.g. 5120 for ${formatMoney(5120, code)})`;
  }
  return null;
}
