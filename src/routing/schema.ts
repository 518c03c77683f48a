import { z } from 'zod';

/**
 * The routing config document and the payment context of docs/design.md §2, validated at the edge.
 * The schemas apply the documented defaults, so the router only ever sees complete values.
 */

export const handlePattern = /^[a-z0-9-]{1,40}$/;

/** A type-level message that still says "required" when the field is missing. */
function orRequired(message: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : message);
}

const handleMessage = 'a handle is 1 to 40 lowercase letters, digits or "-", e.g. "eu-ltd"';

const handleSchema = z.string().regex(handlePattern, { error: handleMessage });

const slugSchema = z.string().min(1, { error: 'must not be empty' });

const stepKeySchema = z
  .string()
  .regex(/^[^/]+\/[^/]+$/, { error: 'a step is named "funnel/step", e.g. "webinar/order"' });

// Accepts "EUR" or "eur": merchants write both; the router compares the lower-case form.
const currencySchema = z
  .string()
  .regex(/^[A-Za-z]{3}$/, { error: 'a currency is a three-letter ISO code, e.g. "usd"' })
  .transform((currency) => currency.toLowerCase());

const countrySchema = z
  .string()
  .regex(/^[A-Za-z]{2}$/, { error: 'a country is a two-letter ISO code, e.g. "DE"' })
  .transform((country) => country.toUpperCase());

const amountSchema = z
  .number({ error: 'an amount is a whole number of minor units, e.g. 4900 for 49.00' })
  .int({ error: 'an amount is a whole number of minor units, e.g. 4900 for 49.00' })
  .min(0, { error: 'an amount cannot be negative' });

export const modes = ['test', 'live'] as const;
export const paymentKinds = ['initial', 'upsell', 'renewal', 'refund'] as const;
export const healthStates = ['healthy', 'degraded', 'down', 'disconnected', 'restricted'] as const;

const modeSchema = z.enum(modes, { error: orRequired('a mode is "test" or "live"') });

function listOf<Item extends z.ZodType>(item: Item, one: string, many: string) {
  return z
    .array(item, { error: orRequired(`expected a list of ${many}`) })
    .min(1, { error: `list at least one ${one} or leave the field out` });
}

const fallbackSchema = z.union(
  [
    z.literal('auto'),
    z.literal('none'),
    z
      .array(handleSchema, { error: 'expected a list of account handles' })
      .min(1, { error: 'list at least one account, or use "none" for no fallback' }),
  ],
  {
    error: orRequired('fallback is "auto", "none" or a list of account handles such as ["backup"]'),
  },
);

/** A volume cap of issue 16: at most `amount` minor units of `currency` per UTC day or month. */
export const capPeriods = ['day', 'month'] as const;

export const capSchema = z.strictObject({
  currency: currencySchema,
  period: z.enum(capPeriods, { error: orRequired('a cap period is "day" or "month"') }),
  amount: amountSchema.min(1, { error: 'a cap is at least 1 minor unit; remove the cap for none' }),
});

const accountSchema = z.strictObject({
  handle: handleSchema,
  role: z
    .enum(['primary', 'secondary'], { error: 'a role is "primary" or "secondary"' })
    .default('secondary'),
  modes: z
    .array(modeSchema, { error: 'expected a list of modes, e.g. ["test", "live"]' })
    .default(['test', 'live']),
  priority: z
    .number({ error: 'a priority is a whole number; lower numbers are tried first' })
    .int({ error: 'a priority is a whole number; lower numbers are tried first' })
    .min(0, { error: 'a priority cannot be negative' })
    .default(0),
  currencies: listOf(currencySchema, 'currency', 'currencies').optional(),
  enabled: z.boolean({ error: orRequired('expected true or false') }).default(true),
  drain: z.boolean({ error: orRequired('expected true or false') }).default(false),
  label: z.string().optional(),
  purpose: z.string().optional(),
  caps: z
    .array(capSchema, {
      error:
        'expected a list of caps, e.g. [{"currency": "usd", "period": "day", "amount": 5000000}]',
    })
    .optional(),
});

