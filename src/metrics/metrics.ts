import type { Kysely } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { breakerStateAt } from '../accounts/health.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import {
  countPayments,
  listBreakerStates,
  oldestUnprocessedEventAt,
} from './metrics.repository.js';

/**
 * What Prometheus scrapes at /metrics (issue 18). Counters count what this instance did since it
 * started; the gauges read the database at scrape time, so every instance reports the same
 * payments, breakers and webhook lag.
 */
export interface Metrics {
  /** An account set aside for a payment, which then moves on to the next account (or ends). */
  countFailover(input: { account: string; reason: string }): void;
  /** A webhook event stored (a delivery or the events list), and whether it was there already. */
  countWebhookEvent(input: { duplicate: boolean }): void;
  /** A stored webhook event whose handling failed (it is retried). */
  countWebhookFailure(): void;
  countJobRun(input: { job: string; outcome: string }): void;
  /** One answered HTTP request; `route` is the route's pattern, never the URL asked for. */
  observeRequest(input: {
    route: string;
    method: string;
    statusCode: number;
    seconds: number;
  }): void;
  /** Everything in Prometheus' text format, with the gauges read from the database now. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

export interface MetricsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  workspaceId: string;
  /** The breakers' cooldown: an open breaker past it is half-open. */
  breakerCooldownSeconds: number;
  /** Node's own process metrics (CPU, memory, event loop), only where /metrics is served. */
  processMetrics: boolean;
}

/** What the breaker gauge's values mean, as its help says. */
const breakerValues = { closed: 0, half_open: 1, open: 2 } as const;

export function createMetrics(deps: MetricsDependencies): Metrics {
  const { db, clock, workspaceId } = deps;
  // One registry per app, not prom-client's global one: several apps in one process stay apart.
  const registry = new Registry();
  if (deps.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  new Gauge({
    name: 'switchyard_payments',
    help: 'Payments recorded, by account (none before one took it), mode, kind and outcome (the payment status).',
    labelNames: ['account', 'mode', 'kind', 'outcome'] as const,
    registers,
    async collect() {
      const counts = await countPayments(db, workspaceId);
      this.reset();
      for (const { account, mode, kind, status, count } of counts) {
        this.set({ account: account ?? 'none', mode, kind, outcome: status }, count);
      }
    },
  });
  new Gauge({
    name: 'switchyard_breaker_state',
    help: 'Circuit breaker of each account and mode: 0 closed, 1 half-open, 2 open.',
    labelNames: ['account', 'mode'] as const,
    registers,
    async collect() {
      const breakers = await listBreakerStates(db, workspaceId);
      const now = clock().getTime();
      const cooldownMs = deps.breakerCooldownSeconds * 1000;
      this.reset();
      for (const { account, mode, breaker } of breakers) {
        const state = breakerStateAt(breaker ?? undefined, now, cooldownMs);
        this.set({ account, mode }, breakerValues[state]);
      }
    },
  });
  new Gauge({
    name: 'switchyard_webhook_lag_seconds',
    help: 'Age of the oldest webhook event stored and not yet processed; 0 when none waits.',
    registers,
    async collect() {
      const oldest = await oldestUnprocessedEventAt(db, workspaceId);
      this.set(oldest === null ? 0 : Math.max(0, (clock().getTime() - Date.parse(oldest)) / 1000));
    },
  });

  const failovers = new Counter({
    name: 'switchyard_failovers_total',
    help: 'Accounts set aside during a payment, by account and reason (a Stripe failure kind, or breaker_open).',
    labelNames: ['account', 'reason'] as const,
    registers,
  });
  const webhookEvents = new Counter({
    name: 'switchyard_webhook_events_received_total',
    help: 'Webhook events received by this instance (deliveries and the events list), duplicates included.',
    registers,
  });
  const webhookDuplicates = new Counter({
    name: 'switchyard_webhook_events_duplicate_total',
    help: 'Webhook events received that were stored already: redeliveries, or both ways bringing one event.',
    registers,
  });
  const webhookFailures = new Counter({
    name: 'switchyard_webhook_events_failed_total',
    help: 'Times handling a stored webhook event failed on this instance (each is retried).',
    registers,
  });
  const jobRuns = new Counter({
    name: 'switchyard_job_runs_total',
    help: 'Scheduled job runs this instance made, by job and outcome (ok, failed, abandoned).',
    labelNames: ['job', 'outcome'] as const,
    registers,
  });
  const requests = new Histogram({
    name: 'switchyard_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route pattern, method and status class (2xx, 4xx, …).',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });

  return {
    countFailover({ account, reason }) {
      failovers.inc({ account, reason });
    },
    countWebhookEvent({ duplicate }) {
      webhookEvents.inc();
      if (duplicate) webhookDuplicates.inc();
    },
    countWebhookFailure() {
      webhookFailures.inc();
    },
    countJobRun({ job, outcome }) {
      jobRuns.inc({ job, outcome });
    },
    observeRequest({ route, method, statusCode, seconds }) {
      requests.observe({ route, method, status: `${Math.floor(statusCode / 100)}xx` }, seconds);
    },
    async scrape() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
