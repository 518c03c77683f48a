import { isAppError } from '../errors.js';
import type { JobDefinition } from '../jobs/job.js';
import type { AccountsService } from './accounts.service.js';

/**
 * The scheduled `verify` job: reads every account (each of its modes) from Stripe again, so a
 * key rolled in the dashboard or charges disabled by Stripe show as the account's health before a
 * buyer meets them. The audit log hears of it only when health or charges moved.
 */
export function createVerifyJob(deps: {
  accounts: Pick<AccountsService, 'listAccounts' | 'verifyAccount'>;
  intervalMinutes: number;
  /** How long one call to Stripe may take. */
  timeoutMs: number;
}): JobDefinition {
  return {
    name: 'verify',
    intervalMs: deps.intervalMinutes * 60_000,
    async run({ workspaceId, signal }) {
      const accounts = await deps.accounts.listAccounts(workspaceId);
      if (accounts.length === 0) return 'No accounts to verify.';
      const verified: string[] = [];
      const unreachable: string[] = [];
      for (const { handle } of accounts) {
        signal.throwIfAborted();
        try {
          const { account } = await deps.accounts.verifyAccount(workspaceId, handle, 'job:verify', {
            auditOnlyChanges: true,
            timeoutMs: deps.timeoutMs,
            signal,
          });
          verified.push(`${handle} ${account.health}`);
        } catch (error) {
          // One account Stripe does not answer for must not keep the others unverified.
          if (!isAppError(error) || error.code !== 'stripe_unreachable') throw error;
          unreachable.push(error.message);
        }
      }
      const summary = `Verified ${verified.length} of ${accounts.length} accounts${verified.length > 0 ? `: ${verified.join(', ')}` : ''}.`;
      if (unreachable.length > 0) {
        throw new Error(`${summary} ${unreachable.join(' ')}`);
      }
      return summary;
    },
  };
}