const amountRangeSchema = z.strictObject({
  min: amountSchema.optional(),
  max: amountSchema.optional(),
});

const conditionsSchema = z.strictObject({
  currency: listOf(currencySchema, 'currency', 'currencies').optional(),
  country: listOf(countrySchema, 'country', 'countries').optional(),
  tags: listOf(slugSchema, 'tag', 'tags').optional(),
  funnel: listOf(slugSchema, 'funnel', 'funnels').optional(),
  products: listOf(slugSchema, 'product', 'products').optional(),
  amount: amountRangeSchema.optional(),
});

/**
 * A weighted split of new payments between accounts (issue 16). Weights are non-negative whole
 * numbers; each buyer's share is computed from a hash of the split id and the customer key, so
 * the same buyer lands on the same account for as long as the weights stay.
 */
export const splitKeys = ['customer', 'order'] as const;

const splitShareSchema = z.strictObject({
  account: handleSchema,
  weight: z
    .number({ error: orRequired('a weight is a whole number, e.g. 80') })
    .int({ error: 'a weight is a whole number, e.g. 80' })
    .min(0, { error: 'a weight cannot be negative' }),
});

export const splitSchema = z.strictObject({
  split: z
    .array(splitShareSchema, { error: orRequired('expected a list of {"account", "weight"}') })
    .min(1, { error: 'list at least one account with its weight' }),
  key: z
    .enum(splitKeys, { error: 'a split key is "customer" (the default) or "order"' })
    .default('customer'),
});

/** Where a rule, funnel pin or step pin sends new payments: one account, or a split. */
export const targetSchema = z.union([handleSchema, splitSchema], {
  error: orRequired(
    'use is an account handle such as "us", or a split such as {"split": [{"account": "us", "weight": 80}, {"account": "us2", "weight": 20}]}',
  ),
});

export const preferences = ['customer_account'] as const;

const ruleSchema = z.strictObject({
  name: z.string().min(1, { error: 'a rule needs a name, e.g. "euro-sales"' }),
  when: conditionsSchema,
  use: targetSchema,
  fallback: fallbackSchema.default('auto'),
  /** "customer_account": a returning buyer's account among the rule's targets comes first. */
  prefer: z
    .enum(preferences, { error: 'prefer is "customer_account", or leave it out' })
    .optional(),
});

/** A funnel or step pin: one account or a split. */
const pinSchema = z.strictObject({
  use: targetSchema,
  fallback: fallbackSchema.default('auto'),
});

/** A product pin is always one account, so the offers of one order step are never split apart. */
const productPinSchema = z.strictObject({
  use: z
    .string({
      error: (issue) => {
        if (issue.input === undefined) return 'required';
        return typeof issue.input === 'object' && issue.input !== null && 'split' in issue.input
          ? 'a product pin names one account: products cannot be split (split the funnel or step pin, or a rule, instead)'
          : 'use is an account handle such as "us"';
      },
    })
    .regex(handlePattern, { error: handleMessage }),
  fallback: fallbackSchema.default('auto'),
});

export const routingConfigSchema = z.strictObject({
  accounts: z
    .array(accountSchema, { error: orRequired('expected a list of accounts') })
    .default([]),
  rules: z.array(ruleSchema, { error: orRequired('expected a list of rules') }).default([]),
  funnels: z
    .record(slugSchema, pinSchema, { error: 'expected an object of funnel pins' })
    .default({}),
  steps: z
    .record(stepKeySchema, pinSchema, { error: 'expected an object of step pins' })
    .default({}),
  products: z
    .record(slugSchema, productPinSchema, { error: 'expected an object of product pins' })
    .default({}),
});

/** Minor units already taken per account, currency and period (issue 16), as `health` is given. */
const usageSchema = z.record(
  handleSchema,
  z.record(
    currencySchema,
    z.strictObject({ day: amountSchema.optional(), month: amountSchema.optional() }),
    { error: 'expected an object of currency -> {"day", "month"}' },
  ),
  { error: orRequired('expected an object of account handle -> currency -> {"day", "month"}') },
);

