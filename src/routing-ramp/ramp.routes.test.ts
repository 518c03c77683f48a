import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();

describeEachDatabase('migration ramps over the API', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), { handles: ['us', 'us2'] }));
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('starts, lists and cancels a ramp, and names the field of bad input', async () => {
    const ramp = { from: 'us', to: 'us2', steps: [10, 100], every: '12h' };
    const bad = await api('POST', '/api/routing/ramps', { ...ramp, every: '2w' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('every');

    const started = await api('POST', '/api/routing/ramps', ramp);
    expect(started.status).toBe(201);
    // us is the primary: the catch-all rule carries the split.
    expect(started.body).toMatchObject({
      version: 1,
      ramped: ['rule ramp-us-us2'],
      ramp: { from: 'us', to: 'us2', nextStep: 1, everySeconds: 43_200, status: 'active' },
    });
    const listed = await api('GET', '/api/routing/ramps');
    expect(listed.body.ramps).toHaveLength(1);

    const canceled = await api('DELETE', '/api/routing/ramps/us/us2');
    expect(canceled.status).toBe(200);
    expect(canceled.body.ramp.status).toBe('canceled');
    expect((await api('DELETE', '/api/routing/ramps/us/us2')).status).toBe(404);
  });
});
