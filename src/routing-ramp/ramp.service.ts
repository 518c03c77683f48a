import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { type RampPair, rampDocument } from './ramp.document.js';
import {
  advanceRamp,
  cancelRamp,
  deleteRamp,
  findActiveRamp,
  findRamp,
  insertRamp,
  listDueRamps,
  listRamps,
  type Ramp,
  recordRampError,
  setRampVersion,
} from './ramp.repository.js';
import { stepsProblem } from './ramp.schedule.js';

export type { Ramp };

export interface RampInput extends RampPair {
  /** The new account's percentage at each step, strictly increasing, 1 to 100. */
  steps: number[];
  everySeconds: number;
}

export interface StartedRamp {
  ramp: Ramp;
  /** The routing version the first step wrote; null when the document already read so. */
  version: number | null;
  /** Where the split went: "rule euro-sales", "funnel pin webinar", … */
  ramped: string[];
  /** What a ramp cannot split: "product pin coaching stays on us", … */
  notRamped: string[];
}

/** What one due step came to. */
export interface RampStepResult {
  rampId: string;
  from: string;
  to: string;
  percent: number;
  /** written: this call wrote it; taken: another instance (or a cancel) got there first. */
  outcome: 'written' | 'taken' | 'failed';
  version: number | null;
  error?: string;
}

/**
 * Migration ramps (issue 16): a schedule that raises a new account's share of a split over an
 * old one, one routing version per step, run by the `routing_ramps` job.
 */
export interface RampService {
  /** Stores the ramp and writes its first step now; the next ones follow `everySeconds` apart. */
  start(workspaceId: string, input: RampInput, actor: string): Promise<StartedRamp>;
  /** Stops the active ramp of the pair; the routing version it wrote last stays active. */
  cancel(workspaceId: string, pair: RampPair, actor: string): Promise<Ramp>;
  list(workspaceId: string, options?: { activeOnly?: boolean }): Promise<Ramp[]>;
  show(workspaceId: string, rampId: string): Promise<Ramp>;
  /** Writes every step due at `now`, each once however many instances call it. */
  runDue(workspaceId: string, now: Date): Promise<RampStepResult[]>;
}

export interface RampDependencies {
  db: Kysely<Database>;
  clock: Clock;
  routingConfig: Pick<RoutingConfigService, 'showActive' | 'applyDocument'>;
}

/** The routing version's message for a step, exactly as issue 16 writes it. */
export function stepMessage(pair: RampPair, percent: number): string {
  return `ramp ${pair.from} -> ${pair.to}: ${percent} %`;
}

/** A failed step is tried again this soon, or at the ramp's own pace if that is sooner. */
const retrySeconds = 15 * 60;

/**
 * When the step after this one is due: `everySeconds` after this one was due, so a job that runs
 * a minute late does not push the schedule; after downtime, `everySeconds` from now, so missed
 * steps are not written back to back.
 */
function nextStepAt(ramp: Ramp, now: Date): string {
  const due = new Date(ramp.nextAt ?? now).getTime() + ramp.everySeconds * 1000;
  return new Date(
    due > now.getTime() ? due : now.getTime() + ramp.everySeconds * 1000,
  ).toISOString();
}

/** Thrown inside a step's transaction when another writer wrote the step first. */
class StepTaken extends Error {}

