import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { prepareQuery } from './prepared-query.js';

describeEachDatabase('a prepared query', (database) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await database.openMigrated();
  });
  afterEach(() => store.dispose());

  const insertWorkspace = prepareQuery<{ id: string; name: string }, never>((db, slot) =>
    db
      .insertInto('workspaces')
      .values({ workspace_id: slot('id'), name: slot('name'), created_at: '2030-01-01' }),
  );
  const findWorkspace = prepareQuery<{ id: string }, { name: string }>((db, slot) =>
    db.selectFrom('workspaces').select('name').where('workspace_id', '=', slot('id')),
  );

  it('runs with the values of each run, in and out of a transaction, keeping its constants', async () => {
    await insertWorkspace.execute(store.db, { id: 'one', name: 'First' });
    await store.db.transaction().execute(async (trx) => {
      await insertWorkspace.execute(trx, { id: 'two', name: 'Second' });
      expect((await findWorkspace.execute(trx, { id: 'two' })).rows).toEqual([{ name: 'Second' }]);
    });
    expect((await findWorkspace.execute(store.db, { id: 'one' })).rows).toEqual([
      { name: 'First' },
    ]);
    const stored = await store.db
      .selectFrom('workspaces')
      .select(['workspace_id', 'created_at'])
      .where('workspace_id', 'in', ['one', 'two'])
      .orderBy('workspace_id')
      .execute();
    expect(stored).toEqual([
      { workspace_id: 'one', created_at: '2030-01-01' },
      { workspace_id: 'two', created_at: '2030-01-01' },
    ]);
  });
});
