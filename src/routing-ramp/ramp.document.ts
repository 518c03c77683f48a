import {
  describeTarget,
  type Pin,
  type RoutingConfig,
  type RoutingRule,
  type Split,
  type Target,
  targetAccounts,
} from '../routing/index.js';

/** The accounts a ramp moves new payments between. */
export interface RampPair {
  from: string;
  to: string;
}

/** A ramp step's document, and where it put the split and where it could not. */
export interface RampedDocument {
  document: RoutingConfig;
  /** "rule euro-sales", "funnel pin webinar", "step pin webinar/order", … */
  ramped: string[];
  /** "product pin coaching stays on us", … */
  notRamped: string[];
}

/** The catch-all rule a ramp adds when `from` is the primary, so unmatched payments ramp too. */
export function catchAllRuleName(pair: RampPair): string {
  return `ramp-${pair.from}-${pair.to}`;
}

/**
 * The ramp's split at `percent` for `to`. `to` is listed first: a buyer goes to `to` exactly when
 * their bucket is below percent * 100, so raising the percentage only moves the buyers whose
 * bucket lies between the old and the new threshold from `from` to `to`, and never one back.
 */
export function rampSplit(pair: RampPair, percent: number, key: Split['key'] = 'customer'): Split {
  return {
    split: [
      { account: pair.to, weight: percent },
      { account: pair.from, weight: 100 - percent },
    ],
    key,
  };
}

/** A target the ramp owns: `from` alone, or the ramp's own split (`to` first, then `from`). */
function isRampTarget(use: Target, pair: RampPair): boolean {
  if (typeof use === 'string') return use === pair.from;
  const accounts = targetAccounts(use);
  return accounts.length === 2 && accounts[0] === pair.to && accounts[1] === pair.from;
}

/** The ramp's split in place of `use`, keeping a split's key. */
function rampedTarget(use: Target, pair: RampPair, percent: number): Target {
  return rampSplit(pair, percent, typeof use === 'string' ? 'customer' : use.key);
}

/**
 * Step `percent` of a ramp applied to a routing document: every rule, funnel pin and step pin that
 * uses `from` (or already holds the ramp's split) gets the split at `percent`; when `from` is the
 * primary, a catch-all rule at the end carries the split for payments no rule or pin matches.
 * Product pins name one account and stay; splits of other accounts are left as they are.
 */
export function rampDocument(
  document: RoutingConfig,
  pair: RampPair,
  percent: number,
): RampedDocument {
  const ramped: string[] = [];
  const notRamped: string[] = [];
  const involvesFrom = (use: Target) => targetAccounts(use).includes(pair.from);

  const rules: RoutingRule[] = document.rules.map((rule) => {
    if (isRampTarget(rule.use, pair)) {
      ramped.push(`rule ${rule.name}`);
      return { ...rule, use: rampedTarget(rule.use, pair, percent) };
    }
    if (involvesFrom(rule.use))
      notRamped.push(`rule ${rule.name} keeps ${describeTarget(rule.use)}`);
    return rule;
  });

  const rampPins = (pins: Record<string, Pin>, kind: string): Record<string, Pin> =>
    Object.fromEntries(
      Object.entries(pins).map(([slug, pin]) => {
        if (isRampTarget(pin.use, pair)) {
          ramped.push(`${kind} pin ${slug}`);
          return [slug, { ...pin, use: rampedTarget(pin.use, pair, percent) }];
        }
        if (involvesFrom(pin.use)) {
          notRamped.push(`${kind} pin ${slug} keeps ${describeTarget(pin.use)}`);
        }
        return [slug, pin];
      }),
    );
  const funnels = rampPins(document.funnels, 'funnel');
  const steps = rampPins(document.steps, 'step');

  for (const [slug, pin] of Object.entries(document.products)) {
    if (pin.use === pair.from) notRamped.push(`product pin ${slug} stays on ${pair.from}`);
  }

  // Payments that reach no rule or pin go to the primary: when that is `from`, they ramp too.
  const primary = document.accounts.find((account) => account.role === 'primary')?.handle;
  const catchAll = catchAllRuleName(pair);
  if (primary === pair.from && !rules.some((rule) => rule.name === catchAll)) {
    rules.push({ name: catchAll, when: {}, use: rampSplit(pair, percent), fallback: 'auto' });
    ramped.push(`rule ${catchAll}`);
  }

  return { document: { ...document, rules, funnels, steps }, ramped, notRamped };
}
