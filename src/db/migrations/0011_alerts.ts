import type { Kysely, Migration } from 'kysely';

/**
 * Alerts: the channels set through the API or CLI (secrets sealed by the vault), the conditions
 * doctor reported (so each is told once, then once when it clears), every message queued per
 * channel with its retries, and the marks the job keeps (how far the audit log was read, the
 * last digest).
 */
export const alerts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('alert_settings')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('sealed_slack_webhook_url', 'text')
      .addColumn('sealed_smtp_url', 'text')
      .addColumn('email_from', 'varchar(320)')
      .addColumn('email_to', 'text')
      .addColumn('warnings', 'integer')
      .addColumn('digest', 'integer')
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_by', 'varchar(200)', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('alert_conditions')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('code', 'varchar(64)', (column) => column.notNull())
      // '' for a workspace finding (a primary key column cannot be null).
      .addColumn('account', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('status', 'varchar(8)', (column) => column.notNull())
      .addColumn('detail', 'text', (column) => column.notNull())
      .addColumn('since', 'varchar(32)', (column) => column.notNull())
      .addColumn('notified_at', 'varchar(32)')
      .addColumn('resolved_at', 'varchar(32)')
      .addPrimaryKeyConstraint('alert_conditions_key', ['workspace_id', 'code', 'account', 'mode'])
      .execute();
    await db.schema
      .createTable('alert_deliveries')
      .addColumn('delivery_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('channel', 'varchar(16)', (column) => column.notNull())
      // What the message is about, so the same news is queued once per channel.
      .addColumn('topic', 'varchar(300)', (column) => column.notNull())
      .addColumn('subject', 'text', (column) => column.notNull())
      .addColumn('body', 'text', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull())
      .addColumn('next_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('last_error', 'text')
      .addColumn('sent_at', 'varchar(32)')
      .addColumn('gave_up_at', 'varchar(32)')
      .execute();
    await db.schema
      .createIndex('alert_deliveries_topic')
      .on('alert_deliveries')
      .columns(['workspace_id', 'channel', 'topic'])
      .unique()
      .execute();
    await db.schema
      .createIndex('alert_deliveries_due')
      .on('alert_deliveries')
      .columns(['workspace_id', 'sent_at', 'next_at'])
      .execute();
    await db.schema
      .createTable('alert_marks')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('name', 'varchar(40)', (column) => column.notNull())
      .addColumn('value', 'varchar(200)', (column) => column.notNull())
      .addPrimaryKeyConstraint('alert_marks_key', ['workspace_id', 'name'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('alert_marks').execute();
    await db.schema.dropTable('alert_deliveries').execute();
    await db.schema.dropTable('alert_conditions').execute();
    await db.schema.dropTable('alert_settings').execute();
  },
};
