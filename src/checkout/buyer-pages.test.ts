import type { InjectOptions, LightMyRequestResponse } from 'fastify';
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
      env: { PUBLIC_URL: publicUrl, CHECKOUT_LIMIT_PER_EMAIL: '3' },
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

  describe('when something is wrong', () => {
    /** Words of the merchant's and developer's world that a buyer must never read. */
    const internal =
      /GET \/api|switchyard |\(root\)|FST_|funnels list|\bat \S+ \(|node_modules|\.ts:\d|statusCode|"error"|\bnull\b|Stripe-Account|acct_/;

    function expectBuyerPage(answer: LightMyRequestResponse, status: number, label: string) {
      expect(answer.statusCode, `${label}: ${answer.body.slice(0, 300)}`).toBe(status);
      expect(answer.headers['content-type'], label).toBe('text/html; charset=utf-8');
      expect(answer.body.startsWith('<!doctype html>'), label).toBe(true);
      expect(answer.body, label).toContain('<link rel="stylesheet" href="/assets/checkout.css">');
      expect(answer.body, label).toMatch(/<h1>[^<]+<\/h1><p>[^<]+<\/p>/);
      expect(answer.body, label).not.toMatch(internal);
    }

    it('answers every odd or hostile visitor request with a page for buyers, at the right status', async () => {
      const long = 'a'.repeat(101);
      const inject = (options: InjectOptions) => testApp.app.inject(options);
      const form = 'application/x-www-form-urlencoded';
      const table: Array<[string, number, InjectOptions]> = [
        ['unknown funnel', 404, { url: '/f/nope' }],
        ['unknown funnel page', 404, { url: '/f/nope/order' }],
        ['unknown page', 404, { url: '/f/launch/nope' }],
        ['unknown action', 404, { url: '/f/launch/order/nope' }],
        ['unknown deeper path', 404, { url: '/f/launch/order/pay/more' }],
        ['bare /f', 404, { url: '/f' }],
        ['bad escape in a page', 400, { url: '/f/launch/%ff' }],
        ['bad escape in a funnel', 400, { url: '/f/%ff%fe' }],
        ['funnel slug over 100', 414, { url: `/f/${long}` }],
        ['page slug over 100', 414, { url: `/f/launch/${long}/pay` }],
        ['bare bump post', 400, { method: 'POST', url: '/f/launch/order/bump' }],
        [
          'bump without currency',
          400,
          {
            method: 'POST',
            url: '/f/launch/order/bump',
            headers: { 'content-type': form },
            payload: 'bump=1',
          },
        ],
        ['bad currency', 400, { url: '/f/launch/order/pay?currency=dollars' }],
        [
          'octet-stream contact',
          415,
          {
            method: 'POST',
            url: '/f/launch/order/contact',
            headers: { 'content-type': 'application/octet-stream' },
            payload: 'email=a@b.co',
          },
        ],
        [
          'xml opt-in',
          415,
          {
            method: 'POST',
            url: '/f/launch/sales',
            headers: { 'content-type': 'application/xml' },
            payload: '<a/>',
          },
        ],
        [
          'huge contact form',
          413,
          {
            method: 'POST',
            url: '/f/launch/order/contact',
            headers: { 'content-type': form },
            payload: `email=${'x'.repeat(20_000)}`,
          },
        ],
        ['PUT on a page', 405, { method: 'PUT', url: '/f/launch/order' }],
        ['DELETE on a funnel', 405, { method: 'DELETE', url: '/f/launch' }],
        ['GET on an action', 405, { url: '/f/launch/coaching/accept' }],
        ['unknown asset', 404, { url: '/assets/app.js' }],
        ['NUL in a page', 400, { url: '/f/launch/%00' }],
      ];
      for (const [label, status, request] of table) {
        expectBuyerPage(await inject(request), status, label);
      }
      // The way on leads back into the funnel where there is one.
      expect((await inject({ url: '/f/launch/nope' })).body).toContain('href="/f/launch"');
      expect((await inject({ url: '/f/nope' })).body).not.toContain('href="/f/nope"');
      expect((await inject({ method: 'PUT', url: '/f/launch/order' })).headers.allow).toBe(
        'GET, POST',
      );

      // A return from Stripe naming another PaymentIntent than the visit's.
      const visitor = newVisitor();
      await visitor.post('/f/launch/order/contact', ana);
      const wrong = await visitor.get('/f/launch/order/return?payment_intent=pi_someone_else');
      expectBuyerPage(wrong, 404, 'foreign PaymentIntent');

      // Too many contact posts with one email.
      for (let count = 0; count < 3; count += 1) {
        await newVisitor().post('/f/launch/order/contact', ana);
      }
      const limited = await newVisitor().post('/f/launch/order/contact', ana);
      expectBuyerPage(limited, 429, 'rate limit');
      expect(limited.body).toMatch(
        /Too many checkout attempts with this email .* Wait \d+ seconds/,
      );
    });

    it('answers the page script in JSON with buyer words, and API callers in the project’s shape', async () => {
      const bump = await newVisitor().postJson('/f/launch/order/bump?currency=usd', null);
      expect(bump.statusCode).toBe(400);
      expect(bump.json()).toEqual({
        error: { code: 'validation_failed', message: expect.any(String), details: null },
      });
      expect(bump.body).not.toMatch(/\(root\)|expected/);

      const { token } = await testApp.services.tokens.createToken({
        workspaceId: 'default',
        name: 'errors',
        actor: 'test',
      });
      const authorization = `Bearer ${token}`;
      const api: Array<[string, number, string, InjectOptions]> = [
        ['bad escape', 400, 'bad_request', { url: '/api/%ff%fe' }],
        ['segment over 100', 414, 'uri_too_long', { url: `/api/accounts/${'a'.repeat(101)}` }],
        ['unknown route', 404, 'not_found', { url: '/api/nothing' }],
        [
          'xml body',
          415,
          'unsupported_media_type',
          {
            method: 'POST',
            url: '/api/accounts',
            headers: { authorization, 'content-type': 'application/xml' },
            payload: 'x',
          },
        ],
        [
          'body over 1 MB',
          413,
          'payload_too_large',
          {
            method: 'POST',
            url: '/api/accounts',
            headers: { authorization, 'content-type': 'application/json' },
            payload: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
          },
        ],
        ['bad webhook escape', 400, 'bad_request', { method: 'POST', url: '/webhooks/stripe/%ff' }],
      ];
      for (const [label, status, code, request] of api) {
        const answer = await testApp.app.inject(request);
        expect(answer.statusCode, label).toBe(status);
        expect(answer.json(), label).toEqual({
          error: { code, message: expect.any(String), details: null },
        });
        expect(answer.body, label).not.toContain('FST_');
      }
    });

    it('shows a page, not an error body, when Stripe or our side fails', async () => {
      const us = await stripeSideOf(api, 'us');
      const visitor = newVisitor();
      await visitor.post('/f/launch/order/contact', ana);
      const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
      const intentId = card.clientSecret.split('_secret_')[0];
      await control(emulator(), 'POST', 'faults', {
        account: us.stripeAccountId,
        fault: 'server_error',
        path: `/v1/payment_intents/${intentId}`,
      });
      try {
        // Nothing is charged before the card is entered: the page tries again by itself.
        const waiting = await visitor.get('/f/launch/order/pay');
        expectBuyerPage(waiting, 200, 'Stripe fails');
        expect(waiting.body).toContain('Getting your payment form ready');
      } finally {
        await control(emulator(), 'DELETE', 'faults');
      }

      for (const handle of ['us', 'eu']) {
        expect((await api('PATCH', `/api/accounts/${handle}`, { enabled: false })).status).toBe(
          200,
        );
      }
      const other = newVisitor();
      await other.post('/f/launch/order/contact', { ...ana, email: 'ben@example.com' });
      const none = await other.get('/f/launch/order/pay');
      expectBuyerPage(none, 503, 'no account');
      expect(none.body).toContain('Nothing was charged');

      // The database gone: our own failure, with a reference and nothing of its cause.
      const gone = store;
      store = await database.openMigrated();
      await gone.dispose();
      const broken = await newVisitor().get('/f/launch/sales');
      expectBuyerPage(broken, 500, 'database gone');
      expect(broken.body).toContain(`reference: ${broken.headers['x-request-id']}`);
    });
  });

  describe('a card Stripe does not take', () => {
    it('tells the buyer in plain words why, and keeps Stripe’s own text for the merchant', async () => {
      const visitor = newVisitor();
      await visitor.post('/f/launch/order/contact', ana);
      const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
      const challenged = await confirmAsBrowser(emulator(), card, 'pm_card_threeDSecure2Required');
      expect(challenged.status).toBe('requires_action');
      await control(emulator(), 'POST', `payment_intents/${challenged.id}/authenticate`, {
        client_secret: card.clientSecret,
        outcome: 'fail',
      });
      const back = await visitor.get(`/f/launch/order/return?payment_intent=${challenged.id}`);
      const again = await visitor.get(back.headers.location as string);
      expect(again.statusCode).toBe(200);
      expect(again.body).toContain(
        'role="alert">Your bank could not confirm it was you, so nothing was charged.',
      );
      expect(again.body).not.toMatch(/failed authentication|payment_method_data|PaymentMethod/);

      const list = await api('GET', '/api/orders?limit=1');
      const order = (await api('GET', `/api/orders/${list.body.orders[0].id}`)).body.order;
      expect(order.payments[0].failureMessage).toContain(
        'The provided PaymentMethod has failed authentication.',
      );
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
