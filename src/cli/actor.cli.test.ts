import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { runCli } from '../../test/run-cli.js';
import { createAuditLog } from '../audit/audit.service.js';
import { systemClock } from '../clock.js';
import { runInProcess } from './cli-in-process.test-helper.js';

const [sqlite] = testDatabases;
if (!sqlite) throw new Error('SQLite is always among the test databases');

/**
 * The actor is text the CLI hands the store: one database shows it. One run goes through the
 * binary (the name the operating system gives a process); the others run in-process, a process
 * start each being seconds on a loaded machine.
 */
describe('who the audit log names for a change made from the command line', () => {
  let store: TestStore | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await store?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    store = undefined;
    dataDir = undefined;
  });

  it('names the operating-system user, or --as NAME before or after the command', async () => {
    store = await sqlite.openMigrated();
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-actor-'));
    // No USER or LOGNAME: the name comes from the operating system, as under cron or sudo -i.
    const env = { DATABASE_URL: store.url, DATA_DIR: dataDir };
    const runs = [
      await runCli(['tokens', 'create', '--name', 'plain'], env),
      await runInProcess(['--as', 'Ana Ops', 'tokens', 'create', '--name', 'before'], env),
      await runInProcess(['tokens', 'create', '--name', 'after', '--as', 'bo'], env),
    ];
    expect(runs.map((run) => [run.code, run.stderr.includes('error')])).toEqual([
      [0, false],
      [0, false],
      [0, false],
    ]);
    const audit = createAuditLog({ db: store.db, clock: systemClock });
    const entries = await audit.list({ workspaceId: 'default', limit: 10 });
    expect(Object.fromEntries(entries.map((entry) => [entry.subject, entry.actor]))).toEqual({
      'token:plain': `cli:${userInfo().username}`,
      'token:before': 'cli:Ana Ops',
      'token:after': 'cli:bo',
    });

    const blank = await runInProcess(['--as', ' ', 'tokens', 'create', '--name', 'nobody'], env);
    expect([blank.code, blank.stderr.trim()]).toEqual([
      2,
      'switchyard: --as: got " ", needs the name the audit log should show, 1 to 100 characters on one line.',
    ]);
  });
});
