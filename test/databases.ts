import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import { type DialectName, openStore, type Store, type StoreOptions } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { postgresUrl } from './postgres-setup.js';

/**
 * Every suite that touches the store runs once per database: SQLite always, PostgreSQL when it
 * answers at TEST_DATABASE_URL, and PostgreSQL is required (a failure, not a skip) when
 * REQUIRE_POSTGRES=1, as in CI.
 */
export interface TestDatabase {
  readonly name: DialectName;
  /** Why this database is skipped here, or null when it runs. */
  readonly unavailable: string | null;
  /** A fresh, empty store of its own (a temp file, or a new PostgreSQL schema). */
  openEmpty(options?: TestStoreOptions): Promise<TestStore>;
  /** A fresh store with every migration applied. */
  openMigrated(options?: TestStoreOptions): Promise<TestStore>;
}

/** What a test may ask of its store beyond the defaults (a statement counter). */
export type TestStoreOptions = Pick<StoreOptions, 'counter'>;

export interface TestStore extends Store {
  /** The DATABASE_URL a server process would need to reach this same store. */
  readonly url: string;
  /** Closes the store and removes what it created. */
  dispose(): Promise<void>;
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  unavailable: null,
  async openEmpty(options = {}) {
    const folder = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    const url = `sqlite:${join(folder, 'switchyard.db')}`;
    const store = openStore(url, options);
    return {
      ...store,
      url,
      async dispose() {
        await store.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  },
  openMigrated: (options) => migrated(sqlite, options),
};

function postgres(unavailable: string | null): TestDatabase {
  const database: TestDatabase = {
    name: 'postgres',
    unavailable,
    async openEmpty(options = {}) {
      const schema = `${schemaPrefix()}${randomBytes(6).toString('hex')}`;
      await adminQuery(`create schema ${schema}`);
      const store = openStore(postgresUrl, { ...options, schema });
      const url = new URL(postgresUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        ...store,
        url: url.toString(),
        // The schema is dropped when the whole run ends (test/global-setup.ts): dropping it now
        // races other workers' migrations, which list every schema.
        dispose: () => store.close(),
      };
    },
    openMigrated: (options) => migrated(database, options),
  };
  return database;
}

async function migrated(database: TestDatabase, options?: TestStoreOptions): Promise<TestStore> {
  const store = await database.openEmpty(options);
  await migrateToLatest(store);
  return store;
}

/** Schemas of this test run share a prefix, so the run can drop exactly its own at the end. */
export function schemaPrefix(): string {
  const run = process.env.SWITCHYARD_TEST_RUN;
  if (!run)
    throw new Error(
      'SWITCHYARD_TEST_RUN is set by test/global-setup.ts; run the tests with vitest.',
    );
  return `t_${run}_`;
}

export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Why test/global-setup.ts found PostgreSQL unable to run its half, or null when it runs. */
function postgresSkipReason(): string | null {
  const reason = process.env.SWITCHYARD_TEST_POSTGRES_SKIPPED;
  if (reason === undefined)
    throw new Error(
      'SWITCHYARD_TEST_POSTGRES_SKIPPED is set by test/global-setup.ts; run the tests with vitest.',
    );
  return reason === '' ? null : reason;
}

export const testDatabases: readonly TestDatabase[] = [sqlite, postgres(postgresSkipReason())];

/** `describe` once per database; a PostgreSQL that is not there is skipped with the reason in the title. */
export function describeEachDatabase(title: string, body: (database: TestDatabase) => void): void {
  for (const database of testDatabases) {
    const label = database.unavailable
      ? `${title} [${database.name}: skipped, ${database.unavailable}]`
      : `${title} [${database.name}]`;
    describe.skipIf(database.unavailable !== null)(label, () => body(database));
  }
}
