import { type Kysely, PostgresAdapter } from 'kysely';

/** Whether the store behind this Kysely instance is PostgreSQL (else SQLite). */
export function isPostgres<T>(db: Kysely<T>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
