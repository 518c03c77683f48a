import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import {
  buyOrder,
  cardConfigOf,
  confirmAsBrowser,
  connectAccounts,
  deliverEvent,
  eventsAbout,
  holdBackWebhooks,
  importLaunchFunnel,
  newMasterKey,
  payCardForm,
  type SwitchyardProcess,
  settleWebhooks,
  startProcess,
  stripeOfAccount,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  type EmulatorAccount,
  emulatorGateway,
  useEmulator,
} from '../../test/emulator.js';
import { freePort } from '../../test/server.js';
import { funnelDocumentSchema, parseInput } from '../catalog/catalog.schema.js';
import type {
  CreatePaymentIntentInput,
  PaymentIntentSummary,
  StripeGateway,
} from '../stripe/gateway.js';

const emulator = useEmulator();

interface Delivery {
  event_id: string;
  duplicate: boolean;
  succeeded: boolean;
}

/** The one order of the test's store, as the merchant sees it in GET /api/orders/{id}. */
async function onlyOrder(api: AdminCall) {
  const listed = await api('GET', '/api/orders');
  expect(listed.body.orders).toHaveLength(1);
  const shown = await api('GET', `/api/orders/${listed.body.orders[0].id}`);
  expect(shown.status).toBe(200);
  return shown.body.order;
}

/** The PaymentIntents Stripe holds on an account for one of our payments. */
async function intentsOfPayment(stripe: Stripe, paymentId: string) {
  const found = await stripe.paymentIntents.search({
    query: `metadata['switchyard_payment']:'${paymentId}'`,
  });
  return found.data;
}

/** A browser's cookie header for the visit that `response` started, to take it to another process. */
function visitCookie(response: { cookies: { name: string; value: string }[] }): string {
  const cookie = response.cookies.find((candidate) => candidate.name === 'sy_order_launch');
  expect(cookie, 'the contact form starts a visit').toBeDefined();
  return `${cookie?.name}=${cookie?.value}`;
}

/**
 * The gateway of a process that dies right after Stripe made a PaymentIntent: the call reaches
 * Stripe and succeeds there, and the answer never comes back to our code.
 */
function dyingAfterPaymentIntent(
  gateway: StripeGateway,
  dies: (input: CreatePaymentIntentInput) => boolean,
): { gateway: StripeGateway; died: Promise<PaymentIntentSummary> } {
  let reportDeath: (intent: PaymentIntentSummary) => void = () => {};
  const died = new Promise<PaymentIntentSummary>((resolve) => {
    reportDeath = resolve;
  });
  return {
    died,
    gateway: {
      ...gateway,
      async createPaymentIntent(input) {
        const intent = await gateway.createPaymentIntent(input);
        if (!dies(input)) return intent;
        reportDeath(intent);
        return new Promise<never>(() => {});
      },
    },
  };
}

const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };

