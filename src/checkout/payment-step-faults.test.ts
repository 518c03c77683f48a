import { expect, it } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  stripeSideOf,
  type Visitor,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';

const emulator = useEmulator();

interface LoggedRequest {
  method: string;
  path: string;
  idempotency_key: string | null;
  status: number | null;
  fault: string | null;
}

/**
 * The buyer waits on the payment step while the primary stumbles. The order bump is ticked before
 * the card is entered: the buyer gets the bump (the primary asked again) or a plain "not now" with
 * the sale still possible, never a 5xx. The return page, after paying, is bounded by the checkout
 * timeout. Through the real routes, with the emulator's faults on the primary.
 */
describeEachDatabase('the payment step while the primary stumbles', (database) => {
  // The app's own gateway, from its config: the checkout timeout is what bounds a hung call.
  const shop = launchShopForEachTest(database, emulator, {
    gateway: 'configured',
    env: { STRIPE_CHECKOUT_TIMEOUT_MS: '300' },
  });
  const api: AdminCall = (method, url, payload) => shop().api(method, url, payload);

  /** A US buyer on the payment step: the card form of a $49 PaymentIntent on the primary. */
  async function atThePaymentStep() {
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    const primary = (await stripeSideOf(api, 'us')).stripeAccountId;
    const intentId = card.clientSecret.split('_secret_')[0] ?? '';
    return { visitor, card, primary, intentId, before: (await requestsOf(primary)).length };
  }

  function fail(account: string, fault: string, times: number) {
    return control(emulator(), 'POST', 'faults', {
      account,
      fault,
      times,
      path: '/v1/payment_intents',
    });
  }

  /** Every request the emulator saw for the account: the tries, as Stripe saw them. */
  async function requestsOf(account: string): Promise<LoggedRequest[]> {
    return (
      await control<{ data: LoggedRequest[] }>(emulator(), 'GET', `requests?account=${account}`)
    ).data;
  }

  async function requestsAbout(account: string, intentId: string, after: number) {
    return (await requestsOf(account))
      .slice(after)
      .filter((entry) => entry.path === `/v1/payment_intents/${intentId}`);
  }

  function tick(visitor: Visitor, bump: boolean) {
    return visitor.postJson('/f/launch/order/bump?currency=usd', { bump });
  }

  it.each([
    ['a 429', 'rate_limit', 429],
    ['a 500', 'server_error', 500],
    ['a connection reset', 'connection_reset', null],
  ] as const)(
    'is added after %s from the primary, which is asked again',
    async (_title, fault, status) => {
      const { visitor, card, primary, intentId, before } = await atThePaymentStep();
      await fail(primary, fault, 1);

      const bump = await tick(visitor, true);

      expect(bump.statusCode, bump.body).toBe(200);
      expect(bump.json()).toEqual({
        total: '$68.00',
        payLabel: 'Pay $68.00',
        amount: 6800,
        bump: true,
      });
      const tries = await requestsAbout(primary, intentId, before);
      expect(tries.map((entry) => [entry.method, entry.fault, entry.status])).toEqual([
        ['POST', fault, status],
        ['POST', null, 200],
      ]);
      // The same change sent again: one idempotency key for both tries.
      expect(tries[0]?.idempotency_key).toMatch(/\S/);
      expect(tries[1]?.idempotency_key).toBe(tries[0]?.idempotency_key);
      const paid = await confirmAsBrowser(emulator(), card);
      expect([paid.status, paid.amount]).toEqual(['succeeded', 6800]);
    },
  );

  it('answers a hung primary within the checkout timeout, has the buyer reload before paying, and adds the bump when ticked again', async () => {
    const { visitor, card, primary, intentId, before } = await atThePaymentStep();
    await fail(primary, 'timeout', 1);

    // Without the checkout timeout this waits for the SDK's 20 s, twice, past the test's limit.
    const bump = await tick(visitor, true);

    expect(bump.statusCode, bump.body).toBe(200);
    expect(bump.json()).toEqual({
      total: '$49.00',
      payLabel: 'Pay $49.00',
      amount: 4900,
      bump: false,
      notice:
        'The add-on could not be added just now. Please reload the page to see your total before you pay.',
      // A change that timed out may still be on its way at Stripe: the old amount read back does
      // not prove it was not made, so Pay waits for a reload that sets the amount the order shows.
      reload: true,
    });
    // The change left unanswered once (not sent again: the account hangs), then one read of the
    // PaymentIntent.
    const tries = await requestsAbout(primary, intentId, before);
    expect(tries.map((entry) => [entry.method, entry.fault, entry.status])).toEqual([
      ['POST', 'timeout', null],
      ['GET', null, 200],
    ]);

    const again = await tick(visitor, true);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ total: '$68.00', amount: 6800, bump: true });
    const paid = await confirmAsBrowser(emulator(), card);
    expect([paid.status, paid.amount]).toEqual(['succeeded', 6800]);
  });

  it.each([
    ['429s', 'rate_limit', false],
    ['500s', 'server_error', true],
    ['hangs', 'timeout', true],
  ] as const)(
    'answers no 5xx while the primary keeps failing (%s): the sale at the old total is still possible',
    async (_title, fault, unclear) => {
      const { visitor, card, primary, intentId, before } = await atThePaymentStep();
      await fail(primary, fault, 50);

      const bump = await tick(visitor, true);

      expect(bump.statusCode, bump.body).toBe(200);
      expect(bump.json()).toMatchObject({
        total: '$49.00',
        amount: 4900,
        bump: false,
        // No clear answer and no read after it: the buyer reloads (Pay waits) before paying.
        reload: unclear,
      });
      expect(bump.json().notice).toMatch(/^The add-on could not be added just now\. /);
      // Buyer words only: nothing of Stripe's message, codes or our error names.
      expect(bump.body).not.toMatch(/Stripe|upstream|rate|api_error|timeout|\b[45]\d\d\b/i);
      const tries = await requestsAbout(primary, intentId, before);
      expect(tries.every((entry) => entry.fault === fault)).toBe(true);
      // Three tries of the change after a 429 or a 500, one after a hang; then the read after no
      // clear answer, itself read again after a 500 (a read is safe to repeat), not after a hang.
      expect(tries.map((entry) => entry.method)).toEqual(
        fault === 'timeout'
          ? ['POST', 'GET']
          : fault === 'server_error'
            ? ['POST', 'POST', 'POST', 'GET', 'GET', 'GET']
            : ['POST', 'POST', 'POST'],
      );

      await control(emulator(), 'DELETE', 'faults');
      const reloaded = await visitor.get('/f/launch/order/pay?currency=usd');
      expect(reloaded.statusCode).toBe(200);
      expect(cardConfigOf(reloaded.body)).toEqual(card);
      const paid = await confirmAsBrowser(emulator(), card);
      expect([paid.status, paid.amount]).toEqual(['succeeded', 4900]);
      const back = await visitor.get(`/f/launch/order/return?payment_intent=${paid.id}`);
      expect(back.statusCode).toBe(303);
      const order = (await api('GET', '/api/orders?limit=1')).body.orders[0];
      expect(order).toMatchObject({ status: 'paid', paid: 4900 });
    },
  );

  it.each([
    ['500', 'server_error'],
    ['429', 'rate_limit'],
  ] as const)(
    'shows the card form again after a %s on reading its PaymentIntent, read once more',
    async (_title, fault) => {
      const { visitor, card, primary, intentId, before } = await atThePaymentStep();
      await fail(primary, fault, 1);

      const again = await visitor.get('/f/launch/order/pay?currency=usd');

      expect(again.statusCode, again.body).toBe(200);
      expect(cardConfigOf(again.body)).toEqual(card);
      const tries = await requestsAbout(primary, intentId, before);
      expect(tries.map((entry) => [entry.method, entry.fault])).toEqual([
        ['GET', fault],
        ['GET', null],
      ]);
    },
  );

  it('shows a self-refreshing page, never an error, while the card form cannot be read, then the form', async () => {
    const { visitor, card, primary } = await atThePaymentStep();
    await fail(primary, 'timeout', 1);

    const waiting = await visitor.get('/f/launch/order/pay?currency=usd');

    expect(waiting.statusCode).toBe(200);
    expect(waiting.body).toContain('Getting your payment form ready');
    expect(waiting.body).toContain(
      '<meta http-equiv="refresh" content="3;url=/f/launch/order/pay?currency=usd">',
    );
    const ready = await visitor.get('/f/launch/order/pay?currency=usd');
    expect(cardConfigOf(ready.body)).toEqual(card);
  });

  it('answers the return page of a hung primary within one checkout timeout, and moves on once it answers', async () => {
    const { visitor, card, primary, intentId } = await atThePaymentStep();
    const paid = await confirmAsBrowser(emulator(), card);
    expect(paid.status).toBe('succeeded');
    const before = (await requestsOf(primary)).length;
    await fail(primary, 'timeout', 50);

    // Without the checkout timeout each read waits the SDK's 20 s, past the test's limit.
    const waiting = await visitor.get(`/f/launch/order/return?payment_intent=${intentId}`);

    expect(waiting.statusCode).toBe(200);
    expect(waiting.body).toContain('<h1>Your payment is being confirmed</h1>');
    // One read, left unanswered: a hung account is not asked again while the buyer waits (the
    // page asks again by itself in a few seconds).
    const tries = await requestsAbout(primary, intentId, before);
    expect(tries.map((entry) => [entry.method, entry.fault])).toEqual([['GET', 'timeout']]);

    await control(emulator(), 'DELETE', 'faults');
    const later = await visitor.get(`/f/launch/order/return?payment_intent=${intentId}`);
    expect(later.statusCode).toBe(303);
    expect(later.headers.location).toBe('/f/launch/coaching');
  });
});
