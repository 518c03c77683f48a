import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRouting, route } from './route.js';
import { parseConfigFixture, parseContextFixture } from './routing.test-helper.js';
import type {
  FallbackPolicy,
  PaymentContext,
  PaymentContextInput,
  RoutingConfig,
  RoutingConfigInput,
  RuleConditions,
} from './schema.js';
import { validateRoutingConfig } from './validate.js';

/*
 * Invariants of docs/design.md §2 over generated configs and payments. The checks below re-state the
 * rules independently of route.ts, so a shortcut there (indexes, precomputed eligibility) that
 * changes a decision shows up here.
 */

const handlePool = ['us', 'eu', 'backup', 'uk', 'apac', 'spare'];
const currencyPool = ['usd', 'eur', 'gbp', 'jpy'];
const countryPool = ['US', 'DE', 'FR', 'GB'];
const productPool = ['coaching', 'ebook', 'vip', 'course'];
const funnelPool = ['webinar', 'launch'];
const stepPool = ['webinar/order', 'webinar/upsell', 'launch/order'];
const tagPool = ['courses', 'books', 'software'];

const optional = <Value>(arb: fc.Arbitrary<Value>) => fc.option(arb, { nil: undefined });

function fallbackArbitrary(handles: string[], strictOnly: boolean): fc.Arbitrary<FallbackPolicy> {
  if (strictOnly) return fc.constant('none');
  return fc.oneof(
    fc.constant<FallbackPolicy>('auto'),
    fc.constant<FallbackPolicy>('none'),
    fc.array(fc.constantFrom(...handles), { minLength: 1, maxLength: 3 }),
  );
}

const conditionArbitraries = {
  currency: fc.subarray(currencyPool, { minLength: 1, maxLength: 2 }),
  country: fc.subarray(countryPool, { minLength: 1 }),
  tags: fc.subarray(tagPool, { minLength: 1 }),
  funnel: fc.subarray(funnelPool, { minLength: 1 }),
  products: fc.subarray(productPool, { minLength: 1 }),
  amount: fc
    .tuple(
      optional(fc.integer({ min: 0, max: 20_000 })),
      optional(fc.integer({ min: 0, max: 20_000 })),
    )
    .map(([a, b]) =>
      a !== undefined && b !== undefined
        ? { min: Math.min(a, b), max: Math.max(a, b) }
        : { ...(a === undefined ? {} : { min: a }), ...(b === undefined ? {} : { max: b }) },
    ),
};

// Zero to two conditions, so that generated rules match often enough to matter.
const conditionsArbitrary: fc.Arbitrary<RuleConditions> = fc
  .subarray(Object.keys(conditionArbitraries) as Array<keyof typeof conditionArbitraries>, {
    maxLength: 2,
  })
  .chain((keys) =>
    fc.record(
      Object.fromEntries(keys.map((key) => [key, conditionArbitraries[key]])) as {
        [Key in keyof typeof conditionArbitraries]: (typeof conditionArbitraries)[Key];
      },
      { requiredKeys: keys },
    ),
  );

const mostly = <Value>(usual: Value, rare: Value) => fc.constantFrom(usual, usual, usual, rare);

/** Valid configs: unique handles, one primary when there are accounts, only known handles. */
interface Shape {
  /** Every fallback is "none". */
  strictOnly?: boolean;
  /** Many products pinned to few accounts, and payments with several products. */
  productHeavy?: boolean;
}

function configArbitrary({
  strictOnly = false,
  productHeavy = false,
}: Shape = {}): fc.Arbitrary<RoutingConfigInput> {
  return fc
    .uniqueArray(fc.constantFrom(...handlePool), { maxLength: handlePool.length })
    .chain((handles) => {
      const accounts = fc
        .tuple(
          ...handles.map((handle) =>
            fc.record(
              {
                handle: fc.constant(handle),
                modes: fc.constantFrom<Array<'test' | 'live'>>(
                  ['test', 'live'],
                  ['test', 'live'],
                  ['live'],
                  ['test'],
                  [],
                ),
                currencies: fc.subarray(currencyPool, { minLength: 1 }),
                priority: fc.integer({ min: 0, max: 3 }),
                enabled: mostly(true, false),
                drain: mostly(false, true),
              },
              { requiredKeys: ['handle'] },
            ),
          ),
        )
        .chain((list) =>
          fc.nat({ max: Math.max(0, list.length - 1) }).map((primary) =>
            list.map((account, index) => ({
              ...account,
              role: index === primary ? ('primary' as const) : ('secondary' as const),
            })),
          ),
        );
      if (handles.length === 0) return accounts.map((list) => ({ accounts: list }));
      const pin = fc.record({
        use: fc.constantFrom(...handles),
        fallback: fallbackArbitrary(handles, strictOnly),
      });
      return fc.record({
        accounts,
        rules: fc.uniqueArray(
          fc.record({
            name: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'),
            when: conditionsArbitrary,
            use: fc.constantFrom(...handles),
            fallback: fallbackArbitrary(handles, strictOnly),
          }),
          { selector: (rule) => rule.name, maxLength: 6 },
        ),
        products: productHeavy
          ? fc.dictionary(
              fc.constantFrom(...productPool),
              fc.record({
                use: fc.constantFrom(...handles.slice(0, 2)),
                fallback: fallbackArbitrary(handles, strictOnly),
              }),
              { minKeys: 2, maxKeys: 4 },
            )
          : fc.dictionary(fc.constantFrom(...productPool), pin, { maxKeys: 2 }),
        steps: fc.dictionary(fc.constantFrom(...stepPool), pin, { maxKeys: 1 }),
        funnels: fc.dictionary(fc.constantFrom(...funnelPool), pin, { maxKeys: 1 }),
      });
    });
}

