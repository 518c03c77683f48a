import { createAuditLog } from '../audit/audit.service.js';
import type { Config } from '../config.js';
import type { JobDefinition } from '../jobs/job.js';
import { type AlertsDependencies, createAlertsService } from './alerts.service.js';

/** What the jobs take of the runner's dependencies (all-jobs.ts passes its own). */
export type AlertJobDependencies = Omit<AlertsDependencies, 'audit' | 'config'> & {
  config: AlertsDependencies['config'] & Pick<Config, 'jobs'>;
};

/** The `alerts` job (findings, changes, digest, deliveries) and the `key_age` reminders. */
export function alertJobs(deps: AlertJobDependencies): JobDefinition[] {
  const alerts = createAlertsService({
    db: deps.db,
    clock: deps.clock,
    config: deps.config,
    vault: deps.vault,
    audit: createAuditLog({ db: deps.db, clock: deps.clock }),
    doctor: deps.doctor,
  });
  return [
    {
      name: 'alerts',
      intervalMs: deps.config.jobs.alertsMinutes * 60_000,
      async run({ workspaceId }) {
        const run = await alerts.runAlerts(workspaceId);
        return `${run.opened} opened, ${run.resolved} resolved, ${run.changes} changes told${run.digest ? ', digest queued' : ''}; ${run.delivery.sent} sent, ${run.delivery.failed} failed.`;
      },
    },
    {
      name: 'key_age',
      intervalMs: deps.config.jobs.keyAgeMinutes * 60_000,
      async run({ workspaceId }) {
        const { reminded, delivery } = await alerts.remindKeyAges(workspaceId);
        return `${reminded} key reminders queued; ${delivery.sent} sent, ${delivery.failed} failed.`;
      },
    },
  ];
}
