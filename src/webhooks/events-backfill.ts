import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { repeatEvery } from '../repeat.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { StripeGateway, VerifiedWebhookEvent } from '../stripe/gateway.js';
import {
  findEventCursor,
  listRegisteredEndpoints,
  saveEventCursor,
  type WebhookEndpoint,
} from './webhooks.repository.js';
import { subscribedEvents, type WebhooksService } from './webhooks.service.js';

/**
 * Missed webhooks, fetched: Stripe stops retrying a delivery after three days (a few hours in test
 * mode) but keeps every event 30 days in the account's events list. Each run reads each account's
 * list (per mode) from the newest event already read, and stores what it finds through the same
 * ingest as a delivery, so an event is stored once and processed once however it came.
 */

export interface EventsBackfill {
  /** One run over every account and mode; answers how many events were new. */
  backfill(): Promise<number>;
  /** Runs now and every `intervalMs`. */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

export interface EventsBackfillDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  webhooks: Pick<WebhooksService, 'ingest' | 'processPending'>;
  secretKeyOf: (accountId: string, mode: 'test' | 'live') => Promise<string | null>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/** Stripe's largest page. */
const pageSize = 100;
/** Pages per account and run: a long outage is caught up over several runs, not in one burst. */
const pagesPerRun = 10;
/** Stripe keeps events this long. */
const keptSeconds = 30 * 24 * 60 * 60;

export function createEventsBackfill(deps: EventsBackfillDependencies): EventsBackfill {
  const { db, clock, gateway, webhooks, logger } = deps;
  let running: Promise<number> | null = null;
  let repeating: { stop(): Promise<void> } | null = null;

  async function remember(endpoint: WebhookEndpoint, newest: VerifiedWebhookEvent) {
    await saveEventCursor(db, {
      accountId: endpoint.accountId,
      mode: endpoint.mode,
      workspaceId: endpoint.workspaceId,
      lastEventId: newest.id,
      lastEventCreated: newest.created,
      updatedAt: clock().toISOString(),
    });
  }

  async function store(endpoint: WebhookEndpoint, events: VerifiedWebhookEvent[]) {
    let stored = 0;
    for (const event of events) if (await webhooks.ingest(endpoint, event)) stored += 1;
    return stored;
  }

  /** Oldest first from the cursor: each page is the events just newer than the last one read. */
  async function readOn(endpoint: WebhookEndpoint, secretKey: string, lastEventId: string) {
    let stored = 0;
    let cursor = lastEventId;
    for (let page = 0; page < pagesPerRun; page += 1) {
      const { events, hasMore } = await gateway.listEvents({
        credentials: { secretKey },
        types: subscribedEvents,
        endingBefore: cursor,
        limit: pageSize,
      });
      stored += await store(endpoint, events);
      const newest = events[0];
      if (newest) {
        await remember(endpoint, newest);
        cursor = newest.id;
      }
      if (!hasMore || !newest) break;
    }
    return stored;
  }

  /** Newest first back to `since`: the first read of an account, or after the cursor expired. */
  async function readSince(endpoint: WebhookEndpoint, secretKey: string, since: number) {
    let stored = 0;
    let newest: VerifiedWebhookEvent | undefined;
    let startingAfter: string | undefined;
    for (let page = 0; page < pagesPerRun; page += 1) {
      const { events, hasMore } = await gateway.listEvents({
        credentials: { secretKey },
        types: subscribedEvents,
        createdSince: since,
        startingAfter,
        limit: pageSize,
      });
      newest ??= events[0];
      stored += await store(endpoint, events);
      startingAfter = events.at(-1)?.id;
      if (!hasMore || !startingAfter) break;
      if (page === pagesPerRun - 1) {
        logger.warn(
          { account: endpoint.accountId, mode: endpoint.mode },
          'more Stripe events than one backfill reads; older ones were left to reconciliation',
        );
      }
    }
    if (newest) await remember(endpoint, newest);
    return stored;
  }

  async function backfillEndpoint(endpoint: WebhookEndpoint): Promise<number> {
    const secretKey = await deps.secretKeyOf(endpoint.accountId, endpoint.mode);
    if (!secretKey) return 0;
    const cursor = await findEventCursor(db, {
      accountId: endpoint.accountId,
      mode: endpoint.mode,
    });
    const oldest = Math.floor(clock().getTime() / 1000) - keptSeconds;
    if (!cursor) {
      const registered = Math.floor(Date.parse(endpoint.createdAt) / 1000);
      return readSince(endpoint, secretKey, Math.max(registered, oldest));
    }
    try {
      return await readOn(endpoint, secretKey, cursor.lastEventId);
    } catch (error) {
      // The cursor's event is gone (older than 30 days, or Stripe's test data was reset).
      if (!(error instanceof StripeGatewayError) || error.stripeCode !== 'resource_missing') {
        throw error;
      }
      return readSince(endpoint, secretKey, Math.max(cursor.lastEventCreated, oldest));
    }
  }

  async function backfill(): Promise<number> {
    const seen = new Set<string>();
    let stored = 0;
    for (const endpoint of await listRegisteredEndpoints(db)) {
      const key = `${endpoint.accountId}/${endpoint.mode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        stored += await backfillEndpoint(endpoint);
      } catch (error) {
        logger.warn(
          {
            account: endpoint.accountId,
            mode: endpoint.mode,
            err: error instanceof Error ? error.message : String(error),
          },
          'could not read the Stripe events list; will try again',
        );
      }
    }
    if (stored > 0) {
      logger.info({ events: stored }, 'stored Stripe events that no webhook delivered');
      await webhooks.processPending();
    }
    return stored;
  }

  return {
    backfill: function sharedBackfill() {
      running ??= backfill().finally(() => {
        running = null;
      });
      return running;
    },

    start(intervalMs = 60_000) {
      repeating = repeatEvery(intervalMs, this.backfill, (error) =>
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'reading the Stripe events list failed; will try again',
        ),
      );
    },

    async stop() {
      await repeating?.stop();
      repeating = null;
    },
  };
}