/** Who pays: the split key and the accounts where the buyer already has a Stripe customer. */
const customerSchema = z.strictObject({
  key: z
    .string({ error: 'a customer key is the buyer\'s email, e.g. "ann@example.com"' })
    .transform((key) => key.trim().toLowerCase())
    .optional(),
  accounts: z.array(handleSchema, { error: 'expected a list of account handles' }).default([]),
});

export const paymentContextSchema = z
  .strictObject({
    mode: modeSchema,
    kind: z
      .enum(paymentKinds, { error: 'a kind is "initial", "upsell", "renewal" or "refund"' })
      .default('initial'),
    funnel: slugSchema.optional(),
    step: stepKeySchema.optional(),
    products: z
      .array(slugSchema, { error: orRequired('expected a list of product slugs') })
      .default([]),
    tags: z.array(slugSchema, { error: orRequired('expected a list of tags') }).default([]),
    currency: currencySchema,
    country: countrySchema.optional(),
    amount: amountSchema.optional(),
    parent: z.strictObject({ account: handleSchema }).optional(),
    /** The order id: the split key when there is no customer key, or when a split says "order". */
    order: z.string().min(1, { error: 'an order id, e.g. "ord_123"' }).optional(),
    customer: customerSchema.optional(),
    usage: usageSchema.optional(),
    health: z
      .record(
        handleSchema,
        z.enum(healthStates, {
          error: 'a health is "healthy", "degraded", "down", "disconnected" or "restricted"',
        }),
        { error: orRequired('expected an object of account handle -> health') },
      )
      .default({}),
  })
  .superRefine(function requireParentForContinuations(context, issues) {
    if (context.kind !== 'initial' && context.parent === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['parent'],
        message: `required when kind is "${context.kind}": the account of the original payment, e.g. {"account": "us"}`,
      });
    }
  });

export type RoutingConfigInput = z.input<typeof routingConfigSchema>;
export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type RoutingAccount = RoutingConfig['accounts'][number];
export type RoutingRule = RoutingConfig['rules'][number];
export type RuleConditions = RoutingRule['when'];
export type Pin = RoutingConfig['funnels'][string];
export type ProductPin = RoutingConfig['products'][string];
export type Target = Pin['use'];
export type Split = Exclude<Target, string>;
export type SplitShare = Split['split'][number];
export type SplitKey = (typeof splitKeys)[number];
export type AccountCap = NonNullable<RoutingAccount['caps']>[number];
export type CapPeriod = (typeof capPeriods)[number];
export type Usage = NonNullable<PaymentContext['usage']>;
export type FallbackPolicy = Pin['fallback'];
export type PaymentContextInput = z.input<typeof paymentContextSchema>;
export type PaymentContext = z.output<typeof paymentContextSchema>;
export type Mode = (typeof modes)[number];
export type PaymentKind = (typeof paymentKinds)[number];
export type HealthState = (typeof healthStates)[number];

/** The accounts a target names, in listed order. */
export function targetAccounts(use: Target): string[] {
  return typeof use === 'string' ? [use] : use.split.map((share) => share.account);
}

/** "us", or "split us 80 / us2 20", for lists and sentences. */
export function describeTarget(use: Target): string {
  return typeof use === 'string'
    ? use
    : `split ${use.split.map((share) => `${share.account} ${share.weight}`).join(' / ')}`;
}

/** One thing wrong with an input, at a JSON path inside it. */
export interface SchemaProblem {
  path: Array<string | number>;
  message: string;
}

export type Parsed<Value> =
  | { success: true; value: Value }
  | { success: false; problems: SchemaProblem[] };

export function parseRoutingConfig(input: unknown): Parsed<RoutingConfig> {
  return parseWith(routingConfigSchema, input, fieldsInConfigAt);
}

export function parsePaymentContext(input: unknown): Parsed<PaymentContext> {
  return parseWith(paymentContextSchema, input, fieldsInContextAt);
}

