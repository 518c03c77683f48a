import type Stripe from 'stripe';
import { expect, it } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  stripeOfAccount,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';

const emulator = useEmulator();

/**
 * The primary makes the buyer's PaymentIntent and its answer is lost. The sale goes on (asked
 * again on its key, or on the backup), and whatever Stripe now holds, only the PaymentIntent the
 * buyer got a card form for can be paid, and the order is paid once.
 */
describeEachDatabase(
  'the payment step when the primary made the PaymentIntent unheard',
  (database) => {
    const shop = launchShopForEachTest(database, emulator, {
      gateway: 'configured',
      env: { STRIPE_CHECKOUT_TIMEOUT_MS: '300' },
    });
    const api: AdminCall = (method, url, payload) => shop().api(method, url, payload);

    /** Every PaymentIntent Stripe holds on both accounts (each test has fresh ones). */
    async function intentsAtStripe(): Promise<Array<Stripe.PaymentIntent & { handle: string }>> {
      const all: Array<Stripe.PaymentIntent & { handle: string }> = [];
      for (const handle of ['us', 'eu']) {
        const stripe = await stripeOfAccount(emulator(), api, handle);
        const listed = (await stripe.paymentIntents.list({ limit: 100 })).data;
        all.push(...listed.map((intent) => ({ ...intent, handle })));
      }
      return all;
    }

    it.each([
      ['the connection reset, every time', 'connection_reset', undefined],
      ['the connection reset, once', 'connection_reset', 1],
      ['no answer, every time', 'timeout', undefined],
      ['no answer, once', 'timeout', 1],
    ] as const)(
      'takes one payment after %s on the PaymentIntent create',
      async (_title, fault, times) => {
        const visitor = visitorOf(shop().testApp.app);
        await visitor.post('/f/launch/order/contact', {
          email: 'ana@example.com',
          name: 'Ana',
          country: 'US',
        });
        const primary = (await stripeSideOf(api, 'us')).stripeAccountId;
        await control(emulator(), 'POST', 'faults', {
          account: primary,
          fault,
          after: true,
          path: '/v1/payment_intents',
          ...(times === undefined ? {} : { times }),
        });

        const page = await visitor.get('/f/launch/order/pay');

        expect(page.statusCode, page.body).toBe(200);
        const card = cardConfigOf(page.body);
        await control(emulator(), 'DELETE', 'faults');
        const intentId = card.clientSecret.split('_secret_')[0] ?? '';
        const made = await intentsAtStripe();
        expect(made.map((intent) => intent.id)).toContain(intentId);
        // The primary made at least one the buyer never saw: none of those can be paid by the buyer.
        expect(made.filter((intent) => intent.handle === 'us').length).toBeGreaterThan(0);
        const order = (await api('GET', '/api/orders?limit=1')).body.orders[0];
        const detail = (await api('GET', `/api/orders/${order.id}`)).body.order;
        const main = detail.payments.find((payment: { kind: string }) => payment.kind !== 'upsell');
        expect(main.paymentIntent).toBe(intentId);

        const paid = await confirmAsBrowser(emulator(), card);
        expect(paid.status).toBe('succeeded');
        const back = await visitor.get(`/f/launch/order/return?payment_intent=${paid.id}`);
        expect(back.statusCode).toBe(303);
        const after = (await api('GET', `/api/orders/${order.id}`)).body.order;
        expect(after).toMatchObject({ status: 'paid', paid: 4900 });
        const succeeded = (await intentsAtStripe()).filter(
          (intent) => intent.status === 'succeeded',
        );
        expect(succeeded.map((intent) => intent.id)).toEqual([intentId]);
        // What the buyer was not shown is left unpayable: never succeeded, or canceled.
        const unseen = (await intentsAtStripe()).filter((intent) => intent.id !== intentId);
        for (const intent of unseen) {
          expect(['requires_payment_method', 'canceled']).toContain(intent.status);
        }
      },
    );
  },
);
