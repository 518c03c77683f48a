import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  importLaunchFunnel,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();

describeEachDatabase('buying through a funnel', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
    await importLaunchFunnel(testApp.services);
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('takes the order with the bump on the primary, then the upsell in one click', async () => {
    const visitor = visitorOf(testApp.app);
    expect((await visitor.get('/f/launch')).headers.location).toBe('/f/launch/sales');
    const contact = await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    expect(contact.statusCode).toBe(303);
    const pay = await visitor.get(contact.headers.location as string);
    expect(pay.statusCode).toBe(200);
    const card = cardConfigOf(pay.body);
    const bump = await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true });
    expect(bump.json()).toMatchObject({ total: '$68.00' });
    const intent = await confirmAsBrowser(emulator(), card);
    expect(intent.status).toBe('succeeded');
    expect(intent.amount).toBe(6800);
    const back = await visitor.get(`/f/launch/order/return?payment_intent=${intent.id}`);
    expect(back.headers.location).toBe('/f/launch/coaching');
    const accepted = await visitor.post('/f/launch/coaching/accept');
    expect(accepted.statusCode, accepted.body).toBe(303);
    expect(accepted.headers.location).toBe('/f/launch/thanks');
    const thanks = await visitor.get('/f/launch/thanks');
    expect(thanks.body).toContain('Group Coaching');
    const orders = await api('GET', '/api/orders');
    expect(orders.body.orders).toHaveLength(1);
    const order = await api('GET', `/api/orders/${orders.body.orders[0].id}`);
    expect(order.body.order).toMatchObject({ status: 'paid', paid: 6800 + 9900, accounts: ['us'] });
    expect(
      order.body.order.payments.map((p: { kind: string; account: string }) => [p.kind, p.account]),
    ).toEqual([
      ['initial', 'us'],
      ['upsell', 'us'],
    ]);
  });
});
