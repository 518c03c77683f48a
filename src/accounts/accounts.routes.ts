import { z } from 'zod';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import { capSchema } from '../routing/index.js';
import type { AccountsService } from './accounts.service.js';
import type { HealthService } from './health.service.js';

export const handleSchema = z
  .string()
  .regex(
    /^[a-z0-9-]{1,40}$/,
    'use 1 to 40 lowercase letters, digits or "-", e.g. "us" or "eu-ltd"',
  );

const currencySchema = z
  .string()
  .regex(/^[a-zA-Z]{3}$/, 'use a three-letter ISO currency code such as "usd"')
  .transform((code) => code.toLowerCase());

const keyPairSchema = z.object({
  secretKey: z.string().trim().min(1, 'paste the secret (sk_…) or restricted (rk_…) key'),
  publishableKey: z.string().trim().min(1, 'paste the publishable key (pk_…)'),
});

export const credentialsSchema = z
  .object({ test: keyPairSchema.optional(), live: keyPairSchema.optional() })
  .strict()
  .refine((credentials) => credentials.test || credentials.live, {
    message: 'give the keys of at least one mode: test or live',
  });

export const newAccountSchema = z
  .object({
    handle: handleSchema,
    label: z.string().trim().min(1).max(200).optional(),
    purpose: z.string().trim().max(2000).optional(),
    role: z.enum(['primary', 'secondary']).optional(),
    priority: z.number().int().min(0).max(1000).optional(),
    currencies: z.array(currencySchema).min(1).optional(),
    credentials: credentialsSchema,
  })
  .strict();

export const accountChangesSchema = z
  .object({
    label: z.string().trim().min(1).max(200).optional(),
    purpose: z.string().trim().max(2000).optional(),
    priority: z.number().int().min(0).max(1000).optional(),
    currencies: z.array(currencySchema).min(1).nullable().optional(),
    enabled: z.boolean().optional(),
    drain: z.boolean().optional(),
    /** Volume caps in minor units per UTC day or month; [] or null removes them. */
    caps: z.array(capSchema).nullable().optional(),
  })
  .strict();

const byHandle = z.object({ handle: handleSchema });

export function registerAccountRoutes(app: AdminApp, accounts: AccountsService): void {
  app.get('/api/accounts', async function listAccounts(request) {
    return { accounts: await accounts.listAccounts(actorOf(request).workspaceId) };
  });

  app.post(
    '/api/accounts',
    { schema: { body: newAccountSchema } },
    async function connectAccount(request, reply) {
      const result = await accounts.connectWithKeys(
        actorOf(request).workspaceId,
        request.body,
        actorName(request),
      );
      reply.status(201);
      return result;
    },
  );

  app.get(
    '/api/accounts/:handle',
    { schema: { params: byHandle } },
    async function showAccount(request) {
      return {
        account: await accounts.showAccount(actorOf(request).workspaceId, request.params.handle),
      };
    },
  );

  app.patch(
    '/api/accounts/:handle',
    { schema: { params: byHandle, body: accountChangesSchema } },
    async function updateAccount(request) {
      return accounts.updateAccount(
        actorOf(request).workspaceId,
        request.params.handle,
        request.body,
        actorName(request),
      );
    },
  );

  app.post(
    '/api/accounts/:handle/primary',
    { schema: { params: byHandle } },
    async function makePrimary(request) {
      return accounts.makePrimary(
        actorOf(request).workspaceId,
        request.params.handle,
        actorName(request),
      );
    },
  );

  app.post(
    '/api/accounts/:handle/keys',
    { schema: { params: byHandle, body: z.object({ credentials: credentialsSchema }).strict() } },
    async function replaceKeys(request) {
      return accounts.replaceKeys(
        actorOf(request).workspaceId,
        request.params.handle,
        request.body.credentials,
        actorName(request),
      );
    },
  );

  app.post(
    '/api/accounts/:handle/verify',
    { schema: { params: byHandle } },
    async function verifyAccount(request) {
      return accounts.verifyAccount(
        actorOf(request).workspaceId,
        request.params.handle,
        actorName(request),
      );
    },
  );

  app.delete(
    '/api/accounts/:handle',
    { schema: { params: byHandle } },
    async function removeAccount(request, reply) {
      await accounts.removeAccount(
        actorOf(request).workspaceId,
        request.params.handle,
        actorName(request),
      );
      reply.status(204);
    },
  );
}

/** Health per mode: the circuit breaker, the account's status, and the failures behind them. */
export function registerAccountHealthRoute(app: AdminApp, health: HealthService): void {
  app.get(
    '/api/accounts/:handle/health',
    { schema: { params: byHandle } },
    async function showAccountHealth(request) {
      return {
        health: await health.showHealth(actorOf(request).workspaceId, request.params.handle),
      };
    },
  );
}
