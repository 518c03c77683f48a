import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Issue 18: who holds a stored webhook event's claim (an instance's random token), so that only
 * the holder renews it or gives it back, and an index over the events still waiting, which every
 * claim reads.
 */
export const webhookClaims: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('webhook_events').addColumn('claimed_by', 'varchar(64)').execute();
    await db.schema
      .createIndex('webhook_events_waiting')
      .on('webhook_events')
      .columns(['stripe_created', 'received_at'])
      .where(sql.ref('processed_at'), 'is', null)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('webhook_events_waiting').execute();
    await db.schema.alterTable('webhook_events').dropColumn('claimed_by').execute();
  },
};
