import type { Kysely } from 'kysely';
import type { Database, OAuthStateTable } from '../db/schema.js';

/** One "Connect with Stripe" attempt: it carries the handle to Stripe's callback, once. */
export interface OAuthState {
  stateId: string;
  workspaceId: string;
  handle: string;
  actor: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

export async function insertOAuthState(db: Kysely<Database>, state: OAuthState): Promise<void> {
  await db.insertInto('oauth_states').values(oauthStateRowOf(state)).execute();
}

export async function findOAuthState(
  db: Kysely<Database>,
  stateId: string,
): Promise<OAuthState | undefined> {
  const row = await db
    .selectFrom('oauth_states')
    .selectAll()
    .where('state_id', '=', stateId)
    .executeTakeFirst();
  return row && oauthStateOf(row);
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

function oauthStateOf(row: OAuthStateTable): OAuthState {
  return {
    stateId: row.state_id,
    workspaceId: row.workspace_id,
    handle: row.handle,
    actor: row.actor,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

function oauthStateRowOf(state: OAuthState): OAuthStateTable {
  return {
    state_id: state.stateId,
    workspace_id: state.workspaceId,
    handle: state.handle,
    actor: state.actor,
    created_at: state.createdAt,
    expires_at: state.expiresAt,
    used_at: state.usedAt,
  };
}
