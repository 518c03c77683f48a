import type { Candidate, Match, MatchLevel, ReasonCode, RoutingDecision } from './decision.js';
import {
  explainAutomaticFallback,
  explainContinuation,
  explainContinuationUnavailable,
  explainDefault,
  explainFallbackList,
  explainFunnelPin,
  explainMissingParent,
  explainNewCardNeeded,
  explainNoAccount,
  explainNoFallback,
  explainProductConflict,
  explainProductPin,
  explainReason,
  explainRuleMatch,
  explainStepPin,
  explainTakes,
} from './explanation.js';
import { compileRuleMatcher, type RuleMatcher } from './rule-index.js';
import type {
  FallbackPolicy,
  HealthState,
  Mode,
  PaymentContext,
  Pin,
  RoutingAccount,
  RoutingConfig,
} from './schema.js';

/**
 * docs/design.md §2 as code. `compileRouting` does the work that depends only on the config (indexes,
 * per-account checks, rule sets) once per config version; `route` then decides one payment.
 * Pure: no I/O, no clock, no randomness, and it throws nothing for any schema-valid input.
 */

export interface CompiledRouting {
  route(context: PaymentContext): RoutingDecision;
}

export function route(config: RoutingConfig, context: PaymentContext): RoutingDecision {
  return compileRouting(config).route(context);
}

interface CompiledAccount {
  handle: string;
  /** Reasons that do not depend on the payment, per mode, already in report order. */
  newPaymentBlockers: Record<Mode, readonly ReasonCode[]>;
  continuationBlockers: Record<Mode, readonly ReasonCode[]>;
  /** null: accepts any currency. */
  currencies: ReadonlySet<string> | null;
}

interface CompiledConfig {
  accounts: ReadonlyMap<string, CompiledAccount>;
  primary: string | null;
  /** Primary, then secondaries by priority, then by handle: the order of `"auto"` fallback. */
  automaticOrder: readonly string[];
  productPins: ReadonlyMap<string, Pin>;
  stepPins: ReadonlyMap<string, Pin>;
  funnelPins: ReadonlyMap<string, Pin>;
  rules: RuleMatcher;
}

/** Where routing landed before eligibility: the target account and the policy if it cannot. */
interface Target {
  match: Match;
  handle: string | null;
  policy: FallbackPolicy;
  /** Who set the policy, for "Product vip allows no fallback." */
  policyOwner: Match;
  sentence: string;
}

export function compileRouting(config: RoutingConfig): CompiledRouting {
  const compiled = compileConfig(config);
  return {
    route: function routeWithCompiledConfig(context: PaymentContext): RoutingDecision {
      return context.kind === 'initial'
        ? routeNewPayment(compiled, context)
        : routeContinuation(compiled, context, context.kind);
    },
  };
}

function compileConfig(config: RoutingConfig): CompiledConfig {
  const accounts = new Map<string, CompiledAccount>();
  const uniqueAccounts: RoutingAccount[] = [];
  for (const account of config.accounts) {
    // A duplicate handle is a config error; the first one wins so routing stays total.
    if (accounts.has(account.handle)) continue;
    uniqueAccounts.push(account);
    const blockersFor = (mode: Mode, continuation: boolean): ReasonCode[] => {
      const reasons: ReasonCode[] = [];
      if (!account.enabled) reasons.push('disabled');
      if (account.drain && !continuation) reasons.push('draining');
      if (!account.modes.includes(mode)) reasons.push('no_credentials_for_mode');
      return reasons;
    };
    accounts.set(account.handle, {
      handle: account.handle,
      newPaymentBlockers: { test: blockersFor('test', false), live: blockersFor('live', false) },
      continuationBlockers: { test: blockersFor('test', true), live: blockersFor('live', true) },
      currencies: account.currencies === undefined ? null : new Set(account.currencies),
    });
  }

  const primary = config.accounts.find((account) => account.role === 'primary')?.handle ?? null;
  const others = uniqueAccounts
    .filter((account) => account.handle !== primary)
    .sort(function byPriorityThenHandle(a, b) {
      if (a.priority !== b.priority) return a.priority - b.priority;
      return a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0;
    })
    .map((account) => account.handle);

  return {
    accounts,
    primary,
    automaticOrder: primary === null ? others : [primary, ...others],
    productPins: new Map(Object.entries(config.products)),
    stepPins: new Map(Object.entries(config.steps)),
    funnelPins: new Map(Object.entries(config.funnels)),
    rules: compileRuleMatcher(config.rules),
  };
}

