import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { isAppError } from '../errors.js';
import { parsePaymentContext, route } from '../routing/index.js';
import type { RampService } from './ramp.service.js';

const emulator = useEmulator();
const workspace = 'default';
const day = 86_400;
const startedAt = new Date('2026-03-02T09:00:00.000Z');
const atDay = (days: number) => new Date(startedAt.getTime() + days * day * 1000);

/** us is the primary; a funnel pin and a rule send payments to it, a product pin too. */
const before = {
  rules: [{ name: 'webinar-sales', when: { funnel: ['webinar'] }, use: 'us' }],
  funnels: { launch: { use: 'us' } },
  products: { coaching: { use: 'us' } },
};

const customers = Array.from({ length: 200 }, (_, index) => `buyer${index}@example.com`);

describeEachDatabase('migration ramps', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let ramps: RampService;
  let now = startedAt;

  beforeEach(async () => {
    now = startedAt;
    store = await database.openMigrated();
    ({ testApp } = await workspaceWithAccounts(store, emulator(), {
      handles: ['us', 'us2'],
      clock: () => now,
    }));
    ramps = testApp.services.ramps;
    await testApp.services.routingConfig.applyDocument(workspace, before, { actor: 'test' });
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  /** The routing versions the ramp wrote, oldest first. */
  async function rampMessages(): Promise<string[]> {
    const versions = await testApp.services.routingConfig.listVersions(workspace);
    return versions
      .map((version) => version.message)
      .filter((message) => message.startsWith('ramp '))
      .reverse();
  }

  /** Who of the 200 buyers the active document sends to us2, through a funnel pin and by default. */
  async function onNewAccount(): Promise<{ launch: Set<string>; other: Set<string> }> {
    const { document } = await testApp.services.routingConfig.showActive(workspace);
    const pick = (funnel: string | undefined) =>
      new Set(
        customers.filter((email) => {
          const context = parsePaymentContext({
            mode: 'test',
            currency: 'usd',
            ...(funnel ? { funnel } : {}),
            customer: { key: email },
          });
          if (!context.success) throw new Error(JSON.stringify(context.problems));
          const decision = route(document, context.value);
          const split = decision.split;
          // The promise: to us2 exactly when the buyer's bucket is below the percentage * 100.
          const threshold =
            split?.weights[0]?.account === 'us2' ? split.weights[0].weight * 100 : 0;
          expect(decision.account === 'us2').toBe((split?.bucket ?? 10_000) < threshold);
          return decision.account === 'us2';
        }),
      );
    return { launch: pick('launch'), other: pick(undefined) };
  }

  it('writes one version per step, moving only buyers below the new threshold and never back', async () => {
    const started = await ramps.start(
      workspace,
      { from: 'us', to: 'us2', steps: [10, 25, 50, 100], everySeconds: day },
      'cli:ann',
    );
    expect(started.ramped).toEqual(['rule webinar-sales', 'funnel pin launch', 'rule ramp-us-us2']);
    expect(started.notRamped).toEqual(['product pin coaching stays on us']);
    expect(started.ramp).toMatchObject({
      nextStep: 1,
      status: 'active',
      nextAt: atDay(1).toISOString(),
    });
    expect(await rampMessages()).toEqual(['ramp us -> us2: 10 %']);

    const shares: number[] = [];
    let previous = await onNewAccount();
    shares.push(previous.launch.size);
    for (const [days, percent] of [
      [1, 25],
      [2, 50],
      [3, 100],
    ] as const) {
      // Not due a minute early.
      now = new Date(atDay(days).getTime() - 60_000);
      expect(await ramps.runDue(workspace, now)).toEqual([]);
      now = atDay(days);
      const results = await ramps.runDue(workspace, now);
      expect(results).toMatchObject([{ outcome: 'written', percent }]);
      const current = await onNewAccount();
      for (const email of previous.launch) expect(current.launch.has(email)).toBe(true);
      for (const email of previous.other) expect(current.other.has(email)).toBe(true);
      shares.push(current.launch.size);
      previous = current;
    }
    expect(await rampMessages()).toEqual([
      'ramp us -> us2: 10 %',
      'ramp us -> us2: 25 %',
      'ramp us -> us2: 50 %',
      'ramp us -> us2: 100 %',
    ]);
    // Roughly the weights over 200 buyers; exactly everyone at 100 %.
    expect(shares[3]).toBe(200);
    expect(shares[0]).toBeLessThan(shares[1] ?? 0);
    expect(shares[1]).toBeLessThan(shares[2] ?? 0);

    const { document } = await testApp.services.routingConfig.showActive(workspace);
    const full = {
      split: [
        { account: 'us2', weight: 100 },
        { account: 'us', weight: 0 },
      ],
      key: 'customer',
    };
    expect(document.rules).toEqual([
      { name: 'webinar-sales', when: { funnel: ['webinar'] }, use: full, fallback: 'auto' },
      { name: 'ramp-us-us2', when: {}, use: full, fallback: 'auto' },
    ]);
    expect(document.funnels.launch?.use).toEqual(full);
    expect(document.products.coaching?.use).toBe('us');
    const [done] = await ramps.list(workspace);
    expect(done).toMatchObject({ status: 'done', nextStep: 4, nextAt: null });
    expect(await ramps.runDue(workspace, atDay(30))).toEqual([]);
  });

  it('stops at cancel and leaves the last written version active', async () => {
    await ramps.start(
      workspace,
      { from: 'us', to: 'us2', steps: [10, 50, 100], everySeconds: day },
      'cli:ann',
    );
    now = atDay(1);
    await ramps.runDue(workspace, now);
    const canceled = await ramps.cancel(workspace, { from: 'us', to: 'us2' }, 'cli:ann');
    expect(canceled).toMatchObject({ status: 'canceled', nextStep: 2, nextAt: null });
    expect(await ramps.runDue(workspace, atDay(5))).toEqual([]);
    expect(await rampMessages()).toEqual(['ramp us -> us2: 10 %', 'ramp us -> us2: 50 %']);
    const active = await testApp.services.routingConfig.showActive(workspace);
    expect(active.message).toBe('ramp us -> us2: 50 %');
    expect(await ramps.list(workspace, { activeOnly: true })).toEqual([]);
    await expect(ramps.cancel(workspace, { from: 'us', to: 'us2' }, 'cli:ann')).rejects.toThrow(
      'No ramp from us to us2 is running.',
    );
  });

  it('writes each step once when two instances run the due steps at the same time', async () => {
    await ramps.start(
      workspace,
      { from: 'us', to: 'us2', steps: [10, 25, 50], everySeconds: day },
      'cli:ann',
    );
    for (const days of [1, 2]) {
      now = atDay(days);
      const [first, second] = await Promise.all([
        ramps.runDue(workspace, now),
        ramps.runDue(workspace, now),
      ]);
      const outcomes = [...(first ?? []), ...(second ?? [])].map((result) => result.outcome);
      expect(outcomes.filter((outcome) => outcome === 'written')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'failed')).toHaveLength(0);
    }
    expect(await rampMessages()).toEqual([
      'ramp us -> us2: 10 %',
      'ramp us -> us2: 25 %',
      'ramp us -> us2: 50 %',
    ]);
  });

  it('is run by the routing_ramps job every instance schedules', async () => {
    await ramps.start(
      workspace,
      { from: 'us', to: 'us2', steps: [20, 50, 100], everySeconds: day },
      'cli:ann',
    );
    const job = testApp.services.jobs.jobs.find((one) => one.name === 'routing_ramps');
    expect(job?.intervalMs).toBe(60_000);
    const run = (at: Date) => {
      now = at;
      return job?.run({
        workspaceId: workspace,
        slotStart: at,
        signal: new AbortController().signal,
      });
    };
    expect(await run(atDay(0.5))).toBe('No ramp step is due.');
    // A minute late: the step is written, and the next one stays due a day after this one was.
    expect(await run(new Date(atDay(1).getTime() + 60_000))).toBe(
      'Wrote 1 ramp step: us -> us2: 50 %.',
    );
    const active = await testApp.services.routingConfig.showActive(workspace);
    expect([active.message, active.author]).toEqual(['ramp us -> us2: 50 %', 'ramp:cli:ann']);
    expect((await ramps.list(workspace))[0]?.nextAt).toBe(atDay(2).toISOString());
  });

  it('refuses a ramp that cannot run, saying why', async () => {
    const refusal = async (input: Parameters<RampService['start']>[1]) => {
      try {
        await ramps.start(workspace, input, 'cli:ann');
      } catch (error) {
        if (isAppError(error)) return `${error.code}: ${error.message}`;
        throw error;
      }
      return 'started';
    };
    const ramp = { from: 'us', to: 'us2', steps: [10, 100], everySeconds: day };
    expect(await refusal({ ...ramp, to: 'us' })).toContain('not from us to itself');
    expect(await refusal({ ...ramp, to: 'nope' })).toBe(
      'not_found: There is no account "nope" to ramp to.',
    );
    expect(await refusal({ ...ramp, steps: [50, 25] })).toContain(
      'steps: 25 after 50: each step must raise the share',
    );
    expect(await refusal({ ...ramp, steps: [0, 100] })).toContain('0 is not a whole percentage');
    // us2 is not the primary and nothing routes to it.
    expect(await refusal({ ...ramp, from: 'us2', to: 'us' })).toContain(
      'Nothing sends new payments to us2',
    );
    expect(await refusal(ramp)).toBe('started');
    expect(await refusal(ramp)).toMatch(
      /^conflict: A ramp from us to us2 is running already \(100 % next, at 2026-03-03T09:00:00.000Z\)/,
    );
  });
});
