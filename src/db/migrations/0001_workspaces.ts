import { type Kysely, type Migration, sql } from 'kysely';
import { DEFAULT_WORKSPACE_ID } from '../workspace.js';

export const workspaces: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('workspaces')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await sql`insert into workspaces (workspace_id, name, created_at)
              values (${DEFAULT_WORKSPACE_ID}, ${'Default workspace'}, ${new Date().toISOString()})`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('workspaces').execute();
  },
};
