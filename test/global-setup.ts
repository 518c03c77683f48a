import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { postgresUrl, preparePostgres } from './postgres-setup.js';

/**
 * Once per test run: build dist/, name the run, make sure PostgreSQL can run its half (or say in
 * one line why not), and drop the run's PostgreSQL schemas at the end.
 */
export default async function setUpRun(): Promise<() => Promise<void>> {
  // Every PostgreSQL schema this run creates starts with t_<run>_ (see test/databases.ts).
  const run = randomBytes(4).toString('hex');
  process.env.SWITCHYARD_TEST_RUN = run;
  buildOnce();
  const skipped = await preparePostgres(postgresUrl);
  if (skipped !== null && process.env.REQUIRE_POSTGRES === '1') {
    throw new Error(`${skipped}, and REQUIRE_POSTGRES=1 makes it required.`);
  }
  if (skipped !== null) {
    process.stderr.write(
      `PostgreSQL half of the suite skipped: ${skipped}. Start it or set TEST_DATABASE_URL (REQUIRE_POSTGRES=1 makes this a failure).\n`,
    );
  }
  // test/databases.ts reads it in every worker.
  process.env.SWITCHYARD_TEST_POSTGRES_SKIPPED = skipped ?? '';
  return async function dropRunSchemas() {
    if (skipped !== null) return;
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        'select nspname as name from pg_namespace where nspname like $1',
        [`t\\_${run}\\_%`],
      );
      for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
    } finally {
      await client.end();
    }
  };
}

/**
 * Tests that run the `switchyard` binary need dist/ (and the emulator package's dist/) to match
 * the sources. Type errors are the type check's business (a separate CI step), so the build here
 * only has to emit.
 */
function buildOnce(): void {
  for (const [project, output] of [
    ['packages/stripe-emulator/tsconfig.build.json', 'packages/stripe-emulator/dist/index.js'],
    ['tsconfig.build.json', 'dist/cli/main.js'],
  ] as const) {
    const result = spawnSync('node_modules/.bin/tsc', ['-p', project], { encoding: 'utf8' });
    if (!existsSync(output)) {
      throw new Error(
        `Building ${output} for the CLI tests failed:\n${result.stdout}${result.stderr}`,
      );
    }
  }
}
