import { describe, expect, it } from 'vitest';
import { parsePaymentContext, parseRoutingConfig } from './schema.js';

function problemsOf(parsed: ReturnType<typeof parseRoutingConfig | typeof parsePaymentContext>) {
  return parsed.success
    ? []
    : parsed.problems.map((problem) => `${problem.path.join('.')}: ${problem.message}`);
}

describe('routing config schema', () => {
  it('applies the defaults of docs/design.md §2', () => {
    const parsed = parseRoutingConfig({
      accounts: [{ handle: 'us' }],
      rules: [{ name: 'r', when: {}, use: 'us' }],
      products: { coaching: { use: 'us' } },
    });
    expect(parsed).toEqual({
      success: true,
      value: {
        accounts: [
          {
            handle: 'us',
            role: 'secondary',
            modes: ['test', 'live'],
            priority: 0,
            enabled: true,
            drain: false,
          },
        ],
        rules: [{ name: 'r', when: {}, use: 'us', fallback: 'auto' }],
        funnels: {},
        steps: {},
        products: { coaching: { use: 'us', fallback: 'auto' } },
      },
    });
  });

  it('writes currencies in lower case and countries in upper case', () => {
    const parsed = parseRoutingConfig({
      accounts: [{ handle: 'eu', currencies: ['EUR'] }],
      rules: [{ name: 'r', when: { currency: ['Gbp'], country: ['de'] }, use: 'eu' }],
    });
    expect(parsed.success && parsed.value.accounts[0]?.currencies).toEqual(['eur']);
    expect(parsed.success && parsed.value.rules[0]?.when).toEqual({
      currency: ['gbp'],
      country: ['DE'],
    });
  });

  it('names the JSON path of each problem', () => {
    expect(
      problemsOf(
        parseRoutingConfig({
          accounts: [{ handle: 'us' }, { handle: 'EU Ltd' }, { role: 'primary' }],
          rules: [{ name: 'r', when: { currency: [] }, use: 'us', fallback: 'sometimes' }],
          steps: { order: { use: 'us' } },
        }),
      ),
    ).toEqual([
      'accounts.1.handle: a handle is 1 to 40 lowercase letters, digits or "-", e.g. "eu-ltd"',
      'accounts.2.handle: required',
      'rules.0.when.currency: list at least one currency or leave the field out',
      'rules.0.fallback: fallback is "auto", "none" or a list of account handles such as ["backup"]',
      'steps.order: a step is named "funnel/step", e.g. "webinar/order"',
    ]);
  });

  it('suggests the field a misspelt one meant', () => {
    expect(
      problemsOf(
        parseRoutingConfig({
          accounts: [{ handle: 'us', Role: 'primary' }],
          rules: [{ name: 'r', when: { amount: { minimum: 1 } }, use: 'us', fallbak: 'none' }],
        }),
      ),
    ).toEqual([
      'accounts.0.Role: unknown field: did you mean "role"?',
      'rules.0.when.amount.minimum: unknown field: remove it, or check the spelling (known fields: min, max)',
      'rules.0.fallbak: unknown field: did you mean "fallback"?',
    ]);
  });

  it('requires a when on every rule, so a catch-all rule is explicit', () => {
    expect(problemsOf(parseRoutingConfig({ rules: [{ name: 'r', use: 'us' }] }))).toEqual([
      'rules.0.when: required',
    ]);
  });
});

describe('payment context schema', () => {
  it('applies the defaults and normalises currency and country', () => {
    expect(parsePaymentContext({ mode: 'test', currency: 'EUR', country: 'fr' })).toEqual({
      success: true,
      value: {
        mode: 'test',
        kind: 'initial',
        products: [],
        tags: [],
        currency: 'eur',
        country: 'FR',
        health: {},
      },
    });
  });

  it('requires mode and currency', () => {
    expect(problemsOf(parsePaymentContext({}))).toEqual(['mode: required', 'currency: required']);
  });

  it('requires the parent account for upsells, renewals and refunds', () => {
    expect(
      problemsOf(parsePaymentContext({ mode: 'live', currency: 'usd', kind: 'renewal' })),
    ).toEqual([
      'parent: required when kind is "renewal": the account of the original payment, e.g. {"account": "us"}',
    ]);
  });

  it('rejects unknown health states, negative amounts and unknown fields', () => {
    expect(
      problemsOf(
        parsePaymentContext({
          mode: 'live',
          currency: 'usd',
          amount: -1,
          health: { us: 'sick' },
          curency: 'usd',
        }),
      ),
    ).toEqual([
      'amount: an amount cannot be negative',
      'health.us: a health is "healthy", "degraded", "down", "disconnected" or "restricted"',
      'curency: unknown field: did you mean "currency"?',
    ]);
  });
});
