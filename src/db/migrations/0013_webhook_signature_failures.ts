import type { Kysely, Migration } from 'kysely';

/**
 * Deliveries to one of our endpoints whose signature did not verify: when, and why in a word
 * (never the payload or the header), so doctor can tell that Stripe signs with a secret we lack.
 */
export const webhookSignatureFailures: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhook_signature_failures')
      .addColumn('failure_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('endpoint_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('reason', 'varchar(40)', (column) => column.notNull())
      .addColumn('received_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_signature_failures_recent')
      .on('webhook_signature_failures')
      .columns(['endpoint_id', 'received_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('webhook_signature_failures').execute();
  },
};
