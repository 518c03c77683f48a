import { z } from 'zod';
import type { Access, AccountRecord, Mode } from './accounts.js';
import { presentAccount } from './accounts.js';
import type { EmulatorServices, ResponseBody } from './api.js';
import { invalidRequest } from './api-error.js';
import { renewDueSubscriptions, settleInvoiceFor } from './billing.js';
import type { FaultPlan } from './faults.js';
import { escapeHtml, renderPage } from './html.js';
import type { Ledger } from './ledger.js';
import type { PageResponse } from './oauth.js';
import type { PaymentIntentObject } from './objects.js';
import { completeAuthentication } from './payments.js';
import type { RequestLog } from './request-log.js';

/*
 * The control API under /_emulator/: JSON in, JSON out, no API key. Tests and the demo use it
 * to make accounts, break things on purpose, and move time.
 */

export interface ControlEnvironment extends EmulatorServices {
  faults: FaultPlan;
  requests: RequestLog;
  /** Forgets every account, object, event and fault. */
  reset(): void;
}

export interface ControlRequest {
  body: Record<string, unknown>;
  query: URLSearchParams;
  pathParams: Record<string, string>;
  origin: string;
}

export interface ControlRoute {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string;
  handle(request: ControlRequest, environment: ControlEnvironment): ResponseBody;
}

function readBody<Schema extends z.ZodType>(
  schema: Schema,
  body: Record<string, unknown>,
): z.infer<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.join('.') ?? '';
  throw invalidRequest(`Invalid ${param || 'body'}: ${issue?.message ?? 'invalid'}`, {
    param: param || undefined,
    replayable: false,
  });
}

function findAccount(environment: ControlEnvironment, id: string): AccountRecord {
  const account = environment.accounts.findAccount(id);
  if (account === undefined) {
    throw invalidRequest(`No such account: '${id}'`, { status: 404, code: 'resource_missing' });
  }
  return account;
}

function presentKeys(account: AccountRecord): ResponseBody {
  return { test: { ...account.keys.test }, live: { ...account.keys.live } };
}

const accountBody = z.strictObject({
  name: z.string().optional(),
  email: z.string().optional(),
  country: z.string().length(2).optional(),
  default_currency: z.string().length(3).optional(),
});

const permissionPattern = /^[a-z_]+:(read|write)$/;

const restrictedKeyBody = z.strictObject({
  mode: z.enum(['test', 'live']).default('test'),
  permissions: z.array(z.string().regex(permissionPattern, 'use resource:read or resource:write')),
});

const requirementsBody = z.strictObject({
  currently_due: z.array(z.string().min(1)).default([]),
  past_due: z.array(z.string().min(1)).default([]),
  eventually_due: z.array(z.string().min(1)).optional(),
  current_deadline: z.number().int().positive().nullable().default(null),
});

const statusBody = z.strictObject({
  charges_enabled: z.boolean().optional(),
  payouts_enabled: z.boolean().optional(),
  details_submitted: z.boolean().optional(),
  disabled_reason: z.string().nullable().optional(),
  /** What Stripe asks for; null goes back to what the account's state implies. */
  requirements: requirementsBody.nullable().optional(),
});

const rollKeysBody = z.strictObject({
  expires_in_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(0),
});

const faultBody = z
  .strictObject({
    account: z.string().min(1),
    fault: z.enum(['server_error', 'rate_limit', 'timeout', 'connection_reset']),
    after: z.boolean().default(false),
    times: z.number().int().positive().optional(),
    path: z.string().startsWith('/').optional(),
  })
  // Stripe refuses a request for its rate before doing anything, never after.
  .refine((body) => !(body.after && body.fault === 'rate_limit'), {
    path: ['after'],
    message: 'rate_limit is refused before the request runs; it cannot come after',
  });

function readPermissions(permissions: string[]): Map<string, Access> {
  const granted = new Map<string, Access>();
  for (const permission of permissions) {
    const [resource = '', access] = permission.split(':');
    // Write implies read: keep the strongest access named for a resource.
    if (access === 'write' || !granted.has(resource)) {
      granted.set(resource, access === 'write' ? 'write' : 'read');
    }
  }
  return granted;
}

export function findPaymentIntentAnywhere(
  environment: ControlEnvironment,
  id: string,
): { ledger: Ledger; paymentIntent: PaymentIntentObject } | undefined {
  for (const account of environment.accounts.accounts.values()) {
    for (const ledger of [account.ledgers.test, account.ledgers.live]) {
      const paymentIntent = ledger.paymentIntents.get(id);
      if (paymentIntent !== undefined) return { ledger, paymentIntent };
    }
  }
  return undefined;
}

function publishBothModes(
  environment: ControlEnvironment,
  account: AccountRecord,
  type: string,
  object: ResponseBody,
  previous: ResponseBody,
): void {
  const modes: Mode[] = ['test', 'live'];
  for (const mode of modes) environment.publish(account.ledgers[mode], type, object, previous);
}