function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  fieldsAt: FieldsAt,
): Parsed<z.output<Schema>> {
  const result = schema.safeParse(input, { error: reportMissingAsRequired });
  if (result.success) return { success: true, value: result.data };
  return {
    success: false,
    problems: result.error.issues.flatMap((issue) => describeIssue(issue, fieldsAt)),
  };
}

// A field that is absent reads better as "required" than as "expected string, received undefined".
function reportMissingAsRequired(issue: { input?: unknown }): string | undefined {
  return issue.input === undefined ? 'required' : undefined;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  fieldsAt: FieldsAt,
  prefix: ReadonlyArray<string | number> = [],
): SchemaProblem | SchemaProblem[] {
  const path = [
    ...prefix,
    ...issue.path.map((part) => (typeof part === 'number' ? part : String(part))),
  ];
  switch (issue.code) {
    case 'invalid_union': {
      // A split with a bad weight fails both branches of "handle or split"; the branch that took
      // the input's type (an object here) says what is wrong, and where, better than the union.
      const branch = branchForInputType(issue.errors);
      return branch === undefined
        ? { path, message: issue.message }
        : branch.flatMap((inner) => describeIssue(inner, fieldsAt, path));
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: describeUnknownField(key, fieldsAt(path)),
      }));
    case 'invalid_key':
      return { path, message: issue.issues[0]?.message ?? issue.message };
    case 'invalid_value':
      return issue.message.startsWith('Invalid')
        ? {
            path,
            message: `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`,
          }
        : { path, message: issue.message };
    default:
      return { path, message: issue.message.replace(/^Invalid input: /, '') };
  }
}

/** The only branch of a union that did not reject the input's type outright, if there is one. */
function branchForInputType(
  branches: ReadonlyArray<readonly z.core.$ZodIssue[]>,
): readonly z.core.$ZodIssue[] | undefined {
  const typed = branches.filter(
    (issues) =>
      !issues.every(
        (inner) =>
          inner.path.length === 0 &&
          (inner.code === 'invalid_type' || inner.code === 'invalid_value'),
      ),
  );
  return typed.length === 1 ? typed[0] : undefined;
}

/** The fields an object at `path` may have, to suggest the one a misspelt field meant. */
type FieldsAt = (path: ReadonlyArray<string | number>) => readonly string[];

function fieldsInConfigAt(path: ReadonlyArray<string | number>): readonly string[] {
  const [section, , field, , inner] = path;
  if (path.length === 0) return Object.keys(routingConfigSchema.shape);
  if (section === 'accounts') {
    return Object.keys(path.length === 2 ? accountSchema.shape : capSchema.shape);
  }
  // A rule or pin is at depth 2; its split at depth 3 ("use"); a split's share at depth 5.
  if (field === 'use')
    return Object.keys(inner === undefined ? splitSchema.shape : splitShareSchema.shape);
  if (section === 'rules') {
    if (path.length === 2) return Object.keys(ruleSchema.shape);
    if (path.length === 3) return Object.keys(conditionsSchema.shape);
    return Object.keys(amountRangeSchema.shape);
  }
  return Object.keys(section === 'products' ? productPinSchema.shape : pinSchema.shape);
}

function fieldsInContextAt(path: ReadonlyArray<string | number>): readonly string[] {
  const [section] = path;
  if (path.length === 0) return Object.keys(paymentContextSchema.shape);
  if (section === 'customer') return Object.keys(customerSchema.shape);
  if (section === 'usage') return ['day', 'month'];
  return ['account'];
}

function describeUnknownField(field: string, known: readonly string[]): string {
  const lower = field.toLowerCase();
  let closest: string | undefined = known.find((name) => name.toLowerCase() === lower);
  let best = Math.min(2, Math.floor(field.length / 2));
  for (const name of closest === undefined ? known : []) {
    const distance = editDistance(name.toLowerCase(), lower);
    if (distance <= best) {
      closest = name;
      best = distance - 1;
    }
  }
  return closest === undefined
    ? `unknown field: remove it, or check the spelling (known fields: ${known.join(', ')})`
    : `unknown field: did you mean "${closest}"?`;
}

// Levenshtein distance, enough to suggest "currency" for "curency".
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
