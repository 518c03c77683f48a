import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall } from '../../test/app.js';
import {
  type ContactForm,
  cardConfigOf,
  confirmAsBrowser,
  deliverEvent,
  eventsAbout,
  holdBackWebhooks,
  payCardForm,
  settleWebhooks,
  stripeOfAccount,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { control, emulatorEnv, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';

const emulator = useEmulator();

const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };

describeEachDatabase("the merchant's view of a payment's charges", (database) => {
  const shop = launchShopForEachTest(database, emulator);
  const api: AdminCall = (method, url, payload) => shop().api(method, url, payload);
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-charges-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function onlyOrder() {
    const list = await api('GET', '/api/orders?limit=2');
    expect(list.body.orders).toHaveLength(1);
    return (await api('GET', `/api/orders/${list.body.orders[0].id}`)).body.order;
  }

  it('keeps a decline told by webhooks (once, however often told) beside the charge that paid', async () => {
    const us = await stripeOfAccount(emulator(), api, 'us');
    await holdBackWebhooks(us);
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    // The buyer's card is declined and the tab closed: only Stripe's events tell us.
    const declined = await confirmAsBrowser(emulator(), card, 'pm_card_chargeDeclined');
    expect(declined.status).toBe('requires_payment_method');
    const [failed] = await eventsAbout(us, 'payment_intent.payment_failed', declined.id);
    const [charge] = await eventsAbout(us, 'charge.failed', declined.id, 'payment_intent');
    if (!failed || !charge) throw new Error('Stripe recorded no payment_failed or charge.failed');
    await deliverEvent(shop().testApp, shop().store, 'us', failed);
    await deliverEvent(shop().testApp, shop().store, 'us', failed);
    await deliverEvent(shop().testApp, shop().store, 'us', charge);
    await settleWebhooks(shop().testApp, shop().store);

    const open = await onlyOrder();
    expect(open.status).toBe('open');
    const [waiting] = open.payments;
    expect(waiting).toMatchObject({
      status: 'requires_payment_method',
      paymentIntent: declined.id,
    });
    // The PaymentIntent was made; that is all the attempt says. The card's decline is a charge.
    expect(waiting.attempts).toMatchObject([{ number: 1, account: 'us', status: 'created' }]);
    expect(waiting.charges).toEqual([
      {
        paymentIntentId: declined.id,
        outcome: 'declined',
        chargeId: expect.stringMatching(/^ch_/),
        stripeCode: 'card_declined',
        declineCode: 'generic_decline',
        message: 'Your card was declined.',
        source: expect.any(String),
        recordedAt: expect.any(String),
      },
    ]);

    // The buyer comes back and pays with another card on the same PaymentIntent.
    const paid = await payCardForm(emulator(), visitor, '/f/launch/order/return', card);
    expect(paid.intent.status).toBe('succeeded');
    const [succeeded] = await eventsAbout(us, 'payment_intent.succeeded', declined.id);
    if (!succeeded) throw new Error('Stripe recorded no payment_intent.succeeded');
    await deliverEvent(shop().testApp, shop().store, 'us', succeeded);
    await settleWebhooks(shop().testApp, shop().store);

    const order = await onlyOrder();
    expect(order.status).toBe('paid');
    const [payment] = order.payments;
    expect(payment.attempts).toMatchObject([{ number: 1, status: 'created' }]);
    expect(
      payment.charges.map((entry: { outcome: string; chargeId: string | null }) => [
        entry.outcome,
        entry.chargeId,
      ]),
    ).toEqual([
      ['declined', waiting.charges[0].chargeId],
      ['paid', paid.intent.latest_charge],
    ]);

    const shown = await runInProcess(['orders', 'show', order.id], {
      ...emulatorEnv(emulator()),
      DATABASE_URL: shop().store.url,
      DATA_DIR: dataDir,
      SWITCHYARD_MASTER_KEY: shop().testApp.masterKey,
    });
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    expect(shown.stdout).toMatch(/^ {4}#1\s+us\s+created\s+pi_\w+\s+\d+ ms$/m);
    expect(shown.stdout).toMatch(
      new RegExp(
        `^ {4}declined\\s+${waiting.charges[0].chargeId}\\s+card_declined, generic_decline, Your card was declined\\.$`,
        'm',
      ),
    );
    expect(shown.stdout).toMatch(new RegExp(`^ {4}paid\\s+${paid.intent.latest_charge}$`, 'm'));
  });

  it('records a failed 3-D Secure from the return page, with Stripe’s code, and the paid retry', async () => {
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', ana);
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    const challenged = await confirmAsBrowser(emulator(), card, 'pm_card_authenticationRequired');
    expect(challenged.status).toBe('requires_action');
    const refused = await control<{ status: string }>(
      emulator(),
      'POST',
      `payment_intents/${challenged.id}/authenticate`,
      { client_secret: card.clientSecret, outcome: 'fail' },
    ).catch(() => null);
    expect(refused?.status ?? 'requires_payment_method').toBe('requires_payment_method');
    // The buyer is back from Stripe, and reloads: the return page reads it twice, one record.
    await visitor.get(`/f/launch/order/return?payment_intent=${challenged.id}`);
    await visitor.get(`/f/launch/order/return?payment_intent=${challenged.id}`);
    const paid = await payCardForm(emulator(), visitor, '/f/launch/order/return', card);
    expect(paid.intent.status).toBe('succeeded');

    const [payment] = (await onlyOrder()).payments;
    expect(payment.charges).toMatchObject([
      {
        outcome: 'authentication_failed',
        chargeId: null,
        stripeCode: 'payment_intent_authentication_failure',
        declineCode: null,
      },
      { outcome: 'paid', chargeId: paid.intent.latest_charge },
    ]);
  });
});
