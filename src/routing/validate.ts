import type {
  FallbackPolicy,
  PaymentContext,
  RoutingAccount,
  RoutingConfig,
  RoutingRule,
  RuleConditions,
  Target,
} from './schema.js';
import { targetAccounts } from './schema.js';

/**
 * What the schema cannot see: references between parts of the config (errors) and configs that
 * are valid but probably not what the merchant meant (warnings).
 */

export interface ConfigFinding {
  /** JSON path inside the config (or the context), e.g. `['rules', 2, 'use']`. */
  path: Array<string | number>;
  message: string;
}

export interface ConfigReview {
  errors: ConfigFinding[];
  warnings: ConfigFinding[];
}

/** A place in the config that names an account: a rule or a product, step or funnel pin. */
interface Reference {
  path: Array<string | number>;
  /** How the merchant calls it: `rule euro-sales`, `product coaching`. */
  owner: string;
  use: Target;
  fallback: FallbackPolicy;
  /** Only for rules: the currencies it is limited to. */
  currencies: readonly string[] | undefined;
}

export function validateRoutingConfig(config: RoutingConfig): ConfigReview {
  const errors: ConfigFinding[] = [];
  const warnings: ConfigFinding[] = [];
  const handles = new Set(config.accounts.map((account) => account.handle));
  const references = listReferences(config);

  findDuplicateHandles(config.accounts, errors);
  findPrimaryProblems(config.accounts, errors);
  findDuplicateRuleNames(config.rules, errors);
  for (const reference of references) findUnknownHandles(reference, handles, errors);
  for (const reference of references) findSplitProblems(reference, errors);
  config.accounts.forEach((account, index) => {
    findCapProblems(account, index, errors, warnings);
  });
  config.rules.forEach((rule, index) => {
    const amount = rule.when.amount;
    if (amount?.min !== undefined && amount.max !== undefined && amount.min > amount.max) {
      errors.push({
        path: ['rules', index, 'when', 'amount'],
        message: `min ${amount.min} is greater than max ${amount.max}, so rule "${rule.name}" can never match: swap them`,
      });
    }
  });

  findShadowedRules(config.rules, warnings);
  if (config.accounts.length > 0) findUnacceptedRuleCurrencies(config, warnings);
  for (const reference of references) findStrictPinOnLimitedAccount(reference, config, warnings);
  for (const reference of references) findSelfFallback(reference, warnings);
  config.accounts.forEach((account, index) => {
    if (account.modes.length === 0) {
      warnings.push({
        path: ['accounts', index, 'modes'],
        message: `${account.handle} has credentials for no mode, so it never takes a payment: add "test" or "live"`,
      });
    }
  });
  return { errors, warnings };
}

/** Warnings about one payment context against a config: things that make its decision odd. */
export function findContextWarnings(
  config: RoutingConfig,
  context: PaymentContext,
): ConfigFinding[] {
  const warnings: ConfigFinding[] = [];
  const handles = new Set(config.accounts.map((account) => account.handle));
  if (config.accounts.length > 0 && !config.accounts.some((a) => accepts(a, context.currency))) {
    warnings.push({
      path: ['currency'],
      message: `no account accepts ${context.currency.toUpperCase()}: add "${context.currency}" to an account's currencies, or remove its currencies to accept any`,
    });
  }
  for (const handle of Object.keys(context.health)) {
    if (!handles.has(handle)) {
      warnings.push({
        path: ['health', handle],
        message: `unknown account "${handle}"; its health is ignored`,
      });
    }
  }
  if (context.kind !== 'initial' && context.parent && !handles.has(context.parent.account)) {
    warnings.push({
      path: ['parent', 'account'],
      message: `unknown account "${context.parent.account}": the original payment's account is not in the config`,
    });
  }
  return warnings;
}

function listReferences(config: RoutingConfig): Reference[] {
  const references: Reference[] = config.rules.map((rule, index) => ({
    path: ['rules', index],
    owner: `rule ${rule.name}`,
    use: rule.use,
    fallback: rule.fallback,
    currencies: rule.when.currency,
  }));
  const pinGroups = [
    ['products', 'product', config.products],
    ['steps', 'step', config.steps],
    ['funnels', 'funnel', config.funnels],
  ] as const;
  for (const [key, noun, pins] of pinGroups) {
    for (const [slug, pin] of Object.entries(pins)) {
      references.push({
        path: [key, slug],
        owner: `${noun} ${slug}`,
        use: pin.use,
        fallback: pin.fallback,
        currencies: undefined,
      });
    }
  }
  return references;
}