const contextArbitrary: fc.Arbitrary<PaymentContextInput> = fc.record(
  {
    mode: fc.constantFrom('test', 'live'),
    kind: fc.constantFrom('initial', 'initial', 'initial', 'upsell', 'renewal', 'refund'),
    funnel: fc.constantFrom(...funnelPool),
    step: fc.constantFrom(...stepPool),
    products: fc.shuffledSubarray(productPool, { maxLength: 3 }),
    tags: fc.subarray(tagPool),
    currency: fc.constantFrom(...currencyPool),
    country: fc.constantFrom(...countryPool),
    amount: fc.integer({ min: 0, max: 20_000 }),
    parent: fc.record({ account: fc.constantFrom(...handlePool, 'gone') }),
    health: fc.dictionary(
      fc.constantFrom(...handlePool, 'ghost'),
      fc.constantFrom('healthy', 'healthy', 'degraded', 'down', 'disconnected', 'restricted'),
      { maxKeys: 4 },
    ),
  },
  { requiredKeys: ['mode', 'kind', 'currency', 'parent'] },
);

interface Case {
  config: RoutingConfig;
  context: PaymentContext;
}

function caseArbitrary(shape: Shape = {}): fc.Arbitrary<Case> {
  const context = shape.productHeavy
    ? contextArbitrary.chain((input) =>
        fc
          .shuffledSubarray(productPool, { minLength: 2, maxLength: 3 })
          .map((products) => ({ ...input, products })),
      )
    : contextArbitrary;
  return fc.record({ config: configArbitrary(shape), context }).map(({ config, context }) => ({
    config: parseConfigFixture(config),
    context: parseContextFixture(context),
  }));
}

// The rules of docs/design.md §2, written out plainly.

function healthOf(context: PaymentContext, handle: string): string {
  return Object.hasOwn(context.health, handle) ? (context.health[handle] ?? 'healthy') : 'healthy';
}

function canTakeNewPayment(config: RoutingConfig, context: PaymentContext, handle: string) {
  const account = config.accounts.find((candidate) => candidate.handle === handle);
  return (
    account?.enabled === true &&
    !account.drain &&
    account.modes.includes(context.mode) &&
    (account.currencies === undefined || account.currencies.includes(context.currency)) &&
    ['healthy', 'degraded'].includes(healthOf(context, handle))
  );
}

function canContinue(config: RoutingConfig, context: PaymentContext, handle: string) {
  const account = config.accounts.find((candidate) => candidate.handle === handle);
  return (
    account?.enabled === true &&
    account.modes.includes(context.mode) &&
    ['healthy', 'degraded'].includes(healthOf(context, handle))
  );
}

function pinnedAccounts(config: RoutingConfig, context: PaymentContext): Set<string> {
  return new Set(
    context.products.flatMap((product) =>
      Object.hasOwn(config.products, product) ? [config.products[product]?.use ?? ''] : [],
    ),
  );
}