export function createRampService(deps: RampDependencies): RampService {
  const { db, clock, routingConfig } = deps;
  const later = (now: Date, seconds: number) =>
    new Date(now.getTime() + seconds * 1000).toISOString();

  /**
   * Writes step `ramp.nextStep` as one routing version. The conditional advance of next_step runs
   * in the version's own transaction: a second writer advances nothing and its version is undone.
   */
  async function writeStep(ramp: Ramp, now: Date, actor: string) {
    const step = ramp.nextStep;
    const percent = ramp.steps[step] ?? 100;
    const { document } = await routingConfig.showActive(ramp.workspaceId);
    const next = rampDocument(document, ramp, percent);
    const last = step + 1 >= ramp.steps.length;
    const applied = await routingConfig.applyDocument(ramp.workspaceId, next.document, {
      actor,
      message: stepMessage(ramp, percent),
      async alongside(trx) {
        const advanced = await advanceRamp(trx, {
          rampId: ramp.rampId,
          step,
          nextAt: last ? null : nextStepAt(ramp, now),
          status: last ? 'done' : 'active',
          now: now.toISOString(),
        });
        if (!advanced)
          throw new StepTaken(`Step ${step + 1} of ramp ${ramp.rampId} was written already.`);
      },
    });
    if (applied.changed) await setRampVersion(db, ramp.rampId, applied.version);
    return { applied, ...next, percent };
  }

  async function refuseBadInput(workspaceId: string, input: RampInput) {
    const problem = stepsProblem(input.steps);
    if (problem) throw AppError.validation([{ field: 'steps', message: problem }]);
    if (!Number.isInteger(input.everySeconds) || input.everySeconds < 60) {
      throw AppError.validation([
        { field: 'everySeconds', message: 'the time between steps is at least a minute' },
      ]);
    }
    if (input.from === input.to) {
      throw AppError.validation([
        {
          field: 'to',
          message: `a ramp moves payments from one account to another, not from ${input.from} to itself`,
        },
      ]);
    }
    const { document } = await routingConfig.showActive(workspaceId);
    for (const [role, handle] of [
      ['from', input.from],
      ['to', input.to],
    ] as const) {
      if (!document.accounts.some((account) => account.handle === handle)) {
        throw new AppError('not_found', `There is no account "${handle}" to ramp ${role}.`, {
          handle,
        });
      }
    }
    const running = await findActiveRamp(db, workspaceId, input);
    if (running) {
      throw new AppError(
        'conflict',
        `A ramp from ${input.from} to ${input.to} is running already (${running.steps[running.nextStep]} % next, at ${running.nextAt}). Cancel it before starting another.`,
        { rampId: running.rampId },
      );
    }
    const preview = rampDocument(document, input, input.steps[0] ?? 100);
    if (preview.ramped.length === 0) {
      throw new AppError(
        'unprocessable',
        `Nothing sends new payments to ${input.from}: no rule, funnel pin or step pin uses it and it is not the primary, so there is nothing to ramp.`,
        { notRamped: preview.notRamped },
      );
    }
  }

  return {
    async start(workspaceId, input, actor) {
      await refuseBadInput(workspaceId, input);
      const now = clock();
      const ramp: Ramp = {
        rampId: newId('ramp'),
        workspaceId,
        from: input.from,
        to: input.to,
        steps: input.steps,
        everySeconds: input.everySeconds,
        nextStep: 0,
        nextAt: now.toISOString(),
        status: 'active',
        lastVersion: null,
        lastError: null,
        createdBy: actor,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      await insertRamp(db, ramp);
      try {
        // The first step is written now, so the merchant sees it take effect at once.
        const written = await writeStep(ramp, now, actor);
        return {
          ramp: await this.show(workspaceId, ramp.rampId),
          version: written.applied.changed ? written.applied.version : null,
          ramped: written.ramped,
          notRamped: written.notRamped,
        };
      } catch (error) {
        // A first step the routing refuses leaves no ramp behind to retry it.
        await deleteRamp(db, ramp.rampId);
        throw error;
      }
    },

    async cancel(workspaceId, pair) {
      const running = await findActiveRamp(db, workspaceId, pair);
      if (
        !running ||
        !(await cancelRamp(db, { rampId: running.rampId, now: clock().toISOString() }))
      ) {
        throw new AppError('not_found', `No ramp from ${pair.from} to ${pair.to} is running.`);
      }
      return this.show(workspaceId, running.rampId);
    },

    list: (workspaceId, options = {}) =>
      listRamps(db, workspaceId, { activeOnly: options.activeOnly ?? false }),

    async show(workspaceId, rampId) {
      const ramp = await findRamp(db, workspaceId, rampId);
      if (!ramp) throw new AppError('not_found', `There is no ramp ${rampId}.`, { rampId });
      return ramp;
    },

    async runDue(workspaceId, now) {
      const results: RampStepResult[] = [];
      for (const ramp of await listDueRamps(db, workspaceId, now.toISOString())) {
        const base = {
          rampId: ramp.rampId,
          from: ramp.from,
          to: ramp.to,
          percent: ramp.steps[ramp.nextStep] ?? 100,
        };
        try {
          const { applied } = await writeStep(ramp, now, `ramp:${ramp.createdBy}`);
          results.push({
            ...base,
            outcome: 'written',
            version: applied.changed ? applied.version : null,
          });
        } catch (error) {
          // Whatever the error, a step another writer (or a cancel) took is not ours to retry.
          const after = await findRamp(db, workspaceId, ramp.rampId);
          if (
            error instanceof StepTaken ||
            !after ||
            after.nextStep !== ramp.nextStep ||
            after.status !== 'active'
          ) {
            results.push({ ...base, outcome: 'taken', version: null });
            continue;
          }
          const message = error instanceof Error ? error.message : String(error);
          await recordRampError(db, {
            rampId: ramp.rampId,
            step: ramp.nextStep,
            error: message,
            retryAt: later(now, Math.min(retrySeconds, ramp.everySeconds)),
            now: now.toISOString(),
          });
          results.push({ ...base, outcome: 'failed', version: null, error: message });
        }
      }
      return results;
    },
  };
}
