import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import type { TokenOwner } from '../tokens/tokens.service.js';

/**
 * What every route registrar sees of the HTTP application. It lives here, not beside the
 * assembly in web/, so a feature's routes never import the module that imports them.
 */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The routes of the admin API see the same app type; the token check has run before them. */
export type AdminApp = App;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling the admin API; set by the token check before any admin route runs. */
    actor: TokenOwner | null;
  }
}

/** Who is calling, for routes inside the admin scope. */
export function actorOf(request: FastifyRequest): TokenOwner {
  if (!request.actor) throw new AppError('unauthorized', 'This API needs a bearer token.');
  return request.actor;
}

/** The actor's name as the audit log shows it. */
export function actorName(request: FastifyRequest): string {
  return `token:${actorOf(request).name}`;
}
