import fc from 'fast-check';

/**
 * Hostile input for the HTTP fuzz suite (test/fuzz.test.ts): what a card tester, a broken client
 * or a curious visitor might send, and the properties every answer must keep whatever was sent.
 */

/** Runs and seed: a fixed seed and few runs in the suite, `npm run fuzz` for many and a new seed. */
export function fuzzSettings(): { seed: number; numRuns: number } {
  const runs = Number(process.env.FUZZ_RUNS ?? '');
  const given = process.env.FUZZ_SEED;
  const seed =
    given === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(given ?? suiteSeed) | 0;
  return { seed, numRuns: Number.isInteger(runs) && runs > 0 ? runs : suiteRuns };
}

const suiteSeed = 18;
const suiteRuns = 25;

const big = 'x'.repeat(20_000);

/** Strings people and scripts send where text is expected. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '%00',
    '%',
    '%zz',
    '../../etc/passwd',
    '__proto__',
    'constructor',
    'toString',
    '<script>alert(1)</script>',
    "' or 1=1 --",
    'ana@example.com',
    'ANA@EXAMPLE.COM ',
    'US',
    'usd',
    'eur',
    'launch',
    'order',
    'yes',
    'true',
    '-1',
    '1e309',
    'NaN',
    '9'.repeat(40),
    'ä😀\u202e',
    '\ud800',
    big,
    'é'.repeat(1_500),
  ),
  fc.integer().map(String),
);

/** Field names: the ones a route knows, mixed with ones it does not. */
export function fieldNameOf(known: readonly string[]): fc.Arbitrary<string> {
  return known.length > 0
    ? fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...known) },
        { weight: 1, arbitrary: oddText },
      )
    : oddText;
}

/** Any JSON value, a few levels deep, with odd strings and numbers in it. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddText,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fieldNameOf([]), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A subset of JSON Schema, as @fastify/swagger writes the routes' zod schemas. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
}

/**
 * Values close to what the schema asks for (so a route gets past its first check and deeper),
 * each part replaced now and then by anything at all.
 */
export function nearlyValid(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 5) return jsonValue;
  return fc.oneof(
    { weight: 4, arbitrary: shaped(schema, depth) },
    { weight: 1, arbitrary: jsonValue },
  );
}

function shaped(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) {
    return fc.oneof(...choices.map((choice) => nearlyValid(choice, depth + 1)));
  }
  if (schema.allOf?.[0]) return nearlyValid(schema.allOf[0], depth + 1);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return fc.oneof(
        fc.string({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 30 }),
        oddText,
      );
    case 'integer':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -10, max: schema.maximum ?? 10_000 }),
        fc.integer(),
      );
    case 'number':
      return fc.oneof(fc.double({ min: schema.minimum ?? -10, max: schema.maximum ?? 10_000 }));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(nearlyValid(schema.items, depth + 1), { maxLength: 4 });
    case 'object':
      return objectOf(schema, depth);
    default:
      return jsonValue;
  }
}

function objectOf(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const known = fc.record(
    Object.fromEntries(
      Object.entries(properties).map(([name, property]) => [
        name,
        nearlyValid(property, depth + 1),
      ]),
    ),
    { requiredKeys: (schema.required ?? []).filter((name) => name in properties) },
  );
  const extra = fc.dictionary(fieldNameOf(Object.keys(properties)), jsonValue, { maxKeys: 2 });
  return fc
    .tuple(known, fc.option(extra, { freq: 4 }))
    .map(([values, more]) => ({ ...(more ?? {}), ...values }));
}

/** A body as a form posts it, or a script as JSON: random fields, repeated keys, odd values. */
export function bodyOf(
  fields: readonly string[],
): fc.Arbitrary<{ type: string | null; payload: string }> {
  const formValue = fc.oneof(oddText, fc.array(oddText, { minLength: 2, maxLength: 3 }));
  const form = fc.dictionary(fieldNameOf(fields), formValue, { maxKeys: 6 }).map((values) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) {
      for (const one of Array.isArray(value) ? value : [value]) params.append(name, one);
    }
    return { type: 'application/x-www-form-urlencoded', payload: params.toString() };
  });
  const json = fc
    .oneof(fc.dictionary(fieldNameOf(fields), jsonValue, { maxKeys: 6 }), jsonValue)
    .map((value) => ({ type: 'application/json', payload: JSON.stringify(value) ?? 'null' }));
  const raw = fc.record({
    type: fc.constantFrom(
      null,
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
    ),
    payload: fc.oneof(
      oddText,
      fc.constantFrom('{', '[1,', '{"a":1}}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]', 'a=%zz'),
    ),
  });
  return fc.oneof({ weight: 3, arbitrary: form }, { weight: 3, arbitrary: json }, raw);
}

