import type { ProductView } from '../catalog/catalog.service.js';
import { describePrice } from '../catalog/money.js';

/** One thing a payment buys. */
export interface PaymentLine {
  product: string;
  name: string;
  amount: number;
  currency: string;
  recurring: { interval: 'day' | 'week' | 'month' | 'year'; intervalCount: number } | null;
  /** `$49.00`, `€19.00 / month`. */
  price: string;
  bump?: boolean;
  /** A coupon's discount (a negative amount): the code the buyer applied. */
  coupon?: string;
}

/** The line of a product in one currency, or null when the product is not sold in it. */
export function lineOf(product: ProductView, currency: string, bump = false): PaymentLine | null {
  const price = product.prices.find((candidate) => candidate.currency === currency);
  if (!price) return null;
  return {
    product: product.slug,
    name: product.name,
    amount: price.amount,
    currency,
    recurring:
      price.type === 'recurring' && price.interval
        ? { interval: price.interval, intervalCount: price.intervalCount ?? 1 }
        : null,
    price: describePrice(price),
    ...(bump ? { bump: true } : {}),
  };
}

/** What the lines come to together. */
export function totalOf(lines: readonly PaymentLine[]): number {
  return lines.reduce((sum, line) => sum + line.amount, 0);
}
