import type { JobDefinition } from '../jobs/job.js';
import type { UnrecordedPayments } from './unrecorded-payments.js';

/**
 * The scheduled `reconcile_unrecorded` job: searches each account and mode for PaymentIntents
 * with Switchyard's metadata made since the last run, and adopts or keeps what it finds. An
 * account Stripe did not answer for fails the run, and is searched from the same place next time.
 */
export function createUnrecordedPaymentsJob(deps: {
  unrecordedPayments: Pick<UnrecordedPayments, 'reconcile'>;
  intervalMinutes: number;
}): JobDefinition {
  return {
    name: 'reconcile_unrecorded',
    intervalMs: deps.intervalMinutes * 60_000,
    async run({ workspaceId, signal }) {
      const run = await deps.unrecordedPayments.reconcile(workspaceId, { signal });
      const summary = `Searched ${run.searched} accounts and modes: ${run.adopted.length} unrecorded payments adopted into their orders, ${run.open.length} newly found that cannot be (see doctor's unrecorded_payments).`;
      if (run.failed.length > 0) {
        const failures = run.failed.map((one) => `${one.account} ${one.mode}: ${one.message}`);
        throw new Error(`${summary} Not searched: ${failures.join('; ')}`);
      }
      return summary;
    },
  };
}