function findDuplicateHandles(accounts: readonly RoutingAccount[], errors: ConfigFinding[]): void {
  const firstIndex = new Map<string, number>();
  accounts.forEach((account, index) => {
    const first = firstIndex.get(account.handle);
    if (first === undefined) {
      firstIndex.set(account.handle, index);
      return;
    }
    errors.push({
      path: ['accounts', index, 'handle'],
      message: `duplicate handle "${account.handle}" (accounts[${first}] has it too): give each account its own handle`,
    });
  });
}

function findPrimaryProblems(accounts: readonly RoutingAccount[], errors: ConfigFinding[]): void {
  if (accounts.length === 0) return;
  const primaries = accounts
    .map((account, index) => ({ account, index }))
    .filter(({ account }) => account.role === 'primary');
  const first = primaries[0];
  if (first === undefined) {
    errors.push({
      path: ['accounts'],
      message:
        'no primary account: set "role": "primary" on the account that takes payments when no pin or rule applies',
    });
    return;
  }
  for (const { account, index } of primaries.slice(1)) {
    errors.push({
      path: ['accounts', index, 'role'],
      message: `"${account.handle}" is a second primary ("${first.account.handle}" is primary already): make one of them "secondary"`,
    });
  }
}

function findDuplicateRuleNames(rules: readonly RoutingRule[], errors: ConfigFinding[]): void {
  const firstIndex = new Map<string, number>();
  rules.forEach((rule, index) => {
    const first = firstIndex.get(rule.name);
    if (first === undefined) {
      firstIndex.set(rule.name, index);
      return;
    }
    errors.push({
      path: ['rules', index, 'name'],
      message: `duplicate rule name "${rule.name}" (rules[${first}] has it too): decisions name the rule that matched, so each name must be unique`,
    });
  });
}

function describeKnownHandles(handles: ReadonlySet<string>): string {
  return handles.size === 0
    ? 'the config has no accounts; add one under "accounts"'
    : `use one of ${[...handles].join(', ')}`;
}

function findUnknownHandles(
  reference: Reference,
  handles: ReadonlySet<string>,
  errors: ConfigFinding[],
): void {
  if (typeof reference.use === 'string') {
    if (!handles.has(reference.use)) {
      errors.push({
        path: [...reference.path, 'use'],
        message: `unknown account "${reference.use}" in ${reference.owner}: ${describeKnownHandles(handles)}`,
      });
    }
  } else {
    reference.use.split.forEach((share, index) => {
      if (handles.has(share.account)) return;
      errors.push({
        path: [...reference.path, 'use', 'split', index, 'account'],
        message: `unknown account "${share.account}" in the split of ${reference.owner}: ${describeKnownHandles(handles)}`,
      });
    });
  }
  if (!Array.isArray(reference.fallback)) return;
  reference.fallback.forEach((handle, index) => {
    if (handles.has(handle)) return;
    errors.push({
      path: [...reference.path, 'fallback', index],
      message: `unknown fallback account "${handle}" in ${reference.owner}: ${describeKnownHandles(handles)}`,
    });
  });
}

/** A split needs some weight, and each account once (its share would be counted twice). */
function findSplitProblems(reference: Reference, errors: ConfigFinding[]): void {
  if (typeof reference.use === 'string') return;
  const shares = reference.use.split;
  const firstIndex = new Map<string, number>();
  shares.forEach((share, index) => {
    const first = firstIndex.get(share.account);
    if (first === undefined) {
      firstIndex.set(share.account, index);
      return;
    }
    errors.push({
      path: [...reference.path, 'use', 'split', index, 'account'],
      message: `${share.account} is listed twice in the split of ${reference.owner} (split[${first}] has it too): list each account once and add up its weights`,
    });
  });
  if (shares.length > 0 && shares.every((share) => share.weight === 0)) {
    errors.push({
      path: [...reference.path, 'use', 'split'],
      message: `the weights of the split of ${reference.owner} add up to 0, so no account would get a payment: give at least one account a weight above 0`,
    });
  }
}

