import type { Kysely } from 'kysely';
import type { Database, JobRunTable } from '../db/schema.js';

export type JobOutcome = JobRunTable['outcome'];

/** One run of a job for one slot, as `switchyard jobs list` shows it. */
export interface JobRun {
  runId: string;
  job: string;
  slotStart: string;
  instance: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: JobOutcome;
  summary: string | null;
  error: string | null;
}

export interface LeaseKey {
  workspaceId: string;
  job: string;
  holder: string;
}

/**
 * Takes the job's lease for a slot in one statement: a new row, or the row of a holder whose lease
 * has expired. Two instances asking at once cannot both win; the winner gets `true`.
 */
export async function takeLease(
  db: Kysely<Database>,
  lease: LeaseKey & { slotStart: string; now: string; expiresAt: string },
): Promise<boolean> {
  const taken = await db
    .insertInto('job_leases')
    .values({
      workspace_id: lease.workspaceId,
      job: lease.job,
      slot_start: lease.slotStart,
      holder: lease.holder,
      acquired_at: lease.now,
      expires_at: lease.expiresAt,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['workspace_id', 'job'])
        .doUpdateSet((update) => ({
          slot_start: update.ref('excluded.slot_start'),
          holder: update.ref('excluded.holder'),
          acquired_at: update.ref('excluded.acquired_at'),
          expires_at: update.ref('excluded.expires_at'),
        }))
        .where('job_leases.expires_at', '<=', lease.now),
    )
    .returning('holder')
    .executeTakeFirst();
  return taken !== undefined;
}

/** Keeps a lease its holder still works under; `false` when another instance has taken it. */
export async function extendLease(
  db: Kysely<Database>,
  lease: LeaseKey & { expiresAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('job_leases')
    .set({ expires_at: lease.expiresAt })
    .where('workspace_id', '=', lease.workspaceId)
    .where('job', '=', lease.job)
    .where('holder', '=', lease.holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function releaseLease(db: Kysely<Database>, lease: LeaseKey): Promise<void> {
  await db
    .deleteFrom('job_leases')
    .where('workspace_id', '=', lease.workspaceId)
    .where('job', '=', lease.job)
    .where('holder', '=', lease.holder)
    .execute();
}

/** Whether the job's slot has a run that finished (ok or failed): then it is done. */
export async function hasFinishedRun(
  db: Kysely<Database>,
  slot: { workspaceId: string; job: string; slotStart: string },
): Promise<boolean> {
  const row = await db
    .selectFrom('job_runs')
    .select('run_id')
    .where('workspace_id', '=', slot.workspaceId)
    .where('job', '=', slot.job)
    .where('slot_start', '=', slot.slotStart)
    .where('outcome', 'in', ['ok', 'failed'])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks the job's runs still `running` as abandoned: their holder's lease expired unfinished. */
export async function abandonRunningRuns(
  db: Kysely<Database>,
  input: { workspaceId: string; job: string; now: string; error: string },
): Promise<number> {
  const result = await db
    .updateTable('job_runs')
    .set({ outcome: 'abandoned', finished_at: input.now, error: input.error })
    .where('workspace_id', '=', input.workspaceId)
    .where('job', '=', input.job)
    .where('outcome', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertRun(
  db: Kysely<Database>,
  run: {
    runId: string;
    workspaceId: string;
    job: string;
    slotStart: string;
    instance: string;
    startedAt: string;
  },
): Promise<void> {
  await db
    .insertInto('job_runs')
    .values({
      run_id: run.runId,
      workspace_id: run.workspaceId,
      job: run.job,
      slot_start: run.slotStart,
      instance: run.instance,
      started_at: run.startedAt,
      finished_at: null,
      outcome: 'running',
      summary: null,
      error: null,
    })
    .execute();
}

/** Records how a run ended; a run already marked abandoned by a new holder stays abandoned. */
export async function finishRun(
  db: Kysely<Database>,
  runId: string,
  end: {
    finishedAt: string;
    outcome: Exclude<JobOutcome, 'running'>;
    summary: string | null;
    error: string | null;
  },
): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({
      finished_at: end.finishedAt,
      outcome: end.outcome,
      summary: end.summary,
      error: end.error,
    })
    .where('run_id', '=', runId)
    .where('outcome', '=', 'running')
    .execute();
}

/** Deletes the job's finished runs of slots before `before`: the history kept is bounded. */
export async function forgetRunsBefore(
  db: Kysely<Database>,
  input: { workspaceId: string; job: string; before: string },
): Promise<void> {
  await db
    .deleteFrom('job_runs')
    .where('workspace_id', '=', input.workspaceId)
    .where('job', '=', input.job)
    .where('slot_start', '<', input.before)
    .where('outcome', '!=', 'running')
    .execute();
}

/** The latest runs, newest first, of every job or of one. */
export async function listRuns(
  db: Kysely<Database>,
  query: { workspaceId: string; job?: string | undefined; limit: number },
): Promise<JobRun[]> {
  let select = db
    .selectFrom('job_runs')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .orderBy('started_at', 'desc')
    .orderBy('run_id', 'desc')
    .limit(query.limit);
  if (query.job !== undefined) select = select.where('job', '=', query.job);
  return (await select.execute()).map(runOf);
}

function runOf(row: JobRunTable): JobRun {
  return {
    runId: row.run_id,
    job: row.job,
    slotStart: row.slot_start,
    instance: row.instance,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    summary: row.summary,
    error: row.error,
  };
}
