import type { Kysely, Migration } from 'kysely';

/**
 * Reconciliation's own bookkeeping: when each unsettled payment is next asked of Stripe, and how
 * far each account's events list has been read (per mode), so missed webhooks are fetched once.
 */
export const reconciliation: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('payment_checks')
      .addColumn('payment_id', 'varchar(100)', (column) =>
        column.primaryKey().references('payments.payment_id'),
      )
      .addColumn('checks', 'integer', (column) => column.notNull())
      .addColumn('checked_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('next_check_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('payments_unsettled')
      .on('payments')
      .columns(['workspace_id', 'status', 'created_at'])
      .execute();
    await db.schema
      .createTable('stripe_event_cursors')
      .addColumn('account_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('last_event_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('last_event_created', 'integer', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('stripe_event_cursors_key', ['account_id', 'mode'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('stripe_event_cursors').execute();
    await db.schema.dropIndex('payments_unsettled').execute();
    await db.schema.dropTable('payment_checks').execute();
  },
};