/** Caps: one per currency and period, and only in currencies the account takes. */
function findCapProblems(
  account: RoutingAccount,
  index: number,
  errors: ConfigFinding[],
  warnings: ConfigFinding[],
): void {
  const seen = new Map<string, number>();
  (account.caps ?? []).forEach((cap, position) => {
    const key = `${cap.currency}/${cap.period}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({
        path: ['accounts', index, 'caps', position],
        message: `${account.handle} has two ${cap.period} caps in ${cap.currency.toUpperCase()} (caps[${first}] is one): keep one`,
      });
      return;
    }
    seen.set(key, position);
    if (!accepts(account, cap.currency)) {
      warnings.push({
        path: ['accounts', index, 'caps', position, 'currency'],
        message: `${account.handle} does not accept ${cap.currency.toUpperCase()}, so this cap never applies: remove it or add "${cap.currency}" to its currencies`,
      });
    }
  });
}

/** A later rule never matches when an earlier one matches every payment it would match. */
function findShadowedRules(rules: readonly RoutingRule[], warnings: ConfigFinding[]): void {
  rules.forEach((later, laterIndex) => {
    const earlierIndex = rules.findIndex(
      (earlier, index) => index < laterIndex && covers(earlier.when, later.when),
    );
    const earlier = rules[earlierIndex];
    if (earlier === undefined) return;
    const why =
      Object.keys(earlier.when).length === 0
        ? `rule "${earlier.name}" (rules[${earlierIndex}]) has an empty "when" and matches every payment`
        : `rule "${earlier.name}" (rules[${earlierIndex}]) comes first and matches every payment it would match`;
    warnings.push({
      path: ['rules', laterIndex],
      message: `rule "${later.name}" can never match: ${why}; move it above or narrow rule "${earlier.name}"`,
    });
  });
}

/** True when every payment that satisfies `later` also satisfies `earlier`. */
function covers(earlier: RuleConditions, later: RuleConditions): boolean {
  const lists = ['currency', 'country', 'tags', 'funnel', 'products'] as const;
  for (const key of lists) {
    const broad = earlier[key];
    if (broad === undefined) continue;
    const narrow = later[key];
    // "in the list" and "any overlap" both hold whenever the later list is a subset.
    if (narrow === undefined || !narrow.every((value) => broad.includes(value))) return false;
  }
  if (earlier.amount !== undefined) {
    const broad = earlier.amount;
    const narrow = later.amount;
    if (narrow === undefined) return false;
    const min = broad.min ?? Number.NEGATIVE_INFINITY;
    const max = broad.max ?? Number.POSITIVE_INFINITY;
    if ((narrow.min ?? Number.NEGATIVE_INFINITY) < min) return false;
    if ((narrow.max ?? Number.POSITIVE_INFINITY) > max) return false;
  }
  return true;
}

function accepts(account: RoutingAccount, currency: string): boolean {
  return account.currencies === undefined || account.currencies.includes(currency);
}

function findUnacceptedRuleCurrencies(config: RoutingConfig, warnings: ConfigFinding[]): void {
  config.rules.forEach((rule, index) => {
    (rule.when.currency ?? []).forEach((currency, position) => {
      if (config.accounts.some((account) => accepts(account, currency))) return;
      warnings.push({
        path: ['rules', index, 'when', 'currency', position],
        message: `no account accepts ${currency.toUpperCase()}, so rule "${rule.name}" finds no account for it: add "${currency}" to an account's currencies or remove it here`,
      });
    });
  });
}

function findStrictPinOnLimitedAccount(
  reference: Reference,
  config: RoutingConfig,
  warnings: ConfigFinding[],
): void {
  if (reference.fallback !== 'none' || typeof reference.use !== 'string') return;
  const use = reference.use;
  const account = config.accounts.find((candidate) => candidate.handle === use);
  const accepted = account?.currencies;
  if (accepted === undefined) return;
  // A rule limited to currencies the account accepts never meets the others.
  if (reference.currencies?.every((currency) => accepted.includes(currency))) return;
  warnings.push({
    path: [...reference.path, 'fallback'],
    message: `${reference.owner} pins ${reference.use} with fallback "none", but ${reference.use} accepts only ${accepted.map((c) => c.toUpperCase()).join(', ')}: payments in other currencies get no account; use "auto" or a fallback list${reference.currencies === undefined ? '' : ', or limit the rule to those currencies'}`,
  });
}

function findSelfFallback(reference: Reference, warnings: ConfigFinding[]): void {
  if (!Array.isArray(reference.fallback)) return;
  const own = targetAccounts(reference.use);
  reference.fallback.forEach((handle, index) => {
    if (!own.includes(handle)) return;
    const role =
      typeof reference.use === 'string' ? 'the account it falls back from' : 'already in its split';
    warnings.push({
      path: [...reference.path, 'fallback', index],
      message: `the fallback list of ${reference.owner} names ${handle}, ${role}; it is skipped, so remove it`,
    });
  });
}