function findProductPins(
  compiled: CompiledConfig,
  context: PaymentContext,
): Array<{ product: string; pin: Pin }> {
  const pins: Array<{ product: string; pin: Pin }> = [];
  for (const product of context.products) {
    const pin = compiled.productPins.get(product);
    // A product listed twice is still one pin.
    if (pin !== undefined && !pins.some((seen) => seen.product === product)) {
      pins.push({ product, pin });
    }
  }
  return pins;
}

function findTarget(compiled: CompiledConfig, context: PaymentContext): Target | 'conflict' {
  const pins = findProductPins(compiled, context);
  const first = pins[0];
  if (first !== undefined) {
    if (pins.some(({ pin }) => pin.use !== first.pin.use)) return 'conflict';
    const strict = pins.find(({ pin }) => pin.fallback === 'none');
    const match: Match = { level: 'product', ref: first.product };
    return {
      match,
      handle: first.pin.use,
      policy: strict === undefined ? first.pin.fallback : 'none',
      policyOwner: strict === undefined ? match : { level: 'product', ref: strict.product },
      sentence: explainProductPin(
        pins.map(({ product }) => product),
        first.pin.use,
      ),
    };
  }

  const stepPin = context.step === undefined ? undefined : compiled.stepPins.get(context.step);
  if (stepPin !== undefined && context.step !== undefined) {
    return pinTarget('step', context.step, stepPin, explainStepPin(context.step, stepPin.use));
  }

  const funnelPin =
    context.funnel === undefined ? undefined : compiled.funnelPins.get(context.funnel);
  if (funnelPin !== undefined && context.funnel !== undefined) {
    return pinTarget(
      'funnel',
      context.funnel,
      funnelPin,
      explainFunnelPin(context.funnel, funnelPin.use),
    );
  }

  const rule = compiled.rules.findFirstMatch(context);
  if (rule !== undefined) {
    return pinTarget('rule', rule.name, rule, explainRuleMatch(rule.name, rule.use));
  }

  const match: Match = { level: 'default', ref: null };
  return {
    match,
    handle: compiled.primary,
    policy: 'auto',
    policyOwner: match,
    sentence: explainDefault(compiled.primary),
  };
}

function pinTarget(
  level: MatchLevel,
  ref: string,
  pin: { use: string; fallback: FallbackPolicy },
  sentence: string,
): Target {
  const match: Match = { level, ref };
  return { match, handle: pin.use, policy: pin.fallback, policyOwner: match, sentence };
}

function healthReason(state: HealthState): ReasonCode | null {
  switch (state) {
    case 'healthy':
      return null;
    case 'degraded':
      return 'health_degraded';
    case 'down':
      return 'health_down';
    case 'disconnected':
      return 'health_disconnected';
    case 'restricted':
      return 'health_restricted';
  }
}

function healthOf(context: PaymentContext, handle: string): HealthState {
  // Own properties only: a handle such as "constructor" must not read Object.prototype.
  return Object.hasOwn(context.health, handle) ? (context.health[handle] ?? 'healthy') : 'healthy';
}

function judgeNewPayment(
  compiled: CompiledConfig,
  handle: string,
  context: PaymentContext,
): Candidate {
  const account = compiled.accounts.get(handle);
  if (account === undefined)
    return { account: handle, eligible: false, reasons: ['unknown_account'] };
  const reasons = [...account.newPaymentBlockers[context.mode]];
  if (account.currencies !== null && !account.currencies.has(context.currency)) {
    reasons.push('currency_not_accepted');
  }
  const health = healthReason(healthOf(context, handle));
  if (health !== null) reasons.push(health);
  return { account: handle, eligible: isEligible(reasons), reasons };
}

function judgeContinuation(
  compiled: CompiledConfig,
  handle: string,
  context: PaymentContext,
): Candidate {
  const account = compiled.accounts.get(handle);
  if (account === undefined)
    return { account: handle, eligible: false, reasons: ['unknown_account'] };
  const reasons = [...account.continuationBlockers[context.mode]];
  const health = healthReason(healthOf(context, handle));
  if (health !== null) reasons.push(health);
  return { account: handle, eligible: isEligible(reasons), reasons };
}

