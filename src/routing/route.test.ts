import { describe, expect, it } from 'vitest';
import type { Candidate, Match, Outcome, ReasonCode } from './decision.js';
import { compileRouting, route } from './route.js';
import {
  decideFor,
  parseConfigFixture,
  parseContextFixture,
  summarize,
} from './routing.test-helper.js';
import type { PaymentContextInput, RoutingConfigInput } from './schema.js';

const accounts: NonNullable<RoutingConfigInput['accounts']> = [
  { handle: 'us', role: 'primary', currencies: ['usd', 'cad'] },
  { handle: 'eu', priority: 1, currencies: ['eur', 'gbp'] },
  { handle: 'backup', priority: 2 },
];

const live = { mode: 'live', currency: 'usd', amount: 4900 } as const;

interface Expected {
  outcome: Outcome;
  account: string | null;
  matched: Match;
  fallbackFrom: string | null;
}

interface Case {
  name: string;
  config: RoutingConfigInput;
  context: PaymentContextInput;
  expect: Expected;
}

const selected = (account: string, level: Match['level'], ref: string | null): Expected => ({
  outcome: 'selected',
  account,
  matched: { level, ref },
  fallbackFrom: null,
});

function runTable(cases: Case[]): void {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(summarize(decideFor(c.config, c.context))).toEqual(c.expect);
  });
}

describe('each level, most specific first', () => {
  const config: RoutingConfigInput = {
    accounts,
    rules: [{ name: 'all', when: {}, use: 'backup' }],
    funnels: { webinar: { use: 'us' } },
    steps: { 'webinar/order': { use: 'eu', fallback: ['backup'] } },
    products: { coaching: { use: 'backup' }, ebook: { use: 'backup' } },
  };
  runTable([
    {
      name: 'a product pin beats step, funnel and rules',
      config,
      context: { ...live, funnel: 'webinar', step: 'webinar/order', products: ['coaching'] },
      expect: selected('backup', 'product', 'coaching'),
    },
    {
      name: 'the ref is the first pinned product in the order of the context',
      config,
      context: { ...live, products: ['unpinned', 'ebook', 'coaching'] },
      expect: selected('backup', 'product', 'ebook'),
    },
    {
      name: 'unpinned products leave the decision to the step',
      config,
      context: { ...live, currency: 'eur', step: 'webinar/order', products: ['unpinned'] },
      expect: selected('eu', 'step', 'webinar/order'),
    },
    {
      name: 'a step pin beats the funnel pin',
      config,
      context: { ...live, currency: 'eur', funnel: 'webinar', step: 'webinar/order' },
      expect: selected('eu', 'step', 'webinar/order'),
    },
    {
      name: 'a funnel pin beats the rules',
      config,
      context: { ...live, funnel: 'webinar', step: 'webinar/thanks' },
      expect: selected('us', 'funnel', 'webinar'),
    },
    {
      name: 'a rule applies when no pin does',
      config,
      context: { ...live, funnel: 'launch' },
      expect: selected('backup', 'rule', 'all'),
    },
    {
      name: 'the primary is the default when no rule matches',
      config: { accounts, rules: [{ name: 'euro', when: { currency: ['eur'] }, use: 'eu' }] },
      context: live,
      expect: selected('us', 'default', null),
    },
  ]);
});

