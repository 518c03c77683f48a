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

  it('creates the default workspace that every row belongs to', async () => {
    store = await database.openMigrated();
    const workspaces = await store.db.selectFrom('workspaces').selectAll().execute();
    expect(workspaces).toHaveLength(1);
    expect(workspaces[0]?.workspace_id).toBe(DEFAULT_WORKSPACE_ID);
  });
});
