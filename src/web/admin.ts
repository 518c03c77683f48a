import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
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
      request.actor = await tokens.authenticate(bearerTokenOf(request.headers.authorization));
    });
    register(admin.withTypeProvider<ZodTypeProvider>());
  });
}

/** The token of an `Authorization` header: the scheme in any case (RFC 7235), one space, the token. */
function bearerTokenOf(header: string | undefined): string {
  if (header === undefined || header === '') {
    throw new AppError('unauthorized', 'This API needs "Authorization: Bearer <token>".', {
      next: 'tokens.create',
    });
  }
  const token = /^bearer (\S+)$/i.exec(header)?.[1];
  if (!token) {
    throw new AppError(
      'unauthorized',
      'The Authorization header must be "Bearer <token>": the word Bearer (in any case), one space, then the token and nothing after it.',
    );
  }
  return token;
}
