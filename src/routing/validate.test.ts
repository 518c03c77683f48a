import { describe, expect, it } from 'vitest';
import { parseConfigFixture, parseContextFixture } from './routing.test-helper.js';
import type { RoutingConfigInput } from './schema.js';
import { findContextWarnings, validateRoutingConfig } from './validate.js';

const accounts: NonNullable<RoutingConfigInput['accounts']> = [
  { handle: 'us', role: 'primary', currencies: ['usd', 'cad'] },
  { handle: 'eu', priority: 1, currencies: ['eur', 'gbp'] },
  { handle: 'backup', priority: 2 },
];

function review(config: RoutingConfigInput) {
  return validateRoutingConfig(parseConfigFixture(config));
}

function paths(findings: ReadonlyArray<{ path: Array<string | number> }>): string[] {
  return findings.map((finding) => finding.path.join('.'));
}

describe('config errors', () => {
  it('accepts a sound config without errors or warnings', () => {
    expect(
      review({
        accounts,
        rules: [
          { name: 'euro', when: { currency: ['eur'] }, use: 'eu', fallback: ['backup'] },
          { name: 'big', when: { amount: { min: 100000 } }, use: 'backup' },
        ],
        funnels: { webinar: { use: 'us' } },
        steps: { 'webinar/order': { use: 'eu' } },
        products: { coaching: { use: 'eu', fallback: 'auto' } },
      }),
    ).toEqual({ errors: [], warnings: [] });
  });

  it('accepts an empty config', () => {
    expect(review({})).toEqual({ errors: [], warnings: [] });
  });

  it('reports duplicate handles', () => {
    const { errors } = review({ accounts: [...accounts, { handle: 'eu' }] });
    expect(paths(errors)).toEqual(['accounts.3.handle']);
    expect(errors[0]?.message).toMatch(/duplicate handle "eu" \(accounts\[1\] has it too\)/);
  });

  it('reports a config without a primary', () => {
    const { errors } = review({ accounts: [{ handle: 'a' }, { handle: 'b' }] });
    expect(paths(errors)).toEqual(['accounts']);
    expect(errors[0]?.message).toMatch(/no primary account: set "role": "primary"/);
  });

  it('reports a second primary', () => {
    const { errors } = review({ accounts: [...accounts, { handle: 'two', role: 'primary' }] });
    expect(paths(errors)).toEqual(['accounts.3.role']);
    expect(errors[0]?.message).toMatch(/"two" is a second primary \("us" is primary already\)/);
  });

  it('reports duplicate rule names', () => {
    const { errors } = review({
      accounts,
      rules: [
        { name: 'r', when: { currency: ['eur'] }, use: 'eu' },
        { name: 'r', when: { currency: ['usd'] }, use: 'us' },
      ],
    });
    expect(paths(errors)).toEqual(['rules.1.name']);
  });

  it('reports unknown handles in use, at every level', () => {
    const { errors } = review({
      accounts,
      rules: [{ name: 'r', when: {}, use: 'uk' }],
      funnels: { webinar: { use: 'ca' } },
      steps: { 'webinar/order': { use: 'au' } },
      products: { coaching: { use: 'mx' } },
    });
    expect(paths(errors)).toEqual([
      'rules.0.use',
      'products.coaching.use',
      'steps.webinar/order.use',
      'funnels.webinar.use',
    ]);
    expect(errors[0]?.message).toBe('unknown account "uk" in rule r: use one of us, eu, backup');
  });

  it('reports unknown handles in fallback lists', () => {
    const { errors } = review({
      accounts,
      products: { coaching: { use: 'eu', fallback: ['backup', 'spare'] } },
    });
    expect(paths(errors)).toEqual(['products.coaching.fallback.1']);
    expect(errors[0]?.message).toMatch(/unknown fallback account "spare"/);
  });

  it('says there are no accounts when a rule names one in an empty config', () => {
    const { errors } = review({ rules: [{ name: 'r', when: {}, use: 'us' }] });
    expect(errors[0]?.message).toMatch(/the config has no accounts/);
  });

  it('reports an amount range with min above max', () => {
    const { errors } = review({
      accounts,
      rules: [{ name: 'r', when: { amount: { min: 500, max: 100 } }, use: 'us' }],
    });
    expect(paths(errors)).toEqual(['rules.0.when.amount']);
  });
});

