import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  buyOrder,
  type ContactForm,
  cardConfigOf,
  confirmAsBrowser,
  expectNoSecrets,
  importLaunchFunnel,
  payCardForm,
  stripeOfAccount,
  stripeSideOf,
  type Visitor,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();

const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };
const jonas: ContactForm = { email: 'jonas@example.de', name: 'Jonas', country: 'DE' };

/** The opening tag of the form control with this id. */
function controlOf(html: string, id: string): string {
  const match = new RegExp(`<(?:input|select)\\b[^>]*\\bid="${id}"[^>]*>`).exec(html);
  expect(match, `the page has a #${id} field`).not.toBeNull();
  return match?.[0] ?? '';
}

/** The message shown beside a field (the element its aria-describedby names), or null. */
function fieldErrorOf(html: string, id: string): string | null {
  const match = new RegExp(`id="${id}-error"[^>]*>([^<]*)<`).exec(html);
  return match?.[1] ?? null;
}

function chosenCountryOf(html: string): string | null {
  return /<option value="([A-Z]{2})" selected>/.exec(html)?.[1] ?? null;
}

describeEachDatabase('the funnel pages a buyer walks through', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  /** Every page and API answer of the test, searched for secrets afterwards. */
  let seen: string[];

  beforeEach(async () => {
    seen = [];
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), { seen }));
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

  /** The newest order with its payments, attempts and decisions, as the merchant sees it. */
  async function latestOrder() {
    const list = await api('GET', '/api/orders?limit=1');
    expect(list.body.orders, 'an order was made').toHaveLength(1);
    const detail = await api('GET', `/api/orders/${list.body.orders[0].id}`);
    expect(detail.status).toBe(200);
    return detail.body.order;
  }

  describe('the contact form', () => {
    it('shows each problem beside its field and keeps what the buyer typed', async () => {
      const visitor = newVisitor();
      const badEmail = await visitor.post('/f/launch/order/contact', { ...ana, email: 'ana@' });
      expect(badEmail.statusCode).toBe(400);
      expect(badEmail.headers['content-type']).toContain('text/html');
      expect(fieldErrorOf(badEmail.body, 'email')).toBe(
        'enter an email address such as ana@example.com',
      );
      expect(controlOf(badEmail.body, 'email')).toContain('aria-invalid="true"');
      expect(controlOf(badEmail.body, 'email')).toContain('value="ana@"');
      expect(controlOf(badEmail.body, 'name')).toContain('value="Ana"');
      expect(controlOf(badEmail.body, 'name')).not.toContain('aria-invalid');
      expect(chosenCountryOf(badEmail.body)).toBe('US');

      const noCountry = await visitor.post('/f/launch/order/contact', {
        email: ana.email,
        name: ana.name,
      });
      expect(noCountry.statusCode).toBe(400);
      expect(fieldErrorOf(noCountry.body, 'country')).toBe('choose your country');
      expect(controlOf(noCountry.body, 'country')).toContain('aria-invalid="true"');
      expect(controlOf(noCountry.body, 'email')).toContain(`value="${ana.email}"`);
      expect(controlOf(noCountry.body, 'email')).not.toContain('aria-invalid');
      expect(fieldErrorOf(noCountry.body, 'email')).toBeNull();

      const unknownCountry = await visitor.post('/f/launch/order/contact', {
        ...ana,
        country: 'ZZ',
      });
      expect(unknownCountry.statusCode).toBe(400);
      expect(fieldErrorOf(unknownCountry.body, 'country')).toBe(
        'choose your country from the list',
      );
      expect(controlOf(unknownCountry.body, 'name')).toContain('value="Ana"');

      // Nothing was ordered until the form was right.
      expect((await api('GET', '/api/orders')).body.orders).toEqual([]);
      const fixed = await visitor.post('/f/launch/order/contact', ana);
      expect(fixed.statusCode).toBe(303);
      expect(fixed.headers.location).toBe('/f/launch/order/pay');
    });

    it('refuses a NUL character or kilobytes of junk with a 4xx, never a 500', async () => {
      const visitor = newVisitor();
      const junk = 'x'.repeat(10 * 1024);
      const answers = {
        nul: await visitor.post('/f/launch/order/contact', { ...ana, name: 'An\u0000a' }),
        longEmail: await visitor.post('/f/launch/order/contact', {
          ...ana,
          email: `${junk}@example.com`,
        }),
        longName: await visitor.post('/f/launch/order/contact', { ...ana, name: junk }),
        longCountry: await visitor.post('/f/launch/order/contact', { ...ana, country: junk }),
        hugeBody: await visitor.post('/f/launch/order/contact', { ...ana, name: junk.repeat(3) }),
        nulQuery: await visitor.get('/f/launch/order/pay?currency=%00'),
        longQuery: await visitor.get(`/f/launch/order/pay?currency=${junk}`),
        longStep: await visitor.get(`/f/launch/${junk}`),
        junkBump: await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: junk }),
      };
      for (const [what, answer] of Object.entries(answers)) {
        expect(answer.statusCode, `${what}: ${answer.body.slice(0, 200)}`).toBeGreaterThanOrEqual(
          400,
        );
        expect(answer.statusCode, what).toBeLessThan(500);
      }
      expect(answers.nul.statusCode).toBe(400);
      expect(answers.nul.body).toContain('name');
      expect(fieldErrorOf(answers.longEmail.body, 'email')).toBe('at most 320 characters');
      expect(fieldErrorOf(answers.longName.body, 'name')).toBe('at most 200 characters');
      expect(answers.hugeBody.statusCode).toBe(413);
      expect((await api('GET', '/api/orders')).body.orders).toEqual([]);
    });

    it('answers 404 for a funnel or a page that does not exist', async () => {
      const visitor = newVisitor();
      const answers = [
        await visitor.get('/f/nope'),
        await visitor.get('/f/nope/order'),
        await visitor.get('/f/launch/nope'),
        await visitor.get('/f/launch/nope/pay'),
        await visitor.post('/f/nope/order/contact', ana),
        await visitor.post('/f/launch/nope/contact', ana),
        await visitor.post('/f/launch/nope/accept'),
        await visitor.get('/f/launch/nope/return?payment_intent=pi_123'),
      ];
      expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 404));
    });
  });

  it('moves on when the buyer paid but the return page never came, instead of asking again', async () => {
    const visitor = newVisitor();
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    // Paid in the browser; the tab closed before Stripe.js sent the buyer to the return page.
    expect((await confirmAsBrowser(emulator(), card)).status).toBe('succeeded');

    const again = await visitor.get('/f/launch/order/pay');
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe('/f/launch/coaching');
    expect(await latestOrder()).toMatchObject({ status: 'paid', paid: 4900 });
  });

  it('makes a new PaymentIntent for the new email when the buyer corrects it, and cancels the old one', async () => {
    const visitor = newVisitor();
    await visitor.post('/f/launch/order/contact', { ...ana, email: 'ana@exmaple.com' });
    const typo = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    await visitor.post('/f/launch/order/contact', ana);
    const fixed = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    expect(fixed.clientSecret).not.toBe(typo.clientSecret);

    const paid = await payCardForm(emulator(), visitor, '/f/launch/order/return', fixed);
    expect(paid.intent).toMatchObject({ status: 'succeeded', receipt_email: 'ana@example.com' });
    const order = await latestOrder();
    expect(order).toMatchObject({ email: 'ana@example.com', status: 'paid', paid: 4900 });
    expect(order.payments.map((payment: { status: string }) => payment.status)).toEqual([
      'canceled',
      'succeeded',
    ]);
    await expect(confirmAsBrowser(emulator(), typo)).rejects.toThrow(/canceled/);
  });

  it('keeps one Stripe customer per buyer and account: a second order reuses it', async () => {
    const first = await buyOrder(emulator(), newVisitor(), ana);
    const second = await buyOrder(emulator(), newVisitor(), { ...ana, name: 'Ana B.' });
    expect(first.intent.customer).toEqual(expect.stringMatching(/^cus_/));
    expect(second.intent.customer).toBe(first.intent.customer);
    const us = await stripeOfAccount(emulator(), api, 'us');
    const customers = await us.customers.list({ email: ana.email, limit: 10 });
    expect(customers.data.map((customer) => customer.id)).toEqual([first.intent.customer]);
    // Another buyer gets their own.
    const other = await buyOrder(emulator(), newVisitor(), { ...ana, email: 'bo@example.com' });
    expect(other.intent.customer).not.toBe(first.intent.customer);
  });

  it('remembers the Stripe customer made on an account the payment then failed over from', async () => {
    const us = await stripeSideOf(api, 'us');
    await control(emulator(), 'POST', 'faults', {
      account: us.stripeAccountId,
      fault: 'server_error',
      path: '/v1/payment_intents',
      times: 1,
    });
    const first = await buyOrder(emulator(), newVisitor(), ana);
    expect(first.card.publishableKey).not.toBe(us.publishableKey);

    // Back on us with her name corrected: her us customer is reused, not asked for again under
    // the same idempotency key with other details (which Stripe refuses).
    const second = await buyOrder(emulator(), newVisitor(), { ...ana, name: 'Ana B.' });
    expect(second.card.publishableKey).toBe(us.publishableKey);
    const onUs = await stripeOfAccount(emulator(), api, 'us');
    const customers = await onUs.customers.list({ email: ana.email, limit: 10 });
    expect(customers.data.map((customer) => customer.id)).toEqual([second.intent.customer]);
  });

  it('does not let a visitor reach an order whose cookie they forged', async () => {
    const buyer = newVisitor();
    await buyer.post('/f/launch/order/contact', ana);
    const { id } = await latestOrder();
    const forged = await testApp.app.inject({
      method: 'GET',
      url: '/f/launch/order/pay',
      headers: { cookie: `sy_order_launch=${id}.${'0'.repeat(64)}` },
    });
    expect(forged.statusCode).toBe(303);
    expect(forged.headers.location).toBe('/f/launch/order');
    expect(forged.body).not.toContain(ana.email);
  });

  it('refuses to change the bump once the card is confirmed, with a 409 that says why', async () => {
    const visitor = newVisitor();
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    expect((await confirmAsBrowser(emulator(), card)).status).toBe('succeeded');

    const late = await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toContain('already being confirmed');
    expect(await latestOrder()).toMatchObject({ status: 'paid', paid: 4900 });
  });

  it('keeps the same PaymentIntent after a decline, shows why, and takes the next card once', async () => {
    const visitor = newVisitor();
    await visitor.post('/f/launch/order/contact', ana);
    const first = await visitor.get('/f/launch/order/pay');
    const card = cardConfigOf(first.body);
    const declined = await confirmAsBrowser(emulator(), card, 'pm_card_chargeDeclined');
    expect(declined.status).toBe('requires_payment_method');

    const back = await visitor.get(`/f/launch/order/return?payment_intent=${declined.id}`);
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/f/launch/order/pay?currency=usd');
    const again = await visitor.get(back.headers.location as string);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('Your card was declined.');
    expect(cardConfigOf(again.body)).toEqual(card);

    const paid = await payCardForm(emulator(), visitor, '/f/launch/order/return', card);
    expect(paid.intent.id).toBe(declined.id);
    expect(paid.intent.status).toBe('succeeded');
    expect(paid.back.headers.location).toBe('/f/launch/coaching');
    // Back on the payment page after paying: nothing more to pay, on to the next step.
    const reload = await visitor.get('/f/launch/order/pay');
    expect(reload.headers.location).toBe('/f/launch/coaching');

    const order = await latestOrder();
    expect(order).toMatchObject({ status: 'paid', paid: 4900, currency: 'usd', accounts: ['us'] });
    expect(order.payments).toHaveLength(1);
    expect(order.payments[0]).toMatchObject({
      status: 'succeeded',
      amount: 4900,
      paymentIntent: declined.id,
    });
  });

  it.each(['server_error', 'rate_limit'] as const)(
    'takes the payment on the next account when the primary fails (%s), and says so',
    async (fault) => {
      const us = await stripeSideOf(api, 'us');
      const eu = await stripeSideOf(api, 'eu');
      await control(emulator(), 'POST', 'faults', {
        account: us.stripeAccountId,
        fault,
        path: '/v1/payment_intents',
        // A 429 is tried three times on the same account before it counts as failing.
        times: fault === 'rate_limit' ? 3 : 1,
      });
      const visitor = newVisitor();
      const { card, intent, back } = await buyOrder(emulator(), visitor, ana);
      expect(card.publishableKey).toBe(eu.publishableKey);
      expect(intent.status).toBe('succeeded');
      expect(back.headers.location).toBe('/f/launch/coaching');

      const order = await latestOrder();
      expect(order).toMatchObject({ status: 'paid', accounts: ['eu'] });
      const [payment] = order.payments;
      expect(payment.account).toBe('eu');
      expect(payment.decision).toMatchObject({
        outcome: 'fallback',
        account: 'eu',
        fallbackFrom: 'us',
      });
      expect(payment.decision.explanation.join(' ')).toMatch(/Attempt 1 on us failed/);
      expect(
        payment.attempts.map((attempt: { account: string; status: string }) => [
          attempt.account,
          attempt.status,
        ]),
      ).toEqual([
        ['us', 'failed'],
        ['eu', 'created'],
      ]);
    },
  );

  it('follows a country rule, and the currency the buyer switches to', async () => {
    const applied = await api('PUT', '/api/routing', {
      document: {
        accounts: [
          { handle: 'us', role: 'primary' },
          { handle: 'eu', priority: 1 },
        ],
        rules: [
          { name: 'germany', when: { country: ['DE'] }, use: 'eu' },
          { name: 'euro', when: { currency: ['eur'] }, use: 'eu' },
        ],
      },
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const us = await stripeSideOf(api, 'us');
    const eu = await stripeSideOf(api, 'eu');

    const german = await buyOrder(emulator(), newVisitor(), jonas);
    expect(german.pay.body).toContain('€45.00');
    expect(german.card.publishableKey).toBe(eu.publishableKey);
    expect(german.intent).toMatchObject({ status: 'succeeded', currency: 'eur', amount: 4500 });
    const germanOrder = await latestOrder();
    expect(germanOrder).toMatchObject({ status: 'paid', currency: 'eur', accounts: ['eu'] });
    expect(germanOrder.payments[0].decision).toMatchObject({
      outcome: 'selected',
      account: 'eu',
      matched: { level: 'rule', ref: 'germany' },
    });

    const american = newVisitor();
    await american.post('/f/launch/order/contact', ana);
    const dollars = await american.get('/f/launch/order/pay');
    expect(dollars.body).toContain('$49.00');
    expect(cardConfigOf(dollars.body).publishableKey).toBe(us.publishableKey);
    // The buyer picks euros: a new PaymentIntent, routed for euros.
    expect(dollars.body).toContain('href="/f/launch/order/pay?currency=eur"');
    const euros = await american.get('/f/launch/order/pay?currency=eur');
    expect(euros.statusCode).toBe(200);
    expect(euros.body).toContain('€45.00');
    const euroCard = cardConfigOf(euros.body);
    expect(euroCard.publishableKey).toBe(eu.publishableKey);
    expect(euroCard.clientSecret).not.toBe(cardConfigOf(dollars.body).clientSecret);
    const paid = await payCardForm(emulator(), american, '/f/launch/order/return', euroCard);
    expect(paid.intent).toMatchObject({ status: 'succeeded', currency: 'eur', amount: 4500 });
    expect(paid.back.headers.location).toBe('/f/launch/coaching');

    const americanOrder = await latestOrder();
    expect(americanOrder).toMatchObject({ status: 'paid', paid: 4500, currency: 'eur' });
    const euroPayment = americanOrder.payments.find(
      (payment: { currency: string }) => payment.currency === 'eur',
    );
    expect(euroPayment).toMatchObject({ status: 'succeeded', account: 'eu' });
    expect(euroPayment.decision.matched).toEqual({ level: 'rule', ref: 'euro' });
    const dollarPayment = americanOrder.payments.find(
      (payment: { currency: string }) => payment.currency === 'usd',
    );
    // Switching currency canceled the dollar PaymentIntent: a tab left open on it cannot pay twice.
    expect(dollarPayment).toMatchObject({ account: 'us', status: 'canceled' });
    expect(dollarPayment.decision.matched).toEqual({ level: 'default', ref: null });
    await expect(confirmAsBrowser(emulator(), cardConfigOf(dollars.body))).rejects.toThrow(
      /canceled/,
    );
    expect((await latestOrder()).paid).toBe(4500);
  });

  it('opens a new PaymentIntent when the buyer switches back to a currency it canceled', async () => {
    const visitor = newVisitor();
    await visitor.post('/f/launch/order/contact', ana);
    const first = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    await visitor.get('/f/launch/order/pay?currency=eur');
    const back = await visitor.get('/f/launch/order/pay?currency=usd');
    const again = cardConfigOf(back.body);
    expect(again.clientSecret).not.toBe(first.clientSecret);
    const paid = await payCardForm(emulator(), visitor, '/f/launch/order/return', again);
    expect(paid.intent).toMatchObject({ status: 'succeeded', currency: 'usd', amount: 4900 });
    const order = await latestOrder();
    expect(order).toMatchObject({ status: 'paid', paid: 4900, currency: 'usd' });
    expect(order.payments.map((payment: { status: string }) => payment.status).sort()).toEqual([
      'canceled',
      'canceled',
      'succeeded',
    ]);
  });

  it('asks for the card again on the same account when the bank wants the buyer for the upsell', async () => {
    const us = await stripeSideOf(api, 'us');
    const visitor = newVisitor();
    const bought = await buyOrder(emulator(), visitor, ana, {
      paymentMethod: 'pm_card_authenticationRequired',
    });
    expect(bought.intent.status).toBe('succeeded');
    expect(bought.back.headers.location).toBe('/f/launch/coaching');

    const accepted = await visitor.post('/f/launch/coaching/accept');
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.body).toContain('Your bank asks you to confirm this purchase.');
    const card = cardConfigOf(accepted.body);
    expect(card.publishableKey).toBe(us.publishableKey);

    const waiting = await latestOrder();
    const upsell = waiting.payments.find((payment: { kind: string }) => payment.kind === 'upsell');
    expect(upsell).toMatchObject({ account: 'us', status: 'requires_payment_method' });
    expect(card.clientSecret.startsWith(`${upsell.paymentIntent}_secret_`)).toBe(true);
    expect(upsell.attempts).toMatchObject([
      { account: 'us', status: 'failed', stripeCode: 'authentication_required' },
    ]);

    const paid = await payCardForm(
      emulator(),
      visitor,
      '/f/launch/coaching/return',
      card,
      'pm_card_authenticationRequired',
    );
    expect(paid.intent).toMatchObject({ id: upsell.paymentIntent, status: 'succeeded' });
    expect(paid.back.headers.location).toBe('/f/launch/thanks');
    const order = await latestOrder();
    expect(order).toMatchObject({ status: 'paid', paid: 4900 + 9900, accounts: ['us'] });
  });

  it('offers a card form on the account routed for a new payment when the saved card’s account is off', async () => {
    const eu = await stripeSideOf(api, 'eu');
    const visitor = newVisitor();
    await buyOrder(emulator(), visitor, ana);
    const disabled = await api('PATCH', '/api/accounts/us', { enabled: false });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);

    const accepted = await visitor.post('/f/launch/coaching/accept');
    expect(accepted.statusCode, accepted.body).toBe(200);
    const card = cardConfigOf(accepted.body);
    expect(card.publishableKey).toBe(eu.publishableKey);
    expect(accepted.body).toContain('Your saved card cannot be charged for this offer right now');

    const paid = await payCardForm(emulator(), visitor, '/f/launch/coaching/return', card);
    expect(paid.intent).toMatchObject({ status: 'succeeded', amount: 9900, currency: 'usd' });
    expect(paid.back.headers.location).toBe('/f/launch/thanks');
    const order = await latestOrder();
    expect(order).toMatchObject({ status: 'paid', paid: 4900 + 9900, accounts: ['us', 'eu'] });
    expect(order.payments[1]).toMatchObject({ kind: 'upsell', account: 'eu' });
  });

  describe('after the order form', () => {
    it('goes from "No thanks" to the downsell, and from there to the thank-you page', async () => {
      const visitor = newVisitor();
      await buyOrder(emulator(), visitor, ana);
      const declined = await visitor.post('/f/launch/coaching/decline');
      expect(declined.statusCode).toBe(303);
      expect(declined.headers.location).toBe('/f/launch/templates');
      const downsell = await visitor.get('/f/launch/templates');
      expect(downsell.body).toContain('Launch Email Templates');
      expect(downsell.body).toContain('$29.00');

      const accepted = await visitor.post('/f/launch/templates/accept');
      expect(accepted.statusCode, accepted.body).toBe(303);
      expect(accepted.headers.location).toBe('/f/launch/thanks');
      const thanks = await visitor.get('/f/launch/thanks');
      expect(thanks.body).toContain('Launch Masterclass');
      expect(thanks.body).toContain('Launch Email Templates');
      expect(thanks.body).not.toContain('Group Coaching');
      expect(thanks.body).toContain('$78.00');
      expect(thanks.body).toContain(ana.email);
    });

    it('goes to the thank-you page when the downsell is declined too', async () => {
      const visitor = newVisitor();
      await buyOrder(emulator(), visitor, ana);
      await visitor.post('/f/launch/coaching/decline');
      const declined = await visitor.post('/f/launch/templates/decline');
      expect(declined.headers.location).toBe('/f/launch/thanks');
      const thanks = await visitor.get('/f/launch/thanks');
      expect(thanks.body).toContain('Launch Masterclass');
      expect(thanks.body).not.toContain('Launch Email Templates');
      expect(thanks.body).toContain('$49.00');
      expect(thanks.body).toContain(ana.email);
      expect((await latestOrder()).payments).toHaveLength(1);
    });

    it('skips the downsell once the upsell is bought, and charges a second click once', async () => {
      const visitor = newVisitor();
      await buyOrder(emulator(), visitor, jonas);
      const [first, second] = await Promise.all([
        visitor.post('/f/launch/coaching/accept'),
        visitor.post('/f/launch/coaching/accept'),
      ]);
      expect(first.headers.location).toBe('/f/launch/thanks');
      expect(second.headers.location).toBe('/f/launch/thanks');
      const thanks = await visitor.get('/f/launch/thanks');
      expect(thanks.body).toContain('Group Coaching');
      expect(thanks.body).not.toContain('Launch Email Templates');
      expect(thanks.body).toContain('€134.00');
      expect(thanks.body).toContain(jonas.email);
      const order = await latestOrder();
      expect(order).toMatchObject({ paid: 4500 + 8900, currency: 'eur' });
      expect(order.payments).toHaveLength(2);
    });

    it('sends a visitor without an order back to the order form instead of charging', async () => {
      const stranger = newVisitor();
      const accepted = await stranger.post('/f/launch/coaching/accept');
      expect(accepted.statusCode).toBe(400);
      expect(accepted.body).toContain('href="/f/launch"');
      const thanks = await stranger.get('/f/launch/thanks');
      expect(thanks.statusCode).toBe(200);
      expect(thanks.body).not.toContain('Order number');
      expect(thanks.body).not.toContain('$49.00');
    });
  });
});

describeEachDatabase('checkout rate limits', (database) => {
  let store: TestStore;
  let testApp: TestApp;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp } = await workspaceWithAccounts(store, emulator(), {
      handles: [],
      env: { CHECKOUT_LIMIT_PER_EMAIL: '3' },
    }));
    await importLaunchFunnel(testApp.services);
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('turns away a fourth contact post with one email in a minute, not other emails', async () => {
    const visitor = visitorOf(testApp.app);
    for (const name of ['Ana', 'Ana B', 'Ana C']) {
      const allowed = await visitor.post('/f/launch/order/contact', { ...ana, name });
      expect(allowed.statusCode).toBe(303);
    }
    const refused = await visitor.post('/f/launch/order/contact', {
      ...ana,
      email: ' ANA@example.com ',
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toMatch(/Too many checkout attempts with this email/);
    expect(refused.body).toMatch(/Wait .+ and try again/);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);

    const other = await visitorOf(testApp.app).post('/f/launch/order/contact', {
      ...ana,
      email: 'ben@example.com',
    });
    expect(other.statusCode).toBe(303);
  });
});
