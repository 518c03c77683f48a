import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { loadConfig } from '../config.js';
import { createSetupRevisions } from '../db/setup-revision.js';
import { insertAccount, upsertCredential } from './accounts.repository.js';
import {
  type CallOutcome,
  createHealthService,
  defaultBreakerSettings,
  type HealthService,
} from './health.service.js';
import { createLiveAccountsCache } from './live-accounts.js';

const workspaceId = 'default';
const accountId = 'acc_health_test';
const at = '2030-01-01T00:00:00.000Z';
const failure: CallOutcome = {
  ok: false,
  kind: 'stripe_error',
  httpStatus: 500,
  requestId: 'req_1',
};
const success: CallOutcome = { ok: true };

describeEachDatabase('the circuit breaker of an account', (database) => {
  let store: TestStore;
  let now: number;

  function healthWith(settings = defaultBreakerSettings): HealthService {
    const revisions = createSetupRevisions(store.db);
    return createHealthService({
      db: store.db,
      clock: () => new Date(now),
      settings,
      liveAccounts: createLiveAccountsCache({ db: store.db, revisions }),
    });
  }

  async function record(health: HealthService, outcomes: CallOutcome[]) {
    for (const outcome of outcomes) {
      await health.recordOutcome({ workspaceId, accountId, mode: 'test' }, outcome);
    }
  }

  async function stateOf(health: HealthService) {
    const shown = (await health.showHealth(workspaceId, 'us')).modes.test;
    if (!shown) throw new Error('no test mode');
    return shown;
  }

  beforeEach(async () => {
    now = Date.parse(at);
    store = await database.openMigrated();
    await insertAccount(store.db, {
      accountId,
      workspaceId,
      handle: 'us',
      label: 'US',
      purpose: '',
      role: 'primary',
      priority: 0,
      currencies: null,
      enabled: true,
      drain: false,
      connectedBy: 'api_keys',
      stripeAccountId: 'acct_1',
      country: 'US',
      defaultCurrency: 'usd',
      chargesEnabled: true,
      disabledReason: null,
      status: 'healthy',
      statusReason: null,
      verifiedAt: at,
      createdAt: at,
      updatedAt: at,
      removedAt: null,
      caps: null,
    });
    await upsertCredential(store.db, {
      accountId,
      mode: 'test',
      workspaceId,
      kind: 'secret_key',
      sealedSecret: 'sealed',
      maskedSecret: 'sk_test_…abcd',
      publishableKey: 'pk_test_abcd',
      sealedRefreshToken: null,
      scope: null,
      createdAt: at,
    });
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('is healthy with no calls, degraded after a failure, and open after five in a row', async () => {
    const health = healthWith();
    expect(await stateOf(health)).toMatchObject({ health: 'healthy', breaker: 'closed' });
    await record(health, [failure]);
    expect(await stateOf(health)).toMatchObject({ health: 'degraded', breaker: 'closed' });
    await record(health, [failure, failure, failure]);
    expect((await stateOf(health)).breaker).toBe('closed');
    await record(health, [failure]);
    const open = await stateOf(health);
    expect(open).toMatchObject({ health: 'down', breaker: 'open', consecutiveFailures: 5 });
    expect(open.trialAt).toBe('2030-01-01T00:00:30.000Z');
    expect(open.reason).toContain('after 5 failed calls');
    expect(open.recentFailures[0]).toMatchObject({ requestId: 'req_1', httpStatus: 500 });
  });

  it('opens when more than half of the last 20 calls failed, though never five in a row', async () => {
    const health = healthWith();
    // Two failures, one success: 14 of 21, never more than two in a row.
    const pattern = Array.from({ length: 7 }, () => [failure, failure, success]).flat();
    await record(health, pattern.slice(0, 19));
    expect((await stateOf(health)).breaker).toBe('closed');
    await record(health, pattern.slice(19));
    expect(await stateOf(health)).toMatchObject({ breaker: 'open', health: 'down' });
  });

  it('stays closed at exactly half failures', async () => {
    const health = healthWith();
    await record(health, Array.from({ length: 10 }, () => [failure, success]).flat());
    expect(await stateOf(health)).toMatchObject({
      breaker: 'closed',
      health: 'degraded',
      recentAttempts: 20,
      recentFailureCount: 10,
    });
  });

  it('lets one trial through after the cooldown; success closes it, failure opens it again', async () => {
    const health = healthWith();
    await record(
      health,
      Array.from({ length: 5 }, () => failure),
    );
    expect(await health.admitCall(accountId, 'test')).toBe('refused');
    now += 30_000;
    expect(await stateOf(health)).toMatchObject({ breaker: 'half_open', health: 'degraded' });
    expect(await health.admitCall(accountId, 'test')).toBe('trial');
    expect(await health.admitCall(accountId, 'test')).toBe('refused');
    expect((await stateOf(health)).health).toBe('down');
    await record(health, [failure]);
    expect((await stateOf(health)).breaker).toBe('open');

    now += 30_000;
    expect(await health.admitCall(accountId, 'test')).toBe('trial');
    await record(health, [success]);
    expect(await stateOf(health)).toMatchObject({
      breaker: 'closed',
      health: 'healthy',
      consecutiveFailures: 0,
    });
    expect(await health.admitCall(accountId, 'test')).toBe('closed');
    // The failures before the breaker closed still show, but no longer count against it.
    expect((await stateOf(health)).recentFailures).toHaveLength(6);
  });

  it('admits on the breakers the caller has just read, and lets one trial through however stale they are', async () => {
    const health = healthWith();
    const accounts = createLiveAccountsCache({
      db: store.db,
      revisions: createSetupRevisions(store.db),
    });
    /** The breakers as routing reads them, with the health. */
    const live = async () =>
      (await health.healthOf(await accounts.of(workspaceId), 'test')).breakers;
    expect(await health.admitCall(accountId, 'test', await live())).toBe('closed');
    await record(
      health,
      Array.from({ length: 5 }, () => failure),
    );
    const readWhileOpen = await live();
    expect(await health.admitCall(accountId, 'test', readWhileOpen)).toBe('refused');
    now += 30_000;
    const readWhileHalfOpen = await live();
    expect(await health.admitCall(accountId, 'test', readWhileHalfOpen)).toBe('trial');
    // A second caller that read the breaker before the trial was claimed finds it claimed.
    expect(await health.admitCall(accountId, 'test', readWhileHalfOpen)).toBe('refused');
  });

  it('writes nothing for a success that changes nothing, and still counts the next failure', async () => {
    const health = healthWith();
    const revisionOf = async () =>
      (
        await store.db
          .selectFrom('account_breakers')
          .select('revision')
          .where('account_id', '=', accountId)
          .executeTakeFirstOrThrow()
      ).revision;
    await record(health, [failure, ...Array.from({ length: 19 }, () => success)]);
    // The kept list holds the last 20 outcomes: the failure still shows.
    expect((await stateOf(health)).recentFailures).toHaveLength(1);
    const revision = await revisionOf();

    await record(health, [success]);
    expect(await revisionOf()).toBe(revision + 1);
    expect(await stateOf(health)).toMatchObject({
      health: 'healthy',
      recentAttempts: 20,
      recentFailureCount: 0,
      recentFailures: [],
    });
    const steady = await revisionOf();
    await record(health, [success, success, success]);
    expect(await revisionOf()).toBe(steady);
    expect(await stateOf(health)).toEqual(await stateOf(health));

    await record(health, [failure]);
    expect(await stateOf(health)).toMatchObject({
      health: 'degraded',
      consecutiveFailures: 1,
      recentFailureCount: 1,
    });
    expect(await revisionOf()).toBe(steady + 1);
  });

  it('takes its thresholds from the configuration', async () => {
    const config = loadConfig({
      BREAKER_CONSECUTIVE_FAILURES: '2',
      BREAKER_WINDOW_SIZE: '4',
      BREAKER_FAILURE_RATE: '0.25',
      BREAKER_COOLDOWN_SECONDS: '5',
    });
    const health = healthWith(config.breaker);
    await record(health, [failure, failure]);
    expect((await stateOf(health)).breaker).toBe('open');
    now += 5_000;
    expect((await stateOf(health)).breaker).toBe('half_open');
  });

  it('loses no outcome when many are recorded at once', async () => {
    const health = healthWith({ ...defaultBreakerSettings, consecutiveFailures: 100 });
    await Promise.all(
      Array.from({ length: 12 }, () =>
        health.recordOutcome({ workspaceId, accountId, mode: 'test' }, failure),
      ),
    );
    expect(await stateOf(health)).toMatchObject({
      consecutiveFailures: 12,
      recentFailureCount: 12,
    });
  });
});
