import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountRoutes } from './account-routes.js';
import type { AccountRecord, ApiKey } from './accounts.js';
import type { ApiCall, ApiRoute } from './api.js';
import {
  ApiError,
  createStripeError,
  invalidRequest,
  redactKey,
  unrecognizedUrl,
} from './api-error.js';
import { answerBankPage, renderBankPage } from './bank-redirect.js';
import { billingRoutes } from './billing.js';
import { catalogRoutes } from './catalog.js';
import { chargeRoutes } from './charges.js';
import {
  type ControlEnvironment,
  type ControlRoute,
  controlRoutes,
  renderThreeDSecurePage,
} from './control.js';
import { customerRoutes } from './customers.js';
import { expandResponse } from './expand.js';
import type { Fault } from './faults.js';
import { type FormHash, parseForm, parseJsonObject } from './form.js';
import { type IdempotentResult, idempotencyLifetimeSeconds, type Ledger } from './ledger.js';
import {
  answerAuthorizePage,
  oauthRoutes,
  type PageResponse,
  renderAuthorizePage,
} from './oauth.js';
import { paymentIntentRoutes } from './payment-intents.js';
import { paymentMethodRoutes } from './payment-methods.js';
import type { LoggedRequest } from './request-log.js';
import { Router } from './router.js';
import { webhookRoutes } from './webhook-routes.js';

export const apiRoutes: ApiRoute[] = [
  ...accountRoutes,
  ...customerRoutes,
  ...paymentMethodRoutes,
  ...paymentIntentRoutes,
  ...chargeRoutes,
  ...catalogRoutes,
  ...billingRoutes,
  ...webhookRoutes,
  ...oauthRoutes,
];

const corsHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'Request-Id, Idempotency-Key, Idempotent-Replayed, Stripe-Version',
};

const preflightHeaders = {
  ...corsHeaders,
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'Authorization, Content-Type, Stripe-Account, Idempotency-Key, Stripe-Version, X-Stripe-Client-User-Agent',
  'Access-Control-Max-Age': '600',
};

const serverErrorBody = {
  error: {
    type: 'api_error',
    message: 'An unknown error occurred while processing your request (emulated fault).',
  },
};

/**
 * What a retry with the same key gets once a fault struck after the request ran: the result
 * itself when only the answer was lost, the 500 when one was answered (Stripe stores a 500 once
 * execution began: https://docs.stripe.com/idempotency).
 */
function storedAfter(
  fault: Fault,
  status: number,
  body: Record<string, unknown>,
): { status: number; body: Record<string, unknown> } {
  return fault.fault === 'server_error' ? { status: 500, body: serverErrorBody } : { status, body };
}

/** Largest request body accepted; Stripe's own limit is far below this for form posts. */
const bodyLimitBytes = 1024 * 1024;

export interface RequestHandlerOptions {
  environment: ControlEnvironment;
  /** The Stripe.js stand-in served at /v3/. */
  stripeJsSource: () => string;
  /** Requests a `timeout` fault holds unanswered, so closing the server can end them. */
  heldResponses: Set<ServerResponse>;
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise(function collectBody(resolve, reject) {
    let text = '';
    let size = 0;
    request.setEncoding('utf8');
    request.on('data', function appendChunk(chunk: string) {
      size += chunk.length;
      if (size > bodyLimitBytes) {
        reject(new BodyTooLarge('request body too large'));
        request.destroy();
        return;
      }
      text += chunk;
    });
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

function readHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) return value[0];
  return value === undefined || value.length === 0 ? undefined : value;
}

/** `Authorization: Bearer sk_…`, or Basic with the key as user name (curl -u sk_…:). */
function readApiKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  if (space === -1) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  const credentials = authorization.slice(space + 1).trim();
  if (scheme === 'bearer') return credentials;
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? decoded : decoded.slice(0, colon);
  }
  return undefined;
}

function authenticationError(message: string, code?: string): ApiError {
  return invalidRequest(message, { status: 401, code, replayable: false });
}

