import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import { countHits, deleteWindowsBefore } from './rate-limits.repository.js';

/**
 * Card testers try many cards fast, from one address or with one email: each checkout POST passes
 * a per-IP and a per-email limit per minute. The counts live in the database, so N instances
 * share one limit instead of allowing N times it.
 */
export type CheckoutLimiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface CheckoutLimitDependencies {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  limits: { perIp: number; perEmail: number };
}

const windowMs = 60_000;

export function checkoutLimiters(app: App, deps: CheckoutLimitDependencies): CheckoutLimiter[] {
  const { db, clock, logger, limits } = deps;
  // Ended windows are deleted once a minute by every instance; deleting twice does no harm.
  const pruning = setInterval(function pruneEndedWindows() {
    const current = new Date(Math.floor(clock().getTime() / windowMs) * windowMs).toISOString();
    deleteWindowsBefore(db, current).catch((error: unknown) =>
      logger.warn({ err: error }, 'checkout rate limits: ended windows not deleted'),
    );
  }, windowMs);
  pruning.unref();
  app.addHook('onClose', async () => clearInterval(pruning));

  return [
    async function limitCheckout(request, reply) {
      const now = clock().getTime();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const email = emailOf(request);
      const ipKey = keyOf(`ip:${request.ip}`);
      // Only requests that carry an email count against it.
      const emailKey = email === '' ? null : keyOf(`email:${email}`);
      const hits = await countHits(db, {
        keys: emailKey ? [ipKey, emailKey] : [ipKey],
        windowStart: new Date(windowStart).toISOString(),
      });
      const over =
        (hits.get(ipKey) ?? 0) > limits.perIp
          ? { what: 'from your network', max: limits.perIp }
          : emailKey && (hits.get(emailKey) ?? 0) > limits.perEmail
            ? { what: 'with this email', max: limits.perEmail }
            : null;
      if (!over) return;
      const wait = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
      reply.header('retry-after', String(wait));
      throw new AppError(
        'rate_limited',
        `Too many checkout attempts ${over.what} (at most ${over.max} a minute). Wait ${wait} seconds and try again.`,
      );
    },
  ];
}

/** Keys are hashed: the table holds no buyer's address or email. */
function keyOf(what: string): string {
  return createHash('sha256').update(what).digest('hex');
}

function emailOf(request: FastifyRequest): string {
  const body = request.body as Record<string, unknown> | undefined;
  const email = body && typeof body.email === 'string' ? body.email : '';
  return email.trim().toLowerCase();
}
