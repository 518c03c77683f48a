import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  importLaunchFunnel,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();

describeEachDatabase('the order bump while Stripe stumbles', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
    await importLaunchFunnel(testApp.services);
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await testApp.app.close();
    await store.dispose();
  });

  it.each([
    ['a 429', 'rate_limit'],
    ['a connection reset', 'connection_reset'],
  ] as const)('is added after %s from the primary, which is asked again', async (_title, fault) => {
    const us = await stripeSideOf(api, 'us');
    const visitor = visitorOf(testApp.app);
    await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    await control(emulator(), 'POST', 'faults', {
      account: us.stripeAccountId,
      fault,
      path: '/v1/payment_intents',
      times: 1,
    });

    const bump = await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true });

    expect(bump.statusCode, bump.body).toBe(200);
    expect(bump.json()).toMatchObject({ total: '$68.00' });
    const intent = await confirmAsBrowser(emulator(), card);
    expect([intent.status, intent.amount]).toEqual(['succeeded', 6800]);
  });
});
