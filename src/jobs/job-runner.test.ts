import type { Kysely } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { capturedLogger } from '../../test/log-capture.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { createVerifyJob } from '../accounts/verify.job.js';
import { loadConfig } from '../config.js';
import { openStore, type Store } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { createServices, type Services } from '../services.js';
import type { JobDefinition } from './job.js';
import { createJobRunner, defaultLeaseMs, type JobRunner, keptRunsMs } from './job-runner.js';
import { insertRun, takeLease } from './jobs.repository.js';

const emulator = useEmulator();
const minute = 60_000;
const start = new Date('2026-12-01T00:00:00.000Z');

/** A clock the test moves: Switchyard's, shared by every instance. */
function movableClock() {
  let now = start.getTime();
  return {
    clock: () => new Date(now),
    moveTo(time: number) {
      now = time;
    },
  };
}

/** A job that does nothing but count the slots it ran for. */
function tallyJob(intervalMinutes: number) {
  const ranFor: string[] = [];
  const job: JobDefinition = {
    name: 'tally',
    intervalMs: intervalMinutes * minute,
    async run({ slotStart }) {
      ranFor.push(slotStart.toISOString());
      return `Counted ${slotStart.toISOString()}.`;
    },
  };
  return { job, ranFor };
}

describeEachDatabase('the job runner', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let stripeAccountId: string;
  const moving = movableClock();
  /** Other instances' stores, closed after the test. */
  const opened: Store[] = [];

  beforeEach(async () => {
    moving.moveTo(start.getTime());
    store = await database.openMigrated();
    ({ testApp } = await workspaceWithAccounts(store, emulator(), {
      handles: [],
      clock: moving.clock,
    }));
    const stripeAccount = await createEmulatorAccount(emulator());
    stripeAccountId = stripeAccount.id;
    await testApp.services.accounts.connectWithKeys(
      'default',
      { handle: 'us', credentials: keysOf(stripeAccount) },
      'test',
    );
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await testApp.app.close();
    for (const other of opened.splice(0)) await other.close();
    await store.dispose();
  });

  interface Instance {
    services: Services;
    db: Kysely<Database>;
  }

  const instanceA = (): Instance => ({ services: testApp.services, db: store.db });

  /** Another instance on the same database: its own connections and services, the same clock. */
  function anotherInstance(): Instance {
    const other = openStore(store.url);
    opened.push(other);
    const services = createServices({
      config: loadConfig({ SWITCHYARD_MASTER_KEY: testApp.masterKey, ...emulatorEnv(emulator()) }),
      store: other,
      logger: capturedLogger().logger,
      clock: moving.clock,
      gateway: emulatorGateway(emulator()),
    });
    return { services, db: other.db };
  }

  /** The runner of an instance with the real verify job and `extra` test jobs. */
  function runnerOf(
    instance: Instance,
    instanceId: string,
    extra: JobDefinition[] = [],
  ): JobRunner {
    return createJobRunner({
      db: instance.db,
      clock: moving.clock,
      logger: capturedLogger().logger,
      jobs: [
        createVerifyJob({
          accounts: instance.services.accounts,
          intervalMinutes: 15,
          timeoutMs: 2_000,
        }),
        ...extra,
      ],
      workspaceId: 'default',
      instanceId,
    });
  }

  async function runsOf(job: string) {
    return store.db
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', job)
      .orderBy('slot_start')
      .orderBy('started_at')
      .execute();
  }

  // A simulated day is some four hundred ticks: on a busy machine that takes a while.
  it('runs every job once per slot through a simulated day with two instances', async () => {
    const tallyA = tallyJob(60);
    const tallyB = tallyJob(60);
    const a = runnerOf(instanceA(), 'instance-a', [tallyA.job]);
    const b = runnerOf(anotherInstance(), 'instance-b', [tallyB.job]);
    // Two ticks of each instance in every verify slot, eight in every tally slot.
    const stepMinutes = 7.5;
    const steps = (24 * 60) / stepMinutes;
    for (let step = 0; step < steps; step += 1) {
      moving.moveTo(start.getTime() + step * stepMinutes * minute);
      // Halfway through the day Stripe disables charges on the account.
      if (step === steps / 2) {
        await control(emulator(), 'POST', `accounts/${stripeAccountId}/status`, {
          charges_enabled: false,
        });
      }
      await Promise.all([a.runDue(), b.runDue()]);
      await control(emulator(), 'POST', 'clock/advance', { seconds: stepMinutes * 60 });
    }

    const verifyRuns = await runsOf('verify');
    expect(verifyRuns).toHaveLength(96);
    expect(new Set(verifyRuns.map((run) => run.slot_start)).size).toBe(96);
    expect(verifyRuns.every((run) => run.outcome === 'ok')).toBe(true);
    expect(verifyRuns[0]?.summary).toBe('Verified 1 of 1 accounts: us healthy.');
    expect(verifyRuns.at(-1)?.summary).toBe('Verified 1 of 1 accounts: us restricted.');

    const tallyRuns = await runsOf('tally');
    expect(tallyRuns).toHaveLength(24);
    expect(tallyRuns.every((run) => run.outcome === 'ok' && run.finished_at !== null)).toBe(true);
    const ranFor = [...tallyA.ranFor, ...tallyB.ranFor].sort();
    expect(ranFor).toEqual(
      Array.from({ length: 24 }, (_, hour) =>
        new Date(start.getTime() + hour * 60 * minute).toISOString(),
      ),
    );
    // Every lease was given back.
    expect(await store.db.selectFrom('job_leases').selectAll().execute()).toEqual([]);

    // The account's health changed once in the day: one audit row, not one per run.
    const account = await testApp.services.accounts.showAccount('default', 'us');
    expect(account.health).toBe('restricted');
    const audit = await testApp.services.audit.list({
      workspaceId: 'default',
      limit: 500,
      subject: 'account:us',
    });
    const verified = audit.filter((entry) => entry.action === 'account.verified');
    expect(verified).toHaveLength(1);
    expect(verified[0]).toMatchObject({
      actor: 'job:verify',
      before: { health: 'healthy' },
      after: { health: 'restricted' },
    });
  }, 60_000);

  it('runs each of the real jobs once per slot with two instances through three simulated hours', async () => {
    const a = testApp.services.jobs;
    const b = anotherInstance().services.jobs;
    expect(a.instanceId).not.toBe(b.instanceId);
    const stepMinutes = 5;
    const ticks = Array.from(
      { length: 36 },
      (_, step) => start.getTime() + step * stepMinutes * minute,
    );
    for (const time of ticks) {
      moving.moveTo(time);
      await Promise.all([a.runDue(), b.runDue()]);
      await control(emulator(), 'POST', 'clock/advance', { seconds: stepMinutes * 60 });
    }
    const runs = await store.db.selectFrom('job_runs').selectAll().execute();
    for (const job of a.jobs) {
      const slots = new Set(
        ticks.map((time) =>
          new Date(Math.floor(time / job.intervalMs) * job.intervalMs).toISOString(),
        ),
      );
      const ofJob = runs.filter((run) => run.job === job.name);
      expect(ofJob.map((run) => run.slot_start).sort(), job.name).toEqual([...slots].sort());
      expect(
        ofJob.filter((run) => run.outcome !== 'ok' || run.finished_at === null),
        job.name,
      ).toEqual([]);
    }
    expect(runs.every((run) => [a.instanceId, b.instanceId].includes(run.instance))).toBe(true);
  }, 60_000);

  it('verifies the other accounts when Stripe does not answer for one, and fails the run naming it', async () => {
    const eu = await createEmulatorAccount(emulator());
    await testApp.services.accounts.connectWithKeys(
      'default',
      { handle: 'eu', credentials: keysOf(eu) },
      'test',
    );
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccountId,
      fault: 'server_error',
    });
    await control(emulator(), 'POST', `accounts/${eu.id}/status`, { charges_enabled: false });
    const runner = runnerOf(instanceA(), 'instance-a');

    expect(await runner.runDue()).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    const [failed] = await runsOf('verify');
    expect(failed?.error).toContain('Verified 1 of 2 accounts: eu restricted.');
    expect(failed?.error).toContain('Could not reach Stripe to verify "us"');
    const accounts = await testApp.services.accounts.listAccounts('default');
    expect(accounts.map((account) => [account.handle, account.health])).toEqual([
      ['us', 'healthy'],
      ['eu', 'restricted'],
    ]);

    await control(emulator(), 'DELETE', 'faults');
    moving.moveTo(start.getTime() + 15 * minute);
    expect(await runner.runDue()).toEqual([expect.objectContaining({ outcome: 'ok' })]);
    expect((await runsOf('verify')).at(-1)?.summary).toBe(
      'Verified 2 of 2 accounts: us healthy, eu restricted.',
    );
  });

  it('takes a crashed holder’s slot over once its lease expires and marks its run abandoned', async () => {
    const slotStart = start.toISOString();
    // Instance A takes the lease and starts the run, then dies: it never finishes nor releases.
    await takeLease(store.db, {
      workspaceId: 'default',
      job: 'verify',
      holder: 'instance-a',
      slotStart,
      now: slotStart,
      expiresAt: new Date(start.getTime() + defaultLeaseMs).toISOString(),
    });
    await insertRun(store.db, {
      runId: 'run_crashed',
      workspaceId: 'default',
      job: 'verify',
      slotStart,
      instance: 'instance-a',
      startedAt: slotStart,
    });
    const b = runnerOf(anotherInstance(), 'instance-b');

    moving.moveTo(start.getTime() + defaultLeaseMs - 1);
    expect(await b.runDue()).toEqual([]);
    expect((await runsOf('verify')).map((run) => run.outcome)).toEqual(['running']);

    moving.moveTo(start.getTime() + defaultLeaseMs);
    const taken = await b.runDue();
    expect(taken).toEqual([expect.objectContaining({ job: 'verify', slotStart, outcome: 'ok' })]);
    const runs = await runsOf('verify');
    expect(runs.map((run) => [run.instance, run.slot_start, run.outcome])).toEqual([
      ['instance-a', slotStart, 'abandoned'],
      ['instance-b', slotStart, 'ok'],
    ]);
    expect(runs[0]?.error).toContain('lease expired');
    expect(runs[0]?.error).toContain('instance-b took the slot over');

    // The slot is done: neither instance runs it again.
    const a = runnerOf(instanceA(), 'instance-a');
    expect(await a.runDue()).toEqual([]);
    expect(await b.runDue()).toEqual([]);
  });
});

