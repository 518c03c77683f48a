import type { Kysely, Migration } from 'kysely';

/**
 * Issue 17: Abandoned checkouts. What a buyer agreed to on the contact form (when, and the words
 * they saw), and the one recovery email an order may get: its row is claimed before the mail
 * goes out, so the primary key lets only one instance send it.
 */
export const recovery: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('checkout_consents')
      .addColumn('order_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      // The order step the buyer agreed on: the recovery link brings them back to its payment.
      .addColumn('step_slug', 'varchar(100)', (column) => column.notNull())
      .addColumn('wording', 'varchar(1000)', (column) => column.notNull())
      .addColumn('agreed_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('recovery_emails')
      .addColumn('order_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('claimed_at', 'varchar(32)', (column) => column.notNull())
      // Null while the claimed mail is on its way (or its sending failed).
      .addColumn('sent_at', 'varchar(32)')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('recovery_emails').execute();
    await db.schema.dropTable('checkout_consents').execute();
  },
};
