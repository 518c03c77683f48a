import type { Kysely, Migration } from 'kysely';

/**
 * Each "Connect with Stripe" return that connected nothing (denied, an expired or forged link, a
 * refused code), so `switchyard doctor` can say what went wrong in the last day. No code, state
 * or token is kept: only the handle, the outcome and what the page told the merchant.
 */
export const connectCallbackFailures: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('connect_callback_failures')
      .addColumn('failure_id', 'varchar(40)', (column) => column.primaryKey())
      // Null when the link carried no state Switchyard issued (so no workspace or handle).
      .addColumn('workspace_id', 'varchar(64)')
      .addColumn('handle', 'varchar(40)')
      .addColumn('outcome', 'varchar(40)', (column) => column.notNull())
      .addColumn('stripe_error', 'varchar(200)')
      .addColumn('message', 'varchar(1000)', (column) => column.notNull())
      .addColumn('occurred_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('connect_callback_failures_by_time')
      .on('connect_callback_failures')
      .columns(['occurred_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('connect_callback_failures').execute();
  },
};
