import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OrderDetail } from '../src/checkout/orders.service.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_WORKSPACE_ID } from '../src/db/workspace.js';
import { type RunningDemo, startDemo } from '../src/demo/demo.js';
import { createLogger } from '../src/logger.js';
import type { RoutingConfig } from '../src/routing/index.js';
import { fillCard, launchBrowser } from './browser.js';
import { freePort } from './server.js';

/*
 * A buyer in headless Chromium walks the demo funnel of `npm start`: real pages, the emulator's
 * card form, its 3-D Secure challenge, and the merchant's view of each order afterwards.
 */

const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 800 };
const screenshots = new URL('../test-results/', import.meta.url).pathname;

let demo: RunningDemo;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchyard-browser-'));
  mkdirSync(screenshots, { recursive: true });
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(dataDir, 'switchyard.db')}`,
    DATA_DIR: dataDir,
  });
  [demo, browser] = await Promise.all([
    startDemo({ config, logger: createLogger({ level: 'silent' }) }),
    launchBrowser(),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Buyer {
  email: string;
  name: string;
  country: string;
}

/** A fresh browser profile on a phone-sized screen. */
async function openBuyerPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: phone, deviceScaleFactor: 1 });
  return context.newPage();
}

/** The page as a phone and as a desktop show it: test-results/<scenario>-<page>-<size>.png */
async function snap(page: Page, scenario: string, name: string): Promise<void> {
  for (const size of [phone, desktop]) {
    await page.setViewportSize(size);
    await page.screenshot({
      path: join(screenshots, `${scenario}-${name}-${size.width}x${size.height}.png`),
      fullPage: true,
    });
  }
  await page.setViewportSize(phone);
}

/** Sales page, then the order form's contact step, up to the card form. */
async function reachCardForm(page: Page, buyer: Buyer, scenario: string): Promise<void> {
  await page.goto(demo.funnelUrl);
  await expect(page.locator('h1').textContent()).resolves.toBe(
    'Launch your product without the chaos',
  );
  if (scenario === 'bump-upsell') await snap(page, scenario, 'sales');
  await page.getByRole('link', { name: 'Get the Masterclass' }).click();
  await page.locator('#email').fill(buyer.email);
  await page.locator('#name').fill(buyer.name);
  await page.locator('#country').selectOption(buyer.country);
  if (scenario === 'bump-upsell') await snap(page, scenario, 'contact');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await page.waitForURL(/\/f\/launch\/order\/pay/);
  await page.getByLabel('Card number').waitFor();
}

async function payAndReachUpsell(page: Page): Promise<void> {
  await page.locator('#pay').click();
  await page.waitForURL(/\/f\/launch\/coaching$/);
}

/** "No thanks" to the upsell and to the downsell: the buyer keeps only the order form's items. */
async function declineOffers(page: Page): Promise<void> {
  await page.locator('#decline').click();
  await page.waitForURL(/\/f\/launch\/templates$/);
  await page.locator('#decline').click();
  await page.waitForURL(/\/f\/launch\/thanks$/);
}

/** What the thank-you page lists, and the order as the merchant sees it. */
async function readThankYou(
  page: Page,
): Promise<{ items: string[]; total: string; order: OrderDetail }> {
  const items = await page.locator('tbody tr td:first-child').allTextContents();
  const total = (await page.locator('tfoot td').textContent()) ?? '';
  const orderNumber = (await page.locator('.order-id').textContent()) ?? '';
  const orderId = orderNumber.replace('Order number: ', '');
  return {
    items,
    total,
    order: await demo.services.orders.showOrder(DEFAULT_WORKSPACE_ID, orderId),
  };
}

/** Applies a routing document built from the active one, and puts the active one back after. */
async function withRouting(
  change: (document: RoutingConfig) => RoutingConfig,
  work: () => Promise<void>,
): Promise<void> {
  const routing = demo.services.routingConfig;
  const { document } = await routing.showActive(DEFAULT_WORKSPACE_ID);
  await routing.applyDocument(DEFAULT_WORKSPACE_ID, change(document), { actor: 'test' });
  try {
    await work();
  } finally {
    await routing.applyDocument(DEFAULT_WORKSPACE_ID, document, { actor: 'test' });
  }
}

async function emulatorControl(method: 'POST' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(`${demo.emulator.url}/_emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
}

