import type { Clock } from '../clock.js';
import type { JobDefinition } from '../jobs/job.js';
import type { RampService } from './ramp.service.js';

/** Steps are due at whole minutes at best ("30m"), so looking once a minute is on time. */
const rampIntervalMs = 60_000;

/**
 * The scheduled `routing_ramps` job: writes the due steps of every migration ramp. The job's lease
 * keeps instances from running it at once; the step's conditional write keeps a step single even
 * if two runs overlap.
 */
export function createRampJob(deps: {
  ramps: Pick<RampService, 'runDue'>;
  clock: Clock;
}): JobDefinition {
  return {
    name: 'routing_ramps',
    intervalMs: rampIntervalMs,
    async run({ workspaceId }) {
      const results = await deps.ramps.runDue(workspaceId, deps.clock());
      if (results.length === 0) return 'No ramp step is due.';
      const written = results
        .filter((result) => result.outcome === 'written')
        .map((result) => `${result.from} -> ${result.to}: ${result.percent} %`);
      const failed = results
        .filter((result) => result.outcome === 'failed')
        .map((result) => `${result.from} -> ${result.to}: ${result.percent} %: ${result.error}`);
      const summary = `Wrote ${written.length} ramp step${written.length === 1 ? '' : 's'}${written.length > 0 ? `: ${written.join(', ')}` : ''}.`;
      if (failed.length > 0) throw new Error(`${summary} Failed: ${failed.join('; ')}`);
      return summary;
    },
  };
}
