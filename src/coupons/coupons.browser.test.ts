import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminCall, adminClient } from '../../test/app.js';
import { fillCard, launchBrowser } from '../../test/browser.js';
import { connectAccounts, importLaunchFunnel } from '../../test/checkout.js';
import { checkScreen, phone } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

const emulator = useEmulator();
// The page does not depend on the database (coupons.test.ts runs both); SQLite is enough.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('a coupon code on the payment step, in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;
  let api: AdminCall;

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
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  it('refuses an expired code beside the field, applies a good one and pays the discounted total', async () => {
    expect(
      (
        await api('POST', '/api/coupons', {
          code: 'LAUNCH10',
          percentOff: 10,
          products: ['course'],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/coupons', {
          code: 'SUMMER',
          percentOff: 20,
          expiresAt: '2020-09-01T00:00:00Z',
        })
      ).status,
    ).toBe(201);

    const context = await browser.newContext({ viewport: phone, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${server.url}/f/launch/order`);
    await page.locator('#email').fill('ana@example.com');
    await page.locator('#name').fill('Ana Lima');
    await page.locator('#country').selectOption('US');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL(/\/f\/launch\/order\/pay$/);

    const field = page.getByLabel('Coupon code');
    await field.fill('summer');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('The code SUMMER has expired.').waitFor();
    await expect(field.inputValue()).resolves.toBe('summer');
    await expect(page.locator('#total').textContent()).resolves.toBe('$49.00');
    await page.getByLabel('Card number').waitFor();
    await checkScreen(page, 'coupon-refused');

    await page.getByLabel('Coupon code').fill('launch10');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Coupon LAUNCH10').waitFor();
    await expect(page.locator('#total').textContent()).resolves.toBe('$44.10');
    await page.getByLabel('Card number').waitFor();
    await checkScreen(page, 'coupon-applied');

    await fillCard(page, '4242 4242 4242 4242');
    await page.locator('#pay').click();
    await page.waitForURL(/\/f\/launch\/coaching$/);

    const { body } = await api('GET', '/api/orders');
    expect(body.orders.map((order: { paid: number }) => order.paid)).toEqual([4410]);
    await page.goto(`${server.url}/f/launch/thanks`);
    await page.getByText('Coupon LAUNCH10').waitFor();
    await checkScreen(page, 'coupon-thank-you');
    await context.close();
  }, 60_000);
});