describe('rule conditions', () => {
  const ruleFor = (when: NonNullable<RoutingConfigInput['rules']>[number]['when']) => ({
    accounts,
    rules: [{ name: 'r', when, use: 'backup' }],
  });
  const matches = selected('backup', 'rule', 'r');
  const misses = selected('us', 'default', null);
  runTable([
    { name: 'an empty when always matches', config: ruleFor({}), context: live, expect: matches },
    {
      name: 'currency in the list',
      config: ruleFor({ currency: ['cad', 'usd'] }),
      context: live,
      expect: matches,
    },
    {
      name: 'currency not in the list',
      config: ruleFor({ currency: ['cad'] }),
      context: live,
      expect: misses,
    },
    {
      name: 'currency is compared without case',
      config: ruleFor({ currency: ['USD'] }),
      context: { ...live, currency: 'Usd' },
      expect: matches,
    },
    {
      name: 'country in the list',
      config: ruleFor({ country: ['de', 'FR'] }),
      context: { ...live, country: 'DE' },
      expect: matches,
    },
    {
      name: 'a country condition does not hold when the context has no country',
      config: ruleFor({ country: ['DE'] }),
      context: live,
      expect: misses,
    },
    {
      name: 'tags: one shared tag is enough',
      config: ruleFor({ tags: ['courses', 'books'] }),
      context: { ...live, tags: ['software', 'books'] },
      expect: matches,
    },
    {
      name: 'tags: no shared tag',
      config: ruleFor({ tags: ['courses'] }),
      context: { ...live, tags: ['software'] },
      expect: misses,
    },
    {
      name: 'tags: the context has none',
      config: ruleFor({ tags: ['courses'] }),
      context: live,
      expect: misses,
    },
    {
      name: 'funnel in the list',
      config: ruleFor({ funnel: ['webinar', 'launch'] }),
      context: { ...live, funnel: 'launch' },
      expect: matches,
    },
    {
      name: 'a funnel condition does not hold outside a funnel',
      config: ruleFor({ funnel: ['webinar'] }),
      context: live,
      expect: misses,
    },
    {
      name: 'products: any overlap',
      config: ruleFor({ products: ['coaching'] }),
      context: { ...live, products: ['ebook', 'coaching'] },
      expect: matches,
    },
    {
      name: 'products: no overlap',
      config: ruleFor({ products: ['coaching'] }),
      context: { ...live, products: ['ebook'] },
      expect: misses,
    },
    {
      name: 'amount equal to min matches',
      config: ruleFor({ amount: { min: 4900, max: 9900 } }),
      context: live,
      expect: matches,
    },
    {
      name: 'amount equal to max matches',
      config: ruleFor({ amount: { min: 100, max: 4900 } }),
      context: live,
      expect: matches,
    },
    {
      name: 'amount one below min does not match',
      config: ruleFor({ amount: { min: 4901 } }),
      context: live,
      expect: misses,
    },
    {
      name: 'amount one above max does not match',
      config: ruleFor({ amount: { max: 4899 } }),
      context: live,
      expect: misses,
    },
    {
      name: 'an amount condition does not hold when the context has no amount',
      config: ruleFor({ amount: { min: 0 } }),
      context: { mode: 'live', currency: 'usd' },
      expect: misses,
    },
    {
      name: 'every listed condition must hold',
      config: ruleFor({ currency: ['usd'], country: ['US'], tags: ['courses'] }),
      context: { ...live, country: 'US', tags: ['books'] },
      expect: misses,
    },
    {
      name: 'the first matching rule wins',
      config: {
        accounts,
        rules: [
          { name: 'euro', when: { currency: ['eur'] }, use: 'eu' },
          { name: 'big', when: { amount: { min: 1000 } }, use: 'backup' },
          { name: 'any', when: {}, use: 'eu' },
        ],
      },
      context: live,
      expect: selected('backup', 'rule', 'big'),
    },
    {
      name: 'rules without a currency condition still apply to currencies no rule names',
      config: {
        accounts,
        rules: [
          { name: 'euro', when: { currency: ['eur'] }, use: 'eu' },
          { name: 'canada', when: { country: ['CA'] }, use: 'backup' },
        ],
      },
      context: { ...live, currency: 'cad', country: 'CA' },
      expect: selected('backup', 'rule', 'canada'),
    },
  ]);
});

