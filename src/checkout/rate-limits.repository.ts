import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Counts one request against each key in one statement, for every instance at once: the upsert is
 * atomic, so two instances counting the same key never both read the same number. Keys are
 * written in sorted order, so two requests locking the same rows on PostgreSQL cannot deadlock.
 */
export async function countHits(
  db: Kysely<Database>,
  input: { keys: readonly string[]; windowStart: string },
): Promise<Map<string, number>> {
  const keys = [...new Set(input.keys)].sort();
  const rows = await db
    .insertInto('checkout_limit_hits')
    .values(keys.map((key) => ({ limit_key: key, window_start: input.windowStart, hits: 1 })))
    .onConflict((conflict) =>
      conflict
        .columns(['limit_key', 'window_start'])
        .doUpdateSet((update) => ({ hits: update('checkout_limit_hits.hits', '+', 1) })),
    )
    .returning(['limit_key', 'hits'])
    .execute();
  return new Map(rows.map((row) => [row.limit_key, Number(row.hits)]));
}

/** Forgets the counts of windows that ended: no limit reads them again. */
export async function deleteWindowsBefore(
  db: Kysely<Database>,
  windowStart: string,
): Promise<void> {
  await db.deleteFrom('checkout_limit_hits').where('window_start', '<', windowStart).execute();
}
