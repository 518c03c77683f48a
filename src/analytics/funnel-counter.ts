import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import type { FunnelEventKind, FunnelEventTable } from '../db/schema-analytics.js';

/** What a page view or a contact submission tells the stats. */
export interface FunnelEvent {
  workspaceId: string;
  funnel: string;
  step: string;
  variant: string | null;
  visitorId: string;
  kind: FunnelEventKind;
}

/**
 * Counts funnel events without making a visitor wait for the database: events are kept in memory
 * and written together, one insert per `flushEvery` or per `batchSize` events. A crash loses at
 * most that last second of counts, never anything of an order or a payment.
 */
export interface FunnelCounter {
  readonly enabled: boolean;
  count(event: FunnelEvent): void;
  /** Writes what is held; the stats read after it see every event counted before. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface FunnelCounterOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** FUNNEL_STATS: off counts nothing. */
  enabled: boolean;
  flushEveryMs?: number;
  batchSize?: number;
}

export function createFunnelCounter(options: FunnelCounterOptions): FunnelCounter {
  const { db, clock, logger, enabled } = options;
  const flushEveryMs = options.flushEveryMs ?? 1_000;
  const batchSize = options.batchSize ?? 500;
  let held: FunnelEventTable[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const rows = held;
    held = [];
    // One write at a time, in order; a failed write is logged, and the visitors saw nothing of it.
    writing = writing.then(async () => {
      if (rows.length === 0) return;
      try {
        await db.insertInto('funnel_events').values(rows).execute();
      } catch (error) {
        logger.warn({ err: error, events: rows.length }, 'funnel stats: events not written');
      }
    });
    return writing;
  }

  return {
    enabled,
    count(event) {
      if (!enabled) return;
      const now = clock().toISOString();
      held.push({
        event_id: newId('fev'),
        workspace_id: event.workspaceId,
        funnel_slug: event.funnel,
        step_slug: event.step,
        variant: event.variant,
        visitor_id: event.visitorId,
        kind: event.kind,
        day: now.slice(0, 10),
        created_at: now,
      });
      if (held.length >= batchSize) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), flushEveryMs);
        timer.unref();
      }
    },
    flush,
    close: flush,
  };
}
