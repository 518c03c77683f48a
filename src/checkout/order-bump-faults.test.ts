import { expect, it } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import { cardConfigOf, confirmAsBrowser, stripeSideOf, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';

const emulator = useEmulator();

describeEachDatabase('the order bump while Stripe stumbles', (database) => {
  const shop = launchShopForEachTest(database, emulator);
  const api: AdminCall = (method, url, payload) => shop().api(method, url, payload);

  it.each([
    ['a 429', 'rate_limit'],
    ['a connection reset', 'connection_reset'],
  ] as const)('is added after %s from the primary, which is asked again', async (_title, fault) => {
    const us = await stripeSideOf(api, 'us');
    const visitor = visitorOf(shop().testApp.app);
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
