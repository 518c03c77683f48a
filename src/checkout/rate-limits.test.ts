import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { importLaunchFunnel, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { openStore, type Store } from '../db/database.js';

const emulator = useEmulator();

/** Two instances on one database: the checkout limits are one limit, not one per instance. */
describeEachDatabase('checkout rate limits across instances', (database) => {
  const env = { CHECKOUT_LIMIT_PER_IP: '4', CHECKOUT_LIMIT_PER_EMAIL: '2' };
  // Within one minute window until a test moves it on.
  let now = Date.parse('2026-03-02T10:00:05Z');
  const clock = () => new Date(now);
  let store: TestStore;
  let otherStore: Store;
  let a: TestApp;
  let b: TestApp;

  beforeEach(async () => {
    now = Date.parse('2026-03-02T10:00:05Z');
    store = await database.openMigrated();
    ({ testApp: a } = await workspaceWithAccounts(store, emulator(), { handles: [], env, clock }));
    await importLaunchFunnel(a.services);
    otherStore = openStore(store.url);
    b = await buildTestApp(otherStore, {
      env: { ...emulatorEnv(emulator()), ...env, SWITCHYARD_MASTER_KEY: a.masterKey },
      gateway: emulatorGateway(emulator()),
      clock,
    });
  });
  afterEach(async () => {
    await b.app.close();
    await otherStore.close();
    await a.app.close();
    await store.dispose();
  });

  function contact(instance: TestApp, email: string) {
    return visitorOf(instance.app).post('/f/launch/order/contact', {
      email,
      name: 'Card Tester',
      country: 'US',
    });
  }

  it('refuses the fifth contact post from one address in a minute, whichever instance takes it', async () => {
    const allowed = await Promise.all([
      contact(a, 'one@example.com'),
      contact(b, 'two@example.com'),
      contact(a, 'three@example.com'),
      contact(b, 'four@example.com'),
    ]);
    expect(allowed.map((response) => response.statusCode)).toEqual([303, 303, 303, 303]);

    for (const instance of [b, a]) {
      const refused = await contact(instance, 'five@example.com');
      expect(refused.statusCode).toBe(429);
      expect(refused.body).toContain(
        'Too many checkout attempts from your network (at most 4 a minute). Wait 55 seconds and try again.',
      );
      expect(refused.headers['retry-after']).toBe('55');
    }

    // The next minute is a new window on both instances.
    now = Date.parse('2026-03-02T10:01:00Z');
    expect((await contact(b, 'six@example.com')).statusCode).toBe(303);
    expect((await contact(a, 'seven@example.com')).statusCode).toBe(303);
  });

  it('counts one email on both instances, and keeps no address or email in the table', async () => {
    expect((await contact(a, 'ana@example.com')).statusCode).toBe(303);
    expect((await contact(b, ' ANA@example.com ')).statusCode).toBe(303);
    const refused = await contact(a, 'ana@example.com');
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain(
      'Too many checkout attempts with this email (at most 2 a minute)',
    );

    const rows = await store.db.selectFrom('checkout_limit_hits').selectAll().execute();
    // One row for the address, one for the email, each counted three times.
    expect(rows.map((row) => Number(row.hits))).toEqual([3, 3]);
    expect(JSON.stringify(rows)).not.toMatch(/ana@|127\.0\.0\.1/);
  });
});