describe('fallback policies', () => {
  runTable([
    {
      name: 'auto: the primary comes first',
      config: { accounts, rules: [{ name: 'r', when: {}, use: 'eu' }] },
      context: live,
      expect: { ...selected('us', 'rule', 'r'), outcome: 'fallback', fallbackFrom: 'eu' },
    },
    {
      name: 'a list: its first eligible account',
      config: {
        accounts,
        funnels: { webinar: { use: 'us', fallback: ['eu', 'backup'] } },
      },
      context: { ...live, funnel: 'webinar', health: { us: 'down' } },
      expect: {
        ...selected('backup', 'funnel', 'webinar'),
        outcome: 'fallback',
        fallbackFrom: 'us',
      },
    },
    {
      name: 'a list with no eligible account: no account, no fallbackFrom',
      config: { accounts, funnels: { webinar: { use: 'us', fallback: ['eu'] } } },
      context: { ...live, funnel: 'webinar', health: { us: 'down' } },
      expect: {
        outcome: 'no_account',
        account: null,
        matched: { level: 'funnel', ref: 'webinar' },
        fallbackFrom: null,
      },
    },
    {
      name: 'none: no account even when others could take it',
      config: { accounts, steps: { 'w/order': { use: 'eu', fallback: 'none' } } },
      context: { ...live, step: 'w/order' },
      expect: {
        outcome: 'no_account',
        account: null,
        matched: { level: 'step', ref: 'w/order' },
        fallbackFrom: null,
      },
    },
    {
      name: 'products: one strict pin makes the policy "none"',
      config: {
        accounts,
        products: {
          course: { use: 'eu', fallback: ['backup'] },
          mentoring: { use: 'eu', fallback: 'none' },
        },
      },
      context: { ...live, products: ['course', 'mentoring'] },
      expect: {
        outcome: 'no_account',
        account: null,
        matched: { level: 'product', ref: 'course' },
        fallbackFrom: null,
      },
    },
    {
      name: "products: otherwise the first pinned product's policy",
      config: {
        accounts,
        products: { course: { use: 'eu', fallback: ['backup'] }, book: { use: 'eu' } },
      },
      context: { ...live, products: ['course', 'book'], health: { us: 'healthy' } },
      expect: {
        ...selected('backup', 'product', 'course'),
        outcome: 'fallback',
        fallbackFrom: 'eu',
      },
    },
  ]);

  it('auto tries the primary, then the secondaries by priority, then by handle', () => {
    const decision = decideFor(
      {
        accounts: [
          { handle: 'target', priority: 9 },
          { handle: 'main', role: 'primary' },
          { handle: 'zulu', priority: 1 },
          { handle: 'alpha', priority: 1 },
          { handle: 'first' },
          { handle: 'last', priority: 5 },
        ],
        rules: [{ name: 'r', when: {}, use: 'target' }],
      },
      {
        ...live,
        health: { target: 'down', main: 'down', first: 'down', alpha: 'down', zulu: 'down' },
      },
    );
    expect(decision.candidates.map((candidate) => candidate.account)).toEqual([
      'target',
      'main',
      'first',
      'alpha',
      'zulu',
      'last',
    ]);
    expect(summarize(decision)).toEqual({
      outcome: 'fallback',
      account: 'last',
      matched: { level: 'rule', ref: 'r' },
      fallbackFrom: 'target',
    });
  });

  it('a fallback list skips the target and repeated accounts', () => {
    const decision = decideFor(
      { accounts, products: { p: { use: 'eu', fallback: ['eu', 'us', 'us', 'backup'] } } },
      { ...live, currency: 'eur', products: ['p'], health: { eu: 'down' } },
    );
    expect(decision.candidates.map((candidate) => candidate.account)).toEqual([
      'eu',
      'us',
      'backup',
    ]);
    expect(decision.account).toBe('backup');
  });
});

