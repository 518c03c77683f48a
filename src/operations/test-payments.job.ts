import type { Kysely } from 'kysely';
import { listCredentials, listLiveAccounts } from '../accounts/accounts.repository.js';
import type { Database } from '../db/schema.js';
import type { JobDefinition } from '../jobs/job.js';
import type { TestPayments } from './test-payments.js';

/**
 * The scheduled `test_payments` job: one test payment per enabled account and mode it has keys
 * for. Each result is kept whatever it is; the run fails, with every failure in its sentence,
 * when any did, so `switchyard jobs list` shows it beside doctor's `test_payment_failed`.
 */
export function createTestPaymentsJob(deps: {
  db: Kysely<Database>;
  testPayments: Pick<TestPayments, 'runOn'>;
  intervalMinutes: number;
}): JobDefinition {
  return {
    name: 'test_payments',
    intervalMs: deps.intervalMinutes * 60_000,
    async run({ workspaceId, signal }) {
      const accounts = (await listLiveAccounts(deps.db, workspaceId)).filter(
        (account) => account.enabled,
      );
      const credentials = await listCredentials(
        deps.db,
        accounts.map((account) => account.accountId),
      );
      const passed: string[] = [];
      const failed: string[] = [];
      for (const account of accounts) {
        for (const { mode } of credentials.filter((one) => one.accountId === account.accountId)) {
          signal.throwIfAborted();
          const run = await deps.testPayments.runOn(account, mode, 'job:test_payments', signal);
          if (run.outcome === 'succeeded') passed.push(`${account.handle} ${mode}`);
          else failed.push(`${account.handle} ${mode}: ${run.errorCode ?? 'failed'} (${run.id})`);
        }
      }
      if (passed.length + failed.length === 0) return 'No enabled account has keys to test.';
      const summary = `Test payments passed on ${passed.length} of ${passed.length + failed.length} accounts and modes${passed.length > 0 ? `: ${passed.join(', ')}` : ''}.`;
      if (failed.length > 0) throw new Error(`${summary} Failed: ${failed.join('; ')}.`);
      return summary;
    },
  };
}
