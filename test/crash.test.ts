import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { describeEachDatabase } from './databases.js';

const faultRun = new URL('../bench/faults.mjs', import.meta.url).pathname;
const running = new Set<ChildProcess>();
// A run the test gave up on stops with it (the run then kills its server and emulator).
afterAll(() => {
  for (const child of running) child.kill('SIGTERM');
});

function postgresServerUrl(): string {
  const url = new URL(
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  url.pathname = '/postgres';
  return url.toString();
}

/** Runs the fault run's kill -9 phase (bench/faults.mjs) on one database; answers its output. */
function killRun(database: string): Promise<{ code: number | null; output: string }> {
  // Ten ports of its own below the ephemeral range, where other tests' free ports come from.
  const portBase = 20_000 + Math.floor(Math.random() * 600) * 20;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        faultRun,
        `--${database}`,
        '--phases',
        'kill',
        '--orders',
        '24',
        '--buyers',
        '6',
        '--down-seconds',
        '2',
        '--settle-seconds',
        '90',
        '--max-minutes',
        '3',
        '--port-base',
        String(portBase),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        // The suite's PostgreSQL server (the run makes and drops a database of its own there).
        env: { ...process.env, FAULTS_POSTGRES_URL: postgresServerUrl() },
      },
    );
    running.add(child);
    child.on('exit', () => running.delete(child));
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * `switchyard serve` killed with SIGKILL in the middle of a burst of orders, with the emulator in
 * its own process (it keeps charging the cards buyers confirm meanwhile), then started again:
 * after reconciliation every charge at Stripe is recorded once, and none is doubled.
 */
describeEachDatabase('kill -9 in the middle of a burst', (database) => {
  it('loses and doubles nothing after the restart and reconciliation', async () => {
    const { code, output } = await killRun(database.name);
    expect(output).toMatch(/phase kill -9 mid-burst: 24 buyers.*server down \d/);
    expect(output).toMatch(/succeeded at Stripe vs recorded: (\d+) \/ \1\n/);
    expect(output).toContain('lost (charged at Stripe, not recorded as succeeded): 0\n');
    expect(output).toContain(
      'doubled (two succeeded charges for one payment or one order step): 0\n',
    );
    expect(output).toContain('stuck (payments succeeded, order not paid or totals disagree): 0\n');
    expect(code, output).toBe(0);
  }, 240_000);
});