describe('reason codes', () => {
  const reasonsFor = (
    account: NonNullable<RoutingConfigInput['accounts']>[number],
    context: Partial<PaymentContextInput> = {},
  ): { reasons: ReasonCode[]; eligible: boolean } => {
    const decision = decideFor(
      { accounts: [{ ...account, handle: 'a', role: 'primary' }] },
      { ...live, ...context },
    );
    const [candidate] = decision.candidates;
    return { reasons: candidate?.reasons ?? [], eligible: candidate?.eligible ?? false };
  };

  type AccountInput = NonNullable<RoutingConfigInput['accounts']>[number];
  const blockers: Array<[ReasonCode, AccountInput, Partial<PaymentContextInput>]> = [
    ['disabled', { handle: 'a', enabled: false }, {}],
    ['draining', { handle: 'a', drain: true }, {}],
    ['no_credentials_for_mode', { handle: 'a', modes: ['test'] }, {}],
    ['currency_not_accepted', { handle: 'a', currencies: ['eur'] }, {}],
    ['health_down', { handle: 'a' }, { health: { a: 'down' } }],
    ['health_disconnected', { handle: 'a' }, { health: { a: 'disconnected' } }],
    ['health_restricted', { handle: 'a' }, { health: { a: 'restricted' } }],
  ];
  it.each(blockers)(
    '%s makes an account ineligible for a new payment',
    (reason, account, context) => {
      expect(reasonsFor(account, context)).toEqual({ reasons: [reason], eligible: false });
    },
  );

  it('health_degraded is informational: the account stays eligible', () => {
    expect(reasonsFor({ handle: 'a' }, { health: { a: 'degraded' } })).toEqual({
      reasons: ['health_degraded'],
      eligible: true,
    });
  });

  it('lists every reason, in a fixed order', () => {
    expect(
      reasonsFor(
        { handle: 'a', enabled: false, drain: true, modes: ['test'], currencies: ['eur'] },
        { health: { a: 'restricted' } },
      ).reasons,
    ).toEqual([
      'disabled',
      'draining',
      'no_credentials_for_mode',
      'currency_not_accepted',
      'health_restricted',
    ]);
  });

  it('unknown_account for a parent that is not in the config', () => {
    const decision = decideFor(
      { accounts },
      { ...live, kind: 'refund', parent: { account: 'gone' } },
    );
    expect(decision.candidates).toEqual([
      { account: 'gone', eligible: false, reasons: ['unknown_account'] },
    ]);
    expect(decision.outcome).toBe('unavailable');
    expect(decision.explanation).toContain('There is no account gone.');
  });

  it('unknown_account for a target that is not in the config, without throwing', () => {
    // Only an invalid config can say this; the router still answers.
    const config = parseConfigFixture({
      accounts,
      rules: [{ name: 'r', when: {}, use: 'gone', fallback: ['gone-too', 'backup'] }],
    });
    const decision = route(config, parseContextFixture(live));
    expect(decision.candidates.slice(0, 2)).toEqual([
      { account: 'gone', eligible: false, reasons: ['unknown_account'] },
      { account: 'gone-too', eligible: false, reasons: ['unknown_account'] },
    ]);
    expect(summarize(decision)).toEqual({
      outcome: 'fallback',
      account: 'backup',
      matched: { level: 'rule', ref: 'r' },
      fallbackFrom: 'gone',
    });
  });
});

describe('outcomes', () => {
  runTable([
    {
      name: 'selected',
      config: { accounts },
      context: live,
      expect: selected('us', 'default', null),
    },
    {
      name: 'fallback',
      config: { accounts },
      context: { ...live, health: { us: 'disconnected' } },
      expect: { ...selected('backup', 'default', null), outcome: 'fallback', fallbackFrom: 'us' },
    },
    {
      name: 'conflict: products pinned to two accounts',
      config: { accounts, products: { a: { use: 'us' }, b: { use: 'us' }, c: { use: 'eu' } } },
      context: { ...live, products: ['a', 'b', 'c'] },
      expect: {
        outcome: 'conflict',
        account: null,
        matched: { level: 'product', ref: null },
        fallbackFrom: null,
      },
    },
    {
      name: 'no conflict when every pin names the same account',
      config: { accounts, products: { a: { use: 'us' }, b: { use: 'us' } } },
      context: { ...live, products: ['a', 'b'] },
      expect: selected('us', 'product', 'a'),
    },
    {
      name: 'no_account',
      config: { accounts },
      context: { ...live, currency: 'jpy', health: { backup: 'down' } },
      expect: {
        outcome: 'no_account',
        account: null,
        matched: { level: 'default', ref: null },
        fallbackFrom: null,
      },
    },
    {
      name: 'needs_new_payment_method, routed like a first payment',
      config: { accounts },
      context: { ...live, kind: 'upsell', parent: { account: 'eu' }, health: { eu: 'down' } },
      expect: {
        outcome: 'needs_new_payment_method',
        account: 'us',
        matched: { level: 'default', ref: null },
        fallbackFrom: 'eu',
      },
    },
    {
      name: 'needs_new_payment_method with no account for the new card either',
      config: { accounts, funnels: { w: { use: 'us', fallback: 'none' } } },
      context: {
        ...live,
        kind: 'upsell',
        funnel: 'w',
        parent: { account: 'eu' },
        health: { eu: 'down', us: 'down' },
      },
      expect: {
        outcome: 'needs_new_payment_method',
        account: null,
        matched: { level: 'funnel', ref: 'w' },
        fallbackFrom: 'eu',
      },
    },
    {
      name: 'unavailable: a refund whose account is disabled',
      config: {
        accounts: [
          { handle: 'us', role: 'primary' },
          { handle: 'old', enabled: false },
        ],
      },
      context: { ...live, kind: 'refund', parent: { account: 'old' } },
      expect: {
        outcome: 'unavailable',
        account: null,
        matched: { level: 'continuation', ref: null },
        fallbackFrom: null,
      },
    },
  ]);
});

