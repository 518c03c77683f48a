import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type FieldProblem, fieldPath } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/** The one place where an error becomes an HTTP answer. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error, request);
  logFailure(appError, error, request);
  const body: ErrorBody = {
    error: { code: appError.code, message: appError.message, details: appError.details },
  };
  reply.status(appError.status).send(body);
}

/** Logs a failed request at the level it deserves: our bugs as errors, refusals as info. */
export function logFailure(appError: AppError, error: unknown, request: FastifyRequest): void {
  if (appError.code === 'internal') {
    request.log.error({ err: error }, 'unexpected error');
  } else if (appError.status >= 500) {
    request.log.warn({ code: appError.code, message: appError.message }, 'request failed');
  } else {
    request.log.info({ code: appError.code }, 'request refused');
  }
}

export function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = (error as { validationContext?: string }).validationContext;
    const problems: FieldProblem[] = error.validation.map((issue) => ({
      field: fieldPath(pathOf(issue.instancePath), location === 'body' ? undefined : location),
      message: issue.message ?? 'is invalid',
    }));
    return AppError.validation(problems);
  }
  // A Stripe failure no service turned into its own error: say so, rather than "a bug of ours".
  if (error instanceof StripeGatewayError) {
    return error.kind === 'card'
      ? new AppError('card_error', error.message, { stripeCode: error.stripeCode })
      : new AppError(
          'upstream_unavailable',
          `Stripe did not do what was asked (${error.message}). Nothing else was changed; try again in a moment.`,
          { stripeCode: error.stripeCode, requestId: error.requestId },
        );
  }
  const databaseProblem = databaseValueProblem(error);
  if (databaseProblem) return databaseProblem;
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return clientError(fastifyError, status);
  }
  return new AppError(
    'internal',
    `Something went wrong on our side. The error is logged with request id ${request.id}; quote it when you report the problem.`,
    { requestId: request.id },
  );
}

/**
 * PostgreSQL refuses some values SQLite stores (too long, out of range, not valid text). Input
 * validation should catch them first; this keeps a miss from becoming a 500.
 */
function databaseValueProblem(error: unknown): AppError | null {
  const code = (error as { code?: unknown } | null)?.code;
  const messages: Record<string, string> = {
    '22001': 'A value is longer than Switchyard can store. Shorten it and try again.',
    '22003': 'A number is out of the range Switchyard can store. Use a smaller value.',
    '22021': 'A value is not valid text (it holds a byte that is not UTF-8). Check what you sent.',
    '22P02': 'A value is not in the form expected. Check what you sent.',
  };
  return typeof code === 'string' && messages[code]
    ? new AppError('bad_request', messages[code])
    : null;
}

function clientError(error: Partial<FastifyError>, status: number): AppError {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'bad_request',
        'Unsupported Content-Type. Send the body as JSON with "Content-Type: application/json".',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(
        'bad_request',
        'The body is empty but Content-Type says JSON. Send a JSON body or drop the header.',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large.');
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new AppError(
      'bad_request',
      `The body is not valid JSON (${error.message ?? 'parse error'}). Check quotes, commas and brackets.`,
    );
  }
  const code = status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : 'bad_request';
  return new AppError(code, error.message ?? 'The request is invalid.');
}

function pathOf(instancePath: string | undefined): string[] | number[] | (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const body: ErrorBody = {
    error: {
      code: 'not_found',
      message: `No route for ${request.method} ${request.url.split('?')[0]}. Check the method and path.`,
      details: null,
    },
  };
  reply.status(404).send(body);
}
