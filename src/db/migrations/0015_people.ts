import type { Kysely, Migration } from 'kysely';

/**
 * The console's people (issue 15): users of a workspace with a role and an argon2id password
 * hash, their sessions (only the SHA-256 of a session token is kept), invites by one-time link,
 * one-time codes (the setup code printed at start, the demo's sign-in link) and the counters that
 * limit sign-in attempts per IP and per email across every instance.
 */
export const people: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('user_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      // Trimmed and lower-cased, so one person is one user whatever the case they type.
      .addColumn('email', 'varchar(320)', (column) => column.notNull())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('role', 'varchar(16)', (column) => column.notNull())
      .addColumn('password_hash', 'text', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('users_email')
      .on('users')
      .columns(['workspace_id', 'email'])
      .unique()
      .execute();
    await db.schema
      .createTable('console_sessions')
      .addColumn('session_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('token_hash', 'varchar(64)', (column) => column.notNull().unique())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('user_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('last_seen_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('expires_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('revoked_at', 'varchar(32)')
      .execute();
    await db.schema
      .createIndex('console_sessions_user')
      .on('console_sessions')
      .columns(['user_id'])
      .execute();
    await db.schema
      .createTable('user_invites')
      .addColumn('invite_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('token_hash', 'varchar(64)', (column) => column.notNull().unique())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('email', 'varchar(320)', (column) => column.notNull())
      .addColumn('role', 'varchar(16)', (column) => column.notNull())
      .addColumn('invited_by', 'varchar(200)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('expires_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('accepted_at', 'varchar(32)')
      .addColumn('revoked_at', 'varchar(32)')
      .execute();
    await db.schema
      .createTable('one_time_codes')
      .addColumn('code_hash', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      // 'setup' (the first owner) or 'sign_in' (the demo's link for its owner).
      .addColumn('purpose', 'varchar(16)', (column) => column.notNull())
      .addColumn('user_id', 'varchar(40)')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('expires_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('used_at', 'varchar(32)')
      .execute();
    await db.schema
      .createTable('sign_in_throttle')
      // `ip:<address>` or `email:<address>`.
      .addColumn('throttle_key', 'varchar(400)', (column) => column.primaryKey())
      .addColumn('window_start', 'varchar(32)', (column) => column.notNull())
      .addColumn('failures', 'integer', (column) => column.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'sign_in_throttle',
      'one_time_codes',
      'user_invites',
      'console_sessions',
      'users',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