describeEachDatabase('payments as Stripe reports them', (database) => {
  let store: TestStore;
  let server: SwitchyardProcess;

  beforeEach(async () => {
    store = await database.openMigrated();
    server = await startProcess(store, emulator(), {
      masterKey: newMasterKey(),
      port: await freePort(),
      listen: true,
    });
    await connectAccounts(server.api, emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
  });
  afterEach(async () => {
    await control(emulator(), 'POST', 'webhooks/chaos', {});
    await server.close();
    await store.dispose();
  });

  it('counts a payment once when Stripe delivers its succeeded webhook twice', async () => {
    await control(emulator(), 'POST', 'webhooks/chaos', { duplicates: 1 });
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    const visitor = visitorOf(server.app);
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    const intent = await confirmAsBrowser(emulator(), card);
    expect(intent.status).toBe('succeeded');
    // The buyer closes the tab: only the webhooks tell us.

    const [event] = await eventsAbout(us, 'payment_intent.succeeded', intent.id);
    if (!event) throw new Error('Stripe recorded no payment_intent.succeeded');
    const deliveries = await vi.waitFor(async () => {
      const { data } = await control<{ data: Delivery[] }>(emulator(), 'GET', 'deliveries');
      const copies = data.filter((delivery) => delivery.event_id === event.id);
      expect(copies.filter((delivery) => delivery.succeeded)).toHaveLength(2);
      return copies;
    });
    expect(deliveries.map((delivery) => delivery.duplicate).sort()).toEqual([false, true]);
    await settleWebhooks(server, store);

    const stored = await store.db
      .selectFrom('webhook_events')
      .select('stripe_event_id')
      .where('stripe_event_id', '=', event.id)
      .execute();
    expect(stored).toHaveLength(1);
    const order = await onlyOrder(server.api);
    expect(order).toMatchObject({ status: 'paid', paid: 4900, refunded: 0, accounts: ['us'] });
    expect(order.payments).toHaveLength(1);
    expect(order.payments[0]).toMatchObject({
      kind: 'initial',
      status: 'succeeded',
      amount: 4900,
      paymentIntent: intent.id,
    });

    // The buyer comes back after all: the return page agrees, and nothing is counted twice.
    const back = await visitor.get(`/f/launch/order/return?payment_intent=${intent.id}`);
    expect(back.headers.location).toBe('/f/launch/coaching');
    expect(await onlyOrder(server.api)).toMatchObject({ status: 'paid', paid: 4900 });
    expect((await deliverEvent(server, store, 'us', event)).duplicate).toBe(true);
  });

  it("ignores a stray PaymentIntent's events: one left on the payment's account cannot cancel the payment", async () => {
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    const visitor = visitorOf(server.app);
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    const before = await onlyOrder(server.api);
    const recorded = before.payments[0];
    // A PaymentIntent of an earlier try (a lost answer, a corrected email) carries the same
    // payment id; the merchant cancels it in Stripe's dashboard.
    const stray = await us.paymentIntents.create({
      amount: 4900,
      currency: 'usd',
      metadata: { switchyard_payment: recorded.id, switchyard_order: before.id },
    });
    await us.paymentIntents.cancel(stray.id);
    const [canceled] = await eventsAbout(us, 'payment_intent.canceled', stray.id);
    if (!canceled) throw new Error('Stripe recorded no payment_intent.canceled');
    await deliverEvent(server, store, 'us', canceled);
    await settleWebhooks(server, store);

    const paid = await confirmAsBrowser(emulator(), card);
    expect(paid.status).toBe('succeeded');
    const back = await visitor.get(`/f/launch/order/return?payment_intent=${paid.id}`);
    expect(back.headers.location).toBe('/f/launch/coaching');
    const order = await onlyOrder(server.api);
    expect(order).toMatchObject({ status: 'paid', paid: 4900 });
    expect(order.payments[0]).toMatchObject({ status: 'succeeded', paymentIntent: paid.id });
  });

  it("adopts into a payment that lost its PaymentIntent only its own: not another amount, currency, mode or account's", async () => {
    // Stripe refuses every PaymentIntent: the payment is written, with none of its own.
    for (const handle of ['us', 'eu']) {
      const { stripeAccountId } = await stripeSideOf(server.api, handle);
      await control(emulator(), 'POST', 'faults', {
        account: stripeAccountId,
        fault: 'server_error',
        path: '/v1/payment_intents',
      });
    }
    const visitor = visitorOf(server.app);
    await visitor.post('/f/launch/order/contact', ana);
    await visitor.get('/f/launch/order/pay');
    await control(emulator(), 'DELETE', 'faults');
    const lost = await onlyOrder(server.api);
    const payment = lost.payments[0];
    expect(payment).toMatchObject({ status: 'pending', amount: 4900, paymentIntent: null });
    expect(payment.attempts.map((attempt: { account: string }) => attempt.account)).toContain('us');
    await connectAccounts(server.api, emulator(), ['gb']);
    const ours = { switchyard_payment: payment.id, switchyard_order: lost.id };

    /** Makes a PaymentIntent on `stripe` and hands its last event to our webhook for `handle`. */
    async function deliverMade(
      stripe: Stripe,
      handle: string,
      params: Stripe.PaymentIntentCreateParams,
      type = 'payment_intent.succeeded',
    ): Promise<Stripe.PaymentIntent> {
      await holdBackWebhooks(stripe);
      const made = await stripe.paymentIntents.create({ ...params, metadata: ours });
      const intent =
        type === 'payment_intent.canceled' ? await stripe.paymentIntents.cancel(made.id) : made;
      const [event] = await eventsAbout(stripe, type, intent.id);
      if (!event) throw new Error(`Stripe recorded no ${type} for ${intent.id}`);
      await deliverEvent(server, store, handle, event);
      await settleWebhooks(server, store);
      return intent;
    }
    const paid = { payment_method: 'pm_card_visa', confirm: true } as const;
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    const { stripeAccountId: usId } = await stripeSideOf(server.api, 'us');
    const { data } = await control<{ data: EmulatorAccount[] }>(emulator(), 'GET', 'accounts');
    const usLiveKey = data.find((account) => account.id === usId)?.keys.live.secret ?? '';
    const usLive = new Stripe(usLiveKey, {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    });
    await deliverMade(us, 'us', { amount: 5900, currency: 'usd', ...paid });
    await deliverMade(us, 'us', { amount: 4900, currency: 'eur', ...paid });
    await deliverMade(usLive, 'us', { amount: 4900, currency: 'usd' }, 'payment_intent.canceled');
    const gb = await stripeOfAccount(emulator(), server.api, 'gb');
    await deliverMade(gb, 'gb', { amount: 4900, currency: 'usd', ...paid });
    const untouched = await onlyOrder(server.api);
    expect(untouched).toMatchObject({ paid: 0 });
    expect(untouched.payments).toHaveLength(1);
    expect(untouched.payments[0]).toMatchObject({ status: 'pending', paymentIntent: null });

    // Its own, on the account it was tried on, for its amount: adopted, and the order is paid.
    const real = await deliverMade(us, 'us', { amount: 4900, currency: 'usd', ...paid });
    const healed = await onlyOrder(server.api);
    expect(healed).toMatchObject({ status: 'paid', paid: 4900 });
    expect(healed.payments[0]).toMatchObject({
      status: 'succeeded',
      paymentIntent: real.id,
      account: 'us',
    });
  });

  it('keeps a payment succeeded when the older payment_failed arrives after payment_intent.succeeded', async () => {
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    await holdBackWebhooks(us);
    const visitor = visitorOf(server.app);
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    const declined = await confirmAsBrowser(emulator(), card, 'pm_card_chargeDeclined');
    expect(declined.status).toBe('requires_payment_method');
    const paid = await confirmAsBrowser(emulator(), card, 'pm_card_visa');
    expect([paid.id, paid.status]).toEqual([declined.id, 'succeeded']);

    const [failed] = await eventsAbout(us, 'payment_intent.payment_failed', paid.id);
    const [succeeded] = await eventsAbout(us, 'payment_intent.succeeded', paid.id);
    if (!failed || !succeeded) throw new Error('Stripe recorded fewer events than expected');
    expect(failed.created).toBeLessThanOrEqual(succeeded.created);

    expect(await deliverEvent(server, store, 'us', succeeded)).toEqual({
      status: 200,
      duplicate: false,
    });
    await settleWebhooks(server, store);
    expect(await onlyOrder(server.api)).toMatchObject({ status: 'paid', paid: 4900 });

    expect(await deliverEvent(server, store, 'us', failed)).toEqual({
      status: 200,
      duplicate: false,
    });
    await settleWebhooks(server, store);
    const order = await onlyOrder(server.api);
    expect(order).toMatchObject({ status: 'paid', paid: 4900 });
    expect(order.payments[0]).toMatchObject({
      status: 'succeeded',
      paymentIntent: paid.id,
      failureMessage: null,
    });
  });

  it('never lowers the refunded amount when an older charge.refunded arrives after a newer one', async () => {
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    await holdBackWebhooks(us);
    const { intent, back } = await buyOrder(emulator(), visitorOf(server.app), ana);
    expect(back.headers.location).toBe('/f/launch/coaching');
    // Two partial refunds made in the Stripe Dashboard: only the webhooks tell us.
    await us.refunds.create({ payment_intent: intent.id, amount: 1000 });
    await us.refunds.create({ payment_intent: intent.id, amount: 2000 });

    const [newer, older] = await eventsAbout(us, 'charge.refunded', intent.id, 'payment_intent');
    if (!newer || !older) throw new Error('Stripe recorded fewer charge.refunded events');
    expect(
      [newer, older].map((event) => Reflect.get(event.data.object, 'amount_refunded')),
    ).toEqual([3000, 1000]);

    await deliverEvent(server, store, 'us', newer);
    await settleWebhooks(server, store);
    expect(await onlyOrder(server.api)).toMatchObject({
      status: 'partially_refunded',
      paid: 4900,
      refunded: 3000,
    });

    expect((await deliverEvent(server, store, 'us', older)).duplicate).toBe(false);
    await settleWebhooks(server, store);
    const order = await onlyOrder(server.api);
    expect(order).toMatchObject({ status: 'partially_refunded', paid: 4900, refunded: 3000 });
    expect(order.payments[0].refunded).toBe(3000);
  });

  it('charges a double-clicked upsell once and sends both clicks on to the next step', async () => {
    const visitor = visitorOf(server.app);
    const { back } = await buyOrder(emulator(), visitor, ana);
    expect(back.headers.location).toBe('/f/launch/coaching');

    const clicks = await Promise.all([
      visitor.post('/f/launch/coaching/accept'),
      visitor.post('/f/launch/coaching/accept'),
    ]);
    expect(clicks.map((click) => [click.statusCode, click.headers.location])).toEqual([
      [303, '/f/launch/thanks'],
      [303, '/f/launch/thanks'],
    ]);

    const order = await onlyOrder(server.api);
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    const charged = await intentsOfPayment(us, `${order.id}.coaching`);
    expect(charged.map((intent) => [intent.status, intent.amount])).toEqual([['succeeded', 9900]]);
    expect(order).toMatchObject({ status: 'paid', paid: 4900 + 9900 });
    expect(
      order.payments.map((payment: { kind: string; status: string }) => [
        payment.kind,
        payment.status,
      ]),
    ).toEqual([
      ['initial', 'succeeded'],
      ['upsell', 'succeeded'],
    ]);
  });

  it('charges an upsell clicked on two instances at once once, and neither click fails', async () => {
    const other = await startProcess(store, emulator(), {
      masterKey: server.masterKey,
      port: await freePort(),
      listen: false,
    });
    try {
      const visitor = visitorOf(server.app);
      const contact = await visitor.post('/f/launch/order/contact', ana);
      const cookie = visitCookie(contact);
      const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
      const intent = await confirmAsBrowser(emulator(), card);
      await visitor.get(`/f/launch/order/return?payment_intent=${intent.id}`);

      // The load balancer sends the two clicks to two instances.
      const clicks = await Promise.all([
        visitor.post('/f/launch/coaching/accept'),
        other.app.inject({ method: 'POST', url: '/f/launch/coaching/accept', headers: { cookie } }),
      ]);
      for (const click of clicks) {
        if (click.statusCode === 303) {
          expect(click.headers.location).toBe('/f/launch/thanks');
        } else {
          expect(click.statusCode, click.body).toBe(409);
          expect(click.body).toContain('This purchase is already being processed.');
        }
      }
      expect(clicks.some((click) => click.statusCode === 303)).toBe(true);

      // The buyer who saw "already being processed" clicks again a moment later.
      const again = await other.app.inject({
        method: 'POST',
        url: '/f/launch/coaching/accept',
        headers: { cookie },
      });
      expect([again.statusCode, again.headers.location]).toEqual([303, '/f/launch/thanks']);

      const order = await onlyOrder(server.api);
      const us = await stripeOfAccount(emulator(), server.api, 'us');
      const charged = await intentsOfPayment(us, `${order.id}.coaching`);
      expect(charged.map((found) => found.status)).toEqual(['succeeded']);
      expect(order).toMatchObject({ status: 'paid', paid: 4900 + 9900 });
    } finally {
      await other.close();
    }
  });

  it('records a monthly renewal on the account of the first payment when the emulator clock passes the period', async () => {
    await server.services.catalog.importFunnel(
      'default',
      parseInput(funnelDocumentSchema, {
        products: [
          {
            slug: 'club',
            name: 'Launch Club',
            description: 'Monthly launch reviews and the members-only templates.',
            tags: ['membership'],
            prices: [{ currency: 'usd', amount: 2900, type: 'recurring', interval: 'month' }],
          },
        ],
        funnel: {
          slug: 'club',
          name: 'Launch Club',
          mode: 'test',
          steps: [
            { slug: 'order', kind: 'order', product: 'club', content: { headline: 'Join' } },
            { slug: 'thanks', kind: 'thankyou', content: { headline: 'Welcome' } },
          ],
        },
      }),
      'test',
    );
    const { intent, back } = await buyOrder(emulator(), visitorOf(server.app), ana, {
      funnel: 'club',
    });
    expect([intent.status, back.headers.location]).toEqual(['succeeded', '/f/club/thanks']);
    const first = (await onlyOrder(server.api)).payments[0];
    expect(first).toMatchObject({ kind: 'initial', status: 'succeeded', account: 'us' });
    expect(first.subscription).toMatch(/^sub_/);

    await control(emulator(), 'POST', 'clock/advance', { seconds: 32 * 24 * 60 * 60 });

    const renewal = await vi.waitFor(
      async () => {
        const order = await onlyOrder(server.api);
        const found = order.payments.find(
          (payment: { kind: string }) => payment.kind === 'renewal',
        );
        expect(found?.status).toBe('succeeded');
        return found;
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(renewal).toMatchObject({
      account: 'us',
      parent: first.id,
      amount: 2900,
      currency: 'usd',
      subscription: first.subscription,
      decision: {
        outcome: 'selected',
        account: 'us',
        matched: { level: 'continuation' },
      },
    });
    expect(renewal.paymentIntent).not.toBe(first.paymentIntent);
    expect(await onlyOrder(server.api)).toMatchObject({ status: 'paid', paid: 5800 });
    const us = await stripeOfAccount(emulator(), server.api, 'us');
    const invoices = await us.invoices.list({ subscription: first.subscription });
    expect(invoices.data.map((invoice) => invoice.status)).toEqual(['paid', 'paid']);
  });
});

describeEachDatabase(
  'a process killed between the Stripe call and the database write',
  (database) => {
    let store: TestStore;
    let port: number;
    const masterKey = newMasterKey();
    const processes: SwitchyardProcess[] = [];

    /** A process that dies once Stripe has made the PaymentIntent that `dies` picks. */
    async function startDoomedProcess(dies: (input: CreatePaymentIntentInput) => boolean) {
      const doomed = dyingAfterPaymentIntent(emulatorGateway(emulator()), dies);
      // Not listening: webhooks for its account go unanswered until the restarted process is up.
      const first = await startProcess(store, emulator(), {
        masterKey,
        port,
        listen: false,
        gateway: doomed.gateway,
      });
      processes.push(first);
      await connectAccounts(first.api, emulator(), ['us', 'eu']);
      await importLaunchFunnel(first.services);
      return { first, died: doomed.died };
    }

    async function restart() {
      const restarted = await startProcess(store, emulator(), { masterKey, port, listen: true });
      processes.push(restarted);
      return restarted;
    }

    beforeEach(async () => {
      store = await database.openMigrated();
      port = await freePort();
    });
    afterEach(async () => {
      for (const running of processes.splice(0)) await running.close();
      await store.dispose();
    });

    it('reconciliation finds the PaymentIntent by the order id, and the reloaded page shows it', async () => {
      const { first, died } = await startDoomedProcess(
        (input) => input.metadata?.switchyard_step === 'order',
      );
      const visitor = visitorOf(first.app);
      const contact = await visitor.post('/f/launch/order/contact', ana);
      void visitor.get('/f/launch/order/pay'); // never answers: the process is gone
      const made = await died;
      await first.close();

      const restarted = await restart();
      const lost = await onlyOrder(restarted.api);
      const paymentId = `${lost.id}.order.usd`;
      expect(lost.payments).toMatchObject([
        { id: paymentId, status: 'pending', paymentIntent: null, account: null },
      ]);
      expect(lost.payments[0].attempts).toMatchObject([{ status: 'pending', account: 'us' }]);

      const result = await restarted.services.reconciliation.reconcile('default', {
        graceMs: 0,
      });
      expect(result.healed).toEqual([paymentId]);
      const healed = await onlyOrder(restarted.api);
      expect(healed.payments[0]).toMatchObject({
        status: 'requires_payment_method',
        paymentIntent: made.id,
        account: 'us',
        decision: { account: 'us' },
      });
      expect(healed.payments[0].attempts).toMatchObject([
        { status: 'created', account: 'us', paymentIntentId: made.id },
      ]);

      const reload = await restarted.app.inject({
        method: 'GET',
        url: '/f/launch/order/pay',
        headers: { cookie: visitCookie(contact) },
      });
      expect(reload.statusCode, reload.body).toBe(200);
      const card = cardConfigOf(reload.body);
      expect(card.clientSecret.startsWith(`${made.id}_secret_`)).toBe(true);
      const us = await stripeOfAccount(emulator(), restarted.api, 'us');
      const onStripe = await us.paymentIntents.search({
        query: `metadata['switchyard_order']:'${healed.id}'`,
      });
      expect(onStripe.data.map((intent) => intent.id)).toEqual([made.id]);

      // And the buyer can pay it.
      const paid = await confirmAsBrowser(emulator(), card);
      expect([paid.id, paid.status]).toEqual([made.id, 'succeeded']);
    });

    it('the webhook of an upsell charged just before the crash heals it, without reconciliation', async () => {
      const { first, died } = await startDoomedProcess(
        (input) => input.metadata?.switchyard_step === 'coaching',
      );
      const visitor = visitorOf(first.app);
      const contact = await visitor.post('/f/launch/order/contact', ana);
      const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
      const { back } = await payCardForm(emulator(), visitor, '/f/launch/order/return', card);
      expect(back.headers.location).toBe('/f/launch/coaching');
      void visitor.post('/f/launch/coaching/accept'); // charged at Stripe, then the process is gone
      const charged = await died;
      expect(charged.status).toBe('succeeded');
      const lost = await onlyOrder(first.api);
      expect(lost.payments[1]).toMatchObject({
        kind: 'upsell',
        status: 'pending',
        paymentIntent: null,
      });
      await first.close();

      // Stripe retries the webhook nobody answered; the restarted process takes it.
      const restarted = await restart();
      const upsell = await vi.waitFor(
        async () => {
          const found = (await onlyOrder(restarted.api)).payments[1];
          expect(found.status).toBe('succeeded');
          return found;
        },
        { timeout: 18_000, interval: 50 },
      );
      expect(upsell).toMatchObject({ kind: 'upsell', paymentIntent: charged.id, account: 'us' });
      expect(upsell.attempts).toMatchObject([
        { status: 'created', account: 'us', paymentIntentId: charged.id },
      ]);
      expect(await onlyOrder(restarted.api)).toMatchObject({ status: 'paid', paid: 4900 + 9900 });

      // The buyer, seeing nothing happen, clicks again: on to the next step, no second charge.
      const again = await restarted.app.inject({
        method: 'POST',
        url: '/f/launch/coaching/accept',
        headers: { cookie: visitCookie(contact) },
      });
      expect([again.statusCode, again.headers.location]).toEqual([303, '/f/launch/thanks']);
      const us = await stripeOfAccount(emulator(), restarted.api, 'us');
      expect((await intentsOfPayment(us, upsell.id)).map((intent) => intent.id)).toEqual([
        charged.id,
      ]);
      // It was the webhook: the restarted process stored and handled Stripe's event.
      const [succeeded] = await eventsAbout(us, 'payment_intent.succeeded', charged.id);
      const stored = await store.db
        .selectFrom('webhook_events')
        .select('processed_at')
        .where('stripe_event_id', '=', succeeded?.id ?? '')
        .execute();
      expect(stored).toEqual([{ processed_at: expect.any(String) }]);
    }, 30_000);
  },
);
