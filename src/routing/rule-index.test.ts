import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigFixture, parseContextFixture } from './routing.test-helper.js';
import { compileRuleMatcher } from './rule-index.js';
import type { PaymentContext, RuleConditions } from './schema.js';

// The rule of docs/design.md §2 without any index: every listed condition must hold.
function matchesPlainly(when: RuleConditions, context: PaymentContext): boolean {
  const inList = (list: string[] | undefined, value: string | undefined) =>
    list === undefined || (value !== undefined && list.includes(value));
  const overlap = (list: string[] | undefined, values: string[]) =>
    list === undefined || values.some((value) => list.includes(value));
  return (
    inList(when.currency, context.currency) &&
    inList(when.country, context.country) &&
    inList(when.funnel, context.funnel) &&
    overlap(when.tags, context.tags) &&
    overlap(when.products, context.products) &&
    (when.amount === undefined ||
      (context.amount !== undefined &&
        context.amount >= (when.amount.min ?? 0) &&
        context.amount <= (when.amount.max ?? Number.POSITIVE_INFINITY)))
  );
}

const conditions = fc.record(
  {
    currency: fc.subarray(['usd', 'eur', 'gbp'], { minLength: 1 }),
    country: fc.subarray(['US', 'DE', 'FR'], { minLength: 1 }),
    funnel: fc.subarray(['webinar', 'launch'], { minLength: 1 }),
    tags: fc.subarray(['courses', 'books'], { minLength: 1 }),
    products: fc.subarray(['coaching', 'ebook'], { minLength: 1 }),
    amount: fc.record({ min: fc.integer({ min: 0, max: 5000 }) }),
  },
  { requiredKeys: [] },
);

const context = fc.record(
  {
    mode: fc.constant('live' as const),
    currency: fc.constantFrom('usd', 'eur', 'gbp', 'jpy'),
    country: fc.constantFrom('US', 'DE', 'FR', 'GB'),
    funnel: fc.constantFrom('webinar', 'launch', 'other'),
    tags: fc.subarray(['courses', 'books', 'software']),
    products: fc.subarray(['coaching', 'ebook', 'vip']),
    amount: fc.integer({ min: 0, max: 10_000 }),
  },
  { requiredKeys: ['mode', 'currency'] },
);

describe('the rule index', () => {
  it('finds the same first rule as checking every rule in order, across many words of bits', () => {
    fc.assert(
      fc.property(
        fc.array(conditions, { maxLength: 100 }),
        fc.array(context, { minLength: 1, maxLength: 10 }),
        (whens, contextInputs) => {
          const config = parseConfigFixture({
            accounts: [{ handle: 'us', role: 'primary' }],
            rules: whens.map((when, index) => ({ name: `r${index}`, when, use: 'us' })),
          });
          const matcher = compileRuleMatcher(config.rules);
          for (const input of contextInputs) {
            const payment = parseContextFixture(input);
            const expected = config.rules.find((rule) => matchesPlainly(rule.when, payment));
            expect(matcher.findFirstMatch(payment)?.name).toBe(expected?.name);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reaches a rule in the last bit of a word and in a later word', () => {
    const rules = Array.from({ length: 70 }, (_, index) => ({
      name: `r${index}`,
      when: { country: [index === 31 ? 'DE' : index === 64 ? 'FR' : 'US'] },
      use: 'us',
    }));
    const config = parseConfigFixture({ accounts: [{ handle: 'us', role: 'primary' }], rules });
    const matcher = compileRuleMatcher(config.rules);
    const payment = (country: string) =>
      parseContextFixture({ mode: 'live', currency: 'usd', country });
    expect(matcher.findFirstMatch(payment('DE'))?.name).toBe('r31');
    expect(matcher.findFirstMatch(payment('FR'))?.name).toBe('r64');
    expect(matcher.findFirstMatch(payment('US'))?.name).toBe('r0');
    expect(matcher.findFirstMatch(payment('GB'))).toBeUndefined();
  });
});
