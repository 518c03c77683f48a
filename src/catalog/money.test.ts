import { describe, expect, it } from 'vitest';
import {
  describePrice,
  findAmountProblem,
  formatMoney,
  minorUnitDigitsOf,
  toMajorUnits,
} from './money.js';

describe('money in minor units', () => {
  it('formats usd and eur with cents and jpy in whole yen', () => {
    expect(formatMoney(4900, 'usd')).toBe('$49.00');
    expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(2900, 'eur')).toBe('€29.00');
    expect(formatMoney(2900, 'eur', 'de-DE')).toBe('29,00\u00a0€');
    expect(formatMoney(4900, 'jpy')).toBe('¥4,900');
    expect(formatMoney(4900, 'jpy', 'ja-JP')).toBe('￥4,900');
    expect(formatMoney(5120, 'kwd')).toBe('KWD\u00a05.120');
  });

  it('knows zero- and three-decimal currencies', () => {
    expect([minorUnitDigitsOf('jpy'), minorUnitDigitsOf('KRW'), minorUnitDigitsOf('usd')]).toEqual([
      0, 0, 2,
    ]);
    expect(minorUnitDigitsOf('bhd')).toBe(3);
    expect(toMajorUnits(4900, 'usd')).toBe(49);
    expect(toMajorUnits(4900, 'jpy')).toBe(4900);
  });

  it('describes one-time and recurring prices', () => {
    const monthly = { amount: 1900, currency: 'usd', interval: 'month', intervalCount: 1 } as const;
    expect(describePrice({ ...monthly, type: 'recurring' })).toBe('$19.00 / month');
    expect(describePrice({ ...monthly, type: 'recurring', intervalCount: 3 })).toBe(
      '$19.00 every 3 months',
    );
    expect(
      describePrice({
        amount: 9900,
        currency: 'eur',
        type: 'one_time',
        interval: null,
        intervalCount: null,
      }),
    ).toBe('€99.00');
  });

  it('explains amounts Stripe would refuse, in the currency of the price', () => {
    expect(findAmountProblem(4900, 'usd')).toBeNull();
    expect(findAmountProblem(49.5, 'usd')).toContain('$49.00');
    expect(findAmountProblem(0.5, 'jpy')).toContain('4900 means ¥4,900');
    expect(findAmountProblem(100_000_000, 'usd')).toContain('at most 99999999');
    expect(findAmountProblem(5125, 'kwd')).toContain('must end in 0');
  });
});
