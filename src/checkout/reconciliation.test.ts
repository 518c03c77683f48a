import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  connectAccounts,
  importLaunchFunnel,
  manualClock,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';

const emulator = useEmulator();
const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };
const minute = 60;

describeEachDatabase('reconciliation', (database) => {
  let store: TestStore;
  let server: TestApp;
  let api: AdminCall;
  const clock = manualClock('2030-01-01T00:00:00.000Z');

  async function onlyOrder() {
    const listed = await api('GET', '/api/orders');
    expect(listed.body.orders).toHaveLength(1);
    return (await api('GET', `/api/orders/${listed.body.orders[0].id}`)).body.order;
  }

  /** A buyer at the card form of a new order; nothing listens where Stripe sends webhooks. */
  async function buyerAtCardForm() {
    const visitor = visitorOf(server.app);
    await visitor.post('/f/launch/order/contact', ana);
    return cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    server = await buildTestApp(store, {
      // PUBLIC_URL on a port nobody listens on: every webhook delivery fails.
      env: { ...emulatorEnv(emulator()), PUBLIC_URL: 'http://127.0.0.1:9' },
      gateway: emulatorGateway(emulator()),
      clock,
    });
    api = await adminClient(server);
    await connectAccounts(api, emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
  });
  afterEach(async () => {
    await server.app.close();
    await store.dispose();
  });

  it('records a payment the buyer confirmed at Stripe while no webhook reached us', async () => {
    const card = await buyerAtCardForm();
    const intent = await confirmAsBrowser(emulator(), card);
    expect(intent.status).toBe('succeeded');
    // The buyer closes the tab before the return page: only Stripe knows.
    expect(await onlyOrder()).toMatchObject({ status: 'open', paid: 0 });

    clock.advance(3 * minute);
    const run = await server.services.reconciliation.reconcile('default');
    expect(run.healed).toHaveLength(1);
    const order = await onlyOrder();
    expect(order).toMatchObject({ status: 'paid', paid: 4900 });
    expect(order.payments[0]).toMatchObject({ status: 'succeeded', paymentIntent: intent.id });

    // Settled: the next runs leave it alone.
    clock.advance(10 * minute);
    expect(await server.services.reconciliation.reconcile('default')).toEqual({
      checked: 0,
      healed: [],
    });
  });

  it('asks about an abandoned checkout less and less often, and not after three days', async () => {
    await buyerAtCardForm();
    const reconcile = () => server.services.reconciliation.reconcile('default');
    // Within the grace the webhook may still come: not asked.
    clock.advance(1 * minute);
    expect((await reconcile()).checked).toBe(0);

    const askedAt: number[] = [];
    let elapsed = 1;
    const wait = async (minutes: number) => {
      clock.advance(minutes * minute);
      elapsed += minutes;
      if ((await reconcile()).checked > 0) askedAt.push(elapsed);
    };
    while (elapsed < 60) await wait(1);
    // First after the grace, then each time after about half the payment's age.
    expect(askedAt).toEqual([3, 5, 8, 12, 18, 27, 41]);
    while (elapsed < 4 * 24 * 60) await wait(60);
    expect(askedAt.length).toBeLessThan(20);
    expect(askedAt.at(-1)).toBeLessThanOrEqual(3 * 24 * 60);
    expect((await onlyOrder()).payments[0]).toMatchObject({ status: 'requires_payment_method' });
  });
});