describe('continuations stay on the account of the original payment', () => {
  const config: RoutingConfigInput = {
    accounts: [
      { handle: 'us', role: 'primary' },
      { handle: 'old', drain: true, currencies: ['eur'], modes: ['live'] },
    ],
    products: { upgrade: { use: 'us', fallback: 'none' } },
  };
  it.each(['upsell', 'renewal', 'refund'] as const)(
    'a %s ignores drain, currencies and pins',
    (kind) => {
      const decision = decideFor(config, {
        ...live,
        kind,
        products: ['upgrade'],
        parent: { account: 'old' },
      });
      expect(summarize(decision)).toEqual(selected('old', 'continuation', null));
      expect(decision.candidates).toEqual([{ account: 'old', eligible: true, reasons: [] }]);
    },
  );

  it.each([
    ['upsell', 'needs_new_payment_method'],
    ['renewal', 'unavailable'],
    ['refund', 'unavailable'],
  ] as const)(
    'a %s cannot run on an account without credentials for the mode: %s',
    (kind, outcome) => {
      const decision = decideFor(config, {
        ...live,
        mode: 'test',
        kind,
        parent: { account: 'old' },
      });
      expect(decision.outcome).toBe(outcome);
      expect(decision.candidates[0]).toEqual({
        account: 'old',
        eligible: false,
        reasons: ['no_credentials_for_mode'],
      });
    },
  );

  it('a degraded parent still takes the upsell', () => {
    const decision = decideFor(config, {
      ...live,
      kind: 'upsell',
      parent: { account: 'old' },
      health: { old: 'degraded' },
    });
    expect(decision.account).toBe('old');
    expect(decision.candidates[0]?.reasons).toEqual(['health_degraded']);
  });

  it('an initial payment ignores a parent', () => {
    const decision = decideFor(config, { ...live, parent: { account: 'old' } });
    expect(summarize(decision)).toEqual(selected('us', 'default', null));
  });
});

describe('modes and drain', () => {
  const config: RoutingConfigInput = {
    accounts: [
      { handle: 'main', role: 'primary', modes: ['live'] },
      { handle: 'sandbox', modes: ['test'] },
      { handle: 'leaving', drain: true },
    ],
  };
  runTable([
    {
      name: 'live mode uses live credentials',
      config,
      context: live,
      expect: selected('main', 'default', null),
    },
    {
      name: 'test mode skips an account with live credentials only',
      config,
      context: { ...live, mode: 'test' },
      expect: {
        ...selected('sandbox', 'default', null),
        outcome: 'fallback',
        fallbackFrom: 'main',
      },
    },
    {
      name: 'a draining account takes no new payment, even as a fallback',
      config,
      context: { ...live, health: { main: 'down' } },
      expect: {
        outcome: 'no_account',
        account: null,
        matched: { level: 'default', ref: null },
        fallbackFrom: null,
      },
    },
  ]);
});

