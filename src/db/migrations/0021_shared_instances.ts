import type { Kysely, Migration } from 'kysely';

/**
 * Issue 18: what several instances on one database must share. The checkout rate limits' counts
 * (one row per limit key and minute window, counted by an atomic upsert), and a claim on each
 * stored webhook event, so that two instances processing at once react to an event once.
 */
export const sharedInstances: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('checkout_limit_hits')
      // sha256 of `ip:<address>` or `email:<address>`: no address is kept in plain text.
      .addColumn('limit_key', 'varchar(64)', (column) => column.notNull())
      .addColumn('window_start', 'varchar(32)', (column) => column.notNull())
      .addColumn('hits', 'integer', (column) => column.notNull())
      .addPrimaryKeyConstraint('checkout_limit_hits_pkey', ['limit_key', 'window_start'])
      .execute();
    await db.schema
      .createIndex('checkout_limit_hits_by_window')
      .on('checkout_limit_hits')
      .column('window_start')
      .execute();
    await db.schema
      .alterTable('webhook_events')
      // Until when one instance is reacting to the event; a crashed claimer's claim runs out.
      .addColumn('claimed_until', 'varchar(32)')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('webhook_events').dropColumn('claimed_until').execute();
    await db.schema.dropTable('checkout_limit_hits').execute();
  },
};
