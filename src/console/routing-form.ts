import type { FallbackPolicy, Pin, RoutingConfig, RoutingRule, Target } from '../routing/index.js';

/**
 * The routing form as the person typed it: every value a string, so a refused save can show
 * exactly what was entered. Converted to the routing document only when it is tried or saved.
 */

export const pinKinds = ['products', 'steps', 'funnels'] as const;
export type PinKind = (typeof pinKinds)[number];

export type FallbackChoice = 'auto' | 'none' | 'list';

/**
 * Where new payments go, as typed: one account in `use`, or a split in `split` written as
 * "us 80, us2 20" (account, weight; it wins over `use` when filled in).
 */
export interface TargetForm {
  use: string;
  split: string;
  /** "customer" (the buyer's email) or "order". */
  splitKey: string;
}

export interface RuleForm extends TargetForm {
  name: string;
  /** "" or "customer_account". */
  prefer: string;
  fallback: FallbackChoice;
  fallbackList: string;
  currency: string;
  country: string;
  amountMin: string;
  amountMax: string;
  products: string;
  tags: string;
  funnel: string;
}

export interface PinForm extends TargetForm {
  slug: string;
  fallback: FallbackChoice;
  fallbackList: string;
}

export interface RoutingForm {
  rules: RuleForm[];
  pins: Record<PinKind, PinForm[]>;
  message: string;
  /** The active version the edits started from, so a save cannot overwrite someone else's. */
  basedOn: string;
}

/** A payment to try, as typed in the simulator. */
export interface TryForm {
  mode: string;
  kind: string;
  parent: string;
  currency: string;
  country: string;
  amount: string;
  products: string;
  tags: string;
  funnel: string;
  step: string;
  order: string;
  /** The buyer's email: the key a split buckets by. */
  customer: string;
  /** Handles where the buyer already has a Stripe customer, e.g. "us, eu". */
  customerAccounts: string;
  /** Handle -> what it took already in the payment's currency, in cents, today and this month. */
  usage: Record<string, { day: string; month: string }>;
  /** Handle -> health to pretend; an empty value keeps the live health. */
  health: Record<string, string>;
}

export type FormBody = Record<string, unknown>;

function text(body: FormBody, name: string): string {
  const value = body[name];
  if (Array.isArray(value)) return String(value[value.length - 1] ?? '');
  return typeof value === 'string' ? value : '';
}

function fallbackChoice(value: string): FallbackChoice {
  return value === 'none' || value === 'list' ? value : 'auto';
}

/** The row indexes a form posted for a list (`rules[3].name` → 3), in their order on the page. */
function indexesOf(body: FormBody, list: string): number[] {
  const pattern = new RegExp(`^${list}\\[(\\d+)\\]\\.`);
  const found = new Set<number>();
  for (const key of Object.keys(body)) {
    const match = pattern.exec(key);
    if (match?.[1] !== undefined) found.add(Number(match[1]));
  }
  return [...found].sort((a, b) => a - b);
}

export function routingFormOf(body: FormBody): RoutingForm {
  const rules = indexesOf(body, 'rules').map((index): RuleForm => {
    const at = (field: string) => text(body, `rules[${index}].${field}`);
    return {
      name: at('name'),
      use: at('use'),
      split: at('split'),
      splitKey: at('splitKey'),
      prefer: at('prefer'),
      fallback: fallbackChoice(at('fallback')),
      fallbackList: at('fallbackList'),
      currency: at('when.currency'),
      country: at('when.country'),
      amountMin: at('when.amount.min'),
      amountMax: at('when.amount.max'),
      products: at('when.products'),
      tags: at('when.tags'),
      funnel: at('when.funnel'),
    };
  });
  const pinsOf = (kind: PinKind) =>
    indexesOf(body, kind).map((index): PinForm => {
      const at = (field: string) => text(body, `${kind}[${index}].${field}`);
      return {
        slug: at('slug'),
        use: at('use'),
        split: at('split'),
        splitKey: at('splitKey'),
        fallback: fallbackChoice(at('fallback')),
        fallbackList: at('fallbackList'),
      };
    });
  return {
    rules,
    pins: { products: pinsOf('products'), steps: pinsOf('steps'), funnels: pinsOf('funnels') },
    message: text(body, 'message'),
    basedOn: text(body, 'basedOn'),
  };
}