it('buys the course with the bump, then coaching in one click, on the primary', async () => {
  const scenario = 'bump-upsell';
  const page = await openBuyerPage();
  await reachCardForm(page, { email: 'ana@example.com', name: 'Ana', country: 'US' }, scenario);
  await expect(page.locator('#total').textContent()).resolves.toBe('$49.00');
  await page.locator('#bump').check();
  await page.locator('#total', { hasText: '$68.00' }).waitFor();
  await expect(page.locator('#pay').textContent()).resolves.toBe('Pay $68.00');
  await fillCard(page, '4242 4242 4242 4242');
  await snap(page, scenario, 'payment');

  await payAndReachUpsell(page);
  await expect(page.locator('#accept').textContent()).resolves.toBe('Yes, add coaching');
  await snap(page, scenario, 'upsell');
  await page.locator('#accept').click();
  await page.waitForURL(/\/f\/launch\/thanks$/);
  await snap(page, scenario, 'thanks');

  const { items, total, order } = await readThankYou(page);
  expect(items).toEqual([
    'Launch Masterclass',
    'Launch Day Checklist',
    'Group Coaching (3 sessions)',
  ]);
  expect(total).toBe('$167.00');
  expect(order).toMatchObject({ status: 'paid', paid: 16_700, currency: 'usd', accounts: ['us'] });
  expect(order.payments.map((payment) => [payment.kind, payment.account, payment.amount])).toEqual([
    ['initial', 'us', 6800],
    ['upsell', 'us', 9900],
  ]);
  expect(order.payments[0]?.decision).toMatchObject({ outcome: 'selected', account: 'us' });
  expect(order.payments[1]?.decision?.matched.level).toBe('continuation');
  await page.context().close();
}, 45_000);

it('shows a declined card on the page, then takes a good card on the same page', async () => {
  const scenario = 'declined';
  const page = await openBuyerPage();
  await reachCardForm(page, { email: 'ben@example.com', name: 'Ben', country: 'US' }, scenario);
  await fillCard(page, '4000 0000 0000 0002');
  await page.locator('#pay').click();
  await page.locator('#payment-message', { hasText: 'Your card was declined.' }).waitFor();
  await expect(page.locator('#pay').isEnabled()).resolves.toBe(true);
  await snap(page, scenario, 'payment-declined');

  await fillCard(page, '4242 4242 4242 4242');
  await payAndReachUpsell(page);
  await declineOffers(page);
  await snap(page, scenario, 'thanks');

  const { items, total, order } = await readThankYou(page);
  expect(items).toEqual(['Launch Masterclass']);
  expect(total).toBe('$49.00');
  expect(order).toMatchObject({ status: 'paid', paid: 4900, accounts: ['us'] });
  expect(order.payments).toHaveLength(1);
  await page.context().close();
}, 45_000);

it('pays with a card that asks for 3-D Secure once the buyer completes the challenge', async () => {
  const scenario = 'three-d-secure';
  const page = await openBuyerPage();
  await reachCardForm(page, { email: 'cleo@example.com', name: 'Cleo', country: 'US' }, scenario);
  await fillCard(page, '4000 0025 0000 3155');
  await page.locator('#pay').click();
  const challenge = page.getByRole('dialog');
  await challenge.waitFor();
  await expect(challenge.textContent()).resolves.toContain('$49.00');
  await snap(page, scenario, 'challenge');
  await challenge.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/f\/launch\/coaching$/);
  await snap(page, scenario, 'upsell');

  // The card was authenticated when it was saved: the one-click upsell needs no new challenge.
  await page.locator('#accept').click();
  await page.waitForURL(/\/f\/launch\/thanks$/);
  const { items, order } = await readThankYou(page);
  expect(items).toEqual(['Launch Masterclass', 'Group Coaching (3 sessions)']);
  expect(order).toMatchObject({ status: 'paid', paid: 4900 + 9900, accounts: ['us'] });
  await snap(page, scenario, 'thanks');
  await page.context().close();
}, 45_000);