function matches(when: RuleConditions, context: PaymentContext): boolean {
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

function policyOf(
  config: RoutingConfig,
  context: PaymentContext,
  level: string,
  ref: string | null,
) {
  const pinned = context.products.flatMap((product) =>
    Object.hasOwn(config.products, product) ? [config.products[product]] : [],
  );
  switch (level) {
    case 'product':
      return pinned.some((pin) => pin?.fallback === 'none') ? 'none' : pinned[0]?.fallback;
    case 'step':
      return config.steps[ref ?? '']?.fallback;
    case 'funnel':
      return config.funnels[ref ?? '']?.fallback;
    case 'rule':
      return config.rules.find((rule) => rule.name === ref)?.fallback;
    default:
      return 'auto';
  }
}

const anyCase = fc.oneof(caseArbitrary(), caseArbitrary({ productHeavy: true }));
const runs = { numRuns: 400 };

describe('routing invariants (fast-check)', () => {
  it('generates only configs the validator accepts', () => {
    fc.assert(
      fc.property(anyCase, ({ config }) => {
        expect(validateRoutingConfig(config).errors).toEqual([]);
      }),
      runs,
    );
  });

  it('a new payment never goes to an ineligible account', () => {
    fc.assert(
      fc.property(anyCase, ({ config, context }) => {
        const decision = route(config, context);
        const newPayment =
          (context.kind === 'initial' && decision.account !== null) ||
          decision.outcome === 'needs_new_payment_method';
        if (!newPayment || decision.account === null) return;
        expect(canTakeNewPayment(config, context, decision.account)).toBe(true);
        expect(
          decision.candidates.find((candidate) => candidate.account === decision.account)?.eligible,
        ).toBe(true);
      }),
      runs,
    );
  });

  it('an initial payment has an account whenever some account can take it and policy allows', () => {
    fc.assert(
      fc.property(anyCase, ({ config, context }) => {
        if (context.kind !== 'initial') return;
        const decision = route(config, context);
        const policy = policyOf(config, context, decision.matched.level, decision.matched.ref);
        const anyEligible = config.accounts.some((account) =>
          canTakeNewPayment(config, context, account.handle),
        );
        if (decision.outcome === 'no_account' && policy === 'auto') {
          expect(anyEligible).toBe(false);
        }
        if (anyEligible && decision.outcome !== 'conflict' && policy === 'auto') {
          expect(decision.account).not.toBeNull();
        }
      }),
      runs,
    );
  });

  it('a continuation never changes account', () => {
    fc.assert(
      fc.property(anyCase, ({ config, context }) => {
        if (context.kind === 'initial') return;
        const parent = context.parent?.account;
        const decision = route(config, context);
        expect(
          decision.matched.level === 'continuation' ||
            decision.outcome === 'needs_new_payment_method',
        ).toBe(true);
        if (decision.outcome === 'selected') expect(decision.account).toBe(parent);
        expect(decision.outcome === 'selected').toBe(canContinue(config, context, parent ?? ''));
        if (decision.outcome !== 'selected') {
          if (context.kind === 'upsell') {
            expect(decision.outcome).toBe('needs_new_payment_method');
            expect(decision.fallbackFrom).toBe(parent);
            expect(decision.account).not.toBe(parent);
          } else {
            expect(decision.outcome).toBe('unavailable');
            expect(decision.account).toBeNull();
          }
        }
      }),
      runs,
    );
  });

  it('a "none" policy never yields a fallback', () => {
    fc.assert(
      fc.property(caseArbitrary({ strictOnly: true }), ({ config, context }) => {
        const decision = route(config, context);
        if (decision.matched.level === 'default') return;
        expect(decision.outcome).not.toBe('fallback');
        if (decision.outcome !== 'needs_new_payment_method') {
          expect(decision.fallbackFrom).toBeNull();
        }
      }),
      runs,
    );
    fc.assert(
      fc.property(anyCase, ({ config, context }) => {
        const decision = route(config, context);
        if (decision.outcome !== 'fallback') return;
        expect(policyOf(config, context, decision.matched.level, decision.matched.ref)).not.toBe(
          'none',
        );
      }),
      runs,
    );
  });

  it('conflict exactly when the pins of the products name two or more accounts', () => {
    fc.assert(
      fc.property(anyCase, ({ config, context }) => {
        if (context.kind !== 'initial') return;
        const decision = route(config, context);
        expect(decision.outcome === 'conflict').toBe(pinnedAccounts(config, context).size >= 2);
      }),
      runs,
    );
  });

  it('the target is the most specific pin, else the first matching rule, else the primary', () => {
    fc.assert(
      fc.property(anyCase, ({ config, context }) => {
        if (context.kind !== 'initial') return;
        const { level, ref } = route(config, context).matched;
        const pinnedProduct = context.products.find((product) =>
          Object.hasOwn(config.products, product),
        );
        const firstRule = config.rules.find((rule) => matches(rule.when, context));
        const expected =
          pinnedProduct !== undefined
            ? {
                level: 'product',
                ref: pinnedAccounts(config, context).size >= 2 ? null : pinnedProduct,
              }
            : context.step !== undefined && Object.hasOwn(config.steps, context.step)
              ? { level: 'step', ref: context.step }
              : context.funnel !== undefined && Object.hasOwn(config.funnels, context.funnel)
                ? { level: 'funnel', ref: context.funnel }
                : firstRule !== undefined
                  ? { level: 'rule', ref: firstRule.name }
                  : { level: 'default', ref: null };
        expect({ level, ref }).toEqual(expected);
      }),
      runs,
    );
  });

  it('the same input always gives the same decision, compiled once or afresh', () => {
    fc.assert(
      fc.property(
        configArbitrary(),
        fc.array(contextArbitrary, { minLength: 1, maxLength: 8 }),
        (configInput, contextInputs) => {
          const config = parseConfigFixture(configInput);
          const compiled = compileRouting(config);
          for (const input of contextInputs) {
            const context = parseContextFixture(input);
            const once = compiled.route(context);
            expect(compiled.route(context)).toEqual(once);
            expect(route(config, context)).toEqual(once);
            // Stored beside the payment as JSON: nothing may be lost on the way.
            expect(JSON.parse(JSON.stringify(once))).toEqual(once);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
