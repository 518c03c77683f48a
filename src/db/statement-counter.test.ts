import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { createStatementCounter } from './statement-counter.js';
import { DEFAULT_WORKSPACE_ID } from './workspace.js';

describeEachDatabase('the statement counter', (database) => {
  const counter = createStatementCounter();
  let store: TestStore;
  beforeEach(async () => {
    store = await database.openMigrated({ counter });
    counter.reset();
  });
  afterEach(() => store.dispose());

  const readWorkspace = () =>
    store.db
      .selectFrom('workspaces')
      .select('name')
      .where('workspace_id', '=', DEFAULT_WORKSPACE_ID)
      .executeTakeFirst();
  const renameWorkspace = (db: TestStore['db'], name: string) =>
    db
      .updateTable('workspaces')
      .set({ name })
      .where('workspace_id', '=', DEFAULT_WORKSPACE_ID)
      .execute();

  it('counts a write on its own as a commit, and a read as none', async () => {
    await readWorkspace();
    await renameWorkspace(store.db, 'Renamed');
    expect(counter.count()).toEqual({ reads: 1, writes: 1, commits: 1 });
  });

  it("counts a transaction's writes under its one commit, and a rolled back one as none", async () => {
    await store.db.transaction().execute(async (trx) => {
      await renameWorkspace(trx, 'One');
      await renameWorkspace(trx, 'Two');
    });
    await expect(
      store.db.transaction().execute(async (trx) => {
        await renameWorkspace(trx, 'Three');
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect(counter.count()).toEqual({ reads: 0, writes: 3, commits: 1 });
    expect((await readWorkspace())?.name).toBe('Two');
    expect(counter.log().at(-1)).toMatch(/^select/);
  });
});
