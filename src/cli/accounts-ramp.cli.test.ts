import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { emulatorEnv, useEmulator } from '../../test/emulator.js';
import { runCli } from '../../test/run-cli.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();
// Each run of the binary starts Node and opens the store: slow on a busy machine, not a wait.

describeEachDatabase('switchyard accounts ramp', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let env: Record<string, string>;

  beforeEach(async () => {
    store = await database.openMigrated();
    env = {
      ...emulatorEnv(emulator()),
      SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
      DATABASE_URL: store.url,
    };
    ({ testApp } = await workspaceWithAccounts(store, emulator(), {
      handles: ['us', 'us2'],
      env,
    }));
    await testApp.services.routingConfig.applyDocument(
      'default',
      { funnels: { launch: { use: 'us' } }, products: { coaching: { use: 'us' } } },
      { actor: 'test' },
    );
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('starts a ramp, lists it and cancels it, through the binary', async () => {
    const started = await runCli(
      [
        'accounts',
        'ramp',
        '--from',
        'us',
        '--to',
        'us2',
        '--steps',
        '10,25,50,100',
        '--every',
        '1d',
      ],
      env,
    );
    expect([started.code, started.stderr]).toEqual([0, '']);
    expect(started.stdout).toContain(
      'Ramp from us to us2 started: 10 % of new payments go to us2 now (routing version 2).',
    );
    expect(started.stdout).toMatch(/ {2}25 % from \d{4}-\d\d-\d\dT/);
    expect(started.stdout).toContain('Ramped: funnel pin launch, rule ramp-us-us2.');
    expect(started.stdout).toContain('Not ramped: product pin coaching stays on us.');
    const active = await testApp.services.routingConfig.showActive('default');
    expect(active.message).toBe('ramp us -> us2: 10 %');

    const listed = await runCli(['accounts', 'ramp', '--list'], env);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^FROM\s+TO\s+STEPS\s+EVERY\s+NEXT\s+AT\s+STATUS\s+VERSION$/);
    expect(lines[1]).toMatch(/^us\s+us2\s+10,25,50,100\s+1d\s+25 %\s+\S+Z\s+active\s+2$/);

    const twice = await runCli(
      ['accounts', 'ramp', '--from', 'us', '--to', 'us2', '--steps', '50,100', '--every', '12h'],
      env,
    );
    expect(twice.code).toBe(5);
    expect(twice.stderr).toContain('A ramp from us to us2 is running already (25 % next');

    const canceled = await runCli(
      ['accounts', 'ramp', '--from', 'us', '--to', 'us2', '--cancel'],
      env,
    );
    expect([canceled.code, canceled.stderr]).toEqual([0, '']);
    expect(canceled.stdout).toContain(
      'Canceled the ramp from us to us2; routing version 2 stays active.',
    );
    const again = await runCli(
      ['accounts', 'ramp', '--from', 'us', '--to', 'us2', '--cancel'],
      env,
    );
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('No ramp from us to us2 is running.');
  }, 90_000);

  it('refuses a bad schedule or account in command-line words', async () => {
    const ramp = ['accounts', 'ramp', '--from', 'us', '--to', 'us2'];
    const every = await runCli([...ramp, '--steps', '10,100', '--every', '2w'], env);
    expect(every.code).not.toBe(0);
    expect(every.stderr).toContain('"1d", "12h" or "30m"');
    const steps = await runCli([...ramp, '--steps', '50,20', '--every', '1d'], env);
    expect(steps.code).not.toBe(0);
    expect(steps.stderr).toContain('20 after 50: each step must raise the share');
    const unknown = await runCli(
      ['accounts', 'ramp', '--from', 'us', '--to', 'nope', '--steps', '10,100', '--every', '1d'],
      env,
    );
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('There is no account "nope" to ramp to.');
    expect(unknown.stderr).toContain('switchyard accounts list');
    expect(await testApp.services.ramps.list('default')).toEqual([]);
  }, 90_000);
});