function isEligible(reasons: readonly ReasonCode[]): boolean {
  for (const reason of reasons) if (reason !== 'health_degraded') return false;
  return true;
}

function explainCandidate(candidate: Candidate, context: PaymentContext): string[] {
  return candidate.reasons.map((reason) => explainReason(candidate.account, reason, context));
}

function routeNewPayment(compiled: CompiledConfig, context: PaymentContext): RoutingDecision {
  const target = findTarget(compiled, context);
  if (target === 'conflict') return decideConflict(compiled, context);

  const explanation = [target.sentence];
  const candidates: Candidate[] = [];
  if (target.handle !== null) {
    const candidate = judgeNewPayment(compiled, target.handle, context);
    candidates.push(candidate);
    explanation.push(...explainCandidate(candidate, context));
    if (candidate.eligible) {
      explanation.push(explainTakes(candidate.account));
      return decide('selected', candidate.account, target.match, null, candidates, explanation);
    }
  }

  if (target.policy === 'none') {
    explanation.push(
      explainNoFallback(target.policyOwner.level, target.policyOwner.ref),
      explainNoAccount(),
    );
    return decide('no_account', null, target.match, null, candidates, explanation);
  }

  const order = target.policy === 'auto' ? compiled.automaticOrder : target.policy;
  explanation.push(
    target.policy === 'auto'
      ? explainAutomaticFallback(order.some((handle) => handle !== target.handle))
      : explainFallbackList(target.policy),
  );
  // The automatic order has no repeats; a merchant's list may.
  const mayRepeat = target.policy !== 'auto';
  for (const handle of order) {
    if (handle === target.handle) continue;
    if (mayRepeat && candidates.some((seen) => seen.account === handle)) continue;
    const candidate = judgeNewPayment(compiled, handle, context);
    candidates.push(candidate);
    explanation.push(...explainCandidate(candidate, context));
    if (candidate.eligible) {
      explanation.push(explainTakes(handle));
      return decide('fallback', handle, target.match, target.handle, candidates, explanation);
    }
  }
  explanation.push(explainNoAccount());
  return decide('no_account', null, target.match, null, candidates, explanation);
}

function decideConflict(compiled: CompiledConfig, context: PaymentContext): RoutingDecision {
  const pins = findProductPins(compiled, context).map(({ product, pin }) => ({
    product,
    handle: pin.use,
  }));
  return decide(
    'conflict',
    null,
    { level: 'product', ref: null },
    null,
    [],
    [...explainProductConflict(pins), explainNoAccount()],
  );
}

function routeContinuation(
  compiled: CompiledConfig,
  context: PaymentContext,
  kind: 'upsell' | 'renewal' | 'refund',
): RoutingDecision {
  const match: Match = { level: 'continuation', ref: null };
  const parent = context.parent?.account ?? null;
  const candidates: Candidate[] = [];
  const explanation: string[] = [];
  if (parent === null) {
    explanation.push(explainMissingParent(kind));
  } else {
    const candidate = judgeContinuation(compiled, parent, context);
    candidates.push(candidate);
    explanation.push(explainContinuation(kind, parent), ...explainCandidate(candidate, context));
    if (candidate.eligible) {
      explanation.push(explainTakes(parent));
      return decide('selected', parent, match, null, candidates, explanation);
    }
  }

  if (kind !== 'upsell') {
    explanation.push(explainContinuationUnavailable(kind, parent));
    return decide('unavailable', null, match, null, candidates, explanation);
  }

  // The parent can never be eligible here: every continuation check is also a new-payment check.
  const newCard = routeNewPayment(compiled, context);
  return decide(
    'needs_new_payment_method',
    newCard.account,
    newCard.matched,
    parent,
    [...candidates, ...newCard.candidates.filter((candidate) => candidate.account !== parent)],
    [...explanation, ...explainNewCardNeeded(), ...newCard.explanation],
  );
}

function decide(
  outcome: RoutingDecision['outcome'],
  account: string | null,
  matched: Match,
  fallbackFrom: string | null,
  candidates: Candidate[],
  explanation: string[],
): RoutingDecision {
  return { outcome, account, matched, fallbackFrom, candidates, explanation };
}
