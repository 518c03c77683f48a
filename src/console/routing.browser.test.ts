import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminCall, adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import { connectAccounts } from '../../test/checkout.js';
import { checkScreen, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

const emulator = useEmulator();
// The pages do not depend on the database for how they work in a browser; SQLite is enough here.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('routing in the console, in Chromium', () => {
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
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  const decision = (page: Page) => page.locator('#simulation-result [data-decision-account]');

  async function tryEuroPayment(page: Page): Promise<void> {
    await page.getByLabel('Currency', { exact: true }).fill('EUR');
    await page.locator('#simulator').getByRole('button', { name: 'Try this payment' }).click();
  }

  it('edits a rule, sees the decision change before saving, saves, diffs and rolls back', async () => {
    const { context, page } = await signedInContext(browser, server, 'admin');
    await page.goto(`${server.url}/admin/routing`);
    await expect.poll(() => decision(page).textContent()).toBe('us takes the payment.');
    await checkScreen(page, 'routing');

    await page.getByRole('button', { name: 'Add a rule' }).click();
    const rule = page.locator('#rule-0');
    await rule.getByLabel('Name').fill('euro-sales');
    await rule.getByLabel('Account', { exact: true }).selectOption('eu');
    await rule.getByLabel('Currencies').fill('EUR');
    await page.evaluate(() => {
      document.body.dataset.loadedOnce = 'yes';
    });
    await tryEuroPayment(page);
    await expect.poll(() => decision(page).textContent()).toBe('eu takes the payment.');
    // htmx swapped only the result: the page did not reload, the edits are still there.
    expect(await page.evaluate(() => document.body.dataset.loadedOnce)).toBe('yes');
    expect(await rule.getByLabel('Name').inputValue()).toBe('euro-sales');
    await expect
      .poll(() => page.locator('#simulation-result').textContent())
      .toContain('Rule euro-sales matches and uses account eu.');

    await page.getByLabel('What changed, and why').fill('Euro sales to the EU entity');
    await page.getByRole('button', { name: 'Save routing' }).click();
    await page.waitForURL(`${server.url}/admin/routing`);
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved as version 1.');
    const versions = page.getByRole('region', { name: 'Routing versions, newest first' });
    await expect.poll(() => versions.textContent()).toContain('Euro sales to the EU entity');

    // A second version sends euro payments back to us; the simulator shows it before saving.
    await page.locator('#rule-0').getByLabel('Account', { exact: true }).selectOption('us');
    await tryEuroPayment(page);
    await expect.poll(() => decision(page).textContent()).toBe('us takes the payment.');
    await expect
      .poll(() => page.locator('.saved-differs').textContent())
      .toContain('With the saved rules (version 1): eu takes the payment.');
    await page.getByLabel('What changed, and why').fill('Everything on the US entity');
    await page.getByRole('button', { name: 'Save routing' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved as version 2.');

    await page.getByRole('link', { name: 'Version 2' }).click();
    await page.waitForURL(`${server.url}/admin/routing/versions/2`);
    await expect
      .poll(() => page.locator('.routing-diff').textContent())
      .toContain('Changed rule euro-sales: use eu → us');
    await checkScreen(page, 'routing-version');

    await page.goto(`${server.url}/admin/routing`);
    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('Rolled back: version 3 restores version 1.');
    await tryEuroPayment(page);
    await expect.poll(() => decision(page).textContent()).toBe('eu takes the payment.');
    await checkScreen(page, 'routing-versions');
    await context.close();
  }, 120_000);

  it('shows a refused save’s problem beside its field and keeps the edits', async () => {
    const { context, page } = await signedInContext(browser, server, 'admin');
    await page.goto(`${server.url}/admin/routing`);
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const rule = page.locator('fieldset.rule').last();
    await rule.getByLabel('Name').fill('big-orders');
    await rule.getByLabel('Amount from').fill('50000');
    await rule.getByLabel('Amount up to').fill('100');
    await page.getByRole('button', { name: 'Save routing' }).click();
    await expect
      .poll(() => page.locator('.error-summary').textContent())
      .toContain('The routing was not saved');
    const refused = page.locator('fieldset.rule').last();
    const field = refused.getByLabel('Amount from');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await field.getAttribute('aria-describedby'))?.split(' ').pop() ?? '';
    await expect
      .poll(() => page.locator(`#${errorId}`).textContent())
      .toContain('min 50000 is greater than max 100');
    await expect.poll(() => refused.getByLabel('Name').inputValue()).toBe('big-orders');
    await expect.poll(() => refused.getByLabel('Amount up to').inputValue()).toBe('100');
    await checkScreen(page, 'routing-errors');
    await page.getByRole('link', { name: 'Edit as JSON' }).click();
    await page.waitForURL(`${server.url}/admin/routing/document`);
    await expect
      .poll(() => page.getByLabel('Rules and pins as JSON').inputValue())
      .toContain('"rules"');
    await checkScreen(page, 'routing-json');
    await context.close();
  }, 120_000);

  it('splits a rule between two accounts, tries a buyer’s email, sees the bucket and the pick, saves', async () => {
    const { context, page } = await signedInContext(browser, server, 'admin');
    await page.goto(`${server.url}/admin/routing`);
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const rule = page.locator('fieldset.rule').last();
    await rule.getByLabel('Name').fill('ramp');
    await rule.getByLabel('Split between accounts').fill('us 80, eu 20');
    await rule.getByLabel('Split by').selectOption('customer');
    await rule.getByLabel('Keep returning customers on their account').check();
    await page.getByLabel('Currency', { exact: true }).fill('USD');
    // SHA-256("ramp|ann@example.com") starts 71 0a 4a 8f: bucket 9855 of 10,000, in eu's 20 %.
    await page.getByLabel('Customer email').fill('Ann@example.com');
    await page.locator('#simulator').getByRole('button', { name: 'Try this payment' }).click();
    await expect.poll(() => decision(page).textContent()).toBe('eu takes the payment.');
    const pick = page.locator('#simulation-result [data-split-bucket]');
    await expect.poll(() => pick.getAttribute('data-split-bucket')).toBe('9855');
    await expect
      .poll(() => pick.textContent())
      .toBe(
        'Split by weight us 80, eu 20: bucket 9855 of 10,000, from the customer’s email, falls on eu.',
      );
    await checkScreen(page, 'routing-split');

    // A returning buyer known on us stays there.
    await page.getByLabel('Accounts where the customer is known').fill('us');
    await page.locator('#simulator').getByRole('button', { name: 'Try this payment' }).click();
    await expect.poll(() => decision(page).textContent()).toBe('us takes the payment.');
    await expect
      .poll(() => page.locator('#simulation-result').textContent())
      .toContain('Kept on us: the customer already has a Stripe customer there');

    await page.getByLabel('What changed, and why').fill('Ramp eu up to 20 %');
    await page.getByRole('button', { name: 'Save routing' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toMatch(/^Saved as version \d+\.$/);
    const saved = (await api('GET', '/api/routing')).body.document.rules;
    expect(saved.find((entry: { name: string }) => entry.name === 'ramp')).toMatchObject({
      use: {
        split: [
          { account: 'us', weight: 80 },
          { account: 'eu', weight: 20 },
        ],
        key: 'customer',
      },
      prefer: 'customer_account',
    });
    await expect
      .poll(() =>
        page.locator('fieldset.rule').last().getByLabel('Split between accounts').inputValue(),
      )
      .toBe('us 80, eu 20');
    await context.close();
  }, 120_000);

  it('lets a viewer try payments but refuses their save on the server', async () => {
    const { context, page } = await signedInContext(browser, server, 'viewer');
    await page.goto(`${server.url}/admin/routing`);
    expect(await page.getByRole('button', { name: 'Save routing' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const rule = page.locator('fieldset.rule').last();
    await rule.getByLabel('Name').fill('viewer-idea');
    await rule.getByLabel('Account', { exact: true }).selectOption('eu');
    await rule.getByLabel('Currencies').fill('EUR');
    await page.locator('#rule-0').getByLabel('Name').waitFor();
    await tryEuroPayment(page);
    await expect.poll(() => decision(page).textContent()).toBe('eu takes the payment.');
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const refused = await page.request.post(`${server.url}/admin/routing`, {
      form: { _csrf: token, 'rules[0].name': 'mine', 'rules[0].use': 'us', basedOn: '3' },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain(
      'only an owner or an admin can change the routing rules',
    );
    await context.close();
  }, 120_000);
});
