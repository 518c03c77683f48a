import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { HealthState } from '../routing/index.js';
import { type Account, findLiveAccountByHandle, listCredentials } from './accounts.repository.js';
import {
  type Breaker,
  findBreaker,
  insertBreaker,
  listBreakers,
  type RecordedOutcome,
  updateBreakerAt,
} from './health.repository.js';
import type { Mode } from './key-verification.js';
import type { LiveAccounts, LiveAccountsCache } from './live-accounts.js';

/**
 * Health per account and mode (docs/design.md §3): a circuit breaker fed by the outcome of every call
 * to Stripe, kept in the database so every instance sees the same state, combined with what
 * Stripe told us about the account (charges disabled, key rejected, access revoked).
 */

export interface BreakerSettings {
  /** Opens after this many account-level failures in a row. */
  consecutiveFailures: number;
  /** ... or when more than `failureRate` of the last `windowSize` attempts failed. */
  windowSize: number;
  failureRate: number;
  /** How long an open breaker refuses calls before it lets one trial through. */
  cooldownSeconds: number;
}

export const defaultBreakerSettings: BreakerSettings = {
  consecutiveFailures: 5,
  windowSize: 20,
  failureRate: 0.5,
  cooldownSeconds: 30,
};

export type BreakerState = 'closed' | 'open' | 'half_open';

/** What one call to Stripe on an account told us about that account. */
export interface CallOutcome {
  ok: boolean;
  /** The gateway's failure kind (`connection`, `stripe_error`, …) when it failed. */
  kind?: string | null;
  stripeCode?: string | null;
  httpStatus?: number | null;
  requestId?: string | null;
  message?: string | null;
}

export type { RecordedOutcome };

export interface ModeHealth {
  mode: Mode;
  health: HealthState;
  /** One sentence saying why, for the admin and the CLI. */
  reason: string;
  breaker: BreakerState;
  consecutiveFailures: number;
  /** Since the breaker last changed state, over at most the window. */
  recentAttempts: number;
  recentFailureCount: number;
  openedAt: string | null;
  /** When an open breaker lets its trial request through. */
  trialAt: string | null;
  /** The latest failures, newest first: what led to this state. */
  recentFailures: RecordedOutcome[];
}

export interface AccountHealth {
  handle: string;
  accountId: string;
  /** Per mode the account has credentials for. */
  modes: Partial<Record<Mode, ModeHealth>>;
}

/** The health of accounts read at one moment, and the breakers it was read from. */
export interface LiveHealth {
  accounts: AccountHealth[];
  breakers: readonly Breaker[];
}

/** Whether a call may go to an account now: through a closed breaker, as the one trial, or not. */
export type Admission = 'closed' | 'trial' | 'refused';

/** Each account's health per mode, and the circuit breakers that every call to Stripe feeds. */
export interface HealthService {
  /** Records what a call to Stripe on an account and mode told about the account. */
  recordOutcome(
    target: { workspaceId: string; accountId: string; mode: Mode },
    outcome: CallOutcome,
  ): Promise<void>;
  /**
   * Asks the breaker before a call; a half-open breaker admits exactly one trial. `read`: the
   * breakers the caller has just read (`healthOf`), so this one is not read again.
   */
  admitCall(accountId: string, mode: Mode, read?: readonly Breaker[]): Promise<Admission>;
  /** Every live account's health in one mode: what routing uses as `context.health`. */
  listHealth(workspaceId: string, mode: Mode): Promise<AccountHealth[]>;
  /** The same for accounts the caller has read already: only their breakers are read. */
  healthOf(live: LiveAccounts, mode: Mode): Promise<LiveHealth>;
  /** One account's health in every mode it has keys for. */
  showHealth(workspaceId: string, handle: string): Promise<AccountHealth>;
}

export interface HealthDependencies {
  db: Kysely<Database>;
  liveAccounts: Pick<LiveAccountsCache, 'of'>;
  clock: Clock;
  settings: BreakerSettings;
}

