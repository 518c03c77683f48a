import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { fillCard, launchBrowser } from '../../test/browser.js';
import { connectAccounts, importLaunchFunnel } from '../../test/checkout.js';
import { consoleUser, signedInContext, testPassword } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

/*
 * The Content-Security-Policy as Chromium enforces it: a buyer pays through the card form (with
 * the bump, 3-D Secure and the one-click upsell) and a merchant uses the console, and the browser
 * reports no violation in any page or frame. Headers do not depend on the database: SQLite only.
 */

const emulator = useEmulator();
const sqlite = testDatabases[0];

declare global {
  interface Window {
    cspViolations?: string[];
  }
}

/** Notes every violation the browser reports, in each page and frame, and its console's words. */
async function watchViolations(context: BrowserContext): Promise<Page & { violations: string[] }> {
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations?.push(`${event.effectiveDirective} blocked ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return Object.assign(page, { violations });
}

/** What the page and all its frames reported so far. */
async function violationsOf(page: Page & { violations: string[] }): Promise<string[]> {
  const reported = await Promise.all(
    page.frames().map((frame) => frame.evaluate(() => window.cspViolations ?? []).catch(() => [])),
  );
  return [...page.violations, ...reported.flat()];
}

describe.skipIf(sqlite === undefined)('the Content-Security-Policy in Chromium', () => {
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

  it('lets a buyer pay by card, with the bump, 3-D Secure and the upsell, without a violation', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await watchViolations(context);
    await page.goto(`${server.url}/f/launch/sales`);
    await page.getByRole('link', { name: 'Get the Masterclass' }).click();
    await page.locator('#email').fill('csp@example.com');
    await page.locator('#name').fill('Cleo');
    // The contact step's own script follows the country with the prices it shows.
    await page.locator('#country').selectOption('DE');
    await expect.poll(() => page.locator('[data-price="offer"]').textContent()).toBe('€45.00');
    await page.locator('#country').selectOption('US');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL(/\/f\/launch\/order\/pay/);
    // The card form's script asks our server for the new total (connect-src 'self').
    await page.locator('#bump').check();
    await expect.poll(() => page.locator('#total').textContent()).toBe('$68.00');
    // Stripe.js's form is styled (its two-column row is a grid): its stylesheet was not refused.
    await expect
      .poll(() =>
        page
          .locator('.sy-pe-row')
          .first()
          .evaluate((row) => getComputedStyle(row).display),
      )
      .toBe('grid');
    await fillCard(page, '4000 0025 0000 3155');
    await page.locator('#pay').click();
    const challenge = page.getByRole('dialog');
    await challenge.waitFor();
    await challenge.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL(/\/f\/launch\/coaching$/);
    await page.locator('#accept').click();
    await page.waitForURL(/\/f\/launch\/thanks$/);
    await expect(page.locator('tbody tr td:first-child').allTextContents()).resolves.toEqual([
      'Launch Masterclass',
      'Launch Day Checklist',
      'Group Coaching (3 sessions)',
    ]);
    expect(await violationsOf(page)).toEqual([]);
    await context.close();
  }, 45_000);

  it('shows console pages, a step preview and an htmx update without a violation', async () => {
    const { context, page: first } = await signedInContext(browser, server, 'admin');
    await first.close();
    const page = await watchViolations(context);
    await page.goto(`${server.url}/admin`);
    await page.locator('h1').waitFor();
    // The preview frames draw the order step with its own script, under the console's policy.
    await page.goto(`${server.url}/admin/funnels/launch/steps/order`);
    const preview = page.frameLocator('iframe[title="Preview at phone width"]');
    await preview.locator('#country').selectOption('DE');
    await expect.poll(() => preview.locator('[data-price="offer"]').textContent()).toBe('€45.00');
    // htmx, served from npm, posts the simulator and swaps its answer in.
    await page.goto(`${server.url}/admin/routing`);
    await page.getByLabel('Currency', { exact: true }).fill('EUR');
    await page.locator('#simulator').getByRole('button', { name: 'Try this payment' }).click();
    await expect
      .poll(() => page.locator('#simulation-result [data-decision-account]').textContent())
      .toMatch(/takes the payment\.$/);
    // Swapped in by htmx: without it the button would have posted the whole page elsewhere.
    expect(page.url()).toBe(`${server.url}/admin/routing`);
    expect(await violationsOf(page)).toEqual([]);
    await context.close();
  });

  it('signs in on the sign-in page, with its Strict cookies, without a violation', async () => {
    const user = await consoleUser(server, 'viewer');
    const context = await browser.newContext();
    const page = await watchViolations(context);
    await page.goto(`${server.url}/admin/audit`);
    await page.waitForURL(/\/admin\/sign-in/);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/admin/audit`);
    await page.locator('h1').waitFor();
    expect(await violationsOf(page)).toEqual([]);
    await context.close();
  });
});
