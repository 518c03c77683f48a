import { type MigrationResultSet, Migrator, sql } from 'kysely';
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
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** Applies every pending migration; returns the names it applied. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const result: MigrationResultSet = await (await migratorFor(store)).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((step) => step.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new AppError(
      'internal',
      `Database migration ${failed ?? '(setup)'} failed: ${reason}. Nothing after it was applied; fix the cause and run "switchyard migrate" again.`,
      null,
      { cause: result.error },
    );
  }
  return (result.results ?? [])
    .filter((step) => step.status === 'Success')
    .map((step) => step.migrationName);
}

/** Names of migrations this code knows that the database has not applied yet. */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const known = await (await migratorFor(store)).getMigrations();
  return known.filter((migration) => migration.executedAt === undefined).map((m) => m.name);
}