/** A breaker's state at `now`: an open one is half-open once its cooldown has passed. */
export function breakerStateAt(
  breaker: Pick<Breaker, 'state' | 'stateChangedAt'> | undefined,
  now: number,
  cooldownMs: number,
): BreakerState {
  if (!breaker || breaker.state === 'closed') return 'closed';
  return now - Date.parse(breaker.stateChangedAt) >= cooldownMs ? 'half_open' : 'open';
}

const rejectedKeyKinds = new Set(['authentication', 'permission']);
/** How many outcomes a breaker keeps to show, even when the window is smaller. */
const minimumKept = 20;

export function createHealthService({
  db,
  clock,
  settings,
  liveAccounts,
}: HealthDependencies): HealthService {
  const cooldownMs = settings.cooldownSeconds * 1000;

  function effectiveState(breaker: Breaker | undefined, now: number): BreakerState {
    return breakerStateAt(breaker, now, cooldownMs);
  }

  function trialInFlight(breaker: Breaker, now: number): boolean {
    // A trial whose caller died never reports back; after another cooldown a new one may go.
    return breaker.trialStartedAt !== null && now - Date.parse(breaker.trialStartedAt) < cooldownMs;
  }

  function freshBreaker(workspaceId: string, accountId: string, mode: Mode, at: string): Breaker {
    return {
      accountId,
      mode,
      workspaceId,
      state: 'closed',
      consecutiveFailures: 0,
      epoch: 0,
      recent: [],
      stateChangedAt: at,
      trialStartedAt: null,
      revision: 0,
      updatedAt: at,
    };
  }

  /** The breaker after one more outcome: the state machine of docs/design.md §3. */
  function applyOutcome(breaker: Breaker, outcome: CallOutcome, now: Date): Breaker {
    const at = now.toISOString();
    const state = effectiveState(breaker, now.getTime());
    const entry: RecordedOutcome = {
      at,
      ok: outcome.ok,
      kind: outcome.kind ?? null,
      stripeCode: outcome.stripeCode ?? null,
      httpStatus: outcome.httpStatus ?? null,
      requestId: outcome.requestId ?? null,
      message: outcome.message ?? null,
      epoch: breaker.epoch,
    };
    const recent = [...breaker.recent, entry].slice(-Math.max(settings.windowSize, minimumKept));
    const next = { ...breaker, recent, updatedAt: at };
    const changeState = (to: 'closed' | 'open'): Breaker => ({
      ...next,
      state: to,
      epoch: breaker.epoch + 1,
      stateChangedAt: at,
      trialStartedAt: null,
      consecutiveFailures: to === 'closed' ? 0 : next.consecutiveFailures,
    });

    if (outcome.ok) {
      if (state === 'half_open') return changeState('closed');
      return {
        ...next,
        consecutiveFailures: state === 'closed' ? 0 : breaker.consecutiveFailures,
      };
    }
    next.consecutiveFailures = breaker.consecutiveFailures + 1;
    if (state === 'half_open') return changeState('open');
    if (state === 'open') return next;
    const window = recent
      .filter((item) => item.epoch === breaker.epoch)
      .slice(-settings.windowSize);
    const failures = window.filter((item) => !item.ok).length;
    const tooManyInARow = next.consecutiveFailures >= settings.consecutiveFailures;
    const tooManyInWindow =
      window.length >= settings.windowSize && failures / window.length > settings.failureRate;
    return tooManyInARow || tooManyInWindow ? changeState('open') : next;
  }

  /**
   * A success on a closed breaker whose kept outcomes are all successes of its current epoch
   * changes nothing the state machine or an operator reads (one success replaces another), so it
   * is not written: a busy account's every payment would otherwise rewrite one shared row.
   */
  function successChangesNothing(breaker: Breaker, outcome: CallOutcome): boolean {
    if (!outcome.ok || breaker.state !== 'closed' || breaker.consecutiveFailures !== 0) {
      return false;
    }
    const kept = breaker.recent;
    return (
      kept.length >= Math.max(settings.windowSize, minimumKept) &&
      kept.every((item) => item.ok && item.epoch === breaker.epoch)
    );
  }

  async function recordOutcome(
    target: { workspaceId: string; accountId: string; mode: Mode },
    outcome: CallOutcome,
  ): Promise<void> {
    // Optimistic retries: another instance may write the same breaker between read and write.
    // Writers that lost a round wait a random moment, so a crowd of them does not collide again.
    for (let round = 0; round < 30; round++) {
      if (round > 0) await pause(Math.random() * Math.min(2 * round, 20));
      const now = clock();
      const existing = await findBreaker(db, target.accountId, target.mode);
      if (!existing) {
        const created = applyOutcome(
          freshBreaker(target.workspaceId, target.accountId, target.mode, now.toISOString()),
          outcome,
          now,
        );
        if (await insertBreaker(db, created)) return;
        continue;
      }
      if (successChangesNothing(existing, outcome)) return;
      if (await updateBreakerAt(db, applyOutcome(existing, outcome, now), existing.revision)) {
        return;
      }
    }
    throw new Error(`could not record the outcome on breaker ${target.accountId}/${target.mode}`);
  }

  async function admitCall(
    accountId: string,
    mode: Mode,
    read?: readonly Breaker[],
  ): Promise<Admission> {
    for (let round = 0; round < 10; round++) {
      const now = clock();
      const breaker =
        round === 0 && read
          ? read.find((known) => known.accountId === accountId && known.mode === mode)
          : await findBreaker(db, accountId, mode);
      const state = effectiveState(breaker, now.getTime());
      if (!breaker || state === 'closed') return 'closed';
      if (state === 'open' || trialInFlight(breaker, now.getTime())) return 'refused';
      const claimed = { ...breaker, trialStartedAt: now.toISOString() };
      if (await updateBreakerAt(db, claimed, breaker.revision)) return 'trial';
    }
    return 'refused';
  }

  function describeMode(
    account: Account,
    mode: Mode,
    keySince: string,
    breaker: Breaker | undefined,
    now: number,
  ): ModeHealth {
    const recent = breaker?.recent ?? [];
    const state = effectiveState(breaker, now);
    const current = breaker
      ? recent.filter((item) => item.epoch === breaker.epoch).slice(-settings.windowSize)
      : [];
    const currentFailures = current.filter((item) => !item.ok);
    const last = recent.at(-1);
    // What a call learnt counts until someone fixes the account and Stripe confirms it.
    const sinceFix = [keySince, account.verifiedAt ?? ''].reduce((a, b) => (a > b ? a : b));
    const lastFailure = last && !last.ok && last.at >= sinceFix ? last : undefined;
    const openedAt = breaker && breaker.state === 'open' ? breaker.stateChangedAt : null;
    const base = {
      mode,
      breaker: state,
      consecutiveFailures: breaker?.consecutiveFailures ?? 0,
      recentAttempts: current.length,
      recentFailureCount: currentFailures.length,
      openedAt,
      trialAt: openedAt === null ? null : new Date(Date.parse(openedAt) + cooldownMs).toISOString(),
      recentFailures: recent.filter((item) => !item.ok).reverse(),
    };
    const verdict = (health: HealthState, reason: string): ModeHealth => ({
      ...base,
      health,
      reason,
    });

    if (account.status === 'disconnected') {
      return verdict(
        'disconnected',
        account.statusReason ?? 'Stripe no longer accepts our access.',
      );
    }
    if (lastFailure?.kind != null && rejectedKeyKinds.has(lastFailure.kind)) {
      return verdict(
        'disconnected',
        `Stripe rejected the ${mode} key at ${lastFailure.at} (${describeFailure(lastFailure)}). Replace it with a working key from Stripe's dashboard.`,
      );
    }
    if (account.status === 'restricted') {
      return verdict('restricted', account.statusReason ?? 'Stripe has disabled charges.');
    }
    if (lastFailure?.stripeCode === 'account_invalid') {
      return verdict(
        'restricted',
        `Stripe refused a charge at ${lastFailure.at}: ${lastFailure.message ?? 'the account cannot take charges'}. Resolve it in the Stripe dashboard, then verify the account again.`,
      );
    }
    if (state === 'open' && breaker) {
      return verdict(
        'down',
        `The circuit breaker opened at ${breaker.stateChangedAt} after ${breaker.consecutiveFailures} failed calls; it lets one trial through at ${base.trialAt}.`,
      );
    }
    if (state === 'half_open' && breaker) {
      return trialInFlight(breaker, now)
        ? verdict('down', 'The circuit breaker is half-open and its one trial call is under way.')
        : verdict(
            'degraded',
            'The circuit breaker is half-open: the next call is a trial; success closes it, failure opens it again.',
          );
    }
    if (currentFailures.length > 0) {
      return verdict(
        'degraded',
        `${currentFailures.length} of the last ${current.length} calls failed; the latest: ${describeFailure(currentFailures.at(-1))}.`,
      );
    }
    return verdict('healthy', 'No recent failures.');
  }

  async function describeAccounts(
    accounts: readonly Account[],
    modeFilter?: Mode,
  ): Promise<AccountHealth[]> {
    const ids = accounts.map((account) => account.accountId);
    const [credentials, breakers] = await Promise.all([
      listCredentials(db, ids),
      listBreakers(db, ids),
    ]);
    return describeWith({ accounts, credentials }, breakers, modeFilter);
  }

  function describeWith(
    { accounts, credentials }: LiveAccounts,
    breakers: readonly Breaker[],
    modeFilter?: Mode,
  ): AccountHealth[] {
    const now = clock().getTime();
    return accounts.map((account) => {
      const modes: Partial<Record<Mode, ModeHealth>> = {};
      for (const credential of credentials) {
        if (credential.accountId !== account.accountId) continue;
        if (modeFilter !== undefined && credential.mode !== modeFilter) continue;
        const breaker = breakers.find(
          (item) => item.accountId === account.accountId && item.mode === credential.mode,
        );
        modes[credential.mode] = describeMode(
          account,
          credential.mode,
          credential.createdAt,
          breaker,
          now,
        );
      }
      return { handle: account.handle, accountId: account.accountId, modes };
    });
  }

  async function healthOf(live: LiveAccounts, mode: Mode): Promise<LiveHealth> {
    const breakers = await listBreakers(
      db,
      live.accounts.map((account) => account.accountId),
    );
    return { accounts: describeWith(live, breakers, mode), breakers };
  }

  return {
    recordOutcome,
    admitCall,

    async listHealth(workspaceId, mode) {
      return (await healthOf(await liveAccounts.of(workspaceId), mode)).accounts;
    },

    healthOf,

    async showHealth(workspaceId, handle) {
      const account = await findLiveAccountByHandle(db, workspaceId, handle);
      if (!account) {
        throw new AppError('not_found', `No account has the handle "${handle}".`, { handle });
      }
      const [health] = await describeAccounts([account]);
      if (!health) throw new Error('describeAccounts lost a row');
      return health;
    },
  };
}

function describeFailure(outcome: RecordedOutcome | undefined): string {
  if (!outcome) return 'unknown';
  const parts = [
    outcome.httpStatus === null ? 'no answer' : `HTTP ${outcome.httpStatus}`,
    outcome.stripeCode ?? outcome.kind,
  ].filter((part) => part !== null);
  return parts.join(' ');
}

/** Real time, not the service's clock: a retry's back-off, which tests never wait on otherwise. */
function pause(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
