import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  createEmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  type RunningEmulator,
  startEmulator,
} from '../../test/emulator.js';
import { createScratchFolder, runInProcess } from '../cli/cli-in-process.test-helper.js';

let emulator: RunningEmulator;
const scratch = createScratchFolder();
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
  scratch.remove();
});

describeEachDatabase('switchyard config and route explain on the live workspace', (database) => {
  let store: TestStore;
  let testApp: TestApp;

  beforeEach(async () => {
    store = await database.openMigrated();
    const env = {
      ...emulatorEnv(emulator),
      SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    };
    testApp = await buildTestApp(store, { env, gateway: emulatorGateway(emulator) });
    for (const [name, value] of Object.entries({ ...env, DATABASE_URL: store.url })) {
      vi.stubEnv(name, value);
    }
    for (const handle of ['us', 'eu']) {
      const account = await createEmulatorAccount(emulator);
      await testApp.services.accounts.connectWithKeys(
        'default',
        {
          handle,
          credentials: {
            test: {
              secretKey: account.keys.test.secret,
              publishableKey: account.keys.test.publishable,
            },
          },
        },
        'test',
      );
    }
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await testApp.app.close();
    await store.dispose();
  });

  it('exports, diffs, applies, lists and rolls back the routing config', async () => {
    const exported = await runInProcess(['config', 'export']);
    expect(exported.code).toBe(0);
    const document = JSON.parse(exported.stdout);
    expect(document.accounts.map((account: { handle: string }) => account.handle)).toEqual([
      'us',
      'eu',
    ]);

    const edited = {
      ...document,
      accounts: [document.accounts[0], { ...document.accounts[1], drain: true }],
      rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu' }],
    };
    const file = scratch.write(`edited-${database.name}.json`, edited);
    const diff = await runInProcess(['config', 'diff', file]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('~ account eu: drain false -> true');
    expect(diff.stdout).toContain('+ rule euro-sales: use eu when currency ["eur"], fallback auto');

    const applied = await runInProcess([
      'config',
      'apply',
      file,
      '--message',
      'Drain eu for the audit',
    ]);
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    expect(applied.stdout).toContain('Routing version 1 is now active.');
    expect(applied.stdout).toContain('account eu: drain updated');
    expect((await testApp.services.accounts.showAccount('default', 'eu')).drain).toBe(true);

    expect((await runInProcess(['config', 'diff', file])).stdout).toContain('No differences');
    const again = await runInProcess(['config', 'apply', file]);
    expect(again.stdout).toContain('No changes');

    const restore = scratch.write(`restore-${database.name}.json`, { ...document, rules: [] });
    expect((await runInProcess(['config', 'apply', restore, '-m', 'undrain'])).code).toBe(0);
    const rolledBack = await runInProcess(['config', 'rollback', '1']);
    expect(rolledBack.stdout).toContain('Routing version 3 is now active.');
    expect((await testApp.services.accounts.showAccount('default', 'eu')).drain).toBe(true);

    const history = await runInProcess(['config', 'history']);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+CREATED\s+AUTHOR\s+RULES\s+PINS\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^\*3 .*Rollback to version 1$/);
    expect(lines[3]).toMatch(/^ 1 .*cli:.*Drain eu for the audit$/);
  });

  it('refuses an invalid file, naming the JSON path, with exit code 2', async () => {
    const file = scratch.write(`invalid-${database.name}.json`, {
      rules: [{ name: 'asia-sales', when: { currency: ['jpy'] }, use: 'asia' }],
    });
    const result = await runInProcess(['config', 'apply', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('config.rules[0].use');
    const unknown = scratch.write(`unknown-${database.name}.json`, {
      accounts: [{ handle: 'asia' }],
    });
    const refused = await runInProcess(['config', 'apply', unknown]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('config.accounts[0].handle: unknown account "asia"');
    expect((await runInProcess(['config', 'history'])).stdout).toContain(
      'No routing config applied yet',
    );
  });

  it('explains a payment against the live workspace with live health', async () => {
    const context = scratch.write(`context-${database.name}.json`, {
      mode: 'test',
      currency: 'usd',
    });
    const selected = await runInProcess(['route', 'explain', '--context', context, '--json']);
    expect(selected.code).toBe(0);
    expect(JSON.parse(selected.stdout)).toMatchObject({ outcome: 'selected', account: 'us' });

    const { accountId } = await testApp.services.health.showHealth('default', 'us');
    for (let failure = 0; failure < 5; failure++) {
      await testApp.services.health.recordOutcome(
        { workspaceId: 'default', accountId, mode: 'test' },
        { ok: false, kind: 'connection' },
      );
    }
    const explained = await runInProcess(['route', 'explain', '--context', context]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('Health: us down');
    expect(explained.stdout).toContain('Outcome: fallback (eu)');
    expect(explained.stdout).toContain('us is down.');

    const missing = scratch.write(`no-currency-${database.name}.json`, { mode: 'test' });
    const invalid = await runInProcess(['route', 'explain', '--context', missing]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('context.currency: required');
  });
});
