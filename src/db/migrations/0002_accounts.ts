import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Stripe accounts and what hangs off them: credentials per mode (secrets encrypted), the audit log,
 * admin API tokens, webhook endpoints registered at Stripe and the events they deliver.
 */
export const accounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('accounts')
      .addColumn('account_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) =>
        column.notNull().references('workspaces.workspace_id'),
      )
      .addColumn('handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('label', 'varchar(200)', (column) => column.notNull())
      .addColumn('purpose', 'text', (column) => column.notNull())
      .addColumn('role', 'varchar(16)', (column) => column.notNull())
      .addColumn('priority', 'integer', (column) => column.notNull())
      .addColumn('currencies', 'text')
      .addColumn('enabled', 'integer', (column) => column.notNull())
      .addColumn('drain', 'integer', (column) => column.notNull())
      .addColumn('connected_by', 'varchar(16)', (column) => column.notNull())
      .addColumn('stripe_account_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('country', 'varchar(2)')
      .addColumn('default_currency', 'varchar(3)')
      .addColumn('charges_enabled', 'integer', (column) => column.notNull())
      .addColumn('disabled_reason', 'varchar(200)')
      .addColumn('status', 'varchar(16)', (column) => column.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('verified_at', 'varchar(32)')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('removed_at', 'varchar(32)')
      .execute();
    // A handle names one live account; a removed account keeps its row (and its payments) but
    // frees the handle.
    await db.schema
      .createIndex('accounts_live_handle')
      .on('accounts')
      .columns(['workspace_id', 'handle'])
      .unique()
      .where(sql.ref('removed_at'), 'is', null)
      .execute();
    // Exactly one primary, and one live handle per Stripe account, even when two requests race.
    await db.schema
      .createIndex('accounts_one_primary')
      .on('accounts')
      .column('workspace_id')
      .unique()
      .where(sql<boolean>`role = 'primary' and removed_at is null`)
      .execute();
    await db.schema
      .createIndex('accounts_live_stripe_account')
      .on('accounts')
      .columns(['workspace_id', 'stripe_account_id'])
      .unique()
      .where(sql.ref('removed_at'), 'is', null)
      .execute();

    await db.schema
      .createTable('account_credentials')
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('kind', 'varchar(16)', (column) => column.notNull())
      .addColumn('secret_encrypted', 'text', (column) => column.notNull())
      .addColumn('secret_masked', 'varchar(64)', (column) => column.notNull())
      .addColumn('publishable_key', 'varchar(255)', (column) => column.notNull())
      .addColumn('refresh_token_encrypted', 'text')
      .addColumn('scope', 'varchar(64)')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('account_credentials_pk', ['account_id', 'mode'])
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('audit_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('at', 'varchar(32)', (column) => column.notNull())
      .addColumn('actor', 'varchar(200)', (column) => column.notNull())
      .addColumn('action', 'varchar(64)', (column) => column.notNull())
      .addColumn('subject', 'varchar(200)', (column) => column.notNull())
      .addColumn('before', 'text')
      .addColumn('after', 'text')
      .execute();
    await db.schema
      .createIndex('audit_log_by_time')
      .on('audit_log')
      .columns(['workspace_id', 'at'])
      .execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('token_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('token_hash', 'varchar(64)', (column) => column.notNull().unique())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('last_used_at', 'varchar(32)')
      .addColumn('revoked_at', 'varchar(32)')
      .execute();

    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('endpoint_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('stripe_endpoint_id', 'varchar(64)')
      .addColumn('url', 'text', (column) => column.notNull())
      .addColumn('secret_encrypted', 'text')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('removed_at', 'varchar(32)')
      .execute();

    await db.schema
      .createTable('webhook_events')
      .addColumn('webhook_event_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('endpoint_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('stripe_event_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('type', 'varchar(100)', (column) => column.notNull())
      .addColumn('stripe_created', 'integer', (column) => column.notNull())
      .addColumn('payload', 'text', (column) => column.notNull())
      .addColumn('received_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('processed_at', 'varchar(32)')
      .addColumn('attempts', 'integer', (column) => column.notNull())
      .addColumn('last_error', 'text')
      .execute();
    // Stripe delivers at least once: an event is stored once per account, whatever arrives again.
    await db.schema
      .createIndex('webhook_events_once')
      .on('webhook_events')
      .columns(['account_id', 'stripe_event_id'])
      .unique()
      .execute();

    // "Connect with Stripe": each authorize link carries a state that is used once, within minutes.
    await db.schema
      .createTable('oauth_states')
      .addColumn('state_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('actor', 'varchar(200)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('expires_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('used_at', 'varchar(32)')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'oauth_states',
      'webhook_events',
      'webhook_endpoints',
      'api_tokens',
      'audit_log',
      'account_credentials',
      'accounts',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
