import { createHash } from 'node:crypto';
import type {
  Candidate,
  Match,
  MatchLevel,
  PickReason,
  ReasonCode,
  RoutingDecision,
  SplitDetail,
} from './decision.js';
import {
  explainAffinity,
  explainAutomaticFallback,
  explainBucket,
  explainCapReached,
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
  explainSplit,
  explainSplitOthers,
  explainStepPin,
  explainTakes,
} from './explanation.js';
import { compileRuleMatcher, type RuleMatcher } from './rule-index.js';
import type {
  AccountCap,
  FallbackPolicy,
  HealthState,
  Mode,
  PaymentContext,
  ProductPin,
  RoutingAccount,
  RoutingConfig,
  Split,
  Target as TargetInput,
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
  /** Volume caps by currency; only sticky payments may pass them. */
  caps: ReadonlyMap<string, readonly AccountCap[]>;
}

/** A split, ready to bucket: its id, its shares in listed order, and their order by weight. */
interface CompiledSplit {
  id: string;
  key: Split['key'];
  weights: Array<{ account: string; weight: number }>;
  /** Running sums of the weights, in listed order. */
  cumulative: readonly number[];
  total: number;
  /** Listed order sorted by descending weight (stable): who takes over from the pick. */
  byWeight: readonly string[];
}

interface CompiledPin {
  use: TargetInput;
  fallback: FallbackPolicy;
  split: CompiledSplit | null;
}

interface CompiledConfig {
  accounts: ReadonlyMap<string, CompiledAccount>;
  primary: string | null;
  /** Primary, then secondaries by priority, then by handle: the order of `"auto"` fallback. */
  automaticOrder: readonly string[];
  productPins: ReadonlyMap<string, ProductPin>;
  stepPins: ReadonlyMap<string, CompiledPin>;
  funnelPins: ReadonlyMap<string, CompiledPin>;
  rules: RuleMatcher;
  /** The splits of the rules, by rule name. */
  ruleSplits: ReadonlyMap<string, CompiledSplit>;
}

/** Where routing landed before eligibility: the target account and the policy if it cannot. */
interface Target {
  match: Match;
  /** The account, or a split's pick. */
  handle: string | null;
  policy: FallbackPolicy;
  /** Who set the policy, for "Product vip allows no fallback." */
  policyOwner: Match;
  sentence: string;
  split: CompiledSplit | null;
  preferCustomerAccount: boolean;
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
      caps: compileCaps(account.caps),
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
    stepPins: compilePins(config.steps, 'step'),
    funnelPins: compilePins(config.funnels, 'funnel'),
    rules: compileRuleMatcher(config.rules),
    ruleSplits: new Map(
      config.rules.flatMap((rule) =>
        typeof rule.use === 'string' ? [] : [[rule.name, compileSplit(rule.name, rule.use)]],
      ),
    ),
  };
}

function compileCaps(caps: readonly AccountCap[] | undefined): Map<string, AccountCap[]> {
  const byCurrency = new Map<string, AccountCap[]>();
  for (const cap of caps ?? []) {
    const list = byCurrency.get(cap.currency);
    if (list === undefined) byCurrency.set(cap.currency, [cap]);
    else list.push(cap);
  }
  return byCurrency;
}

function compilePins(
  pins: RoutingConfig['funnels'],
  kind: 'funnel' | 'step',
): Map<string, CompiledPin> {
  const compiled = new Map<string, CompiledPin>();
  for (const [slug, pin] of Object.entries(pins)) {
    compiled.set(slug, {
      use: pin.use,
      fallback: pin.fallback,
      split: typeof pin.use === 'string' ? null : compileSplit(`pin:${kind}:${slug}`, pin.use),
    });
  }
  return compiled;
}

function compileSplit(id: string, split: Split): CompiledSplit {
  const weights = split.split.map(({ account, weight }) => ({ account, weight }));
  const cumulative: number[] = [];
  let total = 0;
  for (const share of weights) {
    total += share.weight;
    cumulative.push(total);
  }
  const byWeight = weights
    .map((share, index) => ({ ...share, index }))
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map((share) => share.account);
  return { id, key: split.key, weights, cumulative, total, byWeight };
}

/**
 * The bucket of issue 16: the first 4 bytes of SHA-256("<split id>|<key>") as an unsigned
 * big-endian integer, modulo 10,000. Computed, not drawn: the same key always gets it.
 */
