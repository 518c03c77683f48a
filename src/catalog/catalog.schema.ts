import { z } from 'zod';
import { AppError, type FieldProblem, fieldPath } from '../errors.js';
import { handlePattern, splitSchema } from '../routing/index.js';
import { findAmountProblem, type Interval, isKnownCurrency } from './money.js';

/**
 * Products, funnels and the funnel document (a funnel with its products), validated at the edge.
 * Every problem is reported at its JSON path, e.g. `steps[2].product`.
 */

/** A type-level message that still says "required" when the field is missing. */
function orRequired(message: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : message);
}

const slugSchema = z.string().regex(handlePattern, {
  error: 'a slug is 1 to 40 lowercase letters, digits or "-", e.g. "launch-2025"',
});

function text(max: number, what: string) {
  return z
    .string({ error: orRequired(`expected ${what} as text`) })
    .trim()
    .max(max, { error: `at most ${max} characters` });
}

function webAddress(what: string) {
  return z
    .string({ error: orRequired(`expected ${what} as text`) })
    .trim()
    .max(2000, { error: 'at most 2000 characters' })
    .refine((value) => /^https?:$/.test(URL.parse(value)?.protocol ?? ''), {
      error: `${what} must be an http(s) address, e.g. "https://cdn.example.com/cover.png"`,
    });
}

const currencySchema = z
  .string({ error: orRequired('expected a currency code, e.g. "usd"') })
  .regex(/^[A-Za-z]{3}$/, { error: 'a currency is a three-letter ISO code, e.g. "usd"' })
  .transform((currency) => currency.toLowerCase())
  .refine(isKnownCurrency, { error: 'not an ISO 4217 currency code' });

export const intervals = ['day', 'week', 'month', 'year'] as const satisfies readonly Interval[];
/** Stripe bills at most every three years. */
const longestIntervalCount: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };

const priceSchema = z
  .strictObject({
    currency: currencySchema,
    amount: z.number({ error: orRequired('expected a whole number of minor units, e.g. 4900') }),
    type: z
      .enum(['one_time', 'recurring'], { error: 'a price type is "one_time" or "recurring"' })
      .default('one_time'),
    interval: z
      .enum(intervals, { error: 'an interval is "day", "week", "month" or "year"' })
      .optional(),
    intervalCount: z
      .number({ error: 'expected a whole number of intervals' })
      .int({ error: 'expected a whole number of intervals' })
      .min(1, { error: 'at least 1' })
      .optional(),
  })
  .superRefine(function checkPrice(price, issues) {
    const problem = findAmountProblem(price.amount, price.currency);
    if (problem) issues.addIssue({ code: 'custom', path: ['amount'], message: problem });
    if (price.type === 'recurring') {
      if (price.interval === undefined) {
        issues.addIssue({
          code: 'custom',
          path: ['interval'],
          message: 'required for a recurring price: "day", "week", "month" or "year"',
        });
      } else if ((price.intervalCount ?? 1) > longestIntervalCount[price.interval]) {
        issues.addIssue({
          code: 'custom',
          path: ['intervalCount'],
          message: `at most ${longestIntervalCount[price.interval]} ${price.interval}s: Stripe bills at least every three years`,
        });
      }
    } else {
      for (const field of ['interval', 'intervalCount'] as const) {
        if (price[field] !== undefined) {
          issues.addIssue({
            code: 'custom',
            path: [field],
            message: 'only a recurring price has one; set "type": "recurring" or remove it',
          });
        }
      }
    }
  })
  .transform(function normalisePrice(price) {
    return {
      currency: price.currency,
      amount: price.amount,
      type: price.type,
      interval: price.type === 'recurring' ? (price.interval ?? null) : null,
      intervalCount: price.type === 'recurring' ? (price.intervalCount ?? 1) : null,
    };
  });

const pricesSchema = z
  .array(priceSchema, { error: orRequired('expected a list of prices') })
  .min(1, {
    error: 'a product needs at least one price, e.g. [{"currency": "usd", "amount": 4900}]',
  })
  .superRefine(function checkPrices(prices, issues) {
    const seen = new Set<string>();
    prices.forEach((price, index) => {
      if (seen.has(price.currency)) {
        issues.addIssue({
          code: 'custom',
          path: [index, 'currency'],
          message: `a second ${price.currency} price: a product has one price per currency`,
        });
      }
      seen.add(price.currency);
      const first = prices[0];
      if (
        first &&
        index > 0 &&
        (price.type !== first.type ||
          price.interval !== first.interval ||
          price.intervalCount !== first.intervalCount)
      ) {
        issues.addIssue({
          code: 'custom',
          path: [index, 'type'],
          message:
            'every price of a product is billed the same way: the same type, interval and intervalCount as prices[0]',
        });
      }
    });
  });

