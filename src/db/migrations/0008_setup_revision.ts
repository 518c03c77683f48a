import { type Kysely, type Migration, sql } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * One number that every change to the shop's setup moves on: accounts, their keys, the active
 * routing and the catalog. Each instance caches what it read of these and asks only this number
 * per request, so a change made by another instance (or the CLI) is seen by the next request.
 * Triggers bump it in the writer's own transaction, whatever code wrote the change.
 */
export const setupTables = [
  'accounts',
  'account_credentials',
  'routing_versions',
  'routing_active',
  'products',
  'product_prices',
  'funnels',
  'funnel_steps',
] as const;

const events = ['insert', 'update', 'delete'] as const;

export const setupRevision: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('setup_revision')
      .addColumn('revision', 'integer', (column) => column.notNull())
      .execute();
    await sql`insert into setup_revision (revision) values (0)`.execute(db);
    if (isPostgres(db)) {
      // The search path is fixed when the function is made: the schema of these tables.
      await sql`create function bump_setup_revision() returns trigger language plpgsql
        set search_path from current as $$
        begin
          update setup_revision set revision = revision + 1;
          return null;
        end $$`.execute(db);
      for (const table of setupTables) {
        await sql`create trigger ${sql.id(`${table}_setup_revision`)}
          after insert or update or delete on ${sql.table(table)}
          for each statement execute function bump_setup_revision()`.execute(db);
      }
      return;
    }
    for (const table of setupTables) {
      for (const event of events) {
        await sql`create trigger ${sql.id(`${table}_setup_revision_${event}`)}
          after ${sql.raw(event)} on ${sql.table(table)}
          begin update setup_revision set revision = revision + 1; end`.execute(db);
      }
    }
  },
  async down(db: Kysely<unknown>) {
    if (isPostgres(db)) {
      for (const table of setupTables) {
        await sql`drop trigger ${sql.id(`${table}_setup_revision`)} on ${sql.table(table)}`.execute(
          db,
        );
      }
      await sql`drop function bump_setup_revision()`.execute(db);
    } else {
      for (const table of setupTables) {
        for (const event of events) {
          await sql`drop trigger ${sql.id(`${table}_setup_revision_${event}`)}`.execute(db);
        }
      }
    }
    await db.schema.dropTable('setup_revision').execute();
  },
};