export function splitBucket(splitId: string, key: string): number {
  const digest = createHash('sha256').update(`${splitId}|${key}`, 'utf8').digest();
  return digest.readUInt32BE(0) % 10_000;
}

/** The first share i with bucket * W < (w1 + … + wi) * 10000; the last one if the sum is 0. */
function pickShare(split: CompiledSplit, bucket: number): string {
  for (let index = 0; index < split.weights.length; index++) {
    if (bucket * split.total < (split.cumulative[index] ?? 0) * 10_000) {
      return split.weights[index]?.account ?? '';
    }
  }
  // Only a weight sum of 0 gets here (a config error): the heaviest-listed account, to stay total.
  return split.byWeight[0] ?? '';
}

function splitKeyOf(
  split: CompiledSplit,
  context: PaymentContext,
): { key: string; kind: SplitDetail['key'] } {
  const email = context.customer?.key;
  if (split.key === 'customer' && email !== undefined && email !== '') {
    return { key: email, kind: 'customer' };
  }
  if (context.order !== undefined) return { key: context.order, kind: 'order' };
  return { key: '', kind: 'none' };
}

function findProductPins(
  compiled: CompiledConfig,
  context: PaymentContext,
): Array<{ product: string; pin: ProductPin }> {
  const pins: Array<{ product: string; pin: ProductPin }> = [];
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
      split: null,
      preferCustomerAccount: false,
    };
  }

  const stepPin = context.step === undefined ? undefined : compiled.stepPins.get(context.step);
  if (stepPin !== undefined && context.step !== undefined) {
    const handle = typeof stepPin.use === 'string' ? stepPin.use : null;
    return pinTarget('step', context.step, stepPin, false, explainStepPin(context.step, handle));
  }

  const funnelPin =
    context.funnel === undefined ? undefined : compiled.funnelPins.get(context.funnel);
  if (funnelPin !== undefined && context.funnel !== undefined) {
    const handle = typeof funnelPin.use === 'string' ? funnelPin.use : null;
    return pinTarget(
      'funnel',
      context.funnel,
      funnelPin,
      false,
      explainFunnelPin(context.funnel, handle),
    );
  }

  const rule = compiled.rules.findFirstMatch(context);
  if (rule !== undefined) {
    const handle = typeof rule.use === 'string' ? rule.use : null;
    const split = compiled.ruleSplits.get(rule.name) ?? null;
    return pinTarget(
      'rule',
      rule.name,
      { use: rule.use, fallback: rule.fallback, split },
      rule.prefer === 'customer_account',
      explainRuleMatch(rule.name, handle),
    );
  }

  const match: Match = { level: 'default', ref: null };
  return {
    match,
    handle: compiled.primary,
    policy: 'auto',
    policyOwner: match,
    sentence: explainDefault(compiled.primary),
    split: null,
    preferCustomerAccount: false,
  };
}

function pinTarget(
  level: MatchLevel,
  ref: string,
  pin: CompiledPin,
  preferCustomerAccount: boolean,
  sentence: string,
): Target {
  const match: Match = { level, ref };
  return {
    match,
    handle: typeof pin.use === 'string' ? pin.use : null,
    policy: pin.fallback,
    policyOwner: match,
    sentence,
    split: pin.split,
    preferCustomerAccount,
  };
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
  if (passedCap(account, context) !== null) reasons.push('cap_reached');
  return { account: handle, eligible: isEligible(reasons), reasons };
}

