import { type ZodType, z } from 'zod';
import { type ApiError, invalidRequest } from './api-error.js';
import type { FormHash, FormValue } from './form.js';

/*
 * Form fields arrive as strings, hashes and arrays (see form.ts). These schemas turn them into
 * typed values and name what went wrong the way Stripe names it: the error message of each leaf
 * schema is a marker that `toStripeError` turns into Stripe's code and sentence.
 */

const integerPattern = /^-?\d+$/;

export const formString = z.string({ error: 'string' });

/** An empty string unsets a field in Stripe's form encoding. */
export const formNullableString = z
  .string({ error: 'string' })
  .transform((text) => (text === '' ? null : text));

export const formInteger = z
  .string({ error: 'integer' })
  .regex(integerPattern, { error: 'integer' })
  .transform(Number);

export const formBoolean = z
  .enum(['true', 'false'], { error: 'boolean' })
  .transform((text) => text === 'true');

export function formEnum<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, { error: `enum:${values.join(', ')}` });
}

/** `list[]=a` gives an array, `list[0]=a` a hash keyed by index: both read as an array. */
export function formArray<Item extends ZodType>(item: Item) {
  return z.preprocess(readIndexedList, z.array(item, { error: 'array' }));
}

function readIndexedList(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (!keys.every((key) => integerPattern.test(key))) return value;
  const entries = Object.entries(value);
  entries.sort((left, right) => Number(left[0]) - Number(right[0]));
  return entries.map((entry) => entry[1]);
}

/** `metadata[key]=value`; an empty value deletes the key and `metadata=` clears them all. */
export const formMetadata = z.union(
  [z.literal(''), z.record(z.string(), z.string({ error: 'string' }))],
  { error: 'metadata' },
);
export type MetadataUpdate = z.infer<typeof formMetadata>;

export const formAddress = z.strictObject({
  city: formNullableString.optional(),
  country: formNullableString.optional(),
  line1: formNullableString.optional(),
  line2: formNullableString.optional(),
  postal_code: formNullableString.optional(),
  state: formNullableString.optional(),
});

export const formBillingDetails = z.strictObject({
  address: formAddress.optional(),
  email: formNullableString.optional(),
  name: formNullableString.optional(),
  phone: formNullableString.optional(),
});

const expandParam = formArray(formString).optional();

/** Every Stripe endpoint takes `expand[]`; the server applies it to the response. */
export function apiParams<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.strictObject({ ...shape, expand: expandParam });
}

const createdFilter = z.union([
  formInteger,
  z.strictObject({
    gt: formInteger.optional(),
    gte: formInteger.optional(),
    lt: formInteger.optional(),
    lte: formInteger.optional(),
  }),
]);

/** List endpoints share paging and the `created` filter. */
export function listParams<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return apiParams({
    limit: formInteger.optional(),
    starting_after: formString.optional(),
    ending_before: formString.optional(),
    created: createdFilter.optional(),
    ...shape,
  });
}

export type CreatedFilter = z.infer<typeof createdFilter>;

/** Validates request parameters, throwing the 400 Stripe would answer. */
export function parseParams<Schema extends ZodType>(
  schema: Schema,
  params: FormHash,
): z.infer<Schema> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  throw toStripeError(result.error.issues, params);
}

function toStripeError(issues: z.core.$ZodIssue[], params: FormHash): ApiError {
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown !== undefined && unknown.code === 'unrecognized_keys') {
    const param = bracketPath([...unknown.path, unknown.keys[0] ?? '']);
    return invalidRequest(`Received unknown parameter: ${param}`, {
      param,
      code: 'parameter_unknown',
      replayable: false,
    });
  }
  const missing = issues.find((issue) => readPath(params, issue.path) === undefined);
  if (missing !== undefined) {
    const param = bracketPath(missing.path);
    return invalidRequest(`Missing required param: ${param}.`, {
      param,
      code: 'parameter_missing',
      replayable: false,
    });
  }
  const first = issues[0];
  const param = bracketPath(first?.path ?? []);
  const raw = readPath(params, first?.path ?? []);
  const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const marker = first?.message ?? '';
  if (raw === '' && marker !== 'string') {
    return invalidRequest(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      { param, code: 'parameter_invalid_empty', replayable: false },
    );
  }
  if (marker === 'integer') {
    return invalidRequest(`Invalid integer: ${shown}`, {
      param,
      code: 'parameter_invalid_integer',
      replayable: false,
    });
  }
  if (marker === 'boolean') {
    return invalidRequest(`Invalid boolean: ${shown}`, { param, replayable: false });
  }
  if (marker.startsWith('enum:')) {
    return invalidRequest(`Invalid ${param}: must be one of ${marker.slice(5)}`, {
      param,
      replayable: false,
    });
  }
  if (marker === 'array') {
    return invalidRequest(`Invalid array`, { param, replayable: false });
  }
  if (marker === 'metadata' || marker === 'string' || marker === 'hash') {
    return invalidRequest(`Invalid ${marker === 'metadata' ? 'hash' : 'string'}: ${shown}`, {
      param,
      replayable: false,
    });
  }
  return invalidRequest(marker.length > 0 ? `Invalid ${param}: ${marker}` : `Invalid ${param}`, {
    param,
    replayable: false,
  });
}

function readPath(params: FormHash, path: readonly PropertyKey[]): FormValue | undefined {
  let current: FormValue | undefined = params;
  for (const key of path) {
    if (current === undefined || typeof current === 'string') return undefined;
    if (Array.isArray(current)) {
      current = typeof key === 'number' ? current[key] : undefined;
    } else {
      current = current[String(key)];
    }
  }
  return current;
}

/** `['items', 0, 'price']` is written `items[0][price]`, as Stripe names parameters. */
export function bracketPath(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path;
  return `${String(head ?? '')}${rest.map((key) => `[${String(key)}]`).join('')}`;
}

/** Applies a metadata update to the current metadata, as Stripe merges it. */
export function mergeMetadata(
  current: Record<string, string>,
  update: MetadataUpdate | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === '') return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
