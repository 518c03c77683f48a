import { DEFAULT_MIGRATION_TABLE, type MigrationResultSet, Migrator, sql } from 'kysely';
import { AppError } from '../errors.js';
import type { Store } from './database.js';
import { migrations } from './migrations/index.js';

async function migratorFor(store: Store): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one; name ours, so
  // another schema in the same PostgreSQL database (another instance, a test) cannot mislead it.
  const schema =
    store.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]
          ?.schema
      : undefined;
  return new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    // Migrations are numbered per change and land in any order (0007 may be applied before 0006);
    // each stands alone, so one missing in the middle is applied rather than refused.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/**
 * The migrations the database records as applied, or null before the first one: two small
 * queries, where the Migrator takes a lock and lists the schema's tables (every `switchyard`
 * command and every readiness probe asks).
 */
async function appliedMigrations(store: Store): Promise<Set<string> | null> {
  const table = DEFAULT_MIGRATION_TABLE;
  const found =
    store.dialect === 'postgres'
      ? sql`select 1 where to_regclass(quote_ident(current_schema()) || '.' || ${table}::text) is not null`
      : sql`select 1 from sqlite_master where type = 'table' and name = ${table}`;
  if ((await found.execute(store.db)).rows.length === 0) return null;
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(table)}`.execute(
    store.db,
  );
  return new Set(rows.map((row) => row.name));
}

/** Applies every pending migration; returns the names it applied. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const applied = await appliedMigrations(store);
  const known = Object.keys(migrations);
  // Up to date, the common case: nothing to lock. Anything else (pending, or applied migrations
  // this code does not know) goes through the Migrator, which applies or reports it.
  if (applied?.size === known.length && known.every((name) => applied.has(name))) return [];
  const result: MigrationResultSet = await (await migratorFor(store)).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((step) => step.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new AppError(
      'internal',
      `Database migration ${failed ?? '(setup)'} failed: ${reason}. Nothing after it was applied; fix the cause and migrate again.`,
      { next: 'migrate' },
      { cause: result.error },
    );
  }
  return (result.results ?? [])
    .filter((step) => step.status === 'Success')
    .map((step) => step.migrationName);
}

/** Names of migrations this code knows that the database has not applied yet. */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const applied = (await appliedMigrations(store)) ?? new Set();
  return Object.keys(migrations)
    .filter((name) => !applied.has(name))
    .sort();
}
