import type { Kysely } from 'kysely';
import {
  type Account,
  type Credential,
  listCredentials,
  listLiveAccounts,
} from '../accounts/accounts.repository.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { CheckTarget, DoctorCheck } from './check.js';
import { compareFindings, type Finding, type FindingStatus, warn } from './finding.js';

export interface DoctorReport {
  generatedAt: string;
  /** The worst status of any finding. */
  status: FindingStatus;
  findings: Finding[];
}

export interface DoctorService {
  /** Runs every check for the workspace and each account and mode (or only `account`'s). */
  run(workspaceId: string, options?: { account?: string }): Promise<DoctorReport>;
}

export interface DoctorDependencies {
  db: Kysely<Database>;
  clock: Clock;
  checks: readonly DoctorCheck[];
  /** How long checks that call Stripe may take, per account and mode. */
  timeoutMs: number;
}

export function createDoctorService({
  db,
  clock,
  checks,
  timeoutMs,
}: DoctorDependencies): DoctorService {
  async function runCheck(check: DoctorCheck, target: Omit<CheckTarget, 'signal'>) {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve('timeout');
      }, timeoutMs);
    });
    try {
      const result = check.callsStripe
        ? await Promise.race([check.run({ ...target, signal: controller.signal }), timedOut])
        : await check.run({ ...target, signal: controller.signal });
      if (result !== 'timeout') return result;
      const scope = { account: target.account?.handle ?? null, mode: target.mode ?? null };
      return check.codes.map((code) =>
        warn(
          code,
          scope,
          `Not checked: Stripe did not answer the ${check.name} checks within ${timeoutMs / 1000} s.`,
          'Run `switchyard doctor` again; if it keeps timing out, see stripe_unreachable.',
        ),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async run(workspaceId, options = {}) {
      const now = clock();
      let accounts: Account[] = await listLiveAccounts(db, workspaceId);
      if (options.account !== undefined) {
        accounts = accounts.filter((account) => account.handle === options.account);
        if (accounts.length === 0) {
          throw new AppError('not_found', `No account has the handle "${options.account}".`, {
            field: 'account',
            handle: options.account,
          });
        }
      }
      const credentials: Credential[] = await listCredentials(
        db,
        accounts.map((account) => account.accountId),
      );
      const runs: Promise<Finding[]>[] = [];
      for (const check of checks) {
        if (check.scope === 'workspace') {
          if (options.account === undefined) runs.push(runCheck(check, { workspaceId, now }));
          continue;
        }
        for (const account of accounts) {
          for (const credential of credentials) {
            if (credential.accountId !== account.accountId) continue;
            runs.push(
              runCheck(check, { workspaceId, now, account, mode: credential.mode, credential }),
            );
          }
        }
      }
      const findings = (await Promise.all(runs)).flat().sort(compareFindings);
      const status: FindingStatus = findings.some((finding) => finding.status === 'fail')
        ? 'fail'
        : findings.some((finding) => finding.status === 'warn')
          ? 'warn'
          : 'pass';
      return { generatedAt: now.toISOString(), status, findings };
    },
  };
}
