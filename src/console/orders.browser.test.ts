import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminCall, adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import {
  buyOrder,
  cardConfigOf,
  confirmAsBrowser,
  connectAccounts,
  expectNoSecrets,
  importLaunchFunnel,
  payCardForm,
  stripeOfAccount,
  visitorOf,
} from '../../test/checkout.js';
import { checkScreen, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { control, emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

const emulator = useEmulator();
// The console's pages do not depend on the database for how they look; SQLite is enough here.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('orders, refunds and the audit log in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;
  let api: AdminCall;
  /** Every page the test saw, for the secret-leak check. */
  const pages: string[] = [];

  beforeAll(async () => {
    if (!sqlite) return;
    store = await sqlite.openMigrated();
    server = await listenTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
    });
    api = await adminClient(server);
    await connectAccounts(api, emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
    for (const contact of [
      { email: 'jonas@example.de', name: 'Jonas Becker', country: 'DE' },
      { email: 'ana@example.com', name: 'Ana Lima', country: 'US' },
    ]) {
      await buyOrder(emulator(), visitorOf(server.app), contact);
    }
    // Bo's first card is declined; the second pays.
    const bo = visitorOf(server.app);
    await bo.post('/f/launch/order/contact', {
      email: 'bo@example.com',
      name: 'Bo Chen',
      country: 'US',
    });
    const card = cardConfigOf((await bo.get('/f/launch/order/pay')).body);
    await confirmAsBrowser(emulator(), card, 'pm_card_chargeDeclined');
    await payCardForm(emulator(), bo, '/f/launch/order/return', card);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  async function keep(page: Page): Promise<void> {
    pages.push(await page.content());
  }

  /** What Stripe itself holds as refunds of the payment, on the `us` account. */
  async function stripeRefunds(paymentIntent: string): Promise<number[]> {
    const stripe = await stripeOfAccount(emulator(), api, 'us');
    const refunds = await stripe.refunds.list({ payment_intent: paymentIntent });
    return refunds.data.map((refund) => refund.amount).sort((a, b) => a - b);
  }

  it('finds an order by email, refunds part of it after a confirmation, and settles an unsure refund', async () => {
    const { context, page, user } = await signedInContext(browser, server, 'admin');
    await page.goto(`${server.url}/admin/orders`);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    await checkScreen(page, 'orders-list');
    await keep(page);

    await page.getByLabel("Buyer's email").fill('Ana@Example.com');
    await page.getByRole('button', { name: 'Find orders' }).click();
    await page.waitForURL(/\/admin\/orders\?email=/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    const row = page.locator('tbody tr');
    await expect.poll(() => row.textContent()).toContain('$49.00');
    await expect.poll(() => row.textContent()).toContain('us');
    await page.getByRole('link', { name: 'Ana Lima' }).click();
    await page.waitForURL(/\/admin\/orders\/ord_/);
    const orderUrl = page.url();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Order from Ana Lima');
    const order = (await server.services.orders.listOrders('default', { email: 'ana@example.com' }))
      .orders[0];
    const detail = await server.services.orders.showOrder('default', order?.id ?? '');
    const payment = detail.payments[0];
    const paymentIntent = payment?.paymentIntent ?? '';
    // The routing decision in the same sentences the CLI prints.
    for (const sentence of payment?.decision?.explanation ?? ['(none)']) {
      await expect.poll(() => page.locator('ol.explanation').textContent()).toContain(sentence);
    }
    await expect.poll(() => page.locator('.payment').textContent()).toContain('Attempt 1');
    await checkScreen(page, 'order-detail');
    await keep(page);

    // More than is left is refused beside the field, with what was typed kept.
    await page.getByLabel('Amount to refund').fill('60');
    await page.getByRole('button', { name: 'Review the refund' }).click();
    await expect
      .poll(() => page.locator('.field-error').textContent())
      .toBe('At most $49.00 is left to refund on this payment.');
    await expect.poll(() => page.getByLabel('Amount to refund').inputValue()).toBe('60');

    await page.getByLabel('Amount to refund').fill('12.50');
    await page.getByLabel('Reason').fill('Workbook arrived damaged');
    await page.getByRole('button', { name: 'Review the refund' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm the refund');
    await expect
      .poll(() => page.locator('.lead').textContent())
      .toBe('Refund $12.50 to Ana Lima (ana@example.com) on the Stripe account us?');
    await expect
      .poll(() => page.locator('.confirm-refund').textContent())
      .toContain('$36.50 of this payment stays paid.');
    await checkScreen(page, 'order-refund-confirm');
    await keep(page);
    // Nothing is refunded before the confirmation.
    expect(await stripeRefunds(paymentIntent)).toEqual([]);
    await page.getByRole('button', { name: 'Refund $12.50 on us' }).click();
    await page.waitForURL(`${orderUrl}#${payment?.id}`);
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe("Refunded $12.50 on us. Stripe sends it back to the buyer's card.");
    const refunds = page.getByRole('region', { name: 'Refunds of this payment' });
    await expect.poll(() => refunds.textContent()).toContain('$12.50');
    await expect.poll(() => refunds.textContent()).toContain(user.name);
    await expect.poll(() => refunds.textContent()).toContain('Workbook arrived damaged');
    await expect
      .poll(() => page.locator('.facts').first().textContent())
      .toContain('Partly refunded');
    expect(await stripeRefunds(paymentIntent)).toEqual([1250]);

    // Stripe answers a refund with a 500: the page says so and offers sending it again.
    const us = (await server.services.accounts.listAccounts('default')).find(
      (account) => account.handle === 'us',
    );
    await control(emulator(), 'POST', 'faults', {
      account: us?.stripeAccountId,
      path: '/v1/refunds',
      fault: 'server_error',
    });
    await page.getByLabel('Amount to refund').fill('5');
    await page.getByRole('button', { name: 'Review the refund' }).click();
    await page.getByRole('button', { name: 'Refund $5.00 on us' }).click();
    await expect
      .poll(() => page.locator('.error-summary').textContent())
      .toContain("Stripe's answer to the refund of $5.00 on us was unclear");
    await expect
      .poll(() => page.locator('.unsure-refund').textContent())
      .toContain('The refund of $5.00 on us is unsure.');
    await checkScreen(page, 'order-refund-unsure');
    await keep(page);
    await control(emulator(), 'DELETE', 'faults');
    await page.getByRole('button', { name: 'Send the refund again' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe("Refunded $5.00 on us. Stripe sends it back to the buyer's card.");
    await expect.poll(() => page.locator('.unsure-refund').count()).toBe(0);
    expect(await stripeRefunds(paymentIntent)).toEqual([500, 1250]);

    await page.goto(`${server.url}/admin/audit`);
    const first = page.locator('tbody tr').first();
    await expect.poll(() => first.textContent()).toContain('Refunded a payment');
    await expect.poll(() => first.textContent()).toContain(user.name);
    // The change in readable fields: the amount (in cents, as logged) and the account.
    await expect.poll(() => first.locator('ul.change').textContent()).toContain('amount now 500');
    await checkScreen(page, 'audit-log');
    await keep(page);
    await first.getByRole('link', { name: payment?.id ?? '' }).click();
    await page.waitForURL(/\/admin\/audit\?subject=/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await expect.poll(() => page.getByLabel('Subject').inputValue()).toBe(payment?.id);
    await keep(page);
    await context.close();
  }, 180_000);

  it("refuses a viewer's refund on the server (403), and shows them no refund button", async () => {
    const order = (await server.services.orders.listOrders('default', { email: 'bo@example.com' }))
      .orders[0];
    const detail = await server.services.orders.showOrder('default', order?.id ?? '');
    const payment = detail.payments[0];
    const { context, page } = await signedInContext(browser, server, 'viewer');
    await page.goto(`${server.url}/admin/orders/${order?.id}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Order from Bo Chen');
    expect(await page.getByRole('button', { name: 'Review the refund' }).count()).toBe(0);
    // The declined card is told by Stripe's webhook, beside the charge that paid.
    const charges = page.getByRole('region', { name: 'Card charges: what the card did' });
    await expect
      .poll(async () => {
        await page.reload();
        return charges.textContent();
      })
      .toContain('Declined');
    await expect.poll(() => charges.textContent()).toContain('Your card was declined.');
    await checkScreen(page, 'order-detail-viewer');
    await keep(page);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    for (const path of ['refunds', 'refunds/confirm']) {
      const refused = await page.request.post(`${server.url}/admin/orders/${order?.id}/${path}`, {
        form: { _csrf: csrf, payment: payment?.id ?? '', amount: '1000' },
        maxRedirects: 0,
      });
      expect(refused.status()).toBe(403);
      expect(await refused.text()).toContain('only an owner or an admin can refund a payment');
    }
    expect(await stripeRefunds(payment?.paymentIntent ?? '')).toEqual([]);
    await context.close();
    await expectNoSecrets(emulator(), pages);
  }, 60_000);
});
