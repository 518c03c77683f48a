import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { renderVisitorErrorPage, visitorProblem } from '../checkout/pages/error-page.js';
import { AppError, type ErrorCode, type FieldProblem, fieldPath } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import { messageFor } from './hints.js';

export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/** The one place where an error becomes an HTTP answer (also Fastify's own: bad URL, 414). */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error, request);
  logFailure(appError, error, request);
  sendError(appError, request, reply);
}

/** A page for a visitor's browser, the JSON error shape for everyone else. */
function sendError(appError: AppError, request: FastifyRequest, reply: FastifyReply): void {
  if (isVisitorUrl(request.url)) {
    sendVisitorError(appError, request, reply);
    return;
  }
  const body: ErrorBody = {
    error: { code: appError.code, message: messageFor(appError, 'api'), details: appError.details },
  };
  reply.status(appError.status).send(body);
}

/** The funnel pages and what they load: a buyer is there, never a developer. */
function isVisitorUrl(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return (
    path === '/f' ||
    path.startsWith('/f/') ||
    path.startsWith('/assets/') ||
    path === '/favicon.ico'
  );
}

/**
 * A visitor gets words for a buyer (never the merchant's message, which names routes, commands
 * or field paths): as a page, or as JSON to the page's own script (the order bump).
 */
function sendVisitorError(appError: AppError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = visitorProblem(appError, request.id);
  reply.status(appError.status).header('cache-control', 'no-store');
  if (/json/.test(String(request.headers['content-type'] ?? ''))) {
    const body: ErrorBody = {
      error: { code: appError.code, message: problem.message, details: null },
    };
    reply.send(body);
    return;
  }
  reply
    .header('content-type', 'text/html; charset=utf-8')
    .send(renderVisitorErrorPage(problem, funnelStartOf(request.url, appError)));
}

/** Back to the funnel's start, unless the funnel itself is what was not found. */
function funnelStartOf(url: string, appError: AppError): { href: string; label: string } | null {
  const slug = /^\/f\/([a-z0-9-]{1,100})(?:[/?]|$)/.exec(url)?.[1];
  if (!slug) return null;
  const funnelKnown = (appError.details as { knownFunnel?: unknown } | null)?.knownFunnel === slug;
  if (appError.code === 'not_found' && !funnelKnown) return null;
  return { href: `/f/${slug}`, label: 'Start again' };
}

/**
 * Node refuses a request it cannot read (headers and URL over its 16 KB, a malformed request line)
 * before Fastify sees it; Fastify's own answer there is JSON of another shape. Ours is written on
 * the socket: the error shape, or a buyer's page when the request line names a visitor URL.
 */
export function answerUnreadableRequest(
  error: ConnectionError,
  socket: Socket,
  /** The security headers a buyer's page gets (web/security-headers.ts), which no hook adds here. */
  pageHeaders: Readonly<Record<string, string>> = {},
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError = unreadableRequestError(error.code);
  const raw: unknown = error.rawPacket;
  const requestLine = Buffer.isBuffer(raw) ? raw.subarray(0, 4096).toString('latin1') : '';
  const path = /^[A-Z]+ (\S+)/.exec(requestLine)?.[1] ?? '';
  const page = isVisitorUrl(path);
  const body = page
    ? renderVisitorErrorPage(visitorProblem(appError, ''), funnelStartOf(path, appError))
    : JSON.stringify({
        error: { code: appError.code, message: appError.message, details: appError.details },
      } satisfies ErrorBody);
  const headers: Record<string, string> = {
    'content-type': page ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'close',
    ...(page ? pageHeaders : {}),
  };
  if (socket.writable) {
    const status = appError.status;
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`);
  }
  socket.destroy();
}

function unreadableRequestError(code: string): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new AppError(
      'headers_too_large',
      'The URL and headers of the request are larger than 16 KB together. Shorten the URL (its query string) or send fewer or smaller cookies.',
      { field: '(headers)' },
    );
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError('bad_request', 'The request did not arrive in time. Send it again.', {
      field: '(request)',
    });
  }
  return new AppError(
    'bad_request',
    'The request could not be read as HTTP (a malformed request line or header). Check what the client sends.',
    { field: '(request)' },
  );
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
    // `query`, as the NUL guard and the unknown-field check name it, not Fastify's `querystring`.
    const root = location === 'body' ? undefined : location === 'querystring' ? 'query' : location;
    const problems: FieldProblem[] = error.validation.map((issue) => ({
      field: fieldPath(pathOf(issue.instancePath), root),
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
        'unsupported_media_type',
        'Unsupported Content-Type. Send the body as JSON with "Content-Type: application/json".',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(
        'bad_request',
        'The body is empty but Content-Type says JSON. Send a JSON body or drop the header.',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'FST_ERR_BAD_URL':
      return new AppError(
        'bad_request',
        'The URL holds a malformed %-escape (a % not followed by two hex digits of valid UTF-8). Check the URL.',
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError(
        'uri_too_long',
        'A part of the URL between slashes is longer than 100 characters. Check the URL.',
      );
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new AppError(
      'bad_request',
      `The body is not valid JSON (${error.message ?? 'parse error'}). Check quotes, commas and brackets.`,
    );
  }
  return new AppError(
    clientCodes[status] ?? 'bad_request',
    error.message ?? 'The request is invalid.',
  );
}

const clientCodes: Record<number, ErrorCode> = {
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
};

function pathOf(instancePath: string | undefined): string[] | number[] | (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  // A visitor URL that exists for another method: 405 with the methods it takes.
  const allowed = isVisitorUrl(path)
    ? ['GET', 'POST'].filter((method) => request.server.findRoute({ method, url: path }) !== null)
    : [];
  if (allowed.length > 0) {
    reply.header('allow', allowed.join(', '));
    sendError(
      new AppError(
        'method_not_allowed',
        `${request.method} is not allowed on ${path}; it takes ${allowed.join(', ')}.`,
      ),
      request,
      reply,
    );
    return;
  }
  sendError(
    new AppError('not_found', `No route for ${request.method} ${path}. Check the method and path.`),
    request,
    reply,
  );
}
