import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AdminApp, App } from '../http/app.js';
import type { TokenService } from '../tokens/tokens.service.js';

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
