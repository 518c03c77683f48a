import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { runCli } from '../../test/run-cli.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import type { ReplayReport } from '../routing-replay/replay.service.js';
import { seedHistory, writeHistory } from '../routing-replay/stored-payments.test-helper.js';
import { createScratchFolder, runInProcess } from './cli-in-process.test-helper.js';

const emulator = useEmulator();
const scratch = createScratchFolder();
afterAll(() => scratch.remove());

const candidate = scratch.write('euro-to-us2.json', {
  rules: [{ name: 'de-fr-euro', when: { currency: ['eur'], country: ['DE', 'FR'] }, use: 'us2' }],
});

describeEachDatabase('switchyard route replay', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    store = await database.openMigrated();
    ({ testApp } = await workspaceWithAccounts(store, emulator(), {
      handles: ['us', 'eu', 'us2'],
    }));
    await writeHistory(store.db, seedHistory(200, 7));
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-replay-cli-'));
    env = { DATABASE_URL: store.url, DATA_DIR: dataDir, SWITCHYARD_MASTER_KEY: testApp.masterKey };
  });
  afterAll(async () => {
    await testApp.app.close();
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints, from the binary, how many payments and how much would move where', async () => {
    const json = await runInProcess(['route', 'replay', '--config', candidate, '--json'], env);
    expect([json.code, json.stderr]).toEqual([0, '']);
    const report = JSON.parse(json.stdout) as ReplayReport;
    expect(report).toEqual(
      await testApp.services.routingReplay.replay('default', {
        document: {
          rules: [
            { name: 'de-fr-euro', when: { currency: ['eur'], country: ['DE', 'FR'] }, use: 'us2' },
          ],
        },
      }),
    );
    const euToUs2 = report.moves.find((move) => move.from === 'eu' && move.to === 'us2');
    expect(report.moves.map((move) => `${move.from}>${move.to}`).sort()).toEqual([
      'eu>us',
      'eu>us2',
    ]);

    const printed = await runCli(['route', 'replay', '--config', candidate], env);
    expect([printed.code, printed.stderr]).toEqual([0, '']);
    const euros = ((euToUs2?.volume.eur ?? 0) / 100).toLocaleString('en-US', {
      minimumFractionDigits: 2,
    });
    const lines = printed.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^Replayed ${report.totals.payments} payments \\(payments from 2026-11-\\S+ to 2026-1\\S+\\) against the candidate config; the active version is none \\(accounts only\\)\\.$`,
      ),
    );
    expect(lines[1]).toBe(
      `Would move: ${report.totals.moved}. Unchanged: ${report.totals.unchanged}. No account: 0.`,
    );
    expect(lines).toContain(
      `${euToUs2?.payments} payments (EUR ${euros}) would move from eu to us2`,
    );
    const example = euToUs2?.examples[0];
    expect(lines).toContain(
      `  ${example?.payment} (order ${example?.order}, EUR ${((example?.amount ?? 0) / 100).toFixed(2)}, eu -> us2): ${example?.explanation.join(' ')}`,
    );
    expect(printed.stdout).toContain('Note: Every account is assumed healthy');
  });

  it('replays a window given with --from and --to', async () => {
    const result = await runInProcess(
      [
        'route',
        'replay',
        '--config',
        candidate,
        '--from',
        '2026-11-05',
        '--to',
        '2026-11-06T00:00:00Z',
        '--json',
      ],
      env,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ReplayReport;
    expect(report.window.from).toBe('2026-11-05T00:00:00.000Z');
    expect(report.window.to).toBe('2026-11-06T00:00:00.000Z');
    expect(report.window.first?.startsWith('2026-11-05')).toBe(true);
    expect(report.window.last?.startsWith('2026-11-05')).toBe(true);
  });

  it('refuses a config with errors, each on its own line by its JSON path, exit 2', async () => {
    const bad = scratch.write('bad.json', {
      rules: [{ name: 'asia', when: {}, use: 'asia' }],
    });
    const result = await runInProcess(['route', 'replay', '--config', bad], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('The routing config has 1 error; nothing was replayed:\n');
    expect(result.stderr).toContain('  config.rules[0].use: unknown account "asia"');
  });

  it('names the flag of a date it cannot read', async () => {
    const result = await runInProcess(
      ['route', 'replay', '--config', candidate, '--from', 'yesterday'],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--from: "yesterday" is not a date: use ISO 8601');
  });
});