const fallbackSchema = z
  .union(
    [
      z.literal('auto'),
      z.literal('none'),
      z
        .array(z.string().regex(handlePattern, { error: 'expected an account handle' }))
        .min(1, { error: 'list at least one account, or use "none" for no fallback' }),
    ],
    { error: 'fallback is "auto", "none" or a list of account handles such as ["backup"]' },
  )
  .default('auto');

/** A product pin names one account: the offers of one order step are never split apart. */
const pinSchema = z
  .strictObject({
    use: z.string().regex(handlePattern, {
      error: 'the handle of the account that takes the payment, e.g. "us"',
    }),
    fallback: fallbackSchema,
  })
  .nullable();

/** A funnel or step pin: one account, or a weighted split (issue 16). */
const funnelPinSchema = z
  .strictObject({
    use: z.union([z.string().regex(handlePattern), splitSchema], {
      error:
        'the handle of the account that takes the payment, e.g. "us", or a split such as {"split": [{"account": "us", "weight": 80}, {"account": "us2", "weight": 20}]}',
    }),
    fallback: fallbackSchema,
  })
  .nullable();

const productFields = {
  name: text(200, 'a name').min(1, { error: 'must not be empty' }),
  description: text(20_000, 'a description').default(''),
  image: webAddress('an image address').nullable().default(null),
  tags: z
    .array(slugSchema, { error: orRequired('expected a list of product lines, e.g. ["courses"]') })
    .default([])
    .transform((tags) => [...new Set(tags)]),
  prices: pricesSchema,
  /** Left out: the pin stays as it is; null: removed. */
  pin: pinSchema.optional(),
};

export const productSchema = z.strictObject({ slug: slugSchema, ...productFields });
export const productChangesSchema = z.strictObject({
  name: productFields.name.optional(),
  description: text(20_000, 'a description').optional(),
  image: webAddress('an image address').nullable().optional(),
  tags: productFields.tags.optional(),
  prices: pricesSchema.optional(),
  pin: pinSchema.optional(),
});

export const stepKinds = ['optin', 'sales', 'order', 'upsell', 'downsell', 'thankyou'] as const;
export type StepKind = (typeof stepKinds)[number];

/** The blocks a step's page shows; an A/B variant may give its own of each. */
const contentBlocks = {
  headline: text(300, 'a headline').optional(),
  subheadline: text(500, 'a subheadline').optional(),
  /** Markdown as the merchant wrote it; the pages sanitise it when they render it. */
  body: z
    .string({ error: orRequired('expected Markdown text') })
    .max(50_000)
    .optional(),
  bullets: z.array(text(500, 'a bullet'), { error: 'expected a list of bullets' }).optional(),
  image: webAddress('an image address').optional(),
  video: webAddress('a video embed address').optional(),
  testimonials: z
    .array(
      z.strictObject({
        quote: text(2000, 'a quote').min(1, { error: 'must not be empty' }),
        author: text(200, 'an author').min(1, { error: 'must not be empty' }),
        role: text(200, 'a role').optional(),
        image: webAddress('an image address').optional(),
      }),
      { error: 'expected a list of testimonials' },
    )
    .optional(),
  guarantee: z
    .strictObject({
      days: z.number().int().min(1).max(3650).optional(),
      text: text(2000, 'a guarantee').min(1, { error: 'must not be empty' }),
    })
    .optional(),
  buttonText: text(100, 'a button text').optional(),
};

/**
 * One arm of a step's A/B test: its name, its share of new visitors (weights are relative), and
 * the blocks it shows instead of the step's own (the rest are the step's).
 */
const variantSchema = z.strictObject({
  name: slugSchema,
  weight: z
    .number({ error: orRequired('expected a whole number from 1 to 100') })
    .int({ error: 'a whole number from 1 to 100' })
    .min(1, { error: 'a whole number from 1 to 100' })
    .max(100, { error: 'a whole number from 1 to 100' })
    .default(1),
  ...contentBlocks,
});

const contentSchema = z
  .strictObject({
    ...contentBlocks,
    trustBadges: z.boolean({ error: orRequired('expected true or false') }).default(true),
    /**
     * Order steps: the words of a checkbox on the contact form, unticked until the buyer ticks
     * it, agreeing to one email about an unpaid order. No checkbox without it.
     */
    consent: text(300, 'a consent wording').min(1, { error: 'must not be empty' }).optional(),
    /** An A/B test: two or more variants, the first the one the others are compared with. */
    variants: z
      .array(variantSchema, { error: 'expected a list of variants' })
      .min(2, { error: 'an A/B test needs at least two variants' })
      .max(5, { error: 'at most five variants' })
      .refine(
        (variants) => new Set(variants.map((variant) => variant.name)).size === variants.length,
        {
          error: 'each variant needs a name of its own',
        },
      )
      .optional(),
  })
  .default({ trustBadges: true });

