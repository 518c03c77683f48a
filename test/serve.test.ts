import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { describeEachDatabase, type TestStore } from './databases.js';
import { capturedLogger } from './log-capture.js';
import { runCli, startCli } from './run-cli.js';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'switchyard-data-'));
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describeEachDatabase('serving and shutting down', (database) => {
  let scratch: TestStore | undefined;
  afterEach(async () => {
    await scratch?.dispose();
    scratch = undefined;
  });

  it('finishes in-flight requests, refuses new ones, then closes the store', async () => {
    scratch = await database.openEmpty();
    const entered = deferred();
    const release = deferred();
    const server = await startServer({
      config: loadConfig({ PORT: '0', DATABASE_URL: scratch.url, DATA_DIR: dataDir() }),
      logger: capturedLogger().logger,
      extend(app) {
        app.get('/probe/slow', async () => {
          entered.resolve();
          await release.promise;
          return { finished: true };
        });
      },
    });
    const slow = fetch(`${server.url}/probe/slow`);
    await entered.promise;

    const closed = server.close();
    const late = await fetch(`${server.url}/healthz`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    release.resolve();
    const response = await slow;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await closed;
    await expect(server.store.db.selectFrom('workspaces').selectAll().execute()).rejects.toThrow();
  });

  it('runs as `switchyard serve`, migrates, answers, and exits 0 on SIGTERM', async () => {
    scratch = await database.openEmpty();
    const server = await startCli(
      ['serve'],
      {
        PORT: '0',
        DATABASE_URL: scratch.url,
        LOG_LEVEL: 'info',
        DATA_DIR: dataDir(),
        // Plain serve: the demo has its own test (src/demo/demo.test.ts).
        SWITCHYARD_DEMO: 'off',
      },
      (line) => line.includes('switchyard listening'),
    );
    const { url } = JSON.parse(server.line) as { url: string };
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).status).toBe('ready');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

it('`switchyard migrate` applies migrations and says so, then says it is up to date', async () => {
  const { testDatabases } = await import('./databases.js');
  const [sqlite] = testDatabases;
  if (!sqlite) throw new Error('SQLite is always among the test databases');
  const scratch = await sqlite.openEmpty();
  try {
    const first = await runCli(['migrate'], { DATABASE_URL: scratch.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migration\(s\) .*0001_workspaces, 0002_accounts/);
    const second = await runCli(['migrate'], { DATABASE_URL: scratch.url });
    expect(second.stdout).toContain('is up to date');
  } finally {
    await scratch.dispose();
  }
});

it('refuses a bad PORT with one line naming it, and a non-zero exit', async () => {
  const run = await runCli(['serve'], { PORT: 'abc' });
  expect(run.code).not.toBe(0);
  expect(run.stderr.trim()).toBe(
    'switchyard: PORT: got "abc", needs a whole number from 0 to 65535.',
  );
});

it('lists its commands in --help and prints its version', async () => {
  const help = await runCli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/serve\s+run the Switchyard server/);
  expect(help.stdout).toMatch(/migrate\s+apply pending database migrations/);
  const version = await runCli(['--version']);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