/** The first cap this payment would pass on the account, with what it has taken; null: none. */
function passedCap(
  account: CompiledAccount,
  context: PaymentContext,
): { cap: AccountCap; used: number } | null {
  const caps = account.caps.get(context.currency);
  if (caps === undefined) return null;
  const usage = context.usage;
  const perCurrency =
    usage !== undefined && Object.hasOwn(usage, account.handle) ? usage[account.handle] : undefined;
  const taken =
    perCurrency !== undefined && Object.hasOwn(perCurrency, context.currency)
      ? perCurrency[context.currency]
      : undefined;
  const amount = context.amount ?? 0;
  for (const cap of caps) {
    const used = taken?.[cap.period] ?? 0;
    if (used + amount > cap.amount) return { cap, used };
  }
  return null;
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

function explainCandidate(
  compiled: CompiledConfig,
  candidate: Candidate,
  context: PaymentContext,
): string[] {
  return candidate.reasons.map((reason) => {
    if (reason === 'cap_reached') {
      const account = compiled.accounts.get(candidate.account);
      const passed = account === undefined ? null : passedCap(account, context);
      if (passed !== null) {
        return explainCapReached(candidate.account, passed.cap, passed.used, context.amount ?? 0);
      }
    }
    return explainReason(candidate.account, reason, context);
  });
}

function routeNewPayment(compiled: CompiledConfig, context: PaymentContext): RoutingDecision {
  const target = findTarget(compiled, context);
  if (target === 'conflict') return decideConflict(compiled, context);

  const explanation = [target.sentence];
  const candidates: Candidate[] = [];
  const judged = new Set<string>();
  let split: SplitDetail | undefined;
  /** The target's own accounts in the order they are tried: the account, or a split's pick first. */
  let own: string[] = target.handle === null ? [] : [target.handle];
  if (target.split !== null) {
    const { key, kind } = splitKeyOf(target.split, context);
    const bucket = splitBucket(target.split.id, key);
    const pick = pickShare(target.split, bucket);
    split = { id: target.split.id, key: kind, bucket, weights: target.split.weights, pick };
    own = [pick, ...target.split.byWeight.filter((handle) => handle !== pick)];
    explanation.push(
      explainSplit(target.match.level === 'rule' ? 'The rule' : 'The pin', target.split.weights),
      explainBucket(bucket, kind, pick),
    );
  }
  const first = own[0] ?? null;
  const finish = (
    outcome: RoutingDecision['outcome'],
    account: string | null,
    fallbackFrom: string | null,
    picked?: PickReason,
  ): RoutingDecision => {
    const decision = decide(outcome, account, target.match, fallbackFrom, candidates, explanation);
    if (split !== undefined) decision.split = split;
    if (picked !== undefined && account !== null) decision.picked = { account, reason: picked };
    return decision;
  };
  const judge = (handle: string): Candidate => {
    const candidate = judgeNewPayment(compiled, handle, context);
    candidates.push(candidate);
    judged.add(handle);
    explanation.push(...explainCandidate(compiled, candidate, context));
    return candidate;
  };

  // Customer affinity: a returning buyer's account among the rule's targets, if it can take it.
  const known = context.customer?.accounts ?? [];
  if (target.preferCustomerAccount && known.length > 0) {
    const targets = [...own, ...(Array.isArray(target.policy) ? target.policy : [])];
    for (const handle of targets) {
      if (judged.has(handle) || !known.includes(handle)) continue;
      explanation.push(explainAffinity(handle));
      if (judge(handle).eligible) {
        explanation.push(explainTakes(handle));
        return finish('selected', handle, null, 'customer_affinity');
      }
    }
  }

  for (const [index, handle] of own.entries()) {
    if (judged.has(handle)) continue;
    if (index === 1) explanation.push(explainSplitOthers(own.slice(1)));
    if (judge(handle).eligible) {
      explanation.push(explainTakes(handle));
      return index === 0
        ? finish('selected', handle, null, split === undefined ? undefined : 'split')
        : finish('fallback', handle, first);
    }
  }

  if (target.policy === 'none') {
    explanation.push(
      explainNoFallback(target.policyOwner.level, target.policyOwner.ref),
      explainNoAccount(),
    );
    return finish('no_account', null, null);
  }

  const order = target.policy === 'auto' ? compiled.automaticOrder : target.policy;
  explanation.push(
    target.policy === 'auto'
      ? explainAutomaticFallback(order.some((handle) => !own.includes(handle)))
      : explainFallbackList(target.policy),
  );
  for (const handle of order) {
    // The target's own accounts were tried; a merchant's list may repeat one.
    if (judged.has(handle) || own.includes(handle)) continue;
    if (judge(handle).eligible) {
      explanation.push(explainTakes(handle));
      return finish('fallback', handle, first);
    }
  }
  explanation.push(explainNoAccount());
  return finish('no_account', null, null);
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
    explanation.push(
      explainContinuation(kind, parent),
      ...explainCandidate(compiled, candidate, context),
    );
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
  const decision = decide(
    'needs_new_payment_method',
    newCard.account,
    newCard.matched,
    parent,
    [...candidates, ...newCard.candidates.filter((candidate) => candidate.account !== parent)],
    [...explanation, ...explainNewCardNeeded(), ...newCard.explanation],
  );
  if (newCard.split !== undefined) decision.split = newCard.split;
  if (newCard.picked !== undefined) decision.picked = newCard.picked;
  return decision;
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