const offersByKind: Record<StepKind, 'none' | 'main' | 'one'> = {
  optin: 'none',
  sales: 'none',
  order: 'main',
  upsell: 'one',
  downsell: 'one',
  thankyou: 'none',
};

const stepSchema = z
  .strictObject({
    slug: slugSchema,
    kind: z.enum(stepKinds, {
      error: `a step kind is ${stepKinds.map((kind) => `"${kind}"`).join(', ')}`,
    }),
    product: slugSchema.optional(),
    bump: slugSchema.optional(),
    content: contentSchema,
    pin: funnelPinSchema.optional(),
  })
  .superRefine(function checkOffers(step, issues) {
    const offers = offersByKind[step.kind];
    if (offers !== 'none' && step.product === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['product'],
        message: `required: a${step.kind === 'order' ? 'n order' : ` ${step.kind}`} step offers a product`,
      });
    }
    if (offers === 'none' && step.product !== undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['product'],
        message: `a ${step.kind} step offers no product; remove it`,
      });
    }
    if (offers !== 'main' && step.bump !== undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['bump'],
        message: 'only an order step has an order bump',
      });
    }
    if (step.bump !== undefined && step.bump === step.product) {
      issues.addIssue({
        code: 'custom',
        path: ['bump'],
        message: 'the order bump must be another product than the main offer',
      });
    }
  });

const stepsSchema = z
  .array(stepSchema, { error: orRequired('expected a list of steps') })
  .superRefine(function checkSteps(steps, issues) {
    const seen = new Set<string>();
    steps.forEach((step, index) => {
      if (seen.has(step.slug)) {
        issues.addIssue({
          code: 'custom',
          path: [index, 'slug'],
          message: `a second step "${step.slug}": step slugs are unique in a funnel`,
        });
      }
      seen.add(step.slug);
    });
  });

const funnelFields = {
  name: text(200, 'a name').min(1, { error: 'must not be empty' }),
  mode: z.enum(['test', 'live'], { error: orRequired('a mode is "test" or "live"') }),
  pin: funnelPinSchema.optional(),
  steps: stepsSchema,
};

export const funnelSchema = z.strictObject({ slug: slugSchema, ...funnelFields });
/** PUT /api/funnels/{slug}: the whole funnel; the slug comes from the address. */
export const funnelReplacementSchema = z.strictObject({
  slug: slugSchema.optional(),
  ...funnelFields,
});
export const funnelChangesSchema = z.strictObject({
  name: funnelFields.name.optional(),
  mode: funnelFields.mode.optional(),
  pin: funnelPinSchema.optional(),
  steps: stepsSchema.optional(),
});

/** A funnel with the products it offers: what `funnels import` reads and `export` writes. */
export const funnelDocumentSchema = z.strictObject({
  products: z
    .array(productSchema, { error: orRequired('expected a list of products') })
    .default([]),
  funnel: funnelSchema,
});

export type PinInput = NonNullable<z.output<typeof pinSchema>>;
export type FunnelPinInput = NonNullable<z.output<typeof funnelPinSchema>>;
export type PriceInput = z.output<typeof priceSchema>;
export type ProductInput = z.output<typeof productSchema>;
export type ProductChanges = z.output<typeof productChangesSchema>;
export type StepInput = z.output<typeof stepSchema>;
export type StepContent = z.output<typeof contentSchema>;
export type FunnelInput = z.output<typeof funnelSchema>;
export type FunnelChanges = z.output<typeof funnelChangesSchema>;
export type FunnelDocument = z.output<typeof funnelDocumentSchema>;
/** The document as written in a file: defaults may be left out. */
export type FunnelDocumentFile = z.input<typeof funnelDocumentSchema>;

/** Parses input at the edge, or throws a 400 naming each field path (`steps[1].product`). */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  root?: string,
): z.output<Schema> {
  const result = schema.safeParse(input, { error: reportMissingAsRequired });
  if (result.success) return result.data;
  throw AppError.validation(problemsOf(result.error.issues, root));
}

function reportMissingAsRequired(issue: { input?: unknown }): string | undefined {
  return issue.input === undefined ? 'required' : undefined;
}

function problemsOf(issues: readonly z.core.$ZodIssue[], root?: string): FieldProblem[] {
  return issues.flatMap((issue): FieldProblem[] => {
    const path = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldPath([...path, key], root),
        message: 'unknown field: remove it, or check the spelling',
      }));
    }
    return [
      { field: fieldPath(path, root), message: issue.message.replace(/^Invalid input: /, '') },
    ];
  });
}
