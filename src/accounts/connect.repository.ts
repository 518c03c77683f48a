import type { Kysely } from 'kysely';
import type { ConnectCallbackFailureTable, Database, OAuthStateTable } from '../db/schema.js';

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

/** A "Connect with Stripe" return that connected nothing, as the merchant was told. */
export interface ConnectCallbackFailure {
  failureId: string;
  /** Null when the link carried no state Switchyard issued. */
  workspaceId: string | null;
  handle: string | null;
  outcome: string;
  /** Stripe's own error on the return (`access_denied`) or on the code exchange. */
  stripeError: string | null;
  message: string;
  occurredAt: string;
}

export async function insertConnectCallbackFailure(
  db: Kysely<Database>,
  failure: ConnectCallbackFailure,
): Promise<void> {
  await db
    .insertInto('connect_callback_failures')
    .values({
      failure_id: failure.failureId,
      workspace_id: failure.workspaceId,
      handle: failure.handle,
      outcome: failure.outcome,
      stripe_error: failure.stripeError?.slice(0, 200) ?? null,
      message: failure.message.slice(0, 1000),
      occurred_at: failure.occurredAt,
    })
    .execute();
}

/** Failures since `since`, newest first: the workspace's, and those no workspace could be told of. */
export async function listConnectCallbackFailures(
  db: Kysely<Database>,
  query: { workspaceId: string; since: string },
): Promise<ConnectCallbackFailure[]> {
  const rows = await db
    .selectFrom('connect_callback_failures')
    .selectAll()
    .where((eb) =>
      eb.or([eb('workspace_id', '=', query.workspaceId), eb('workspace_id', 'is', null)]),
    )
    .where('occurred_at', '>=', query.since)
    .orderBy('occurred_at', 'desc')
    .execute();
  return rows.map(connectCallbackFailureOf);
}

function connectCallbackFailureOf(row: ConnectCallbackFailureTable): ConnectCallbackFailure {
  return {
    failureId: row.failure_id,
    workspaceId: row.workspace_id,
    handle: row.handle,
    outcome: row.outcome,
    stripeError: row.stripe_error,
    message: row.message,
    occurredAt: row.occurred_at,
  };
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
