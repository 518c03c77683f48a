import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabases } from './databases.js';
import { postgresUrl, preparePostgres } from './postgres-setup.js';

function withDatabase(url: string, database: string): string {
  const changed = new URL(url);
  changed.pathname = `/${database}`;
  return changed.toString();
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withDatabase(postgresUrl, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

const skipReason = testDatabases.find((database) => database.name === 'postgres')?.unavailable;

describe.skipIf(Boolean(skipReason))(
  `the test run's PostgreSQL setup${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    // A database of this test's own: the run's switchyard_test is in use by every other suite.
    const missing = `switchyard_test_probe_${randomBytes(4).toString('hex')}`;
    // DROP DATABASE waits for a checkpoint, which writes every dirty page of the server: seconds
    // alone, tens of seconds while other suites write; hence a hook timeout of its own.
    afterAll(async () => {
      const client = new pg.Client({ connectionString: withDatabase(postgresUrl, 'postgres') });
      await client.connect();
      await client.query(`drop database if exists ${missing}`).finally(() => client.end());
    }, 120_000);

    it('creates the test database when the server answers and it is missing', async () => {
      expect(await databaseExists(missing)).toBe(false);
      expect(await preparePostgres(withDatabase(postgresUrl, missing))).toBeNull();
      expect(await databaseExists(missing)).toBe(true);
      // Run again, it finds the database there.
      expect(await preparePostgres(withDatabase(postgresUrl, missing))).toBeNull();
    });
  },
);

describe('the test run, when PostgreSQL cannot run its half', () => {
  it('says why in one line, without the password', async () => {
    const reason = await preparePostgres('postgres://postgres:hunter2@127.0.0.1:1/switchyard_test');
    expect(reason).toMatch(
      /^PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/switchyard_test does not answer \(connect ECONNREFUSED 127\.0\.0\.1:1\)$/,
    );
  });
});