describe('explanation', () => {
  it('reads like the example in docs/design.md', () => {
    const decision = decideFor(
      {
        accounts: [
          { handle: 'us', role: 'primary', currencies: ['usd', 'cad'] },
          { handle: 'eu', priority: 1, currencies: ['eur', 'gbp'] },
          { handle: 'backup', priority: 2 },
        ],
        products: { coaching: { use: 'eu', fallback: ['backup'] } },
      },
      { mode: 'live', products: ['coaching'], currency: 'eur', health: { eu: 'down' } },
    );
    expect(decision).toEqual({
      outcome: 'fallback',
      account: 'backup',
      matched: { level: 'product', ref: 'coaching' },
      fallbackFrom: 'eu',
      candidates: [
        { account: 'eu', eligible: false, reasons: ['health_down'] },
        { account: 'backup', eligible: true, reasons: [] },
      ] satisfies Candidate[],
      explanation: [
        'Product coaching pins account eu.',
        'eu is down.',
        'Fallback list: backup.',
        'backup takes the payment.',
      ],
    });
  });

  it('names the product whose strict pin forbids a fallback', () => {
    const decision = decideFor(
      {
        accounts,
        products: { course: { use: 'eu' }, mentoring: { use: 'eu', fallback: 'none' } },
      },
      { ...live, products: ['course', 'mentoring'] },
    );
    expect(decision.explanation).toEqual([
      'Products course and mentoring pin account eu.',
      'eu does not accept USD.',
      'Product mentoring allows no fallback.',
      'No account can take the payment.',
    ]);
  });

  it('counts a product listed twice once', () => {
    const decision = decideFor(
      { accounts, products: { coaching: { use: 'eu' } } },
      { ...live, currency: 'eur', products: ['coaching', 'coaching'] },
    );
    expect(decision.explanation[0]).toBe('Product coaching pins account eu.');
  });

  it('says which products pin which accounts in a conflict, and what to do', () => {
    const decision = decideFor(
      { accounts, products: { coaching: { use: 'eu' }, ebook: { use: 'us' } } },
      { ...live, products: ['coaching', 'ebook'] },
    );
    expect(decision.explanation[0]).toBe(
      'Products coaching and ebook pin different accounts: coaching pins eu, ebook pins us.',
    );
    expect(decision.explanation[1]).toMatch(/separate payments/);
  });

  it('tells the merchant that an upsell needs a new card, then how that card is routed', () => {
    const decision = decideFor(
      { accounts },
      { ...live, kind: 'upsell', parent: { account: 'eu' }, health: { eu: 'restricted' } },
    );
    expect(decision.explanation).toEqual([
      'An upsell is charged to the saved card, which only eu can charge.',
      'eu is restricted and cannot take charges.',
      'The saved card cannot be charged; the customer must enter a new card.',
      'The new card is routed like a first payment.',
      'No pin or rule applies, so the primary account us is used.',
      'us takes the payment.',
    ]);
  });

  it('explains every reason in words', () => {
    const decision = decideFor(
      {
        accounts: [
          { handle: 'a', role: 'primary', enabled: false, drain: true },
          { handle: 'b', modes: ['test'], currencies: ['eur'] },
          { handle: 'c' },
        ],
      },
      { ...live, health: { a: 'disconnected', c: 'degraded' } },
    );
    expect(decision.explanation).toEqual([
      'No pin or rule applies, so the primary account a is used.',
      'a is disabled.',
      'a is draining and takes no new payments.',
      'a is disconnected.',
      'Automatic fallback: the primary, then the secondaries by priority.',
      'b has no live credentials.',
      'b does not accept USD.',
      'c is degraded but still takes payments.',
      'c takes the payment.',
    ]);
  });
});

describe('compiled once per config version', () => {
  it('serves many payments with the same decisions as routing each afresh', () => {
    const config = parseConfigFixture({
      accounts,
      rules: [
        { name: 'euro', when: { currency: ['eur'] }, use: 'eu' },
        { name: 'de', when: { country: ['DE'] }, use: 'backup' },
      ],
    });
    const compiled = compileRouting(config);
    const contexts = [
      { ...live, currency: 'eur' },
      { ...live, country: 'DE' },
      { ...live, health: { us: 'down' } },
      { ...live, kind: 'renewal', parent: { account: 'eu' } },
    ] satisfies PaymentContextInput[];
    for (const input of contexts) {
      const context = parseContextFixture(input);
      expect(compiled.route(context)).toEqual(route(config, context));
    }
  });

  it('does not treat names of built-in object properties as pins or health', () => {
    const decision = decideFor(
      {
        accounts: [{ handle: 'constructor', role: 'primary' }],
        products: { real: { use: 'constructor' } },
      },
      { ...live, products: ['toString', 'constructor', 'hasOwnProperty'], step: 'constructor/x' },
    );
    expect(summarize(decision)).toEqual(selected('constructor', 'default', null));
  });
});
