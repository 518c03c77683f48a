import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import {
  buyOrder,
  cardConfigOf,
  manualClock,
  stripeSideOf,
  type Visitor,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import type { Store } from '../db/database.js';
import { listPaymentsOfOrders, type Payment } from './payments.repository.js';

const emulator = useEmulator();

const fiftyFifty = {
  split: [
    { account: 'us', weight: 50 },
    { account: 'us2', weight: 50 },
  ],
};

/** Replaces the rules and pins of the live routing, keeping its accounts part as it is now. */
async function applyRouting(api: AdminCall, changes: Record<string, unknown>): Promise<void> {
  const shown = await api('GET', '/api/routing');
  const applied = await api('PUT', '/api/routing', {
    document: { ...shown.body.document, rules: [], funnels: {}, steps: {}, ...changes },
  });
  expect(applied.status, JSON.stringify(applied.body)).toBe(200);
}

/** The payments of the order a PaymentIntent was made for, as stored. */
async function paymentsOfIntent(
  store: Store,
  intent: { metadata: Record<string, string> | null },
): Promise<Payment[]> {
  return listPaymentsOfOrders(store.db, [intent.metadata?.switchyard_order ?? '']);
}

/** The bucket: SHA-256 of "<split id>|<key>", first 4 bytes big-endian, modulo 10,000. */
function bucketOf(splitId: string, key: string): number {
  return createHash('sha256').update(`${splitId}|${key}`).digest().readUInt32BE(0) % 10_000;
}

describeEachDatabase('checkout through splits, caps and customer affinity', (database) => {
  const clock = manualClock('2026-06-15T12:00:00.000Z');
  const shop = launchShopForEachTest(database, emulator, {
    handles: ['us', 'us2'],
    // Some 50 visits from one test address in a minute: more than a real buyer's limit.
    env: { CHECKOUT_LIMIT_PER_IP: '500' },
    // Midday: a cap's UTC day cannot end between the payments of one test.
    clock,
  });

  /** Which account's card form a new visit with this email gets (the account routing chose). */
  async function accountOfCardForm(email: string): Promise<string> {
    const { api, testApp } = shop();
    const visitor: Visitor = visitorOf(testApp.app);
    const contacted = await visitor.post('/f/launch/order/contact', {
      email,
      name: 'Split Buyer',
      country: 'US',
    });
    expect(contacted.statusCode, contacted.body).toBe(303);
    const pay = await visitor.get('/f/launch/order/pay');
    expect(pay.statusCode, pay.body).toBe(200);
    const { publishableKey } = cardConfigOf(pay.body);
    for (const handle of ['us', 'us2']) {
      if ((await stripeSideOf(api, handle)).publishableKey === publishableKey) return handle;
    }
    throw new Error(`the card form of ${email} is on no connected account`);
  }

  it('keeps a buyer on one account of a split funnel, and spreads buyers over both', async () => {
    const { api, testApp, store } = shop();
    await applyRouting(api, { funnels: { launch: { use: fiftyFifty } } });

    const ann = { email: 'Ann@Example.com ', name: 'Ann', country: 'US' };
    const first = await buyOrder(emulator(), visitorOf(testApp.app), ann);
    const again = await buyOrder(emulator(), visitorOf(testApp.app), {
      ...ann,
      email: 'ann@example.com',
    });
    const [firstPayment] = await paymentsOfIntent(store, first.intent);
    const [secondPayment] = await paymentsOfIntent(store, again.intent);
    expect(first.intent.status).toBe('succeeded');
    expect(again.intent.status).toBe('succeeded');
    expect(firstPayment?.orderId).not.toBe(secondPayment?.orderId);
    expect(secondPayment?.accountHandle).toBe(firstPayment?.accountHandle);
    expect(secondPayment?.decision?.picked).toEqual({
      account: firstPayment?.accountHandle,
      reason: 'split',
    });
    expect(secondPayment?.decision?.split).toMatchObject({
      id: 'pin:funnel:launch',
      key: 'customer',
      bucket: bucketOf('pin:funnel:launch', 'ann@example.com'),
    });
    // What a replay asks the router again: the order, the buyer's key and what was bought.
    expect(firstPayment?.routingContext).toMatchObject({
      kind: 'initial',
      order: firstPayment?.orderId,
      customer: { key: 'ann@example.com', accounts: [] },
      funnel: 'launch',
      products: ['course', 'checklist'],
      currency: 'usd',
      amount: 4900,
    });
    expect(firstPayment?.routingContext).not.toHaveProperty('health');
    // The second order knows the Stripe customer the first one made.
    expect(secondPayment?.routingContext?.customer?.accounts).toEqual([
      firstPayment?.accountHandle,
    ]);

    const emails = Array.from({ length: 20 }, (_, index) => `buyer-${index}@example.com`);
    const firstVisits = new Map<string, string>();
    for (const email of emails) firstVisits.set(email, await accountOfCardForm(email));
    expect(new Set(firstVisits.values())).toEqual(new Set(['us', 'us2']));
    for (const email of emails) {
      expect(await accountOfCardForm(email), email).toBe(firstVisits.get(email));
    }
  });

  it('sends new payments past a full day cap to the fallback, while upsells and refunds stay', async () => {
    const { api, testApp, store } = shop();
    const capped = await api('PATCH', '/api/accounts/us', {
      caps: [{ currency: 'usd', period: 'day', amount: 10_000 }],
    });
    expect(capped.status, JSON.stringify(capped.body)).toBe(200);

    const upseller = visitorOf(testApp.app);
    const one = await buyOrder(emulator(), upseller, {
      email: 'one@example.com',
      name: 'One',
      country: 'US',
    });
    const two = await buyOrder(emulator(), visitorOf(testApp.app), {
      email: 'two@example.com',
      name: 'Two',
      country: 'US',
    });
    const three = await buyOrder(emulator(), visitorOf(testApp.app), {
      email: 'three@example.com',
      name: 'Three',
      country: 'US',
    });
    const [onUs] = await paymentsOfIntent(store, one.intent);
    const [alsoOnUs] = await paymentsOfIntent(store, two.intent);
    const [past] = await paymentsOfIntent(store, three.intent);
    expect([onUs?.accountHandle, alsoOnUs?.accountHandle, past?.accountHandle]).toEqual([
      'us',
      'us',
      'us2',
    ]);
    expect(past?.decision).toMatchObject({ outcome: 'fallback', account: 'us2' });
    expect(past?.decision?.candidates[0]).toEqual({
      account: 'us',
      eligible: false,
      reasons: ['cap_reached'],
    });
    expect(past?.decision?.explanation).toContain(
      'us has reached its daily USD cap of $100.00: $98.00 taken this UTC day, and $49.00 more would pass it.',
    );
    expect(past?.routingContext?.usage).toEqual({ us: { usd: { day: 9800, month: 9800 } } });

    // The first buyer's one-click upsell charges their saved card on us, whatever the cap.
    const accepted = await upseller.post('/f/launch/coaching/accept');
    expect(accepted.statusCode, accepted.body).toBe(303);
    const upsell = (await paymentsOfIntent(store, one.intent)).find((p) => p.kind === 'upsell');
    expect(upsell).toMatchObject({ accountHandle: 'us', status: 'succeeded', amount: 9900 });
    const refund = await api('POST', `/api/payments/${alsoOnUs?.paymentId}/refunds`, {});
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    expect(refund.body.refund).toMatchObject({ account: 'us', amount: 4900, status: 'succeeded' });
  });

  it('holds a cap for card forms open in the last hour, not for ones left longer', async () => {
    const { api } = shop();
    const capped = await api('PATCH', '/api/accounts/us', {
      caps: [{ currency: 'usd', period: 'day', amount: 10_000 }],
    });
    expect(capped.status, JSON.stringify(capped.body)).toBe(200);
    expect(await accountOfCardForm('open-1@example.com')).toBe('us');
    expect(await accountOfCardForm('open-2@example.com')).toBe('us');
    // Two forms of $49.00 on us are open: a third would pass the $100.00 cap.
    expect(await accountOfCardForm('open-3@example.com')).toBe('us2');
    clock.advance(61 * 60);
    // Nobody paid within the hour: the abandoned forms stop taking up the cap.
    expect(await accountOfCardForm('open-4@example.com')).toBe('us');
  });

  it('puts a returning buyer on the account they paid on before, over the split', async () => {
    const { api, testApp, store } = shop();
    const split = { name: 'everyone', when: {}, use: fiftyFifty, prefer: 'customer_account' };
    // A buyer the split buckets to us, who first bought while the funnel was pinned to us2.
    const email =
      Array.from({ length: 50 }, (_, index) => `returning-${index}@example.com`).find(
        (candidate) => bucketOf('everyone', candidate) < 5000,
      ) ?? '';
    const buyer = { email, name: 'Returning', country: 'US' };
    await applyRouting(api, { funnels: { launch: { use: 'us2' } } });
    const before = await buyOrder(emulator(), visitorOf(testApp.app), buyer);
    expect((await paymentsOfIntent(store, before.intent))[0]?.accountHandle).toBe('us2');

    await applyRouting(api, { rules: [split] });
    const after = await buyOrder(emulator(), visitorOf(testApp.app), buyer);
    const [payment] = await paymentsOfIntent(store, after.intent);
    expect(payment?.accountHandle).toBe('us2');
    expect(payment?.decision?.split?.pick).toBe('us');
    expect(payment?.decision?.picked).toEqual({ account: 'us2', reason: 'customer_affinity' });
    expect(payment?.routingContext?.customer).toEqual({ key: email, accounts: ['us2'] });
    // A buyer without a Stripe customer yet gets the split's pick.
    expect(await accountOfCardForm(`new-${email}`)).toBe(
      bucketOf('everyone', `new-${email}`) < 5000 ? 'us' : 'us2',
    );
  });
});
