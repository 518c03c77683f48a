import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import { handleError, handleNotFound } from '../http/error-handler.js';
import type { Metrics } from './metrics.js';

/**
 * /metrics on the main port: for callers with `Authorization: Bearer <METRICS_TOKEN>`; without a
 * token configured it is not served here, and the answer says where it is or how to turn it on.
 */
export function registerMetricsRoute(
  app: App,
  { metrics, access }: { metrics: Metrics; access: Config['metrics'] },
): void {
  const expected = access.token === null ? null : digestOf(access.token);
  app.get('/metrics', { logLevel: 'warn' }, async function metricsBehindToken(request, reply) {
    if (expected === null) throw notServedHere(access.port);
    const token = /^bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      throw new AppError(
        'unauthorized',
        'The metrics need "Authorization: Bearer <token>" with the token set as METRICS_TOKEN.',
      );
    }
    // Equal-length digests: the comparison takes as long whatever the token sent.
    if (!timingSafeEqual(digestOf(token), expected)) {
      throw new AppError(
        'unauthorized',
        'The bearer token is not METRICS_TOKEN; send the token this server was started with.',
      );
    }
    return sendScrape(metrics, reply);
  });
}

/** The listener METRICS_PORT opens: /metrics without a token, and nothing else. */
export function buildMetricsApp({
  metrics,
  logger,
}: {
  metrics: Metrics;
  logger: Logger;
}): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({ loggerInstance, return503OnClosing: true });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.get('/metrics', { logLevel: 'warn' }, function metricsOnTheirPort(_request, reply) {
    return sendScrape(metrics, reply);
  });
  return app;
}

async function sendScrape(metrics: Metrics, reply: FastifyReply): Promise<string> {
  const { contentType, text } = await metrics.scrape();
  reply.header('content-type', contentType).header('cache-control', 'no-store');
  return text;
}

function notServedHere(port: number | null): AppError {
  return new AppError(
    'not_found',
    port === null
      ? 'Metrics are off. Set METRICS_TOKEN to serve /metrics here to callers sending it as a bearer token, or METRICS_PORT to serve it on a port of its own.'
      : `Metrics are served on port ${port} (METRICS_PORT), not here. Set METRICS_TOKEN to serve them here too, to callers sending it as a bearer token.`,
  );
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
