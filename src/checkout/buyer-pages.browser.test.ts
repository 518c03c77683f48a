import { join } from 'node:path';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { fillCard, launchBrowser } from '../../test/browser.js';
import {
  cardConfigOf,
  connectAccounts,
  importLaunchFunnel,
  payCardForm,
  visitorOf,
} from '../../test/checkout.js';
import { checkScreen } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

/*
 * The buyer pages as Chromium lays them out, served by the real app: what only a browser shows
 * (words broken across lines, requests the page makes by itself). Screenshots go to test-results/.
 */

const emulator = useEmulator();
const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 800 };
const screenshots = new URL('../../test-results/', import.meta.url).pathname;
// Layout does not depend on the database; SQLite is enough here.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('buyer pages in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;

  beforeAll(async () => {
    if (!sqlite) return;
    store = await sqlite.openMigrated();
    server = await listenTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
    });
    await connectAccounts(await adminClient(server), emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  /** A phone-sized page whose every answer of 400 or more, and every failed request, is noted. */
  async function openPhonePage(cookies: Array<{ name: string; value: string }> = []) {
    const context = await browser.newContext({ viewport: phone, deviceScaleFactor: 1 });
    await context.addCookies(cookies.map((cookie) => ({ ...cookie, url: server.url })));
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('response', (response: Response) => {
      if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => failures.push(`failed ${request.url()}`));
    return { page, failures };
  }

  /**
   * A buyer in Germany (euros, the EU account) who picks iDEAL, the account's bank payment,
   * beside the card and pays: the browser is on the bank's page, which the emulator plays.
   */
  async function goToBank(email: string, options: { check?: boolean } = {}): Promise<Page> {
    const { page } = await openPhonePage();
    await page.goto(`${server.url}/f/launch/order`);
    await page.locator('#email').fill(email);
    await page.locator('#country').selectOption('DE');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    const bank = page.getByRole('radio', { name: 'iDEAL' });
    await bank.check();
    await expect(page.getByLabel('Card number').isVisible()).resolves.toBe(false);
    if (options.check) await checkScreen(page, 'buyer-bank-choice');
    await page.locator('#pay').click();
    await page.waitForURL(/\/_emulator\/redirect\//);
    await expect(page.locator('h1').textContent()).resolves.toBe('Approve your payment');
    await expect(page.locator('body').textContent()).resolves.toContain('€45.00');
    if (options.check) await checkScreen(page, 'buyer-bank-page');
    return page;
  }

  async function snap(page: Page, name: string): Promise<void> {
    for (const size of [phone, desktop]) {
      await page.setViewportSize(size);
      await page.screenshot({
        path: join(screenshots, `buyer-${name}-${size.width}x${size.height}.png`),
        fullPage: true,
      });
    }
    await page.setViewportSize(phone);
  }

  it('makes no request that fails on a page view, the tab icon included', async () => {
    const { page, failures } = await openPhonePage();
    await page.goto(`${server.url}/f/launch/sales`);
    await page.locator('h1').waitFor();
    await page.goto(`${server.url}/f/launch/order`);
    await page.locator('#email').waitFor();
    // A browser or tool that asks for /favicon.ico anyway gets the icon.
    const icon = await page.request.get(`${server.url}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toContain('image/svg+xml');
    expect(failures).toEqual([]);
    await page.context().close();
  });

  it('shows a wrong address and a visit without a purchase as pages in the checkout style', async () => {
    const { page, failures } = await openPhonePage();
    const missing = await page.goto(`${server.url}/f/launch/%ff`);
    expect(missing?.status()).toBe(400);
    await expect(page.locator('h1').textContent()).resolves.toBe(
      'Something in that request was not right',
    );
    await snap(page, 'error-400');
    await page.goto(`${server.url}/f/launch/thanks`);
    await expect(page.locator('h1').textContent()).resolves.toBe('No purchase on this visit');
    await snap(page, 'no-purchase');
    await page.getByRole('link', { name: 'Go to Launch Masterclass' }).click();
    await page.waitForURL(/\/f\/launch\/sales$/);
    // The only failure is the bad address itself; the stylesheet and icon load.
    expect(failures).toEqual([`400 ${server.url}/f/launch/%ff`]);
    await page.context().close();
  });

  it('follows the country the buyer picks with the prices the payment step will charge', async () => {
    const { page, failures } = await openPhonePage();
    await page.goto(`${server.url}/f/launch/order`);
    const prices = page.locator('[data-price]');
    await page.locator('#country').selectOption('US');
    await expect(prices.allTextContents()).resolves.toEqual(['$49.00', '$19.00']);
    await page.locator('#country').selectOption('DE');
    await expect(prices.allTextContents()).resolves.toEqual(['€45.00', '€17.00']);
    await page.locator('#email').fill('jonas@example.de');
    await snap(page, 'contact-de');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL(/\/f\/launch\/order\/pay/);
    await expect(page.locator('#total').textContent()).resolves.toBe('€45.00');
    expect(failures).toEqual([]);
    await page.context().close();
  });

  it('says in plain words that a failed 3-D Secure charged nothing', async () => {
    const { page } = await openPhonePage();
    await page.goto(`${server.url}/f/launch/order`);
    await page.locator('#email').fill('cleo@example.com');
    await page.locator('#country').selectOption('US');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await fillCard(page, '4000 0025 0000 3155');
    await page.locator('#pay').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Fail authentication' }).click();
    const message = page.locator('#payment-message', { hasText: 'nothing was charged' });
    await message.waitFor();
    await expect(message.textContent()).resolves.toBe(
      'Your bank could not confirm it was you, so nothing was charged. Try again and complete your bank’s check, or use another card.',
    );
    await snap(page, 'three-d-secure-failed');
    await page.context().close();
  });

  it('goes on to the next step once the bank approves an iDEAL payment, with the order paid', async () => {
    const page = await goToBank('jonas@example.de', { check: true });
    await page.getByRole('button', { name: 'Approve payment' }).click();
    await page.waitForURL(/\/f\/launch\/coaching$/);
    await page.goto(`${server.url}/f/launch/thanks`);
    await expect(page.locator('tfoot td').textContent()).resolves.toBe('€45.00');
    await page.context().close();
  });

  it('says in plain words that the bank did not approve, and takes a card after', async () => {
    const page = await goToBank('lena@example.de');
    await page.getByRole('button', { name: 'Fail payment' }).click();
    await page.waitForURL(/\/f\/launch\/order\/pay\?currency=eur$/);
    await expect(page.locator('#payment-message').textContent()).resolves.toBe(
      'Your bank did not approve the payment, so nothing was charged. Try your bank again, or pay by card.',
    );
    await snap(page, 'bank-failed');
    await expect(page.getByRole('radio', { name: 'Card' }).isChecked()).resolves.toBe(true);
    await fillCard(page, '4242 4242 4242 4242');
    await page.locator('#pay').click();
    await page.waitForURL(/\/f\/launch\/coaching$/);
    await page.goto(`${server.url}/f/launch/thanks`);
    await expect(page.locator('tfoot td').textContent()).resolves.toBe('€45.00');
    await page.context().close();
  });

  it('breaks no word or amount across lines on the thank-you page at 390 px', async () => {
    const visitor = visitorOf(server.app);
    const contacted = await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    const visit = contacted.cookies.map(({ name, value }) => ({ name, value }));
    const card = cardConfigOf((await visitor.get('/f/launch/order/pay')).body);
    expect(
      (await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true })).statusCode,
    ).toBe(200);
    await payCardForm(emulator(), visitor, '/f/launch/order/return', card);
    expect((await visitor.post('/f/launch/coaching/accept')).headers.location).toBe(
      '/f/launch/thanks',
    );

    const { page, failures } = await openPhonePage(visit);
    await page.goto(`${server.url}/f/launch/thanks`);
    await expect(page.locator('tfoot td').textContent()).resolves.toBe('$167.00');
    // Each word of each cell as the browser drew it: a word broken across lines has two boxes.
    const broken = await page.locator('table').evaluate((table) => {
      const found: string[] = [];
      for (const cell of table.querySelectorAll('th, td')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent ?? '';
          for (const match of text.matchAll(/\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
            if (lines.size > 1) found.push(match[0]);
          }
        }
      }
      return found;
    });
    expect(broken).toEqual([]);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    await snap(page, 'thanks');
    expect(failures).toEqual([]);
    await page.context().close();
  });
});
