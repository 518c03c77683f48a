import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import type { App } from './app.js';
import type { TokenOwner, TokenService } from './tokens.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling the admin API; set by the token check before any admin route runs. */
    actor: TokenOwner | null;
  }
}

/** The routes of the admin API see the same app type; the token check has run before them. */
export type AdminApp = App;

/** Who is calling, for routes inside the admin scope. */
export function actorOf(request: FastifyRequest): TokenOwner {
  if (!request.actor) throw new AppError('unauthorized', 'This API needs a bearer token.');
  return request.actor;
}

/** The actor's name as the audit log shows it. */
export function actorName(request: FastifyRequest): string {
  return `token:${actorOf(request).name}`;
}

/**
 * Registers routes that need `Authorization: Bearer <token>`. Everything under /api goes through
 * here; public pages, webhooks and health checks do not.
 */
export async function registerAdminRoutes(
  app: App,
  tokens: TokenService,
  register: (admin: AdminApp) => void,
): Promise<void> {
  await app.register(async function adminScope(admin) {
    admin.decorateRequest('actor', null);
    admin.addHook('onRequest', async function requireToken(request) {
      request.actor = await tokens.authenticate(request.headers.authorization);
    });
    register(admin.withTypeProvider<ZodTypeProvider>());
  });
}
