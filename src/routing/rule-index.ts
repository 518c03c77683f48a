import type { FallbackPolicy, PaymentContext, RoutingRule, Target } from './schema.js';

/**
 * Finds the first rule whose `when` matches a payment without walking every rule. Built once per
 * config version: for each single-valued condition (currency, country, funnel) and each value a
 * rule lists, a bit set of the rules that allow that value. ANDing the payment's three sets leaves
 * the few rules worth checking, in config order; only their tags, products and amount are tested.
 */

export interface IndexedRule {
  name: string;
  use: Target;
  fallback: FallbackPolicy;
  prefer: RoutingRule['prefer'];
}

export interface RuleMatcher {
  findFirstMatch(context: PaymentContext): IndexedRule | undefined;
}

interface CandidateRule extends IndexedRule {
  tags: ReadonlySet<string> | null;
  products: ReadonlySet<string> | null;
  hasAmount: boolean;
  min: number;
  max: number;
}

interface Dimension {
  /** Per value some rule lists: the rules that list it, plus those without this condition. */
  allowing: ReadonlyMap<string, Uint32Array>;
  /** The rules without this condition: the only ones a value no rule lists can match. */
  unconditioned: Uint32Array;
}

export function compileRuleMatcher(rules: readonly RoutingRule[]): RuleMatcher {
  const candidates = rules.map(toCandidate);
  const words = Math.ceil(rules.length / 32);
  const currency = indexDimension(rules, words, (rule) => rule.when.currency);
  const country = indexDimension(rules, words, (rule) => rule.when.country);
  const funnel = indexDimension(rules, words, (rule) => rule.when.funnel);

  return {
    findFirstMatch: function findFirstMatchingRule(context) {
      const byCurrency = allowedBy(currency, context.currency);
      const byCountry = allowedBy(country, context.country);
      const byFunnel = allowedBy(funnel, context.funnel);
      for (let word = 0; word < words; word++) {
        let bits = (byCurrency[word] ?? 0) & (byCountry[word] ?? 0) & (byFunnel[word] ?? 0);
        while (bits !== 0) {
          const lowest = bits & -bits;
          const rule = candidates[word * 32 + 31 - Math.clz32(lowest)];
          if (rule !== undefined && matchesRemainingConditions(rule, context)) return rule;
          bits ^= lowest;
        }
      }
      return undefined;
    },
  };
}

function indexDimension(
  rules: readonly RoutingRule[],
  words: number,
  listedIn: (rule: RoutingRule) => readonly string[] | undefined,
): Dimension {
  const unconditioned = new Uint32Array(words);
  rules.forEach((rule, index) => {
    if (listedIn(rule) === undefined) setBit(unconditioned, index);
  });
  const allowing = new Map<string, Uint32Array>();
  rules.forEach((rule, index) => {
    for (const value of listedIn(rule) ?? []) {
      let bits = allowing.get(value);
      if (bits === undefined) {
        bits = unconditioned.slice();
        allowing.set(value, bits);
      }
      setBit(bits, index);
    }
  });
  return { allowing, unconditioned };
}

function setBit(bits: Uint32Array, index: number): void {
  const word = index >>> 5;
  bits[word] = (bits[word] ?? 0) | (1 << (index & 31));
}

// A payment without the value only meets rules without the condition: it "does not hold".
function allowedBy(dimension: Dimension, value: string | undefined): Uint32Array {
  return (
    (value === undefined ? undefined : dimension.allowing.get(value)) ?? dimension.unconditioned
  );
}

function toCandidate(rule: RoutingRule): CandidateRule {
  const { when } = rule;
  return {
    name: rule.name,
    use: rule.use,
    fallback: rule.fallback,
    prefer: rule.prefer,
    tags: when.tags === undefined ? null : new Set(when.tags),
    products: when.products === undefined ? null : new Set(when.products),
    hasAmount: when.amount !== undefined,
    min: when.amount?.min ?? Number.NEGATIVE_INFINITY,
    max: when.amount?.max ?? Number.POSITIVE_INFINITY,
  };
}

function matchesRemainingConditions(rule: CandidateRule, context: PaymentContext): boolean {
  if (rule.hasAmount) {
    const { amount } = context;
    if (amount === undefined || amount < rule.min || amount > rule.max) return false;
  }
  if (rule.tags !== null && !overlaps(rule.tags, context.tags)) return false;
  if (rule.products !== null && !overlaps(rule.products, context.products)) return false;
  return true;
}

function overlaps(listed: ReadonlySet<string>, values: readonly string[]): boolean {
  for (const value of values) if (listed.has(value)) return true;
  return false;
}
