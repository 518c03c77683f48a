import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { maskSecret } from '../accounts/vault.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import type { JobDefinition } from './job.js';
import {
  abandonRunningRuns,
  extendLease,
  finishRun,
  forgetRunsBefore,
  hasFinishedRun,
  insertRun,
  type JobOutcome,
  releaseLease,
  takeLease,
} from './jobs.repository.js';

/**
 * The job runner every instance runs (issue 14's "Jobs"). Each job's time is cut into slots
 * `intervalMs` wide, aligned to the epoch; at every tick, each job whose current slot has no
 * finished run is run by whichever instance takes its lease in the database. The holder keeps the
 * lease alive while it works; a holder that dies stops doing so, its lease expires, and the next
 * instance to tick marks its run abandoned and runs the slot itself.
 */
export interface JobRunner {
  /** This process among the instances: `host-pid-random`, recorded with every run it makes. */
  readonly instanceId: string;
  readonly jobs: readonly JobDefinition[];
  /** Ticks now and every few seconds until `stop`. */
  start(): void;
  /** Stops ticking, aborts the runs in flight and waits for them to end. */
  stop(): Promise<void>;
  /** One tick: runs what is due at `now`; resolves when the runs this tick started have ended. */
  runDue(now?: Date): Promise<FinishedRun[]>;
}

export interface FinishedRun {
  runId: string;
  job: string;
  slotStart: string;
  outcome: Exclude<JobOutcome, 'running'>;
}

export interface JobRunnerOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  jobs: readonly JobDefinition[];
  workspaceId: string;
  /** Tests give each runner a name; by default `host-pid-random`. */
  instanceId?: string;
  /** How often the runner looks for due jobs, in real time. */
  tickMs?: number;
  /** Counts each run by job and outcome; tests of the runner alone go without. */
  metrics?: Pick<Metrics, 'countJobRun'>;
}

/** A holder's lease lasts this long unless the job says otherwise; it is renewed while it runs. */
export const defaultLeaseMs = 5 * 60_000;
const defaultTickMs = 5_000;
/** Runs are kept this long (`switchyard jobs list`), then forgotten by the job's next run. */
export const keptRunsMs = 30 * 24 * 60 * 60_000;

const shuttingDown = () => new Error('the instance is shutting down');

/** The start of the slot `now` falls in. */
export function slotStartOf(intervalMs: number, now: Date): Date {
  return new Date(Math.floor(now.getTime() / intervalMs) * intervalMs);
}