export const controlRoutes: ControlRoute[] = [
  {
    method: 'POST',
    pattern: '/_emulator/accounts',
    handle: function createAccount(request, environment) {
      const body = readBody(accountBody, request.body);
      const account = environment.accounts.createAccount({
        name: body.name,
        email: body.email,
        country: body.country?.toUpperCase(),
        defaultCurrency: body.default_currency?.toLowerCase(),
      });
      return { id: account.id, keys: presentKeys(account) };
    },
  },
  {
    method: 'GET',
    pattern: '/_emulator/accounts',
    handle: function listAccounts(_request, environment) {
      return {
        data: [...environment.accounts.accounts.values()].map((account) => ({
          id: account.id,
          name: account.name,
          client_id: account.clientId,
          charges_enabled: account.chargesEnabled,
          keys: presentKeys(account),
        })),
      };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/accounts/:id/restricted_keys',
    handle: function createRestrictedKey(request, environment) {
      const account = findAccount(environment, request.pathParams.id ?? '');
      const body = readBody(restrictedKeyBody, request.body);
      const key = environment.accounts.createRestrictedKey(
        account,
        body.mode,
        readPermissions(body.permissions),
      );
      return { secret: key.value, mode: body.mode, permissions: body.permissions };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/accounts/:id/roll_keys',
    handle: function rollKeys(request, environment) {
      const account = findAccount(environment, request.pathParams.id ?? '');
      const body = readBody(rollKeysBody, request.body);
      environment.accounts.rollKeys(account, body.expires_in_seconds);
      return {
        id: account.id,
        keys: presentKeys(account),
        old_keys_expire_at: environment.clock.now() + body.expires_in_seconds,
      };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/accounts/:id/restricted_keys/:key',
    handle: function editRestrictedKey(request, environment) {
      const account = findAccount(environment, request.pathParams.id ?? '');
      const body = readBody(restrictedKeyBody.omit({ mode: true }), request.body);
      const key = request.pathParams.key ?? '';
      if (
        !environment.accounts.setRestrictedKeyPermissions(
          account,
          key,
          readPermissions(body.permissions),
        )
      ) {
        throw invalidRequest(`No such restricted key on account '${account.id}'`, {
          status: 404,
          code: 'resource_missing',
        });
      }
      return { secret: key, permissions: body.permissions };
    },
  },
  {
    method: 'DELETE',
    pattern: '/_emulator/accounts/:id/restricted_keys/:key',
    handle: function deleteRestrictedKey(request, environment) {
      const account = findAccount(environment, request.pathParams.id ?? '');
      const key = request.pathParams.key ?? '';
      if (!environment.accounts.deleteRestrictedKey(account, key)) {
        throw invalidRequest(`No such restricted key on account '${account.id}'`, {
          status: 404,
          code: 'resource_missing',
        });
      }
      return { deleted: true };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/accounts/:id/status',
    handle: function setAccountStatus(request, environment) {
      const account = findAccount(environment, request.pathParams.id ?? '');
      const body = readBody(statusBody, request.body);
      const before = presentAccount(account);
      account.chargesEnabled = body.charges_enabled ?? account.chargesEnabled;
      account.payoutsEnabled = body.payouts_enabled ?? account.payoutsEnabled;
      account.detailsSubmitted = body.details_submitted ?? account.detailsSubmitted;
      account.disabledReason =
        body.disabled_reason !== undefined
          ? body.disabled_reason
          : account.chargesEnabled && account.payoutsEnabled
            ? null
            : (account.disabledReason ?? 'requirements.past_due');
      if (body.requirements !== undefined) {
        account.requirements =
          body.requirements === null
            ? null
            : {
                currentlyDue: body.requirements.currently_due,
                pastDue: body.requirements.past_due,
                eventuallyDue: body.requirements.eventually_due ?? [
                  ...new Set([...body.requirements.currently_due, ...body.requirements.past_due]),
                ],
                currentDeadline: body.requirements.current_deadline,
              };
      }
      const after = presentAccount(account);
      publishBothModes(environment, account, 'account.updated', after, {
        charges_enabled: before.charges_enabled,
        payouts_enabled: before.payouts_enabled,
        requirements: before.requirements,
      });
      return after;
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/platforms',
    handle: function createPlatform(request, environment) {
      const body = readBody(accountBody, request.body);
      const platform = environment.accounts.createPlatform({
        name: body.name ?? 'Connect platform',
        country: body.country?.toUpperCase(),
      });
      return { client_id: platform.clientId, id: platform.id, keys: presentKeys(platform) };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/oauth/codes',
    handle: function createAuthorizationCode(request, environment) {
      const body = readBody(
        z.strictObject({
          client_id: z.string(),
          account: z.string(),
          scope: z.enum(['read_write', 'read_only']).default('read_write'),
        }),
        request.body,
      );
      const platform = environment.accounts.findPlatformByClientId(body.client_id);
      if (platform === undefined) {
        throw invalidRequest(`No such application: '${body.client_id}'`, {
          status: 404,
          param: 'client_id',
        });
      }
      const account = findAccount(environment, body.account);
      return { code: environment.accounts.createAuthorizationCode(platform, account, body.scope) };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/faults',
    handle: function addFault(request, environment) {
      const body = readBody(faultBody, request.body);
      return {
        ...environment.faults.add({
          id: environment.ids.newId('fault', 12),
          account: body.account,
          fault: body.fault,
          after: body.after,
          remaining: body.times ?? null,
          // `/v1/payment_intents/` and `/v1/payment_intents` name the same requests.
          path: body.path === undefined ? null : body.path.replace(/\/+$/, '') || '/',
        }),
      };
    },
  },
  {
    method: 'GET',
    pattern: '/_emulator/faults',
    handle: function listFaults(_request, environment) {
      return { data: environment.faults.list() };
    },
  },
  {
    method: 'DELETE',
    pattern: '/_emulator/faults',
    handle: function clearFaults(_request, environment) {
      return { cleared: environment.faults.clear() };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/webhooks/chaos',
    handle: function setWebhookChaos(request, environment) {
      const body = readBody(
        z.strictObject({
          duplicates: z.number().int().min(0).max(10).optional(),
          shuffle: z.boolean().optional(),
          drop: z.number().int().min(0).max(1000).optional(),
          failing: z.boolean().optional(),
        }),
        request.body,
      );
      environment.hub.setChaos(body);
      return {
        duplicates: body.duplicates ?? 0,
        shuffle: body.shuffle ?? false,
        drop: body.drop ?? 0,
        failing: body.failing ?? false,
      };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/webhook_endpoints/:id/roll_secret',
    handle: function rollWebhookSecret(request, environment) {
      const id = request.pathParams.id ?? '';
      const endpoint = environment.hub.rollEndpointSecret(id);
      if (endpoint === undefined) {
        throw invalidRequest(`No such webhook endpoint: '${id}'`, {
          status: 404,
          code: 'resource_missing',
        });
      }
      return endpoint;
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/clock/advance',
    handle: function advanceClock(request, environment) {
      const body = readBody(z.strictObject({ seconds: z.number().int().positive() }), request.body);
      const now = environment.clock.advance(body.seconds);
      renewDueSubscriptions(environment, request.origin);
      environment.hub.sendDueRetries();
      return { now };
    },
  },
  {
    method: 'GET',
    pattern: '/_emulator/clock',
    handle: function readClock(_request, environment) {
      return { now: environment.clock.now() };
    },
  },
  {
    method: 'GET',
    pattern: '/_emulator/requests',
    handle: function listRequests(request, environment) {
      const limit = request.query.get('limit');
      return {
        data: environment.requests.list({
          account: request.query.get('account') ?? undefined,
          limit: limit === null ? undefined : Number(limit),
        }),
      };
    },
  },
  {
    method: 'GET',
    pattern: '/_emulator/accounts/:id/events',
    handle: function listEventDeliveries(request, environment) {
      const account = findAccount(environment, request.pathParams.id ?? '');
      const livemode = request.query.get('mode') === 'live';
      return { data: environment.hub.eventDeliveries(account.id, livemode) };
    },
  },
  {
    method: 'GET',
    pattern: '/_emulator/deliveries',
    handle: function listDeliveries(_request, environment) {
      return { data: environment.hub.deliveries() };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/reset',
    handle: function reset(_request, environment) {
      environment.reset();
      return { reset: true };
    },
  },
  {
    method: 'POST',
    pattern: '/_emulator/payment_intents/:id/authenticate',
    handle: function answerThreeDSecure(request, environment) {
      const body = readBody(
        z.strictObject({ client_secret: z.string(), outcome: z.enum(['complete', 'fail']) }),
        request.body,
      );
      const id = request.pathParams.id ?? '';
      const found = findPaymentIntentAnywhere(environment, id);
      if (found === undefined || found.paymentIntent.client_secret !== body.client_secret) {
        throw invalidRequest(`No such payment_intent: '${id}'`, {
          status: 404,
          code: 'resource_missing',
        });
      }
      const attempt = completeAuthentication(
        environment,
        found.ledger,
        found.paymentIntent,
        body.outcome === 'complete',
      );
      settleInvoiceFor(environment, found.ledger, attempt.paymentIntent);
      return attempt.paymentIntent;
    },
  },
];

/** The page `next_action.use_stripe_sdk.stripe_js` points at: a stand-in 3-D Secure challenge. */
export function renderThreeDSecurePage(id: string, clientSecret: string): PageResponse {
  const script = `
async function answer(outcome) {
  const response = await fetch('/_emulator/payment_intents/${encodeURIComponent(id)}/authenticate', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_secret: ${JSON.stringify(clientSecret).replaceAll('<', '\\u003c')}, outcome }),
  });
  const paymentIntent = await response.json();
  document.getElementById('result').textContent = 'PaymentIntent status: ' + paymentIntent.status;
}`;
  return {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: renderPage(
      '3D Secure authentication',
      `<h1>3D Secure authentication</h1>
<p>Payment <code>${escapeHtml(id)}</code> asks the cardholder to authenticate.</p>
<button type="button" onclick="answer('complete')">Complete authentication</button>
<button type="button" class="secondary" onclick="answer('fail')">Fail authentication</button>
<p id="result" role="status"></p>
<script>${script}</script>`,
    ),
  };
}