export function tryFormOf(body: FormBody, handles: readonly string[]): TryForm {
  const at = (field: string) => text(body, `try.${field}`);
  return {
    mode: at('mode') || 'test',
    kind: at('kind') || 'initial',
    parent: at('parent'),
    currency: at('currency'),
    country: at('country'),
    amount: at('amount'),
    products: at('products'),
    tags: at('tags'),
    funnel: at('funnel'),
    step: at('step'),
    order: at('order'),
    customer: at('customer'),
    customerAccounts: at('customerAccounts'),
    usage: Object.fromEntries(
      handles.map((handle) => [
        handle,
        { day: at(`usage.${handle}.day`), month: at(`usage.${handle}.month`) },
      ]),
    ),
    health: Object.fromEntries(handles.map((handle) => [handle, at(`health.${handle}`)])),
  };
}

function listText(values: readonly string[] | undefined): string {
  return (values ?? []).join(', ');
}

function targetForm(use: Target): TargetForm {
  return typeof use === 'string'
    ? { use, split: '', splitKey: 'customer' }
    : {
        use: use.split[0]?.account ?? '',
        split: use.split.map((share) => `${share.account} ${share.weight}`).join(', '),
        splitKey: use.key,
      };
}

function fallbackForm(policy: FallbackPolicy): Pick<PinForm, 'fallback' | 'fallbackList'> {
  return Array.isArray(policy)
    ? { fallback: 'list', fallbackList: policy.join(', ') }
    : { fallback: policy, fallbackList: '' };
}

/** The form showing a stored document's rules and pins. */
export function routingFormFrom(document: RoutingConfig, version: number | null): RoutingForm {
  const pinsOf = (pins: Record<string, Pin>) =>
    Object.entries(pins).map(([slug, pin]) => ({
      slug,
      ...targetForm(pin.use),
      ...fallbackForm(pin.fallback),
    }));
  return {
    rules: document.rules.map((rule: RoutingRule) => ({
      name: rule.name,
      ...targetForm(rule.use),
      prefer: rule.prefer ?? '',
      ...fallbackForm(rule.fallback),
      currency: listText(rule.when.currency?.map((currency) => currency.toUpperCase())),
      country: listText(rule.when.country),
      amountMin: rule.when.amount?.min === undefined ? '' : String(rule.when.amount.min),
      amountMax: rule.when.amount?.max === undefined ? '' : String(rule.when.amount.max),
      products: listText(rule.when.products),
      tags: listText(rule.when.tags),
      funnel: listText(rule.when.funnel),
    })),
    pins: {
      products: pinsOf(document.products),
      steps: pinsOf(document.steps),
      funnels: pinsOf(document.funnels),
    },
    message: '',
    basedOn: version === null ? '0' : String(version),
  };
}

export function emptyRule(account: string): RuleForm {
  return {
    name: '',
    use: account,
    split: '',
    splitKey: 'customer',
    prefer: '',
    fallback: 'auto',
    fallbackList: '',
    currency: '',
    country: '',
    amountMin: '',
    amountMax: '',
    products: '',
    tags: '',
    funnel: '',
  };
}

export function emptyPin(account: string): PinForm {
  return {
    slug: '',
    use: account,
    split: '',
    splitKey: 'customer',
    fallback: 'auto',
    fallbackList: '',
  };
}

function words(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
}

// A list left empty means "no condition"; the schema would refuse an empty list.
function optionalList(value: string): string[] | undefined {
  const list = words(value);
  return list.length === 0 ? undefined : list;
}

