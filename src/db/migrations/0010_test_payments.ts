import type { Kysely, Migration } from 'kysely';

/**
 * Test payments (each run's outcome with its Stripe ids and latency), and the PaymentIntents
 * found at Stripe with Switchyard's metadata but no record here, with how far each account's
 * search has read (per mode).
 */
export const testPayments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('test_payments')
      .addColumn('test_payment_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('account_handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('actor', 'varchar(120)', (column) => column.notNull())
      .addColumn('started_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('finished_at', 'varchar(32)')
      .addColumn('outcome', 'varchar(16)', (column) => column.notNull())
      .addColumn('amount', 'integer', (column) => column.notNull())
      .addColumn('currency', 'varchar(3)', (column) => column.notNull())
      .addColumn('payment_intent_id', 'varchar(100)')
      .addColumn('refund_id', 'varchar(100)')
      .addColumn('request_id', 'varchar(100)')
      .addColumn('error_code', 'varchar(100)')
      .addColumn('error_message', 'varchar(1000)')
      .addColumn('latency_ms', 'integer')
      .execute();
    await db.schema
      .createIndex('test_payments_latest')
      .on('test_payments')
      .columns(['account_id', 'mode', 'started_at'])
      .execute();
    await db.schema
      .createTable('unrecorded_payments')
      .addColumn('payment_intent_id', 'varchar(100)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('account_handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('currency', 'varchar(3)', (column) => column.notNull())
      .addColumn('stripe_status', 'varchar(40)', (column) => column.notNull())
      .addColumn('order_id', 'varchar(100)')
      .addColumn('payment_id', 'varchar(100)')
      .addColumn('stripe_created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('found_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('state', 'varchar(16)', (column) => column.notNull())
      .addColumn('reason', 'varchar(1000)', (column) => column.notNull())
      .addColumn('resolved_at', 'varchar(32)')
      .addColumn('resolved_by', 'varchar(120)')
      .execute();
    await db.schema
      .createIndex('unrecorded_payments_open')
      .on('unrecorded_payments')
      .columns(['workspace_id', 'state', 'account_id', 'mode'])
      .execute();
    await db.schema
      .createTable('unrecorded_search_cursors')
      .addColumn('account_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('searched_until', 'integer', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('unrecorded_search_cursors_key', ['account_id', 'mode'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('unrecorded_search_cursors').execute();
    await db.schema.dropIndex('unrecorded_payments_open').execute();
    await db.schema.dropTable('unrecorded_payments').execute();
    await db.schema.dropIndex('test_payments_latest').execute();
    await db.schema.dropTable('test_payments').execute();
  },
};