describeEachDatabase('one job runner', (database) => {
  let store: TestStore;
  const moving = movableClock();
  let log: ReturnType<typeof capturedLogger>;

  beforeEach(async () => {
    moving.moveTo(start.getTime());
    store = await database.openMigrated();
    log = capturedLogger();
  });
  afterEach(async () => {
    await store.dispose();
  });

  function runnerWith(jobs: JobDefinition[], instanceId = 'instance-a'): JobRunner {
    return createJobRunner({
      db: store.db,
      clock: moving.clock,
      logger: log.logger,
      jobs,
      workspaceId: 'default',
      instanceId,
    });
  }

  async function runs() {
    return store.db.selectFrom('job_runs').selectAll().orderBy('started_at').execute();
  }

  it('records a failing job’s error without its secrets, and keeps running the other jobs', async () => {
    // Put together at run time, so no string in the repository looks like a live key.
    const secret = ['sk', 'live', '51SecretKeyThatMustNeverShow0000abcd'].join('_');
    let failing = true;
    const flaky: JobDefinition = {
      name: 'flaky',
      intervalMs: 60 * minute,
      async run() {
        if (failing)
          throw new Error(`Stripe refused ${secret} for smtp://ops:hunter2@mail.example.com`);
        return 'Fine now.';
      },
    };
    const tally = tallyJob(60);
    const runner = runnerWith([flaky, tally.job]);

    const first = await runner.runDue();
    expect(first.map((run) => [run.job, run.outcome]).sort()).toEqual([
      ['flaky', 'failed'],
      ['tally', 'ok'],
    ]);
    const failed = (await runs()).find((run) => run.job === 'flaky');
    expect(failed?.error).toBe('Stripe refused sk_live_…abcd for smtp://…@mail.example.com');
    const logged = JSON.stringify(log.lines());
    expect(logged).toContain('job failed');
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain('hunter2');

    // A failed run is the slot's run: it is not tried again until the next slot.
    failing = false;
    expect(await runner.runDue()).toEqual([]);
    moving.moveTo(start.getTime() + 60 * minute);
    expect((await runner.runDue()).map((run) => [run.job, run.outcome]).sort()).toEqual([
      ['flaky', 'ok'],
      ['tally', 'ok'],
    ]);
  });

  it('aborts a running job on stop, waits for it, and leaves its slot to the next instance', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow: JobDefinition = {
      name: 'slow',
      intervalMs: 60 * minute,
      run({ signal }) {
        started();
        return new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        });
      },
    };
    const runner = runnerWith([slow]);
    const tick = runner.runDue();
    await running;
    await runner.stop();
    expect(await tick).toEqual([expect.objectContaining({ job: 'slow', outcome: 'abandoned' })]);
    const [abandoned] = await runs();
    expect(abandoned?.error).toContain('The instance shut down before the run finished');
    expect(await store.db.selectFrom('job_leases').selectAll().execute()).toEqual([]);
    // A stopped runner starts nothing more.
    expect(await runner.runDue()).toEqual([]);

    const done: JobDefinition = { ...slow, run: async () => 'Done.' };
    const next = runnerWith([done], 'instance-b');
    expect(await next.runDue()).toEqual([
      expect.objectContaining({ job: 'slow', outcome: 'ok', slotStart: start.toISOString() }),
    ]);
  });

  it('keeps 30 days of runs, and refuses two jobs of one name', async () => {
    const tally = tallyJob(60 * 24);
    const runner = runnerWith([tally.job]);
    await runner.runDue();
    moving.moveTo(start.getTime() + keptRunsMs);
    await runner.runDue();
    expect((await runs()).map((run) => run.slot_start)).toEqual([
      start.toISOString(),
      new Date(start.getTime() + keptRunsMs).toISOString(),
    ]);
    moving.moveTo(start.getTime() + keptRunsMs + 24 * 60 * minute);
    await runner.runDue();
    expect((await runs()).map((run) => run.slot_start)).not.toContain(start.toISOString());

    expect(() => runnerWith([tally.job, tallyJob(5).job])).toThrow(
      'Two jobs are named "tally"; each needs its own name.',
    );
  });

  it('runs nothing in an instance with JOBS=off, and the jobs at start with JOBS=on', async () => {
    const off = await buildTestApp(store, { env: { JOBS: 'off' }, clock: moving.clock });
    off.services.jobs.start();
    await off.services.jobs.stop();
    await off.app.close();
    expect(await runs()).toEqual([]);

    const on = await buildTestApp(store, { env: { JOBS: 'on' }, clock: moving.clock });
    on.services.jobs.start();
    await on.services.jobs.stop();
    await on.app.close();
    const ran = await runs();
    expect(ran.map((run) => run.job).sort()).toEqual([...on.services.jobs.names].sort());
    expect(ran.find((run) => run.job === 'verify')).toMatchObject({
      outcome: 'ok',
      summary: 'No accounts to verify.',
    });
  });
});