it('takes the order on the secondary when the primary fails, and the order says why', async () => {
  const scenario = 'primary-failing';
  const us = await demo.services.accounts.showAccount(DEFAULT_WORKSPACE_ID, 'us');
  // The merchant lets eu take dollars too, as a backup for us.
  const euTakesDollars = (document: RoutingConfig): RoutingConfig => ({
    ...document,
    accounts: document.accounts.map((account) =>
      account.handle === 'eu'
        ? { ...account, currencies: [...(account.currencies ?? []), 'usd'] }
        : account,
    ),
  });
  await withRouting(euTakesDollars, async () => {
    await emulatorControl('POST', 'faults', {
      account: us.stripeAccountId,
      fault: 'server_error',
      path: '/v1/payment_intents',
    });
    const page = await openBuyerPage();
    try {
      await reachCardForm(page, { email: 'dan@example.com', name: 'Dan', country: 'US' }, scenario);
    } finally {
      await emulatorControl('DELETE', 'faults');
    }
    await expect(page.locator('#total').textContent()).resolves.toBe('$49.00');
    await fillCard(page, '4242 4242 4242 4242');
    await snap(page, scenario, 'payment');
    await payAndReachUpsell(page);
    await declineOffers(page);
    await snap(page, scenario, 'thanks');

    const { items, order } = await readThankYou(page);
    expect(items).toEqual(['Launch Masterclass']);
    expect(order).toMatchObject({ status: 'paid', paid: 4900, accounts: ['eu'] });
    const [payment] = order.payments;
    expect(payment?.decision).toMatchObject({
      outcome: 'fallback',
      account: 'eu',
      fallbackFrom: 'us',
    });
    expect(payment?.decision?.explanation.join(' ')).toMatch(/Attempt 1 on us failed/);
    expect(payment?.attempts.map((attempt) => [attempt.account, attempt.status])).toEqual([
      ['us', 'failed'],
      ['eu', 'created'],
    ]);
    await page.context().close();
  });
}, 45_000);

it('sends a German buyer to eu by a country rule, in euros', async () => {
  const scenario = 'country-rule';
  const germany = (document: RoutingConfig): RoutingConfig => ({
    ...document,
    rules: [{ name: 'germany', when: { country: ['DE'] }, use: 'eu', fallback: 'auto' }],
  });
  await withRouting(germany, async () => {
    const page = await openBuyerPage();
    await reachCardForm(page, { email: 'eva@example.de', name: 'Eva', country: 'DE' }, scenario);
    await expect(page.locator('#total').textContent()).resolves.toBe('€45.00');
    await page.locator('#bump').check();
    await page.locator('#total', { hasText: '€62.00' }).waitFor();
    await fillCard(page, '4242 4242 4242 4242');
    await snap(page, scenario, 'payment');
    await payAndReachUpsell(page);
    await expect(page.locator('.price').textContent()).resolves.toBe('€89.00');
    await snap(page, scenario, 'upsell');
    await declineOffers(page);
    await snap(page, scenario, 'thanks');

    const { items, total, order } = await readThankYou(page);
    expect(items).toEqual(['Launch Masterclass', 'Launch Day Checklist']);
    expect(total).toBe('€62.00');
    expect(order).toMatchObject({ status: 'paid', paid: 6200, currency: 'eur', accounts: ['eu'] });
    expect(order.payments[0]?.decision).toMatchObject({
      outcome: 'selected',
      account: 'eu',
      matched: { level: 'rule', ref: 'germany' },
    });
    await page.context().close();
  });
}, 45_000);
