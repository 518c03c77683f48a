import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';

/** Once per test run: build dist/, name the run, and drop its PostgreSQL schemas at the end. */
export default function setUpRun(): () => Promise<void> {
  // Every PostgreSQL schema this run creates starts with t_<run>_ (see test/databases.ts).
  const run = randomBytes(4).toString('hex');
  process.env.SWITCHYARD_TEST_RUN = run;
  buildOnce();
  return async function dropRunSchemas() {
    const url =
      process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchyard_test';
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
    } catch {
      return; // No PostgreSQL in this run: nothing to drop.
    }
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
 * Tests that run the `switchyard` binary need dist/ to match src/. Type errors are the type check's
 * business (a separate CI step), so the build here only has to emit.
 */
function buildOnce(): void {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.build.json'], {
    encoding: 'utf8',
  });
  if (!existsSync('dist/cli/main.js')) {
    throw new Error(`Building dist/ for the CLI tests failed:\n${result.stdout}${result.stderr}`);
  }
}
