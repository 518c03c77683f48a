import type { Kysely } from 'kysely';
import type { AccountBreakerTable, Database } from '../db/schema.js';

export async function findBreaker(
  db: Kysely<Database>,
  accountId: string,
  mode: 'test' | 'live',
): Promise<AccountBreakerTable | undefined> {
  return db
    .selectFrom('account_breakers')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('mode', '=', mode)
    .executeTakeFirst();
}

export async function listBreakers(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<AccountBreakerTable[]> {
  if (accountIds.length === 0) return [];
  return db
    .selectFrom('account_breakers')
    .selectAll()
    .where('account_id', 'in', accountIds)
    .execute();
}

/** False when another instance created the row first; the caller reads it and tries again. */
export async function insertBreaker(
  db: Kysely<Database>,
  breaker: AccountBreakerTable,
): Promise<boolean> {
  try {
    await db.insertInto('account_breakers').values(breaker).execute();
    return true;
  } catch (error) {
    if (await findBreaker(db, breaker.account_id, breaker.mode)) return false;
    throw error;
  }
}

/**
 * Writes the breaker only if nobody else wrote it since it was read at `revision`; false means
 * the caller lost the race and must read again.
 */
export async function updateBreakerAt(
  db: Kysely<Database>,
  breaker: AccountBreakerTable,
  revision: number,
): Promise<boolean> {
  const result = await db
    .updateTable('account_breakers')
    .set({ ...breaker, revision: revision + 1 })
    .where('account_id', '=', breaker.account_id)
    .where('mode', '=', breaker.mode)
    .where('revision', '=', revision)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
