import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  connectAccounts,
  eventsAbout,
  importLaunchFunnel,
  stripeOfAccount,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';

const emulator = useEmulator();
const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };

describeEachDatabase("missed webhooks, fetched from Stripe's events list", (database) => {
  let store: TestStore;
  let server: TestApp;
  let api: AdminCall;

  async function onlyOrder() {
    const listed = await api('GET', '/api/orders');
    expect(listed.body.orders).toHaveLength(1);
    return (await api('GET', `/api/orders/${listed.body.orders[0].id}`)).body.order;
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    server = await buildTestApp(store, {
      // The server is down for Stripe: nothing listens where its webhooks go.
      env: { ...emulatorEnv(emulator()), PUBLIC_URL: 'http://127.0.0.1:9' },
      gateway: emulatorGateway(emulator()),
    });
    api = await adminClient(server);
    await connectAccounts(api, emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
  });
  afterEach(async () => {
    await server.app.close();
    await server.services.webhooks.stop();
    await store.dispose();
  });

  it('records a payment whose webhooks never arrived, and reads on from the last event after', async () => {
    const visitor = visitorOf(server.app);
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    const intent = await confirmAsBrowser(emulator(), card);
    expect(intent.status).toBe('succeeded');
    const us = await stripeOfAccount(emulator(), api, 'us');
    const [succeeded] = await eventsAbout(us, 'payment_intent.succeeded', intent.id);
    const { stripeAccountId } = await stripeSideOf(api, 'us');
    const { data } = await control<{ data: Array<{ id: string; delivery: string }> }>(
      emulator(),
      'GET',
      `accounts/${stripeAccountId}/events`,
    );
    expect(data.find((event) => event.id === succeeded?.id)?.delivery).not.toBe('succeeded');
    expect(await onlyOrder()).toMatchObject({ status: 'open', paid: 0 });

    expect(await server.services.eventsBackfill.backfill()).toBeGreaterThan(0);
    const order = await onlyOrder();
    expect(order).toMatchObject({ status: 'paid', paid: 4900 });
    expect(order.payments[0]).toMatchObject({ status: 'succeeded', paymentIntent: intent.id });
    const stored = await store.db
      .selectFrom('webhook_events')
      .select(['processed_at'])
      .where('stripe_event_id', '=', succeeded?.id ?? '')
      .execute();
    expect(stored).toEqual([{ processed_at: expect.any(String) }]);
    // Read once: the next run finds nothing new.
    expect(await server.services.eventsBackfill.backfill()).toBe(0);

    // A refund made in Stripe's dashboard later is read on from where the last run stopped.
    await us.refunds.create({ payment_intent: intent.id, amount: 900 });
    expect(await server.services.eventsBackfill.backfill()).toBeGreaterThan(0);
    expect(await onlyOrder()).toMatchObject({
      status: 'partially_refunded',
      paid: 4900,
      refunded: 900,
    });
  });
});
