import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { setupTables } from '../src/db/migrations/0008_setup_revision.js';
import { readSetupRevision } from '../src/db/setup-revision.js';
import type { TestApp } from './app.js';
import { cardConfigOf, importLaunchFunnel, visitorOf } from './checkout.js';
import { describeEachDatabase, type TestStore } from './databases.js';
import { useEmulator } from './emulator.js';
import { workspaceWithAccounts } from './workspace.js';

const emulator = useEmulator();

describeEachDatabase('the setup revision', (database) => {
  let store: TestStore;
  let testApp: TestApp;

  beforeEach(async () => {
    store = await database.openMigrated();
    let api: Awaited<ReturnType<typeof workspaceWithAccounts>>['api'];
    ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
    await importLaunchFunnel(testApp.services);
    const shown = await api('GET', '/api/routing');
    const applied = await api('PUT', '/api/routing', {
      document: { ...shown.body.document, rules: [{ name: 'all', when: {}, use: 'us' }] },
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('moves on with every committed change to accounts, keys, routing or catalog', async () => {
    for (const table of setupTables) {
      const before = await readSetupRevision(store.db);
      await sql`update ${sql.table(table)} set workspace_id = workspace_id`.execute(store.db);
      expect(await readSetupRevision(store.db), table).toBeGreaterThan(before);
    }
    const before = await readSetupRevision(store.db);
    await sql`delete from funnel_steps`.execute(store.db);
    expect(await readSetupRevision(store.db), 'a delete').toBeGreaterThan(before);
  });

  it('stays where it was when the change is rolled back', async () => {
    const before = await readSetupRevision(store.db);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await sql`update accounts set label = 'changed'`.execute(trx);
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect(await readSetupRevision(store.db)).toBe(before);
  });

  it('stays while orders are taken', async () => {
    const before = await readSetupRevision(store.db);
    const visitor = visitorOf(testApp.app);
    const contact = await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    const pay = await visitor.get(contact.headers.location as string);
    expect(cardConfigOf(pay.body).clientSecret).toMatch(/^pi_/);
    expect(await readSetupRevision(store.db)).toBe(before);
  });
});
