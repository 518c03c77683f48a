import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import {
  createJobRunner,
  type JobRunner,
  type JobRunnerOptions,
  slotStartOf,
} from './job-runner.js';
import { type JobRun, listRuns } from './jobs.repository.js';

export type { JobRun };

/** A job as `switchyard jobs list` shows it: how often it runs and when its next slot begins. */
export interface JobSchedule {
  name: string;
  intervalMinutes: number;
  /** The start of the slot after the current one. */
  nextSlot: string;
}

export interface JobsListing {
  jobs: JobSchedule[];
  /** The latest runs, newest first. */
  runs: JobRun[];
}

/** The scheduled jobs: the runner of this instance, and what every instance's runs recorded. */
export interface JobsService extends JobRunner {
  /** Names of the jobs there are, for the edges to check `--job` / `?job=` against. */
  readonly names: readonly string[];
  /** Each job's schedule and the latest runs of every instance, of one job when `job` is given. */
  list(workspaceId: string, query?: { job?: string; limit?: number }): Promise<JobsListing>;
}

export const defaultRunsListed = 20;

export function createJobsService(
  options: JobRunnerOptions & { db: Kysely<Database>; clock: Clock; enabled: boolean },
): JobsService {
  const runner = createJobRunner(options);
  const names = options.jobs.map((job) => job.name);
  return {
    ...runner,
    names,
    // With JOBS=off this instance runs nothing; it still lists what other instances ran.
    start: () => {
      if (options.enabled) runner.start();
    },
    async list(workspaceId, query = {}) {
      const now = options.clock();
      return {
        jobs: options.jobs
          .filter((job) => query.job === undefined || job.name === query.job)
          .map((job) => ({
            name: job.name,
            intervalMinutes: job.intervalMs / 60_000,
            nextSlot: new Date(
              slotStartOf(job.intervalMs, now).getTime() + job.intervalMs,
            ).toISOString(),
          })),
        runs: await listRuns(options.db, {
          workspaceId,
          job: query.job,
          limit: query.limit ?? defaultRunsListed,
        }),
      };
    },
  };
}
