import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The record of what happened to a payment: every request an attempt sent to Stripe (a 429, a
 * reset and a success are three tries of one attempt, not one row overwritten), and every charge
 * of a card that Stripe reports on a PaymentIntent (declines, failed authentication, the one that
 * paid). An attempt that made its PaymentIntent is `created`, not `succeeded`: the card is paid
 * or declined later.
 */
export const attemptHistory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('payment_attempt_tries')
      .addColumn('try_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('attempt_id', 'varchar(40)', (column) =>
        column.notNull().references('payment_attempts.attempt_id'),
      )
      .addColumn('try_number', 'integer', (column) => column.notNull())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('payment_id', 'varchar(100)', (column) => column.notNull())
      .addColumn('outcome', 'varchar(16)', (column) => column.notNull())
      .addColumn('failure_kind', 'varchar(32)')
      .addColumn('stripe_code', 'varchar(100)')
      .addColumn('decline_code', 'varchar(100)')
      .addColumn('http_status', 'integer')
      .addColumn('request_id', 'varchar(100)')
      .addColumn('message', 'text')
      .addColumn('latency_ms', 'integer', (column) => column.notNull())
      .addColumn('started_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('finished_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    // Not unique: two instances resending one attempt at once both sent their try, and both count.
    await db.schema
      .createIndex('payment_attempt_tries_payment')
      .on('payment_attempt_tries')
      .columns(['workspace_id', 'payment_id'])
      .execute();

    await db.schema
      .createTable('charge_attempts')
      .addColumn('charge_attempt_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('payment_id', 'varchar(100)', (column) =>
        column.notNull().references('payments.payment_id'),
      )
      .addColumn('payment_intent_id', 'varchar(100)', (column) => column.notNull())
      .addColumn('charge_key', 'varchar(300)', (column) => column.notNull())
      .addColumn('charge_id', 'varchar(100)')
      .addColumn('outcome', 'varchar(32)', (column) => column.notNull())
      .addColumn('stripe_code', 'varchar(100)')
      .addColumn('decline_code', 'varchar(100)')
      .addColumn('message', 'text')
      .addColumn('source', 'varchar(64)', (column) => column.notNull())
      .addColumn('recorded_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    // A duplicated webhook, or the return page reading what a webhook told, records it once.
    await db.schema
      .createIndex('charge_attempts_once')
      .on('charge_attempts')
      .columns(['payment_id', 'charge_key'])
      .unique()
      .execute();

    await sql`UPDATE payment_attempts SET status = 'created' WHERE status = 'succeeded'`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`UPDATE payment_attempts SET status = 'succeeded' WHERE status = 'created'`.execute(
      db,
    );
    await db.schema.dropTable('charge_attempts').execute();
    await db.schema.dropTable('payment_attempt_tries').execute();
  },
};
