import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { openStore, type Store } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { DEFAULT_WORKSPACE_ID } from './db/workspace.js';
import type { App } from './http/app.js';
import { buildMetricsApp } from './metrics/metrics.routes.js';
import { createServices, type Services } from './services.js';
import { buildApp } from './web/app.js';

export interface RunningServer {
  readonly app: App;
  readonly store: Store;
  readonly services: Services;
  /** The address it listens on, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  /** Where METRICS_PORT serves /metrics without a token; null when it is not set. */
  readonly metricsUrl: string | null;
  /** Stops accepting connections, lets in-flight requests finish, then closes the store. */
  close(): Promise<void>;
}

export interface ServerOptions {
  config: Config;
  logger: Logger;
  /** Adds routes before the server listens (the demo and tests use it). */
  extend?: (app: App) => void | Promise<void>;
  /** Runs once the services exist, before the server listens (the demo connects its accounts). */
  prepare?: (services: Services, store: Store) => Promise<void>;
}

export async function startServer({
  config,
  logger,
  extend,
  prepare,
}: ServerOptions): Promise<RunningServer> {
  const store = openStore(config.databaseUrl);
  try {
    const applied = await migrateToLatest(store);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    const services = createServices({ config, store, logger });
    if (prepare) await prepare(services, store);
    const app = await buildApp({ config, store, logger, services });
    if (extend) await extend(app);
    const url = await app.listen({ port: config.port, host: config.host });
    logger.info(
      { url, pid: process.pid, database: store.dialect, location: store.location },
      'switchyard listening',
    );
    const metricsPort = config.metrics.port;
    let metricsApp: FastifyInstance | null = null;
    let metricsUrl: string | null = null;
    if (metricsPort !== null) {
      metricsApp = buildMetricsApp({ metrics: services.metrics, logger });
      // The port taken by something else: nothing of this instance may stay listening.
      metricsUrl = await metricsApp
        .listen({ port: metricsPort, host: config.host })
        .catch(async (error: unknown) => {
          await app.close();
          throw error;
        });
      logger.info({ url: metricsUrl }, 'metrics listening (METRICS_PORT)');
    }
    // Resumes webhook events a previous run stored but did not finish.
    services.webhooks.start();
    // Fetches the events Stripe holds that no delivery brought (this server was down), now and
    // at every reconciliation interval.
    const { intervalSeconds, graceSeconds } = config.reconciliation;
    services.eventsBackfill.start(intervalSeconds * 1000);
    // Heals payments a crash left between the Stripe call and our write (docs/design.md §4).
    services.reconciliation.start(DEFAULT_WORKSPACE_ID, {
      intervalMs: intervalSeconds * 1000,
      graceMs: graceSeconds * 1000,
    });
    // Scheduled jobs (verify, test payments, …), once per slot across all instances; JOBS=off
    // leaves this instance out.
    services.jobs.start();
    let closing: Promise<void> | undefined;
    return {
      app,
      store,
      services,
      url,
      metricsUrl,
      close() {
        closing ??= (async () => {
          await app.close();
          await metricsApp?.close();
          await services.jobs.stop();
          await services.eventsBackfill.stop();
          await services.webhooks.stop();
          await services.reconciliation.stop();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
