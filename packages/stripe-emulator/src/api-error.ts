import type { JsonObject } from './json.js';

export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error';

export interface StripeErrorFields {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  charge?: string;
  payment_intent?: JsonObject;
  payment_method?: JsonObject;
}

/**
 * A request that fails the way Stripe fails it: an HTTP status and Stripe's error body. Handlers
 * throw it; the server turns it into the response.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly body: JsonObject;
  /** Stripe saves idempotent results only for requests that started executing. */
  readonly replayable: boolean;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    body: JsonObject,
    options: { replayable?: boolean; headers?: Record<string, string> } = {},
  ) {
    const error = body.error;
    super(
      typeof error === 'object' && error !== null && !Array.isArray(error)
        ? String(error.message ?? error.error_description ?? 'error')
        : String(body.error_description ?? error ?? 'error'),
    );
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.replayable = options.replayable ?? true;
    this.headers = options.headers ?? {};
  }
}

export function createStripeError(
  status: number,
  fields: StripeErrorFields,
  options: { replayable?: boolean; headers?: Record<string, string> } = {},
): ApiError {
  const error: JsonObject = { type: fields.type, message: fields.message };
  if (fields.code !== undefined) {
    error.code = fields.code;
    error.doc_url = `https://stripe.com/docs/error-codes/${fields.code.replaceAll('_', '-')}`;
  }
  if (fields.decline_code !== undefined) error.decline_code = fields.decline_code;
  if (fields.param !== undefined) error.param = fields.param;
  if (fields.charge !== undefined) error.charge = fields.charge;
  if (fields.payment_intent !== undefined) error.payment_intent = fields.payment_intent;
  if (fields.payment_method !== undefined) error.payment_method = fields.payment_method;
  return new ApiError(status, { error }, options);
}

export function invalidRequest(
  message: string,
  details: { param?: string; code?: string; status?: number; replayable?: boolean } = {},
): ApiError {
  return createStripeError(
    details.status ?? 400,
    { type: 'invalid_request_error', message, code: details.code, param: details.param },
    { replayable: details.replayable },
  );
}

/** Stripe's 404 for an id that does not exist on the account making the request. */
export function resourceMissing(noun: string, id: string, param?: string): ApiError {
  return createStripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${noun}: '${id}'`,
    param,
  });
}

export function unrecognizedUrl(method: string, path: string): ApiError {
  return invalidRequest(
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    { status: 404, replayable: false },
  );
}

/** OAuth endpoints answer `{error, error_description}` instead of Stripe's error object. */
export function oauthError(error: string, description: string, status = 400): ApiError {
  return new ApiError(status, { error, error_description: description }, { replayable: false });
}

/** `sk_test_51Abc…wxyz` is shown as `sk_test_****wxyz`, as Stripe shows keys in messages. */
export function redactKey(key: string): string {
  const lastUnderscore = key.lastIndexOf('_');
  const prefix = lastUnderscore === -1 ? '' : key.slice(0, lastUnderscore + 1);
  return `${prefix}****${key.slice(-4)}`;
}
