import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminCall, buildTestApp, type TestApp } from '../../test/app.js';
import {
  buyOrder,
  type ContactForm,
  cardConfigOf,
  confirmAsBrowser,
  expectNoSecrets,
  importLaunchFunnel,
  stripeSideOf,
  type Visitor,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

/*
 * What a buyer's browser is answered on the funnel pages, in-process: the addresses it is sent to,
 * the prices and fields it is shown, and the pages it meets when something is wrong.
 */

const emulator = useEmulator();
const publicUrl = 'https://pay.shop.example';
const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };

describeEachDatabase('the pages a buyer sees', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let seen: string[];

  beforeEach(async () => {
    seen = [];
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), {
      seen,
      env: { PUBLIC_URL: publicUrl },
    }));
    await importLaunchFunnel(testApp.services);
  });
  afterEach(async () => {
    await expectNoSecrets(emulator(), seen);
    await testApp.app.close();
    await store.dispose();
  });

  function newVisitor(headers: Record<string, string> = {}): Visitor {
    return visitorOf(testApp.app, headers, seen);
  }

  describe('prices before the card form', () => {
    /** The offer's and the bump's price as the contact step shows them. */
    function contactPrices(html: string): string[] {
      return [...html.matchAll(/<b data-price="(?:offer|bump)">([^<]*)<\/b>/g)].map(
        (match) => match[1] ?? '',
      );
    }

    it('shows on the contact step the currency the payment step charges for the country', async () => {
      const american = newVisitor({ 'accept-language': 'en-US,en;q=0.9' });
      const contact = await american.get('/f/launch/order');
      expect(contact.body).toContain('<option value="US" selected>');
      expect(contactPrices(contact.body)).toEqual(['$49.00', '$19.00']);
      await american.post('/f/launch/order/contact', ana);
      expect((await american.get('/f/launch/order/pay')).body).toContain(
        '<strong id="total">$49.00</strong>',
      );

      const german = newVisitor({ 'accept-language': 'de-DE,de;q=0.9' });
      expect(contactPrices((await german.get('/f/launch/order')).body)).toEqual([
        '€45.00',
        '€17.00',
      ]);
      await german.post('/f/launch/order/contact', { ...ana, country: 'DE' });
      expect((await german.get('/f/launch/order/pay')).body).toContain(
        '<strong id="total">€45.00</strong>',
      );
      // Back on the contact step, the order's country decides, whatever the browser's language.
      expect(contactPrices((await german.get('/f/launch/order')).body)).toEqual([
        '€45.00',
        '€17.00',
      ]);
      // No country known: the currency the payment step would start in for anyone.
      expect(contactPrices((await newVisitor().get('/f/launch/order')).body)).toEqual([
        '$49.00',
        '$19.00',
      ]);
    });
  });

  describe('after paying', () => {
    it('thanks nobody without a paid order: no visit, a forged cookie, an unpaid order', async () => {
      const unpaid = newVisitor();
      await unpaid.post('/f/launch/order/contact', ana);
      const pages = [
        await newVisitor().get('/f/launch/thanks'),
        await newVisitor({ cookie: 'sy_order_launch=ord_v_forged.c2lnbmF0dXJl' }).get(
          '/f/launch/thanks',
        ),
        await unpaid.get('/f/launch/thanks'),
      ];
      for (const page of pages) {
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('<h1>No purchase on this visit</h1>');
        expect(page.body).toContain('nothing was bought on this visit');
        expect(page.body).toContain('href="/f/launch/sales"');
        expect(page.body).not.toMatch(/thank you|you are in|receipt is on its way/i);
      }

      const { card } = await buyOrder(emulator(), unpaid, ana);
      expect(card.clientSecret).not.toBe('');
      await unpaid.post('/f/launch/coaching/decline');
      const thanks = await unpaid.get('/f/launch/thanks');
      expect(thanks.body).toContain('<h1>Thank you! You are in.</h1>');
      expect(thanks.body).toContain('<td>Launch Masterclass</td>');
    });

    it('tries the PaymentIntent again when Stripe falters, and else says the payment is being confirmed', async () => {
      const us = await stripeSideOf(api, 'us');
      const visitor = newVisitor();
      await visitor.post('/f/launch/order/contact', ana);
      const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
      const intent = await confirmAsBrowser(emulator(), card);
      expect(intent.status).toBe('succeeded');
      const returnPath = `/f/launch/order/return?payment_intent=${intent.id}`;
      const failRetrieve = (times: number, fault: string) =>
        control(emulator(), 'POST', 'faults', {
          account: us.stripeAccountId,
          fault,
          path: `/v1/payment_intents/${intent.id}`,
          times,
        });

      // Two quick faults: the third read answers and the buyer moves on.
      await failRetrieve(2, 'server_error');
      const recovered = await visitor.get(returnPath);
      expect(recovered.statusCode, recovered.body).toBe(303);
      expect(recovered.headers.location).toBe('/f/launch/coaching');

      // Stripe keeps failing: a page that says so and checks again by itself, never an error.
      await failRetrieve(50, 'rate_limit');
      const waiting = await visitor.get(returnPath);
      expect(waiting.statusCode).toBe(200);
      expect(waiting.body).toContain('<h1>Your payment is being confirmed</h1>');
      expect(waiting.body).toContain(
        `<meta http-equiv="refresh" content="3;url=/f/launch/order/return?payment_intent=${intent.id}">`,
      );
      await control(emulator(), 'DELETE', 'faults');
      const later = await visitor.get(returnPath);
      expect(later.headers.location).toBe('/f/launch/coaching');
    });
  });

  describe('the contact form', () => {
    /** The opening tag of the field with this id. */
    function fieldOf(html: string, id: string): string {
      return new RegExp(`<(?:input|select)\\b[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0] ?? '';
    }

    it('carries the limits the server holds it to: a value at the limit goes through, one more is refused', async () => {
      const form = (await newVisitor().get('/f/launch/order')).body;
      expect(fieldOf(form, 'email')).toMatch(
        / type="email" autocomplete="email" required maxlength="\d+"/,
      );
      expect(fieldOf(form, 'name')).toMatch(/ type="text" autocomplete="name" maxlength="\d+"/);
      expect(fieldOf(form, 'name')).not.toContain('required');
      expect(fieldOf(form, 'country')).toContain('autocomplete="country" required');
      const limit = (id: string) => Number(/maxlength="(\d+)"/.exec(fieldOf(form, id))?.[1]);
      expect([limit('email'), limit('name')]).toEqual([320, 200]);

      const atLimit = {
        email: `${'a'.repeat(limit('email') - '@example.com'.length)}@example.com`,
        name: 'n'.repeat(limit('name')),
        country: 'US',
      };
      expect((await newVisitor().post('/f/launch/order/contact', atLimit)).statusCode).toBe(303);
      for (const field of ['email', 'name'] as const) {
        const over = { ...atLimit, [field]: `x${atLimit[field]}` };
        const refused = await newVisitor().post('/f/launch/order/contact', over);
        expect(refused.statusCode, field).toBe(400);
        expect(refused.body).toContain(`at most ${limit(field)} characters`);
      }
    });
  });

  describe('addresses', () => {
    it('sends the buyer back from Stripe to PUBLIC_URL whatever Host the request names', async () => {
      const visitor = newVisitor({ host: 'evil.example' });
      await visitor.post('/f/launch/order/contact', ana);
      const pay = await visitor.get('/f/launch/order/pay');
      expect(pay.statusCode, pay.body).toBe(200);
      expect(cardConfigOf(pay.body).returnUrl).toBe(`${publicUrl}/f/launch/order/return`);
      expect(pay.body).not.toContain('evil.example');
      expect((await api('GET', '/api/orders')).status).toBe(200);
    });

    it('claims "SSL secured" only when PUBLIC_URL is https', async () => {
      const overHttps = await newVisitor().get('/f/launch/sales');
      expect(overHttps.body).toContain('SSL secured');
      const plain = await buildTestApp(store, { env: { PUBLIC_URL: 'http://127.0.0.1:43001' } });
      try {
        const overHttp = await visitorOf(plain.app).get('/f/launch/sales');
        expect(overHttp.statusCode).toBe(200);
        expect(overHttp.body).toContain('Payments by Stripe');
        expect(overHttp.body).not.toContain('SSL secured');
      } finally {
        await plain.app.close();
      }
    });
  });
});
