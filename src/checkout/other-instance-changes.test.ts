import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import { cardConfigOf, importLaunchFunnel, stripeSideOf, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, emulatorEnv, emulatorGateway, keysOf, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { openStore, type Store } from '../db/database.js';

const emulator = useEmulator();

/**
 * Two instances on one database, each keeping what it read of the setup (accounts, keys, routing,
 * catalog): what one changes, the other's very next order sees, without any wait.
 */
describeEachDatabase('a change made by another instance', (database) => {
  let store: TestStore;
  let otherStore: Store;
  let serving: TestApp;
  let other: TestApp;
  let otherApi: AdminCall;
  let api: AdminCall;
  let orders = 0;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp: serving, api } = await workspaceWithAccounts(store, emulator()));
    await importLaunchFunnel(serving.services);
    otherStore = openStore(store.url);
    other = await buildTestApp(otherStore, {
      env: { ...emulatorEnv(emulator()), SWITCHYARD_MASTER_KEY: serving.masterKey },
      gateway: emulatorGateway(emulator()),
    });
    otherApi = await adminClient(other);
  });
  afterEach(async () => {
    await other.app.close();
    await otherStore.close();
    await serving.app.close();
    await store.dispose();
  });

  /** A new buyer on the serving instance, up to the card form. */
  async function cardFormOnServing() {
    orders += 1;
    const visitor = visitorOf(serving.app);
    const contact = await visitor.post('/f/launch/order/contact', {
      email: `buyer-${orders}@example.com`,
      name: 'Buyer',
      country: 'US',
    });
    expect(contact.statusCode, contact.body).toBe(303);
    const pay = await visitor.get(contact.headers.location as string);
    expect(pay.statusCode, pay.body).toBe(200);
    return { html: pay.body, card: cardConfigOf(pay.body) };
  }

  it('routes the next order away from an account it disabled', async () => {
    const us = await stripeSideOf(api, 'us');
    const eu = await stripeSideOf(api, 'eu');
    expect((await cardFormOnServing()).card.publishableKey).toBe(us.publishableKey);
    const changed = await otherApi('PATCH', '/api/accounts/us', { enabled: false });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await cardFormOnServing()).card.publishableKey).toBe(eu.publishableKey);
  });

  it('follows a routing rule it applied', async () => {
    const eu = await stripeSideOf(api, 'eu');
    await cardFormOnServing();
    const shown = await otherApi('GET', '/api/routing');
    const applied = await otherApi('PUT', '/api/routing', {
      document: {
        ...shown.body.document,
        rules: [{ name: 'us-to-eu', when: { country: ['US'] }, use: 'eu' }],
      },
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect((await cardFormOnServing()).card.publishableKey).toBe(eu.publishableKey);
  });

  it('pays with the keys it put in place of rolled ones', async () => {
    const us = await stripeSideOf(api, 'us');
    expect((await cardFormOnServing()).card.publishableKey).toBe(us.publishableKey);
    const rolled = await control<{ keys: Parameters<typeof keysOf>[0]['keys'] }>(
      emulator(),
      'POST',
      `accounts/${us.stripeAccountId}/roll_keys`,
    );
    const replaced = await otherApi('POST', '/api/accounts/us/keys', {
      credentials: keysOf({ id: us.stripeAccountId, keys: rolled.keys }),
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    // The old secret key no longer works at Stripe: the order is made with the new one.
    const { card } = await cardFormOnServing();
    expect(card.publishableKey).toBe(rolled.keys.test.publishable);
    expect(card.clientSecret).toMatch(/^pi_/);
  });

  it('charges the price it set', async () => {
    expect((await cardFormOnServing()).html).toContain('$49.00');
    const changed = await otherApi('PATCH', '/api/products/course', {
      prices: [
        { currency: 'usd', amount: 5900 },
        { currency: 'eur', amount: 4500 },
      ],
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const { html } = await cardFormOnServing();
    expect(html).toContain('$59.00');
    expect(html).not.toContain('$49.00');
  });
});
