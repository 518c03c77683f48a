import { afterEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { migrateToLatest, pendingMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';
import { DEFAULT_WORKSPACE_ID } from './workspace.js';

describeEachDatabase('migrations', (database) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.dispose();
    store = undefined;
  });

  it('applies every migration to an empty database, then has nothing left to apply', async () => {
    store = await database.openEmpty();
    expect(await pendingMigrations(store)).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(store)).toEqual(Object.keys(migrations));
    expect(await pendingMigrations(store)).toEqual([]);
    expect(await migrateToLatest(store)).toEqual([]);
  });

  it('migrates a second store beside an already migrated one (another schema or file)', async () => {
    store = await database.openMigrated();
    const beside = await database.openEmpty();
    try {
      expect(await pendingMigrations(beside)).toEqual(Object.keys(migrations));
      expect(await migrateToLatest(beside)).toEqual(Object.keys(migrations));
    } finally {
      await beside.dispose();
    }
  });

  it('lists only its own tables, however many stores share the database', async () => {
    // Kysely's Migrator lists tables on every migration; listing every schema's made each
    // `switchyard` command take seconds on a PostgreSQL database shared by many stores.
    store = await database.openMigrated();
    const beside = await database.openMigrated();
    try {
      const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
      const names = tables.map((table) => table.name);
      expect(names).toContain('workspaces');
      expect(new Set(names).size).toBe(names.length);
      expect(new Set(tables.map((table) => table.schema)).size).toBe(1);
    } finally {
      await beside.dispose();
    }
  });

  it('creates the default workspace that every row belongs to', async () => {
    store = await database.openMigrated();
    const workspaces = await store.db.selectFrom('workspaces').selectAll().execute();
    expect(workspaces).toHaveLength(1);
    expect(workspaces[0]?.workspace_id).toBe(DEFAULT_WORKSPACE_ID);
  });
});
