import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { fillCard, launchBrowser } from '../../test/browser.js';
import { connectAccounts } from '../../test/checkout.js';
import { checkScreen, phone, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

const emulator = useEmulator();
// The editor saves through the catalog service, which catalog.test.ts runs on both databases.
const sqlite = testDatabases[0];

async function createProduct(page: Page, slug: string, name: string, amount: string) {
  await page.goto(new URL('/admin/products/new', page.url()).href);
  await page.getByLabel('Slug').fill(slug);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Currency 1').fill('USD');
  await page.getByLabel('Price 1').fill(amount);
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.getByText(`Product ${name} created.`).waitFor();
}

async function addStep(page: Page, slug: string, kind: string, product?: string, bump?: string) {
  await page.getByLabel('Step slug').fill(slug);
  await page.getByLabel('Kind').selectOption(kind);
  await page.getByLabel('Product offered').selectOption(product ?? '');
  await page.getByLabel('Order bump').selectOption(bump ?? '');
  await page.getByRole('button', { name: 'Add step' }).click();
  await page.getByText(`Step ${slug} added.`).waitFor();
}

describe.skipIf(sqlite === undefined)('the product and funnel editor, in Chromium', () => {
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
    await connectAccounts(await adminClient(server), emulator(), ['us']);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  it('builds a funnel from nothing, previews and saves its order step, and a buyer buys through it', async () => {
    const { context, page } = await signedInContext(browser, server, 'admin');
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}/admin/products`);
    await page.getByText('No products yet').waitFor();

    // A price the form cannot read is refused beside its field, and nothing is created.
    await page.getByRole('link', { name: 'New product' }).click();
    await page.getByLabel('Slug').fill('course');
    await page.getByLabel('Name', { exact: true }).fill('The course');
    await page.getByLabel('Currency 1').fill('USD');
    await page.getByLabel('Price 1').fill('49.001');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.locator('#field-prices-0-amount-error').waitFor();
    await expect(page.locator('#field-prices-0-amount-error').textContent()).resolves.toContain(
      'at most 2 decimals',
    );
    // The catalog's own refusal (a second price in one currency) comes back beside that field.
    await page.getByLabel('Price 1').fill('49.00');
    await page.getByLabel('Currency 2').fill('usd');
    await page.getByLabel('Price 2').fill('45.00');
    await page.getByRole('button', { name: 'Create product' }).click();
    await expect(page.locator('#field-prices-1-currency-error').textContent()).resolves.toContain(
      'one price per currency',
    );
    await checkScreen(page, 'product-refused');
    await page.getByLabel('Currency 2').fill('EUR');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByText('Product The course created.').waitFor();
    await checkScreen(page, 'product-form');

    await createProduct(page, 'workbook', 'The workbook', '19.00');
    await createProduct(page, 'coaching', 'Coaching call', '99.00');
    await page.goto(`${server.url}/admin/products`);
    await checkScreen(page, 'product-list');

    await page.goto(`${server.url}/admin/funnels`);
    await page.getByRole('link', { name: 'New funnel' }).click();
    await page.getByLabel('Slug').fill('spring');
    await page.getByLabel('Name').fill('Spring launch');
    await page.getByRole('button', { name: 'Create funnel' }).click();
    await page.getByText('Funnel Spring launch created.').waitFor();

    // An upsell without a product is refused by the catalog, beside the product field.
    await page.getByLabel('Step slug').fill('coaching');
    await page.getByLabel('Kind').selectOption('upsell');
    await page.getByRole('button', { name: 'Add step' }).click();
    await expect(page.locator('#field-product-error').textContent()).resolves.toContain(
      'offers a product',
    );
    await addStep(page, 'order', 'order', 'course', 'workbook');
    await addStep(page, 'thanks', 'thankyou');
    await addStep(page, 'coaching', 'upsell', 'coaching');
    await page.getByRole('button', { name: 'Move up coaching' }).click();
    await page.getByText('Step coaching moved up.').waitFor();
    const order = await page
      .locator('table')
      .first()
      .locator('tbody tr td:first-child')
      .allTextContents();
    expect(order.map((cell) => cell.split(' ')[0])).toEqual(['order', 'coaching', 'thanks']);
    await checkScreen(page, 'funnel-steps');

    // The order step's blocks: a draft previewed by the visitor pages' own code, then saved.
    await page.getByRole('link', { name: /^order/ }).click();
    await page.getByLabel('Headline', { exact: true }).fill('Learn it this spring');
    await page.getByLabel('Body').fill('Everything in **one** course.');
    await page.getByLabel('Bullets').fill('Twelve lessons\nLifetime access');
    await page.getByLabel('Testimonials').fill('It changed how I work | Ana Lima | Designer');
    await page.getByLabel('Guarantee days').fill('30');
    await page.getByLabel('Guarantee', { exact: true }).fill('Your money back within 30 days.');
    await page.getByLabel('Consent wording').fill('If I don’t finish paying, email me once');
    await page.getByLabel('Image address', { exact: true }).fill('not an address');
    await page.getByRole('button', { name: 'Save step' }).click();
    await expect(page.locator('#field-content-image-error').textContent()).resolves.toContain(
      'http(s) address',
    );
    await page.getByLabel('Image address', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('Your draft, not saved yet.').waitFor();
    for (const title of ['Preview at phone width', 'Preview at desktop width']) {
      const frame = page.frameLocator(`iframe[title="${title}"]`);
      await frame.getByRole('heading', { name: 'Learn it this spring' }).waitFor();
      await frame.getByText('Lifetime access').waitFor();
      await frame.getByText('If I don’t finish paying, email me once').waitFor();
      await frame.getByText('The workbook').waitFor();
    }
    await checkScreen(page, 'step-editor-preview');
    await page.getByRole('button', { name: 'Save step' }).click();
    await page.getByText('Step order saved.').waitFor();
    await expect(page.getByLabel('Headline', { exact: true }).inputValue()).resolves.toBe(
      'Learn it this spring',
    );

    await page.goto(`${server.url}/admin/funnels/spring/steps/coaching`);
    await page.getByLabel('Button text').fill('Yes, book my call');
    await page.getByRole('button', { name: 'Save step' }).click();
    await page.getByText('Step coaching saved.').waitFor();
    await context.close();

    // A buyer goes through the funnel just built: order with the bump, one-click upsell, thanks.
    const buyer = await browser.newContext({ viewport: phone, deviceScaleFactor: 1 });
    const shop = await buyer.newPage();
    await shop.goto(`${server.url}/f/spring`);
    await shop.getByRole('heading', { name: 'Learn it this spring' }).waitFor();
    await shop.locator('#email').fill('ana@example.com');
    await shop.locator('#name').fill('Ana Lima');
    await shop.locator('#country').selectOption('US');
    await shop.getByRole('button', { name: 'Continue to payment' }).click();
    await shop.waitForURL(/\/f\/spring\/order\/pay$/);
    await shop.getByLabel('Yes, add The workbook for $19.00').check();
    await shop.locator('#total').getByText('$68.00').waitFor();
    await fillCard(shop, '4242 4242 4242 4242');
    await shop.locator('#pay').click();
    await shop.waitForURL(/\/f\/spring\/coaching$/);
    await shop.getByRole('button', { name: 'Yes, book my call' }).click();
    await shop.waitForURL(/\/f\/spring\/thanks$/);
    await shop.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
    for (const name of ['The course', 'The workbook', 'Coaching call']) {
      await shop.getByRole('cell', { name }).waitFor();
    }
    await buyer.close();

    const { body } = await (await adminClient(server))('GET', '/api/orders');
    const anas = body.orders.filter((one: { email: string }) => one.email === 'ana@example.com');
    expect(anas.map((one: { status: string }) => one.status)).toEqual(['paid']);
  }, 120_000);

  it('shows a viewer the products and funnels without a way to save, and refuses their post', async () => {
    const { context, page } = await signedInContext(browser, server, 'viewer');
    await page.goto(`${server.url}/admin/products/course`);
    await page.getByText('Viewers see products').waitFor();
    await expect(page.getByRole('button', { name: 'Save product' }).count()).resolves.toBe(0);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const refused = await page.request.post(`${server.url}/admin/products/course/delete`, {
      form: { _csrf: csrf },
    });
    expect(refused.status()).toBe(403);
    await page.goto(`${server.url}/admin/funnels/spring`);
    await checkScreen(page, 'funnel-viewer');
    await context.close();
  }, 60_000);
});