export function newInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { db, clock, logger, jobs, workspaceId } = options;
  const instanceId = options.instanceId ?? newInstanceId();
  const names = jobs.map((job) => job.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  // Jobs share nothing but their name's lease: two of one name would stall each other.
  if (twice !== undefined)
    throw new Error(`Two jobs are named "${twice}"; each needs its own name.`);
  const inFlight = new Map<string, Promise<FinishedRun | null>>();
  const controllers = new Set<AbortController>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const at = (time: number) => new Date(time).toISOString();

  /** Runs the job for its slot if this instance wins the lease; null when it had nothing to do. */
  async function runSlot(job: JobDefinition, now: Date): Promise<FinishedRun | null> {
    const slotStart = slotStartOf(job.intervalMs, now).toISOString();
    const leaseMs = job.leaseMs ?? defaultLeaseMs;
    const slot = { workspaceId, job: job.name, slotStart };
    const lease = { workspaceId, job: job.name, holder: instanceId };
    if (await hasFinishedRun(db, slot)) return null;
    const won = await takeLease(db, {
      ...lease,
      slotStart,
      now: now.toISOString(),
      expiresAt: at(now.getTime() + leaseMs),
    });
    if (!won) return null;
    try {
      // Another instance may have finished the slot between the look above and the lease.
      if (await hasFinishedRun(db, slot)) return null;
      const abandoned = await abandonRunningRuns(db, {
        workspaceId,
        job: job.name,
        now: clock().toISOString(),
        error: `Its instance stopped before the run finished (its lease expired); ${instanceId} took the slot over.`,
      });
      if (abandoned > 0) {
        logger.warn(
          { job: job.name, slot: slotStart, instance: instanceId },
          'took over a job whose instance stopped mid-run',
        );
      }
      const runId = newId('run');
      await insertRun(db, {
        runId,
        ...slot,
        instance: instanceId,
        startedAt: clock().toISOString(),
      });
      const end = await execute(job, slotStart, leaseMs);
      await finishRun(db, runId, { finishedAt: clock().toISOString(), ...end });
      options.metrics?.countJobRun({ job: job.name, outcome: end.outcome });
      await forgetRunsBefore(db, {
        workspaceId,
        job: job.name,
        before: at(now.getTime() - keptRunsMs),
      });
      return { runId, job: job.name, slotStart, outcome: end.outcome };
    } finally {
      await releaseLease(db, lease);
    }
  }

  /** Runs the job itself, keeping the lease alive meanwhile; never throws. */
  async function execute(job: JobDefinition, slotStart: string, leaseMs: number) {
    const controller = new AbortController();
    controllers.add(controller);
    // Told to stop while it took the lease: the job starts aborted and gives the slot back.
    if (stopped) controller.abort(shuttingDown());
    const lease = { workspaceId, job: job.name, holder: instanceId };
    const renewal = setInterval(
      function renewLease() {
        extendLease(db, { ...lease, expiresAt: at(clock().getTime() + leaseMs) }).then(
          (kept) => {
            if (kept) return;
            logger.warn({ job: job.name, slot: slotStart }, 'another instance took over this job');
            controller.abort(new Error('another instance took the lease over'));
          },
          // The database is away for a moment; the lease holds until it expires.
          () => {},
        );
      },
      Math.max(1_000, Math.floor(leaseMs / 3)),
    );
    renewal.unref();
    const started = Date.now();
    try {
      const summary = await job.run({
        workspaceId,
        slotStart: new Date(slotStart),
        signal: controller.signal,
      });
      logger.info({ job: job.name, slot: slotStart, ms: Date.now() - started }, 'job ran');
      // What a job says of itself is shown to people too: the same masking as for errors.
      return {
        outcome: 'ok' as const,
        summary: summary === undefined ? null : withoutSecrets(summary),
        error: null,
      };
    } catch (error) {
      const message = withoutSecrets(error instanceof Error ? error.message : String(error));
      if (controller.signal.aborted) {
        logger.warn(
          { job: job.name, slot: slotStart, err: message },
          'job stopped before it finished',
        );
        return {
          outcome: 'abandoned' as const,
          summary: null,
          error: stopped
            ? `The instance shut down before the run finished (${message}); the next instance to tick runs the slot again.`
            : `Another instance took the lease over before the run finished (${message}).`,
        };
      }
      logger.error(
        { job: job.name, slot: slotStart, err: message },
        'job failed; it runs again in its next slot',
      );
      return { outcome: 'failed' as const, summary: null, error: message };
    } finally {
      clearInterval(renewal);
      controllers.delete(controller);
    }
  }

  function runDue(now: Date = clock()): Promise<FinishedRun[]> {
    if (stopped) return Promise.resolve([]);
    const started: Promise<FinishedRun | null>[] = [];
    for (const job of jobs) {
      // A job still running from an earlier tick is not started again beside itself.
      if (inFlight.has(job.name)) continue;
      const run = runSlot(job, now)
        .catch((error: unknown) => {
          logger.warn(
            {
              job: job.name,
              err: withoutSecrets(error instanceof Error ? error.message : String(error)),
            },
            'could not run the job this tick; the next tick tries again',
          );
          return null;
        })
        .finally(() => inFlight.delete(job.name));
      inFlight.set(job.name, run);
      started.push(run);
    }
    return Promise.all(started).then((runs) => runs.filter((run) => run !== null));
  }

  return {
    instanceId,
    jobs,
    start() {
      if (timer || stopped) return;
      void runDue();
      timer = setInterval(() => void runDue(), options.tickMs ?? defaultTickMs);
      // The runner must not keep a finished process alive.
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      for (const controller of controllers) controller.abort(shuttingDown());
      await Promise.all(inFlight.values());
    },
    runDue,
  };
}

/** Keeps an error's words and drops what could open something: keys, secrets, credentials in URLs. */
export function withoutSecrets(message: string): string {
  return message
    .replace(/\b(sk|rk)_(test|live)_[A-Za-z0-9]+/g, (key) => maskSecret(key))
    .replace(
      /\b(whsec|rt|syt)_[A-Za-z0-9_-]{8,}/g,
      (secret) => `${secret.slice(0, secret.indexOf('_') + 1)}…`,
    )
    .replace(/\b(https?|smtps?):\/\/[^\s/@]+@/g, '$1://…@')
    .replace(/hooks\.slack\.com\/services\/\S+/g, 'hooks.slack.com/services/…')
    .slice(0, 1_000);
}