function splitUrl(url: string): { path: string; queryText: string } {
  const question = url.indexOf('?');
  return question === -1
    ? { path: url, queryText: '' }
    : { path: url.slice(0, question), queryText: url.slice(question + 1) };
}

/**
 * The emulator's request handler: CORS and `Request-Id` on everything, the Stripe API under
 * /v1/ and /oauth/, the control API under /_emulator/, the Stripe.js stand-in at /v3/.
 */
export function createRequestHandler(options: RequestHandlerOptions) {
  const { environment } = options;
  const apiRouter = new Router(apiRoutes);
  const controlRouter = new Router<ControlRoute>(controlRoutes);
  const accounts = environment.accounts;

  function send(
    response: ServerResponse,
    status: number,
    requestId: string,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    if (response.writableEnded || response.destroyed) return;
    // Content-Length lets Node send head and body in one write instead of chunked encoding.
    response.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Request-Id': requestId,
      'Cache-Control': 'no-cache, no-store',
      ...corsHeaders,
      ...headers,
    });
    response.end(body);
  }

  function sendPage(response: ServerResponse, requestId: string, page: PageResponse): void {
    response.writeHead(page.status, { 'Request-Id': requestId, ...corsHeaders, ...page.headers });
    response.end(page.body);
  }

  function authenticate(request: IncomingMessage): ApiKey {
    const value = readApiKey(readHeader(request, 'authorization'));
    if (value === undefined) {
      throw authenticationError(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      );
    }
    const key = accounts.findKey(value);
    if (key === undefined)
      throw authenticationError(`Invalid API Key provided: ${redactKey(value)}`);
    if (key.revoked) {
      throw authenticationError(
        `Expired API Key provided: ${redactKey(value)}. Platform access may have been revoked.`,
        'api_key_expired',
      );
    }
    if (key.expiresAt !== null && key.expiresAt <= environment.clock.now()) {
      throw authenticationError(`Expired API Key provided: ${redactKey(value)}`, 'api_key_expired');
    }
    return key;
  }

  /** The account a request acts on: the key's own, or a connected one via `Stripe-Account`. */
  function resolveAccount(key: ApiKey, requested: string | undefined): AccountRecord {
    const own = accounts.findAccount(key.accountId);
    if (own === undefined)
      throw authenticationError(`Invalid API Key provided: ${redactKey(key.value)}`);
    if (requested === undefined || requested === own.id) return own;
    const target = accounts.findAccount(requested);
    const connected =
      key.kind !== 'oauth' && accounts.findConnection(own.id, requested) !== undefined;
    if (target === undefined || !connected) {
      throw invalidRequest(
        `The provided key '${redactKey(key.value)}' does not have access to account '${requested}' (or that account does not exist). Application access may have been revoked.`,
        { status: 403, replayable: false },
      );
    }
    return target;
  }

  function checkKeyMayCall(
    key: ApiKey,
    account: AccountRecord,
    route: ApiRoute,
    method: string,
    path: string,
  ): void {
    if (key.kind === 'publishable' && route.publishable !== true) {
      throw authenticationError(
        'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
      );
    }
    if (key.kind !== 'restricted' || key.permissions === null) return;
    // The resource is the path segment after /v1/: /v1/payment_intents/pi_1/confirm -> payment_intents.
    const resource = path.split('/')[2] ?? '';
    const needed = method === 'GET' ? 'read' : 'write';
    const granted = key.permissions.get(resource);
    if (granted === 'write' || (granted === 'read' && needed === 'read')) return;
    throw invalidRequest(
      `The provided key '${redactKey(key.value)}' does not have the required permissions for this endpoint on account '${account.id}'. Having the '${resource}:${needed}' permission would allow this request to continue.`,
      { status: 403, replayable: false },
    );
  }

  function applyFault(
    fault: Fault,
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    entry: LoggedRequest,
    headers: Record<string, string> = {},
  ): void {
    entry.fault = fault.after ? `${fault.fault}_after` : fault.fault;
    switch (fault.fault) {
      case 'server_error':
        entry.status = 500;
        send(response, 500, requestId, JSON.stringify(serverErrorBody), headers);
        return;
      case 'rate_limit':
        entry.status = 429;
        send(
          response,
          429,
          requestId,
          JSON.stringify({
            error: {
              type: 'invalid_request_error',
              code: 'rate_limit',
              message:
                'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
              doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
            },
          }),
        );
        return;
      case 'timeout':
        entry.status = null;
        // Never answered: the client's timeout ends it, or closing the emulator does.
        options.heldResponses.add(response);
        response.on('close', () => options.heldResponses.delete(response));
        request.resume();
        return;
      case 'connection_reset':
        entry.status = null;
        request.socket.resetAndDestroy();
        return;
    }
  }

  function readParams(
    method: string,
    queryText: string,
    body: string,
    contentType: string | undefined,
  ): FormHash {
    const params = parseForm(queryText);
    if (method === 'GET' || body.length === 0) return params;
    if (contentType?.includes('application/json') === true) {
      const parsed = parseJsonObject(body);
      if (parsed === undefined) throw invalidRequest('Invalid JSON body.', { replayable: false });
      return { ...params, ...toFormHash(parsed) };
    }
    return parseForm(body, params);
  }

  function storeResult(
    ledger: Ledger,
    idempotencyKey: string | undefined,
    pending: IdempotentResult | undefined,
    status: number,
    body: Record<string, unknown>,
    requestId: string,
    replayable: boolean,
  ): void {
    if (idempotencyKey === undefined || pending === undefined) return;
    if (replayable) pending.response = { status, body, requestId };
    else ledger.idempotency.delete(idempotencyKey);
  }

  async function serveApi(
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    path: string,
    queryText: string,
    requestId: string,
  ): Promise<void> {
    const idempotencyKey = method === 'POST' ? readHeader(request, 'idempotency-key') : undefined;
    const entry = environment.requests.record({
      id: requestId,
      method,
      path,
      account: null,
      livemode: null,
      idempotency_key: idempotencyKey ?? null,
      status: null,
      fault: null,
      created: environment.clock.now(),
    });
    const origin = `http://${readHeader(request, 'host') ?? 'localhost'}`;
    let ledger: Ledger | undefined;
    let pending: IdempotentResult | undefined;
    // A fault that strikes once the request has been carried out: its answer is lost or a 500.
    let afterFault: Fault | undefined;
    const echoHeaders: Record<string, string> = {};
    const stripeVersion = readHeader(request, 'stripe-version');
    if (stripeVersion !== undefined) echoHeaders['Stripe-Version'] = stripeVersion;
    if (idempotencyKey !== undefined) echoHeaders['Idempotency-Key'] = idempotencyKey;
    try {
      const key = authenticate(request);
      const account = resolveAccount(key, readHeader(request, 'stripe-account'));
      entry.account = account.id;
      entry.livemode = key.livemode;
      const fault = environment.faults.take([account.id, key.accountId], path);
      if (fault !== undefined && !fault.after) {
        applyFault(fault, request, response, requestId, entry);
        return;
      }
      afterFault = fault;
      const match = apiRouter.match(method, path);
      if (match === undefined) throw unrecognizedUrl(method, path);
      checkKeyMayCall(key, account, match.route, method, path);
      const actingLedger = account.ledgers[key.livemode ? 'live' : 'test'];
      ledger = actingLedger;
      let previous: IdempotentResult | undefined;
      if (idempotencyKey !== undefined) {
        previous = actingLedger.idempotency.get(idempotencyKey);
        const now = environment.clock.now();
        if (previous !== undefined && previous.createdAt + idempotencyLifetimeSeconds < now) {
          actingLedger.idempotency.delete(idempotencyKey);
          previous = undefined;
        }
        if (previous !== undefined && previous.response === undefined) {
          throw createStripeError(
            409,
            {
              type: 'invalid_request_error',
              code: 'idempotency_key_in_use',
              message:
                'There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later.',
            },
            { replayable: false },
          );
        }
        if (previous === undefined) {
          // Registered before the body arrives: a duplicate sent meanwhile is a concurrent one.
          pending = { fingerprint: '', createdAt: now, response: undefined };
          actingLedger.rememberIdempotentResult(idempotencyKey, pending);
        }
      }
      const body = await readBody(request);
      const fingerprint = `${method} ${path}\n${body}`;
      if (previous?.response !== undefined) {
        if (previous.fingerprint !== fingerprint) {
          throw createStripeError(
            400,
            {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
            { replayable: false },
          );
        }
        entry.status = previous.response.status;
        if (afterFault !== undefined) {
          applyFault(afterFault, request, response, requestId, entry, echoHeaders);
          return;
        }
        send(
          response,
          previous.response.status,
          requestId,
          JSON.stringify(previous.response.body),
          {
            ...echoHeaders,
            'Idempotent-Replayed': 'true',
            'Original-Request': previous.response.requestId,
          },
        );
        return;
      }
      if (pending !== undefined) pending.fingerprint = fingerprint;
      const params = readParams(method, queryText, body, readHeader(request, 'content-type'));
      const call: ApiCall = {
        method,
        path,
        params,
        pathParams: match.pathParams,
        key,
        account,
        ledger: actingLedger,
        livemode: key.livemode,
        origin,
      };
      let result = environment.withRequest(
        { id: requestId, idempotency_key: idempotencyKey ?? null },
        () => match.route.handle(call, environment),
      );
      const expand = params.expand;
      if (expand !== undefined) {
        const paths = Array.isArray(expand)
          ? expand
          : typeof expand === 'string'
            ? [expand]
            : Object.values(expand);
        result = expandResponse(
          result,
          paths.filter((item): item is string => typeof item === 'string'),
          actingLedger,
        );
      }
      const text = JSON.stringify(result);
      entry.status = 200;
      if (afterFault !== undefined) {
        const stored = storedAfter(afterFault, 200, result);
        storeResult(
          actingLedger,
          idempotencyKey,
          pending,
          stored.status,
          stored.body,
          requestId,
          true,
        );
        applyFault(afterFault, request, response, requestId, entry, echoHeaders);
        return;
      }
      storeResult(actingLedger, idempotencyKey, pending, 200, result, requestId, true);
      send(response, 200, requestId, text, echoHeaders);
    } catch (error) {
      if (error instanceof ApiError) {
        const text = JSON.stringify(error.body);
        if (afterFault !== undefined && ledger !== undefined && error.replayable) {
          entry.status = error.status;
          const stored = storedAfter(afterFault, error.status, error.body);
          storeResult(ledger, idempotencyKey, pending, stored.status, stored.body, requestId, true);
          applyFault(afterFault, request, response, requestId, entry, echoHeaders);
          return;
        }
        if (ledger !== undefined) {
          storeResult(
            ledger,
            idempotencyKey,
            pending,
            error.status,
            error.body,
            requestId,
            error.replayable,
          );
        }
        entry.status = error.status;
        send(response, error.status, requestId, text, { ...echoHeaders, ...error.headers });
        return;
      }
      if (ledger !== undefined && idempotencyKey !== undefined && pending !== undefined) {
        ledger.idempotency.delete(idempotencyKey);
      }
      if (error instanceof BodyTooLarge) {
        entry.status = 413;
        send(
          response,
          413,
          requestId,
          JSON.stringify({
            error: { type: 'invalid_request_error', message: 'Request body too large.' },
          }),
        );
        return;
      }
      entry.status = 500;
      const message = error instanceof Error ? error.message : String(error);
      send(
        response,
        500,
        requestId,
        JSON.stringify({ error: { type: 'api_error', message: `Emulator error: ${message}` } }),
      );
    }
  }

  async function serveControl(
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    path: string,
    queryText: string,
    requestId: string,
  ): Promise<void> {
    try {
      const match = controlRouter.match(method, path);
      if (match === undefined) throw unrecognizedUrl(method, path);
      const body = parseJsonObject(await readBody(request));
      if (body === undefined) throw invalidRequest('The body must be a JSON object.');
      const result = match.route.handle(
        {
          body,
          query: new URLSearchParams(queryText),
          pathParams: match.pathParams,
          origin: `http://${readHeader(request, 'host') ?? 'localhost'}`,
        },
        environment,
      );
      send(response, 200, requestId, JSON.stringify(result));
    } catch (error) {
      if (error instanceof ApiError) {
        send(response, error.status, requestId, JSON.stringify(error.body));
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      send(response, 500, requestId, JSON.stringify({ error: { type: 'api_error', message } }));
    }
  }

  async function servePage(
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    path: string,
    queryText: string,
    requestId: string,
  ): Promise<boolean> {
    if (path === '/oauth/authorize') {
      if (method === 'GET') {
        sendPage(
          response,
          requestId,
          renderAuthorizePage(environment, new URLSearchParams(queryText)),
        );
        return true;
      }
      if (method === 'POST') {
        sendPage(response, requestId, answerAuthorizePage(environment, await readBody(request)));
        return true;
      }
    }
    if (method === 'GET' && (path === '/v3' || path === '/v3/')) {
      response.writeHead(200, {
        'Content-Type': 'application/javascript; charset=utf-8',
        'Request-Id': requestId,
        ...corsHeaders,
      });
      response.end(options.stripeJsSource());
      return true;
    }
    const threeDSecure = /^\/_emulator\/three_d_secure\/([^/]+)$/.exec(path);
    if (method === 'GET' && threeDSecure !== null) {
      const query = new URLSearchParams(queryText);
      sendPage(
        response,
        requestId,
        renderThreeDSecurePage(
          decodeURIComponent(threeDSecure[1] ?? ''),
          query.get('client_secret') ?? '',
        ),
      );
      return true;
    }
    const bankPage = /^\/_emulator\/redirect\/([^/]+)$/.exec(path);
    if (bankPage !== null) {
      const id = decodeURIComponent(bankPage[1] ?? '');
      if (method === 'GET') {
        const clientSecret = new URLSearchParams(queryText).get('client_secret') ?? '';
        sendPage(response, requestId, renderBankPage(environment, id, clientSecret));
        return true;
      }
      if (method === 'POST') {
        sendPage(response, requestId, answerBankPage(environment, id, await readBody(request)));
        return true;
      }
    }
    return false;
  }

  return function handleRequest(request: IncomingMessage, response: ServerResponse): void {
    const requestId = environment.ids.newId('req', 14);
    const method = request.method ?? 'GET';
    const { path, queryText } = splitUrl(request.url ?? '/');
    if (method === 'OPTIONS') {
      response.writeHead(204, { 'Request-Id': requestId, ...preflightHeaders });
      response.end();
      return;
    }
    servePage(request, response, method, path, queryText, requestId)
      .then(function routeRest(served) {
        if (served) return;
        if (path.startsWith('/v1/') || path.startsWith('/oauth/')) {
          return serveApi(request, response, method, path, queryText, requestId);
        }
        if (path.startsWith('/_emulator/')) {
          return serveControl(request, response, method, path, queryText, requestId);
        }
        send(response, 404, requestId, JSON.stringify(unrecognizedUrl(method, path).body));
      })
      .catch(function reportFailure(error: unknown) {
        const message = error instanceof Error ? error.message : String(error);
        send(response, 500, requestId, JSON.stringify({ error: { type: 'api_error', message } }));
      });
  };
}

/** JSON bodies on /v1/ (some clients send them) read as form fields would. */
function toFormHash(value: Record<string, unknown>): FormHash {
  const hash: FormHash = {};
  for (const [name, field] of Object.entries(value)) {
    const converted = toFormValue(field);
    if (converted !== undefined) hash[name] = converted;
  }
  return hash;
}

function toFormValue(value: unknown): FormHash[string] | undefined {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    return value.map((item) => toFormValue(item)).filter((item) => item !== undefined);
  }
  if (typeof value === 'object') return toFormHash({ ...value });
  return undefined;
}