/** A query string of known and unknown names, repeated names and odd values. */
export function queryOf(
  names: readonly string[],
  values: fc.Arbitrary<string> = oddText,
): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fieldNameOf(names), values), { maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${new URLSearchParams(pairs)}`));
}

/** A path segment: a real one, or an odd one, encoded or left with its odd % escapes. */
export function segmentOf(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...real) },
    { weight: 2, arbitrary: oddText.map((text) => encoded(text.slice(0, 300))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%', '%zz', '%c0%af', '%ff', '..', '.', '%2F', 'a'.repeat(101)),
    },
  );
}

/** Percent-encoded, a lone surrogate made U+FFFD first, as a browser does. */
export function encoded(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
}

/** One answer as a client saw it. */
export interface Answer {
  /** The path asked for, without the query string. */
  path: string;
  request: string;
  status: number;
  headers: Headers;
  body: string;
}

/**
 * What every answer must keep, whatever was asked: no 5xx, no stack trace or file path, no secret
 * of the shop, a 4xx that says what it refuses (a field for the API, a page for a buyer), and the
 * security headers (nosniff on all, a policy and no framing on every page, error pages included).
 * Returns the broken properties, empty when the answer is sound.
 */
export function problemsOf(answer: Answer, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  const { status, body } = answer;
  if (status >= 500) problems.push(`answered ${status}`);
  if (/\n\s+at \S/.test(body) || /\bat .*\(?\/[^\s)]+:\d+:\d+\)?/.test(body)) {
    problems.push('shows a stack trace');
  }
  if (/node_modules|\/src\/[\w/-]+\.[jt]s|file:\/\//.test(body)) problems.push('shows a file path');
  const headers = [...answer.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  for (const secret of secrets) {
    if (body.includes(secret) || headers.includes(secret)) {
      problems.push(`shows a secret (${secret.slice(0, 8)}…)`);
    }
  }
  const html = answer.headers.get('content-type')?.startsWith('text/html') ?? false;
  if (html && !answer.headers.get('content-security-policy')) problems.push('a page without a CSP');
  if (html && answer.headers.get('x-frame-options') !== 'DENY')
    problems.push('a page others may frame');
  if (answer.headers.get('x-content-type-options') !== 'nosniff') problems.push('no nosniff');
  if (status >= 400 && status < 500) problems.push(...refusalProblems(answer));
  return problems;
}

/**
 * A buyer's URL answers in buyer's words: a page, or to the page's own script (the order bump) the
 * error shape with no field paths, which are the merchant's words (http/error-handler.ts).
 */
function isVisitorPath(path: string): boolean {
  return path === '/f' || path.startsWith('/f/');
}

function refusalProblems(answer: Answer): string[] {
  const type = answer.headers.get('content-type') ?? '';
  if (type.includes('application/json')) {
    let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } };
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      return ['a 4xx whose JSON does not parse'];
    }
    const error = parsed.error;
    if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') {
      return ['a 4xx not in the error shape {error: {code, message, details}}'];
    }
    if (error.message.trim() === '') return ['a 4xx with an empty message'];
    if (error.code === 'validation_failed' && !isVisitorPath(answer.path)) {
      const fields = (error.details as { fields?: Array<{ field?: unknown }> } | null)?.fields;
      const named = Array.isArray(fields) && fields.length > 0;
      if (!named || fields.some((one) => typeof one.field !== 'string' || one.field === '')) {
        return ['a validation_failed that names no field'];
      }
    }
    return [];
  }
  if (type.includes('text/html')) {
    const page = answer.body;
    if (!/^<!doctype html>/i.test(page.trimStart())) return ['a 4xx page that is not a whole page'];
    if (!/<h1[\s>]/.test(page)) return ['a 4xx page without a heading'];
    if (/"error":\s*\{|\{"code"/.test(page)) return ['a 4xx page showing raw JSON'];
    return [];
  }
  if (answer.body === '' && (answer.status === 405 || answer.status === 404)) return [];
  return [`a 4xx as ${type || 'no content type'}`];
}
