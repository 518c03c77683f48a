import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { control, emulatorEnv, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';

const emulator = useEmulator();

const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };

describeEachDatabase('a one-click upsell whose charge gets no clear answer', (database) => {
  const shop = launchShopForEachTest(database, emulator);
  const api: AdminCall = (method, url, payload) => shop().api(method, url, payload);

  async function upsellOf(orderId: string) {
    const detail = await api('GET', `/api/orders/${orderId}`);
    return detail.body.order.payments.find(
      (payment: { kind: string }) => payment.kind === 'upsell',
    );
  }

  /** PaymentIntents Stripe holds for the upsell on an account, whatever our records say. */
  async function upsellIntentsOn(handle: string, paymentId: string) {
    const stripe = await stripeOfAccount(emulator(), api, handle);
    const intents = (await stripe.paymentIntents.list({ limit: 100 })).data;
    return intents.filter((intent) => intent.metadata.switchyard_payment === paymentId);
  }

  it.each([
    ['a 500', 'server_error'],
    ['no answer', 'timeout'],
  ] as const)(
    'is charged once on its own account after %s, and the buyer never gets a second card form',
    async (_title, fault) => {
      const us = await stripeSideOf(api, 'us');
      const visitor = visitorOf(shop().testApp.app);
      await buyOrder(emulator(), visitor, ana);
      const orders = await api('GET', '/api/orders?limit=1');
      const orderId: string = orders.body.orders[0].id;
      const paymentId = `${orderId}.coaching`;
      await control(emulator(), 'POST', 'faults', {
        account: us.stripeAccountId,
        fault,
        path: '/v1/payment_intents',
      });

      const first = await visitor.post('/f/launch/coaching/accept');
      expect(first.statusCode, first.body).toBe(200);
      expect(first.body).toContain('You will not be charged twice');
      expect(first.body).not.toContain('id="card-config"');
      expect(await upsellOf(orderId)).toMatchObject({
        status: 'pending',
        account: null,
        paymentIntent: null,
        attempts: [{ number: 1, account: 'us', status: 'failed' }],
      });

      // The saved card's account is now off: a new sale would get a card form on eu. This one
      // may already be charged, so it is only sent again as it was, on us.
      const disabled = await api('PATCH', '/api/accounts/us', { enabled: false });
      expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
      const again = await visitor.post('/f/launch/coaching/accept');
      expect(again.statusCode, again.body).toBe(200);
      expect(again.body).not.toContain('id="card-config"');
      expect(again.body).toContain('You will not be charged twice');
      expect(await upsellIntentsOn('eu', paymentId)).toEqual([]);
      const pending = await upsellOf(orderId);
      expect(pending).toMatchObject({
        status: 'pending',
        attempts: [{ number: 1, account: 'us' }],
      });
      expect(pending.attempts).toHaveLength(1);

      // Stripe answers again: the same attempt, the same key, one charge.
      await control(emulator(), 'DELETE', 'faults');
      await api('PATCH', '/api/accounts/us', { enabled: true });
      const settled = await visitor.post('/f/launch/coaching/accept');
      expect([settled.statusCode, settled.headers.location]).toEqual([303, '/f/launch/thanks']);
      const charged = await upsellIntentsOn('us', paymentId);
      expect(charged.map((intent) => intent.status)).toEqual(['succeeded']);
      expect(await upsellIntentsOn('eu', paymentId)).toEqual([]);
      const paid = await upsellOf(orderId);
      expect(paid).toMatchObject({ status: 'succeeded', account: 'us' });
      expect(paid.attempts).toMatchObject([{ number: 1, account: 'us', status: 'created' }]);
      // Each click sent the attempt once more; every request is kept, in the CLI too.
      const kinds = paid.attempts[0].tries.map((tried: { outcome: string }) => tried.outcome);
      expect(kinds).toEqual(['failed', 'failed', 'created']);
      const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-upsell-'));
      try {
        const shown = await runInProcess(['orders', 'show', orderId], {
          ...emulatorEnv(emulator()),
          DATABASE_URL: shop().store.url,
          DATA_DIR: dataDir,
          SWITCHYARD_MASTER_KEY: shop().testApp.masterKey,
        });
        expect([shown.code, shown.stderr]).toEqual([0, '']);
        expect(shown.stdout).toMatch(/^ {6}try 1\s+failed\s+\d+ ms\s+(stripe_error|connection)/m);
        expect(shown.stdout).toMatch(/^ {6}try 3\s+created\s+\d+ ms$/m);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
