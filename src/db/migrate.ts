import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { AppError } from '../errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

function migratorFor(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
}

/** Applies every pending migration; returns the names it applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const result: MigrationResultSet = await migratorFor(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((step) => step.status === 'Error')?.migrationName;
    throw new AppError(
      'internal',
      `Database migration ${failed ?? ''} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}. Nothing after it was applied; fix the cause and run "switchyard migrate" again.`,
      null,
      { cause: result.error },
    );
  }
  return (result.results ?? [])
    .filter((step) => step.status === 'Success')
    .map((step) => step.migrationName);
}

/** Names of migrations this code knows that the database has not applied yet. */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const known = await migratorFor(db).getMigrations();
  return known.filter((migration) => migration.executedAt === undefined).map((m) => m.name);
}
