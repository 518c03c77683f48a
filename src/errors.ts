/**
 * The one error type of Switchyard. Every failure a user can meet is an AppError with a code from
 * this list; `http/error-handler.ts` maps it to HTTP and `cli/run-command.ts` to an exit code, both
 * through the table below, so a code means the same thing everywhere.
 */
const errorCodes = {
  bad_request: { status: 400, exitCode: 2 },
  validation_failed: { status: 400, exitCode: 2 },
  config_invalid: { status: 500, exitCode: 2 },
  unauthorized: { status: 401, exitCode: 3 },
  forbidden: { status: 403, exitCode: 3 },
  not_found: { status: 404, exitCode: 4 },
  method_not_allowed: { status: 405, exitCode: 2 },
  conflict: { status: 409, exitCode: 5 },
  payload_too_large: { status: 413, exitCode: 2 },
  uri_too_long: { status: 414, exitCode: 2 },
  headers_too_large: { status: 431, exitCode: 2 },
  unsupported_media_type: { status: 415, exitCode: 2 },
  unprocessable: { status: 422, exitCode: 5 },
  rate_limited: { status: 429, exitCode: 6 },
  upstream_unavailable: { status: 502, exitCode: 7 },
  not_ready: { status: 503, exitCode: 7 },
  internal: { status: 500, exitCode: 1 },
  // Connecting and managing Stripe accounts.
  invalid_api_key: { status: 422, exitCode: 5 },
  api_key_expired: { status: 422, exitCode: 5 },
  wrong_key_type: { status: 422, exitCode: 5 },
  mode_mismatch: { status: 422, exitCode: 5 },
  keys_from_different_accounts: { status: 422, exitCode: 5 },
  missing_permissions: { status: 422, exitCode: 5 },
  stripe_unreachable: { status: 502, exitCode: 7 },
  duplicate_account: { status: 409, exitCode: 5 },
  duplicate_handle: { status: 409, exitCode: 5 },
  account_in_use: { status: 409, exitCode: 5 },
  // Routing and taking payments.
  routing_config_invalid: { status: 422, exitCode: 2 },
  card_error: { status: 402, exitCode: 5 },
  no_account_available: { status: 503, exitCode: 7 },
  // The catalog.
  product_in_use: { status: 409, exitCode: 5 },
  offers_split_across_accounts: { status: 409, exitCode: 5 },
} as const satisfies Record<string, { status: number; exitCode: number }>;

export type ErrorCode = keyof typeof errorCodes;

export interface FieldProblem {
  /** Dotted path of the offending field, as the user wrote it: `credentials.test.secretKey`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details ?? null;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  get exitCode(): number {
    return errorCodes[this.code].exitCode;
  }

  static validation(problems: FieldProblem[]): AppError {
    const summary = problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
    return new AppError('validation_failed', `Invalid input. ${summary}`, { fields: problems });
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Dotted path for a zod issue path: `['credentials', 'test', 'secretKey']` -> `credentials.test.secretKey`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>, root?: string): string {
  const parts = path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part)));
  const joined = parts.reduce(
    (acc, part) => (part.startsWith('[') || acc === '' ? `${acc}${part}` : `${acc}.${part}`),
    '',
  );
  if (root === undefined) return joined === '' ? '(root)' : joined;
  return joined === '' ? root : joined.startsWith('[') ? `${root}${joined}` : `${root}.${joined}`;
}
