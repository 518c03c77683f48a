import type { Kysely, Migration } from 'kysely';

/**
 * Issue 16: volume caps per account, the routing context stored with each payment (for replay),
 * the usage sums checkout reads before routing (one index), and migration ramp schedules.
 */
export const splitsCapsRamps: Migration = {
  async up(db: Kysely<unknown>) {
    // JSON list of {currency, period, amount}; null: no caps.
    await db.schema.alterTable('accounts').addColumn('caps', 'text').execute();
    // JSON of the PaymentContext the router saw for the payment's first attempt (no health).
    await db.schema.alterTable('payments').addColumn('routing_context', 'text').execute();
    await db.schema
      .createIndex('payments_usage')
      .on('payments')
      .columns(['workspace_id', 'account_id', 'currency', 'created_at'])
      .execute();

    await db.schema
      .createTable('routing_ramps')
      .addColumn('ramp_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('from_handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('to_handle', 'varchar(40)', (column) => column.notNull())
      // JSON list of the new account's percentages, e.g. [10, 25, 50, 100].
      .addColumn('steps', 'text', (column) => column.notNull())
      .addColumn('every_seconds', 'integer', (column) => column.notNull())
      // Index into steps of the next step to write; equal to the length once done.
      .addColumn('next_step', 'integer', (column) => column.notNull())
      .addColumn('next_at', 'varchar(32)')
      // active, done or canceled.
      .addColumn('status', 'varchar(16)', (column) => column.notNull())
      .addColumn('last_version', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_by', 'varchar(200)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('routing_ramps_due')
      .on('routing_ramps')
      .columns(['workspace_id', 'status', 'next_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('routing_ramps').execute();
    await db.schema.dropIndex('payments_usage').execute();
    await db.schema.alterTable('payments').dropColumn('routing_context').execute();
    await db.schema.alterTable('accounts').dropColumn('caps').execute();
  },
};
