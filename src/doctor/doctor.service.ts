import type { Kysely } from 'kysely';
import {
  type Account,
  type Credential,
  listCredentials,
  listLiveAccounts,
} from '../accounts/accounts.repository.js';
import type { Mode } from '../accounts/key-verification.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { CheckTarget, DoctorCheck } from './check.js';
import { type CapReading, readCaps } from './checks/cap-readings.js';
import {
  compareFindings,
  type Finding,
  type FindingCode,
  type FindingScope,
  type FindingStatus,
  fail,
  warn,
} from './finding.js';

export interface DoctorReport {
  generatedAt: string;
  /** The worst status of any finding. */
  status: FindingStatus;
  counts: Record<FindingStatus, number>;
  /** Fails first, then warnings, then passes (see `compareFindings`). */
  findings: Finding[];
}

export interface DoctorService {
  /** Every code the registered checks answer, in their order: what the README must explain. */
  readonly codes: readonly FindingCode[];
  /** Runs every check for the workspace and each account and mode (or only `account`'s). */
  run(workspaceId: string, options?: { account?: string }): Promise<DoctorReport>;
  /**
   * The account's volume caps with what it took of each this UTC day or month, per mode it has
   * keys for: what `cap_near` reads, for the console's account page.
   */
  readCaps(workspaceId: string, handle: string): Promise<Partial<Record<Mode, CapReading[]>>>;
}

export interface DoctorDependencies {
  db: Kysely<Database>;
  clock: Clock;
  checks: readonly DoctorCheck[];
  /** How long checks that call Stripe may take, per account and mode. */
  timeoutMs: number;
}

type Place = Omit<CheckTarget, 'signal'>;

/**
 * Runs every group at once. Groups that call Stripe for one account and mode share one deadline:
 * when it passes their signal aborts and each of their codes answers a warning, so one hung
 * account never holds up the report. A group that throws answers a failure per code instead of
 * sinking the whole report.
 */
export function createDoctorService({
  db,
  clock,
  checks,
  timeoutMs,
}: DoctorDependencies): DoctorService {
  const seconds = `${timeoutMs / 1000} s`;

  async function runGroup(check: DoctorCheck, place: Place, deadline: Deadline) {
    const scope: FindingScope = {
      account: place.account?.handle ?? null,
      mode: place.mode ?? null,
    };
    const where = place.account ? ` for ${place.account.handle} (${place.mode})` : '';
    const again = place.account
      ? `switchyard doctor --account ${place.account.handle}`
      : 'switchyard doctor';
    const running = check.run({ ...place, signal: deadline.signal });
    try {
      const result = check.callsStripe
        ? await Promise.race([running, deadline.passed])
        : await running;
      if (result !== 'timeout') return result;
      return check.codes.map((code) =>
        warn(
          code,
          scope,
          `Not checked: Stripe did not answer the ${check.name} checks${where} within ${seconds} (DOCTOR_TIMEOUT_MS).`,
          `Run "${again}" again; if it keeps timing out, see stripe_unreachable, or raise DOCTOR_TIMEOUT_MS.`,
        ),
      );
    } catch (error) {
      const message = withoutSecrets(error instanceof Error ? error.message : String(error));
      return check.codes.map((code) =>
        fail(
          code,
          scope,
          `Not checked: the ${check.name} checks${where} failed: ${message}`,
          `Mend what the detail names and run "${again}" again; if it names nothing you can mend, report it with this detail.`,
        ),
      );
    }
  }

  return {
    codes: [...new Set(checks.flatMap((check) => check.codes))],

    async readCaps(workspaceId, handle) {
      const account = (await listLiveAccounts(db, workspaceId)).find(
        (one) => one.handle === handle,
      );
      if (!account?.caps?.length) return {};
      const now = clock();
      const readings: Partial<Record<Mode, CapReading[]>> = {};
      for (const { mode } of await listCredentials(db, [account.accountId])) {
        readings[mode] = await readCaps(db, {
          workspaceId,
          accountId: account.accountId,
          caps: account.caps,
          mode,
          now,
        });
      }
      return readings;
    },

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
      const places: Place[] = options.account === undefined ? [{ workspaceId, now }] : [];
      for (const account of accounts) {
        for (const credential of credentials) {
          if (credential.accountId !== account.accountId) continue;
          places.push({ workspaceId, now, account, mode: credential.mode, credential });
        }
      }
      const deadlines = places.map(() => startDeadline(timeoutMs));
      try {
        const runs = places.flatMap((place, index) => {
          const deadline = deadlines[index] as Deadline;
          const scope = place.account ? 'account' : 'workspace';
          return checks
            .filter((check) => check.scope === scope)
            .map((check) => runGroup(check, place, deadline));
        });
        const findings = (await Promise.all(runs)).flat().sort(compareFindings);
        return reportOf(now, findings);
      } finally {
        for (const deadline of deadlines) deadline.stop();
      }
    },
  };
}

export function reportOf(now: Date, findings: Finding[]): DoctorReport {
  const counts: Record<FindingStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const finding of findings) counts[finding.status] += 1;
  const status: FindingStatus = counts.fail > 0 ? 'fail' : counts.warn > 0 ? 'warn' : 'pass';
  return { generatedAt: now.toISOString(), status, counts, findings };
}

interface Deadline {
  signal: AbortSignal;
  /** Resolves with `timeout` when the time is up (and the signal aborts). */
  passed: Promise<'timeout'>;
  stop(): void;
}

function startDeadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`the doctor's ${timeoutMs} ms ran out`));
      resolve('timeout');
    }, timeoutMs);
  });
  return { signal: controller.signal, passed, stop: () => clearTimeout(timer) };
}

/** An error's words may quote a key (Stripe's "Invalid API Key provided: sk_…"): keep its tail. */
export function withoutSecrets(text: string): string {
  return text.replace(
    /\b(sk|rk)_(test|live)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9]+|\b(ac|rt|sk)_[A-Za-z0-9]{16,}/g,
    (secret) =>
      `${/^(sk|rk)_(test|live)_/.exec(secret)?.[0] ?? secret.slice(0, 3)}…${secret.slice(-4)}`,
  );
}
