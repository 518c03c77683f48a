import type { Kysely } from 'kysely';
import { prepareQuery, prepareUpdate } from '../db/prepared-query.js';
import type { AccountBreakerTable, Database } from '../db/schema.js';
import type { Mode } from './key-verification.js';

/** What one call to Stripe on an account told its breaker, as kept to show and to count. */
export interface RecordedOutcome {
  at: string;
  ok: boolean;
  kind: string | null;
  stripeCode: string | null;
  httpStatus: number | null;
  requestId: string | null;
  message: string | null;
  /** The breaker period it was recorded in; the failure rate counts only the current one. */
  epoch: number;
}

/** The circuit breaker of one account and mode, shared by every instance through the database. */
export interface Breaker {
  accountId: string;
  mode: Mode;
  workspaceId: string;
  /** Half-open is not stored: it is an open breaker whose cooldown has passed. */
  state: 'closed' | 'open';
  consecutiveFailures: number;
  /** Bumped on every state change; the failure rate counts only outcomes of the current epoch. */
  epoch: number;
  /** The latest outcomes, newest last. */
  recent: RecordedOutcome[];
  stateChangedAt: string;
  /** When the one trial request of a half-open breaker was let through. */
  trialStartedAt: string | null;
  /** Optimistic lock: every write checks and bumps it, so instances never lose an outcome. */
  revision: number;
  updatedAt: string;
}

const findBreakerRow = prepareQuery<{ accountId: string; mode: Mode }, AccountBreakerTable>(
  (db, slot) =>
    db
      .selectFrom('account_breakers')
      .selectAll()
      .where('account_id', '=', slot('accountId'))
      .where('mode', '=', slot('mode')),
);

export async function findBreaker(
  db: Kysely<Database>,
  accountId: string,
  mode: Mode,
): Promise<Breaker | undefined> {
  const [row] = (await findBreakerRow.execute(db, { accountId, mode })).rows;
  return row && breakerOf(row);
}

export async function listBreakers(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<Breaker[]> {
  if (accountIds.length === 0) return [];
  const rows = await db
    .selectFrom('account_breakers')
    .selectAll()
    .where('account_id', 'in', accountIds)
    .execute();
  return rows.map(breakerOf);
}

/** False when another instance created the row first; the caller reads it and tries again. */
export async function insertBreaker(db: Kysely<Database>, breaker: Breaker): Promise<boolean> {
  try {
    await db.insertInto('account_breakers').values(breakerRowOf(breaker)).execute();
    return true;
  } catch (error) {
    if (await findBreaker(db, breaker.accountId, breaker.mode)) return false;
    throw error;
  }
}

/**
 * Writes the breaker only if nobody else wrote it since it was read at `revision`; false means
 * the caller lost the race and must read again.
 */
const updateBreakerRow = prepareUpdate<
  'account_breakers',
  { accountId: string; mode: Mode; revision: number }
>((db, set, slot) =>
  db
    .updateTable('account_breakers')
    .set(set)
    .where('account_id', '=', slot('accountId'))
    .where('mode', '=', slot('mode'))
    .where('revision', '=', slot('revision')),
);

export async function updateBreakerAt(
  db: Kysely<Database>,
  breaker: Breaker,
  revision: number,
): Promise<boolean> {
  const result = await updateBreakerRow.execute(
    db,
    { ...breakerRowOf(breaker), revision: revision + 1 },
    { accountId: breaker.accountId, mode: breaker.mode, revision },
  );
  return result.numAffectedRows === 1n;
}

function breakerOf(row: AccountBreakerTable): Breaker {
  return {
    accountId: row.account_id,
    mode: row.mode,
    workspaceId: row.workspace_id,
    state: row.state,
    consecutiveFailures: row.consecutive_failures,
    epoch: row.epoch,
    recent: JSON.parse(row.recent) as RecordedOutcome[],
    stateChangedAt: row.state_changed_at,
    trialStartedAt: row.trial_started_at,
    revision: row.revision,
    updatedAt: row.updated_at,
  };
}

function breakerRowOf(breaker: Breaker): AccountBreakerTable {
  return {
    account_id: breaker.accountId,
    mode: breaker.mode,
    workspace_id: breaker.workspaceId,
    state: breaker.state,
    consecutive_failures: breaker.consecutiveFailures,
    epoch: breaker.epoch,
    recent: JSON.stringify(breaker.recent),
    state_changed_at: breaker.stateChangedAt,
    trial_started_at: breaker.trialStartedAt,
    revision: breaker.revision,
    updated_at: breaker.updatedAt,
  };
}
