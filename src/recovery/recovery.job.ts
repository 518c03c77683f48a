import type { JobDefinition } from '../jobs/job.js';
import type { Recovery } from './recovery.service.js';

/** How often abandoned checkouts are looked for; a buyer hears from us within this of the wait. */
const recoveryIntervalMinutes = 5;

/**
 * The scheduled `recover_abandoned` job: one email to each buyer who left an order unpaid for
 * ABANDONED_AFTER_MINUTES and ticked the merchant's consent checkbox.
 */
export function createRecoveryJob(deps: { recovery: Pick<Recovery, 'sendDue'> }): JobDefinition {
  return {
    name: 'recover_abandoned',
    intervalMs: recoveryIntervalMinutes * 60_000,
    async run({ workspaceId }) {
      const run = await deps.recovery.sendDue(workspaceId);
      if (run.off) return run.off;
      const summary = `${run.sent} recovery emails sent; ${run.paid} orders paid before theirs went out.`;
      if (run.failed.length > 0) {
        const failures = run.failed.map((one) => `${one.orderId}: ${one.message}`);
        throw new Error(`${summary} Not sent, and not tried again: ${failures.join('; ')}`);
      }
      return summary;
    },
  };
}
