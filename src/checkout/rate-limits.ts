import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';

/**
 * Card testers try many cards fast, from one address or with one email: each checkout POST passes
 * a per-IP and a per-email limit per minute. Counts live in this process (one instance's view).
 */
export type CheckoutLimiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export async function checkoutLimiters(
  app: App,
  limits: { perIp: number; perEmail: number },
): Promise<CheckoutLimiter[]> {
  await app.register(fastifyRateLimit, { global: false });
  // createRateLimit, not rateLimit: the plugin's route hooks run once per request, so a second
  // `app.rateLimit()` hook on the same route would never count anything.
  function limiter(what: string, options: Parameters<App['createRateLimit']>[0]): CheckoutLimiter {
    const count = app.createRateLimit({ timeWindow: 60_000, ...options });
    return async function limitCheckout(request, reply) {
      const counted = await count(request);
      if (counted.isAllowed || !counted.isExceeded) return;
      reply.header('retry-after', String(counted.ttlInSeconds));
      throw new AppError(
        'rate_limited',
        `Too many checkout attempts ${what} (at most ${counted.max} a minute). Wait ${counted.ttlInSeconds} seconds and try again.`,
      );
    };
  }
  return [
    limiter('from your network', {
      max: limits.perIp,
      keyGenerator: (request) => `ip:${request.ip}`,
    }),
    limiter('with this email', {
      max: limits.perEmail,
      keyGenerator: (request) => `email:${emailOf(request)}`,
      // Only requests that carry an email count against it.
      allowList: (request) => emailOf(request) === '',
    }),
  ];
}

function emailOf(request: FastifyRequest): string {
  const body = request.body as Record<string, unknown> | undefined;
  const email = body && typeof body.email === 'string' ? body.email : '';
  return email.trim().toLowerCase();
}
