import type { Kysely } from 'kysely';
import type { Database, RoutingRampTable } from '../db/schema.js';

export type RampStatus = RoutingRampTable['status'];

/** One migration ramp: the new account's percentages, written one routing version per step. */
export interface Ramp {
  rampId: string;
  workspaceId: string;
  from: string;
  to: string;
  /** The new account's percentage at each step, strictly increasing, e.g. [10, 25, 50, 100]. */
  steps: number[];
  everySeconds: number;
  /** Index into steps of the next step to write; equal to steps.length once done. */
  nextStep: number;
  /** When the next step is due; null once the ramp is done or canceled. */
  nextAt: string | null;
  status: RampStatus;
  /** The routing version the last written step made. */
  lastVersion: number | null;
  /** Why the last attempt at a step failed; cleared by the next step written. */
  lastError: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export async function insertRamp(db: Kysely<Database>, ramp: Ramp): Promise<void> {
  await db
    .insertInto('routing_ramps')
    .values({
      ramp_id: ramp.rampId,
      workspace_id: ramp.workspaceId,
      from_handle: ramp.from,
      to_handle: ramp.to,
      steps: JSON.stringify(ramp.steps),
      every_seconds: ramp.everySeconds,
      next_step: ramp.nextStep,
      next_at: ramp.nextAt,
      status: ramp.status,
      last_version: ramp.lastVersion,
      last_error: ramp.lastError,
      created_by: ramp.createdBy,
      created_at: ramp.createdAt,
      updated_at: ramp.updatedAt,
    })
    .execute();
}

export async function findRamp(
  db: Kysely<Database>,
  workspaceId: string,
  rampId: string,
): Promise<Ramp | undefined> {
  const row = await db
    .selectFrom('routing_ramps')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('ramp_id', '=', rampId)
    .executeTakeFirst();
  return row && rampOf(row);
}

/** The active ramp from one account to another, if there is one. */
export async function findActiveRamp(
  db: Kysely<Database>,
  workspaceId: string,
  pair: { from: string; to: string },
): Promise<Ramp | undefined> {
  const row = await db
    .selectFrom('routing_ramps')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('from_handle', '=', pair.from)
    .where('to_handle', '=', pair.to)
    .executeTakeFirst();
  return row && rampOf(row);
}

/** Every ramp, newest first, or only the active ones. */
export async function listRamps(
  db: Kysely<Database>,
  workspaceId: string,
  filter: { activeOnly: boolean },
): Promise<Ramp[]> {
  let query = db.selectFrom('routing_ramps').selectAll().where('workspace_id', '=', workspaceId);
  if (filter.activeOnly) query = query.where('status', '=', 'active');
  const rows = await query.orderBy('created_at', 'desc').orderBy('ramp_id').execute();
  return rows.map(rampOf);
}

/** The active ramps whose next step is due at `now`, oldest due first. */
export async function listDueRamps(
  db: Kysely<Database>,
  workspaceId: string,
  now: string,
): Promise<Ramp[]> {
  const rows = await db
    .selectFrom('routing_ramps')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('next_at', '<=', now)
    .orderBy('next_at')
    .orderBy('ramp_id')
    .execute();
  return rows.map(rampOf);
}

/**
 * Marks step `step` written, only if it is still the next one: false when another writer (a
 * second instance, a cancel) got there first, so the caller's version must not stand.
 */
export async function advanceRamp(
  db: Kysely<Database>,
  change: {
    rampId: string;
    step: number;
    nextAt: string | null;
    status: RampStatus;
    now: string;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('routing_ramps')
    .set({
      next_step: change.step + 1,
      next_at: change.nextAt,
      status: change.status,
      last_error: null,
      updated_at: change.now,
    })
    .where('ramp_id', '=', change.rampId)
    .where('status', '=', 'active')
    .where('next_step', '=', change.step)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Keeps why a step could not be written; the step stays due and is tried again at `retryAt`. */
export async function recordRampError(
  db: Kysely<Database>,
  failure: { rampId: string; step: number; error: string; retryAt: string; now: string },
): Promise<void> {
  await db
    .updateTable('routing_ramps')
    .set({ last_error: failure.error, next_at: failure.retryAt, updated_at: failure.now })
    .where('ramp_id', '=', failure.rampId)
    .where('status', '=', 'active')
    .where('next_step', '=', failure.step)
    .execute();
}

/** Stops an active ramp; false when it was not active any more. */
export async function cancelRamp(
  db: Kysely<Database>,
  cancel: { rampId: string; now: string },
): Promise<boolean> {
  const result = await db
    .updateTable('routing_ramps')
    .set({ status: 'canceled', next_at: null, updated_at: cancel.now })
    .where('ramp_id', '=', cancel.rampId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

function rampOf(row: RoutingRampTable): Ramp {
  return {
    rampId: row.ramp_id,
    workspaceId: row.workspace_id,
    from: row.from_handle,
    to: row.to_handle,
    steps: JSON.parse(row.steps) as number[],
    everySeconds: Number(row.every_seconds),
    nextStep: Number(row.next_step),
    nextAt: row.next_at,
    status: row.status,
    lastVersion: row.last_version === null ? null : Number(row.last_version),
    lastError: row.last_error,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The routing version a step wrote, kept beside the ramp for `accounts ramp --list`. */
export async function setRampVersion(
  db: Kysely<Database>,
  rampId: string,
  version: number | null,
): Promise<void> {
  await db
    .updateTable('routing_ramps')
    .set({ last_version: version })
    .where('ramp_id', '=', rampId)
    .execute();
}

/** Forgets a ramp whose first step was refused: it never ran. */
export async function deleteRamp(db: Kysely<Database>, rampId: string): Promise<void> {
  await db.deleteFrom('routing_ramps').where('ramp_id', '=', rampId).execute();
}
