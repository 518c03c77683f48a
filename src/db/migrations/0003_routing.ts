import type { Kysely, Migration } from 'kysely';

/**
 * Routing at run time: the numbered routing config versions and which one is active, the circuit
 * breaker of each account and mode (shared by every instance), and every attempt to take a
 * payment on an account.
 */
export const routing: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('routing_versions')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('version', 'integer', (column) => column.notNull())
      .addColumn('document', 'text', (column) => column.notNull())
      .addColumn('author', 'varchar(200)', (column) => column.notNull())
      .addColumn('message', 'text', (column) => column.notNull())
      .addColumn('restored_from', 'integer')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('routing_versions_pk', ['workspace_id', 'version'])
      .execute();

    await db.schema
      .createTable('routing_active')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('version', 'integer', (column) => column.notNull())
      .addColumn('activated_at', 'varchar(32)', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('account_breakers')
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('state', 'varchar(16)', (column) => column.notNull())
      .addColumn('consecutive_failures', 'integer', (column) => column.notNull())
      .addColumn('epoch', 'integer', (column) => column.notNull())
      .addColumn('recent', 'text', (column) => column.notNull())
      .addColumn('state_changed_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('trial_started_at', 'varchar(32)')
      .addColumn('revision', 'integer', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('account_breakers_pk', ['account_id', 'mode'])
      .execute();

    await db.schema
      .createTable('payment_attempts')
      .addColumn('attempt_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('payment_id', 'varchar(100)', (column) => column.notNull())
      .addColumn('attempt_number', 'integer', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('account_handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('idempotency_key', 'varchar(200)', (column) => column.notNull().unique())
      .addColumn('amount', 'integer', (column) => column.notNull())
      .addColumn('currency', 'varchar(3)', (column) => column.notNull())
      .addColumn('status', 'varchar(16)', (column) => column.notNull())
      .addColumn('failure_kind', 'varchar(32)')
      .addColumn('stripe_code', 'varchar(100)')
      .addColumn('decline_code', 'varchar(100)')
      .addColumn('http_status', 'integer')
      .addColumn('request_id', 'varchar(100)')
      .addColumn('message', 'text')
      .addColumn('payment_intent_id', 'varchar(100)')
      .addColumn('latency_ms', 'integer')
      .addColumn('decision', 'text', (column) => column.notNull())
      .addColumn('started_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('finished_at', 'varchar(32)')
      .execute();
    // One row per attempt number: two instances racing on one payment cannot both take attempt n.
    await db.schema
      .createIndex('payment_attempts_once')
      .on('payment_attempts')
      .columns(['workspace_id', 'payment_id', 'attempt_number'])
      .unique()
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'payment_attempts',
      'account_breakers',
      'routing_active',
      'routing_versions',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
