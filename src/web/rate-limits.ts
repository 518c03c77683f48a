import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { App } from './app.js';

/**
 * Card testers try many cards fast, from one address or with one email: each checkout POST passes
 * a per-IP and a per-email limit per minute. Counts live in this process (one instance's view).
 */
export type CheckoutLimiter = ReturnType<App['rateLimit']>;

export async function checkoutLimiters(
  app: App,
  limits: { perIp: number; perEmail: number },
): Promise<CheckoutLimiter[]> {
  await app.register(fastifyRateLimit, { global: false });
  const refusal = (what: string) =>
    function tooMany(_request: FastifyRequest, context: { after: string; max: number }) {
      return new AppError(
        'rate_limited',
        `Too many checkout attempts ${what} (at most ${context.max} a minute). Wait ${context.after} and try again.`,
      );
    };
  const perIp = app.rateLimit({
    max: limits.perIp,
    timeWindow: 60_000,
    keyGenerator: (request) => `ip:${request.ip}`,
    errorResponseBuilder: refusal('from your network'),
  });
  const perEmail = app.rateLimit({
    max: limits.perEmail,
    timeWindow: 60_000,
    keyGenerator: (request) => `email:${emailOf(request)}`,
    // Only requests that carry an email count against it.
    allowList: (request) => emailOf(request) === '',
    errorResponseBuilder: refusal('with this email'),
  });
  return [perIp, perEmail];
}

function emailOf(request: FastifyRequest): string {
  const body = request.body as Record<string, unknown> | undefined;
  const email = body && typeof body.email === 'string' ? body.email : '';
  return email.trim().toLowerCase();
}