describe('config warnings', () => {
  it('warns about a rule after one with an empty when', () => {
    const { errors, warnings } = review({
      accounts,
      rules: [
        { name: 'everything', when: {}, use: 'backup' },
        { name: 'euro', when: { currency: ['eur'] }, use: 'eu' },
      ],
    });
    expect(errors).toEqual([]);
    expect(paths(warnings)).toEqual(['rules.1']);
    expect(warnings[0]?.message).toMatch(
      /rule "euro" can never match: rule "everything" \(rules\[0\]\) has an empty "when"/,
    );
  });

  it('warns about a rule whose conditions are narrower than an earlier one', () => {
    const { warnings } = review({
      accounts,
      rules: [
        { name: 'euro', when: { currency: ['eur', 'gbp'], amount: { min: 100 } }, use: 'eu' },
        {
          name: 'euro-de',
          when: { currency: ['eur'], country: ['DE'], amount: { min: 500, max: 900 } },
          use: 'backup',
        },
      ],
    });
    expect(paths(warnings)).toEqual(['rules.1']);
  });

  type Conditions = NonNullable<RoutingConfigInput['rules']>[number]['when'];
  const broader: Array<[string, Conditions]> = [
    ['a currency the earlier one lacks', { currency: ['eur', 'usd'] }],
    ['a condition the earlier one does not have', { country: ['DE'] }],
    ['an amount range wider than the earlier one', { currency: ['eur'], amount: { min: 50 } }],
  ];
  it.each(broader)('does not warn when the later rule matches %s', (_why, when) => {
    const { warnings } = review({
      accounts,
      rules: [
        { name: 'first', when: { currency: ['eur'], amount: { min: 100 } }, use: 'eu' },
        { name: 'second', when, use: 'backup' },
      ],
    });
    expect(warnings).toEqual([]);
  });

  it('warns about a rule currency that no account accepts', () => {
    const { warnings } = review({
      accounts: [
        { handle: 'us', role: 'primary', currencies: ['usd'] },
        { handle: 'eu', currencies: ['eur'] },
      ],
      rules: [{ name: 'yen', when: { currency: ['eur', 'jpy'] }, use: 'eu' }],
    });
    expect(paths(warnings)).toEqual(['rules.0.when.currency.1']);
    expect(warnings[0]?.message).toMatch(/no account accepts JPY/);
  });

  it('warns about a strict pin on an account limited to some currencies', () => {
    const { warnings } = review({
      accounts,
      funnels: { webinar: { use: 'us', fallback: 'none' } },
      products: { anything: { use: 'backup', fallback: 'none' } },
    });
    expect(paths(warnings)).toEqual(['funnels.webinar.fallback']);
    expect(warnings[0]?.message).toMatch(/accepts only USD, CAD: payments in other currencies/);
  });

  it('does not warn about a strict rule limited to currencies its account accepts', () => {
    const { warnings } = review({
      accounts,
      rules: [{ name: 'euro', when: { currency: ['eur'] }, use: 'eu', fallback: 'none' }],
    });
    expect(warnings).toEqual([]);
  });

  it('warns about a fallback list that names its own account', () => {
    const { warnings } = review({
      accounts,
      products: { coaching: { use: 'eu', fallback: ['eu', 'backup'] } },
    });
    expect(paths(warnings)).toEqual(['products.coaching.fallback.0']);
  });

  it('warns about an account with credentials for no mode', () => {
    const { warnings } = review({ accounts: [{ handle: 'us', role: 'primary', modes: [] }] });
    expect(paths(warnings)).toEqual(['accounts.0.modes']);
  });
});

describe('context warnings', () => {
  const config = parseConfigFixture({ accounts });

  it('warns about a currency that no account accepts, unless one accepts any', () => {
    const limited = parseConfigFixture({ accounts: accounts.slice(0, 2) });
    const context = parseContextFixture({ mode: 'live', currency: 'jpy' });
    expect(paths(findContextWarnings(limited, context))).toEqual(['currency']);
    expect(findContextWarnings(config, context)).toEqual([]);
  });

  it('warns about health and parents of unknown accounts', () => {
    const context = parseContextFixture({
      mode: 'live',
      currency: 'usd',
      kind: 'refund',
      parent: { account: 'gone' },
      health: { ghost: 'down', us: 'healthy' },
    });
    expect(paths(findContextWarnings(config, context))).toEqual(['health.ghost', 'parent.account']);
  });
});
