import { expect, it } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import {
  buyOrder,
  type ContactForm,
  stripeOfAccount,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';

const emulator = useEmulator();

const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };

/**
 * Stripe charges the saved card and its answer never reaches us: the dangerous path, where a new
 * attempt (a new idempotency key, or another account) would charge the buyer a second time.
 */
describeEachDatabase('a one-click upsell charged at Stripe whose answer is lost', (database) => {
  // The app's own gateway (its retries, its checkout timeout), so a held answer ends quickly.
  const shop = launchShopForEachTest(database, emulator, {
    gateway: 'configured',
    env: { STRIPE_CHECKOUT_TIMEOUT_MS: '300' },
  });
  const api: AdminCall = (method, url, payload) => shop().api(method, url, payload);

  /** PaymentIntents Stripe holds for the upsell on an account, whatever our records say. */
  async function upsellIntentsOn(handle: string, paymentId: string) {
    const stripe = await stripeOfAccount(emulator(), api, handle);
    const intents = (await stripe.paymentIntents.list({ limit: 100 })).data;
    return intents.filter((intent) => intent.metadata.switchyard_payment === paymentId);
  }

  async function boughtOrder() {
    const us = await stripeSideOf(api, 'us');
    const visitor = visitorOf(shop().testApp.app);
    await buyOrder(emulator(), visitor, ana);
    const orders = await api('GET', '/api/orders?limit=1');
    const orderId: string = orders.body.orders[0].id;
    return { visitor, orderId, paymentId: `${orderId}.coaching`, primary: us.stripeAccountId };
  }

  function fail(account: string, fault: string, options: { after?: boolean; times?: number }) {
    return control(emulator(), 'POST', 'faults', {
      account,
      fault,
      path: '/v1/payment_intents',
      ...options,
    });
  }

  /** "Yes" clicked while Stripe's answers are lost: no card form, ever, and no charge on eu. */
  async function clickYesUnanswered(visitor: ReturnType<typeof visitorOf>, paymentId: string) {
    const page = await visitor.post('/f/launch/coaching/accept');
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).not.toContain('id="card-config"');
    expect(await upsellIntentsOn('eu', paymentId)).toEqual([]);
  }

  async function expectChargedOnceOnUs(orderId: string, paymentId: string) {
    const charged = await upsellIntentsOn('us', paymentId);
    expect(charged.map((intent) => intent.status)).toEqual(['succeeded']);
    expect(await upsellIntentsOn('eu', paymentId)).toEqual([]);
    const detail = await api('GET', `/api/orders/${orderId}`);
    const upsell = detail.body.order.payments.find(
      (payment: { kind: string }) => payment.kind === 'upsell',
    );
    expect(upsell).toMatchObject({ status: 'succeeded', account: 'us' });
    expect(upsell.paymentIntent).toBe(charged[0]?.id);
  }

  it.each([
    ['the connection reset', 'connection_reset'],
    ['no answer', 'timeout'],
  ] as const)(
    'is charged once after %s, however often the buyer clicks "Yes" again',
    async (_title, fault) => {
      const { visitor, orderId, paymentId, primary } = await boughtOrder();
      // Every try on the primary runs (the first charges, the rest replay its key), and is lost.
      await fail(primary, fault, { after: true });

      await clickYesUnanswered(visitor, paymentId);
      await clickYesUnanswered(visitor, paymentId);
      await clickYesUnanswered(visitor, paymentId);

      await control(emulator(), 'DELETE', 'faults');
      const settled = await visitor.post('/f/launch/coaching/accept');
      expect([settled.statusCode, settled.headers.location]).toEqual([303, '/f/launch/thanks']);
      await expectChargedOnceOnUs(orderId, paymentId);
    },
  );

  it('is charged once when the lost answer is followed by two 429s on the retries', async () => {
    const { visitor, orderId, paymentId, primary } = await boughtOrder();
    // Faults strike in the order added: the charge runs and its answer is lost, then the
    // executor's tries of the same key are refused for the rate.
    await fail(primary, 'connection_reset', { after: true, times: 1 });
    await fail(primary, 'rate_limit', { times: 2 });

    const first = await visitor.post('/f/launch/coaching/accept');
    expect(first.body).not.toContain('id="card-config"');
    expect(first.body).toContain('You will not be charged twice');
    // The charge confirms the saved card, so the executor's guard keeps the reset: the attempt
    // stays unsettled (sent again as it was), not rate-limited (which would try a new key).
    const detail = await api('GET', `/api/orders/${orderId}`);
    const upsell = detail.body.order.payments.find(
      (payment: { kind: string }) => payment.kind === 'upsell',
    );
    expect(upsell.attempts).toMatchObject([
      { number: 1, account: 'us', status: 'failed', failureKind: 'connection' },
    ]);
    await control(emulator(), 'DELETE', 'faults');

    // A 429 said nothing of the first try: the attempt must still be the one that charged.
    const again = await visitor.post('/f/launch/coaching/accept');
    expect([again.statusCode, again.headers.location]).toEqual([303, '/f/launch/thanks']);
    await expectChargedOnceOnUs(orderId, paymentId);
  });
});