// Whole numbers become numbers; anything else goes through as typed so the schema names it.
function amountOf(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

// Any number becomes a number, so "-20" and "20.5" get the schema's own words for weights.
function weightOf(value: string): number | string | undefined {
  if (value === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

/** "us 80, us2 20" as the split the schema reads; what is not a whole number goes through as typed. */
function useOf(form: TargetForm): unknown {
  const listed = words(form.split);
  if (listed.length === 0) return form.use;
  const split: Array<{ account: string; weight: unknown }> = [];
  for (let index = 0; index < listed.length; index += 2) {
    split.push({ account: listed[index] ?? '', weight: weightOf(listed[index + 1] ?? '') });
  }
  return { split, key: form.splitKey === 'order' ? 'order' : 'customer' };
}

function fallbackOf(form: Pick<PinForm, 'fallback' | 'fallbackList'>): unknown {
  return form.fallback === 'list' ? words(form.fallbackList) : form.fallback;
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Problems the form itself finds before the document exists: a pin named twice. */
export interface FormProblem {
  field: string;
  message: string;
}

/**
 * The routing document (rules and pins; the accounts part comes from the accounts) for the
 * schema to parse. Empty pin rows are left out: they are the "add a pin" rows not filled in.
 */
export function documentOf(form: RoutingForm): { document: unknown; problems: FormProblem[] } {
  const problems: FormProblem[] = [];
  const rules = form.rules.map((rule) => {
    const min = amountOf(rule.amountMin);
    const max = amountOf(rule.amountMax);
    return {
      name: rule.name.trim(),
      when: withoutUndefined({
        currency: optionalList(rule.currency),
        country: optionalList(rule.country),
        amount: min === undefined && max === undefined ? undefined : withoutUndefined({ min, max }),
        products: optionalList(rule.products),
        tags: optionalList(rule.tags),
        funnel: optionalList(rule.funnel),
      }),
      use: useOf(rule),
      ...(rule.prefer === 'customer_account' ? { prefer: 'customer_account' } : {}),
      fallback: fallbackOf(rule),
    };
  });
  const pins = (kind: PinKind) => {
    const record: Record<string, unknown> = {};
    form.pins[kind].forEach((pin, index) => {
      const slug = pin.slug.trim();
      if (slug === '') return;
      if (Object.hasOwn(record, slug)) {
        problems.push({
          field: `${kind}[${index}].slug`,
          message: `${slug} is pinned twice: keep one of the two`,
        });
        return;
      }
      record[slug] = { use: useOf(pin), fallback: fallbackOf(pin) };
    });
    return record;
  };
  return {
    document: {
      rules,
      products: pins('products'),
      steps: pins('steps'),
      funnels: pins('funnels'),
    },
    problems,
  };
}

/** The payment context for the schema to parse, and the health the person chose to pretend. */
export function contextOf(form: TryForm): unknown {
  const amount = amountOf(form.amount);
  const health = Object.fromEntries(
    Object.entries(form.health).filter(([, state]) => state !== ''),
  );
  const currency = form.currency.trim();
  const usage = Object.fromEntries(
    Object.entries(form.usage)
      .map(([handle, taken]) => {
        const day = amountOf(taken.day);
        const month = amountOf(taken.month);
        return [handle, withoutUndefined({ day, month })] as const;
      })
      .filter(([, taken]) => Object.keys(taken).length > 0)
      .map(([handle, taken]) => [handle, { [currency.toLowerCase()]: taken }]),
  );
  const customer = form.customer.trim();
  const known = words(form.customerAccounts);
  return withoutUndefined({
    mode: form.mode,
    kind: form.kind,
    parent: form.kind === 'initial' || form.parent === '' ? undefined : { account: form.parent },
    currency: form.currency.trim() === '' ? undefined : form.currency.trim(),
    country: form.country.trim() === '' ? undefined : form.country.trim(),
    amount,
    products: words(form.products),
    tags: words(form.tags),
    funnel: form.funnel.trim() === '' ? undefined : form.funnel.trim(),
    step: form.step.trim() === '' ? undefined : form.step.trim(),
    order: form.order.trim() === '' ? undefined : form.order.trim(),
    customer:
      customer === '' && known.length === 0
        ? undefined
        : withoutUndefined({ key: customer === '' ? undefined : customer, accounts: known }),
    // Usage counts in the payment's currency, so it needs one (the currency's own error says so).
    usage: Object.keys(usage).length === 0 || currency === '' ? undefined : usage,
    health,
  });
}

/**
 * The form field a problem at a JSON path inside the document belongs to (`rules[2].use`),
 * or null when no field on the page holds it (the accounts part).
 */
export function formFieldOf(
  path: ReadonlyArray<string | number>,
  form: RoutingForm,
): string | null {
  const [section, position, field, ...rest] = path;
  if (section === 'rules' && typeof position === 'number') {
    const rule = form.rules[position];
    const at = `rules[${position}]`;
    if (field === 'use') return targetField(at, rule, rest);
    if (field === 'name' || field === 'prefer') return `${at}.${field}`;
    if (field === 'fallback') return fallbackField(at, rule?.fallback, rest.length);
    if (field === 'when') {
      const [condition, bound] = rest;
      if (condition === 'amount') return `${at}.when.amount.${bound === 'max' ? 'max' : 'min'}`;
      if (typeof condition === 'string') return `${at}.when.${condition}`;
    }
    return `${at}.name`;
  }
  if (
    (section === 'products' || section === 'steps' || section === 'funnels') &&
    typeof position === 'string'
  ) {
    const index = form.pins[section].findIndex((pin) => pin.slug.trim() === position);
    if (index < 0) return null;
    const at = `${section}[${index}]`;
    if (field === 'use') return targetField(at, form.pins[section][index], rest);
    if (field === 'fallback') {
      return fallbackField(at, form.pins[section][index]?.fallback, path.length - 3);
    }
    return `${at}.slug`;
  }
  return null;
}

/** `use` itself, or inside a split (`use.split[1].weight`, `use.key`): the row's split fields. */
function targetField(
  at: string,
  row: TargetForm | undefined,
  inside: ReadonlyArray<string | number>,
): string {
  if (inside[0] === 'key') return `${at}.splitKey`;
  if (inside.length > 0 || (row !== undefined && words(row.split).length > 0)) return `${at}.split`;
  return `${at}.use`;
}

function fallbackField(at: string, choice: FallbackChoice | undefined, deeper: number): string {
  return deeper > 0 || choice === 'list' ? `${at}.fallbackList` : `${at}.fallback`;
}

/** `document.rules[2].when.amount` → ['rules', 2, 'when', 'amount'], for errors given as text. */
export function pathOf(field: string, root: string): Array<string | number> {
  const inside = field.startsWith(`${root}.`)
    ? field.slice(root.length + 1)
    : field.startsWith(`${root}[`)
      ? field.slice(root.length)
      : field;
  const path: Array<string | number> = [];
  for (const match of inside.matchAll(/\[(\d+)\]|([^.[\]]+)/g)) {
    path.push(match[1] === undefined ? (match[2] ?? '') : Number(match[1]));
  }
  return path;
}

/** The simulator field a problem in the payment context belongs to. */
export function tryFieldOf(path: ReadonlyArray<string | number>): string {
  const [field, key, , period] = path;
  if (field === 'health' && typeof key === 'string') return `try.health.${key}`;
  if (field === 'customer') return key === 'accounts' ? 'try.customerAccounts' : 'try.customer';
  if (field === 'usage' && typeof key === 'string') {
    return `try.usage.${key}.${period === 'month' ? 'month' : 'day'}`;
  }
  return `try.${String(field ?? 'currency')}`;
}

/** A validator message with its JSON references in words: "(rules[0])" reads "(rule 1)". */
export function inWords(message: string): string {
  return message.replace(/\brules\[(\d+)\]/g, (_, index: string) => `rule ${Number(index) + 1}`);
}
