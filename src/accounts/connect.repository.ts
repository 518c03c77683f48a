import type { Kysely } from 'kysely';
import type { Database, OAuthStateTable } from '../db/schema.js';

export async function insertOAuthState(
  db: Kysely<Database>,
  state: OAuthStateTable,
): Promise<void> {
  await db.insertInto('oauth_states').values(state).execute();
}

export async function findOAuthState(
  db: Kysely<Database>,
  stateId: string,
): Promise<OAuthStateTable | undefined> {
  return db
    .selectFrom('oauth_states')
    .selectAll()
    .where('state_id', '=', stateId)
    .executeTakeFirst();
}

/** Marks a state used; false when another request used it first (a replay). */
export async function useOAuthState(
  db: Kysely<Database>,
  stateId: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_states')
    .set({ used_at: at })
    .where('state_id', '=', stateId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
