import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import {
  buyOrder,
  connectAccounts,
  expectNoSecrets,
  importLaunchFunnel,
  visitorOf,
} from '../../test/checkout.js';
import { checkScreen, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { control, emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';
import { useAlertReceivers } from '../alerts/alert-receivers.test-helper.js';
import { formatMoney } from '../catalog/money.js';

/*
 * The dashboard, doctor, transactions and alerts screens in Chromium, over emulator accounts with
 * a few paid orders: the figures a merchant would check, the doctor run, the filtered log and its
 * CSV, the alert channels saved (refused, then set) and tested, and a viewer refused.
 */

const emulator = useEmulator();
const receivers = useAlertReceivers();
// The console's pages do not depend on the database for how they look; SQLite is enough here.
const sqlite = testDatabases[0];

// Each screen is checked by axe and photographed twice: slower than the suite's default.
describe.skipIf(sqlite === undefined)(
  'the operations screens in Chromium',
  { timeout: 90_000 },
  () => {
    let store: TestStore;
    let server: ListeningTestApp;
    let browser: Browser;
    /** What the US buyers paid on `us`, in cents, and their order ids. */
    const usPaid: number[] = [];
    const usOrders: string[] = [];
    let euOrder = '';
    let euPaid = 0;
    /** Every page's HTML, for the secret search at the end. */
    const pages: string[] = [];

    beforeAll(async () => {
      if (!sqlite) return;
      store = await sqlite.openMigrated();
      server = await listenTestApp(store, {
        env: emulatorEnv(emulator()),
        gateway: emulatorGateway(emulator()),
      });
      const api = await adminClient(server);
      await connectAccounts(api, emulator(), ['us', 'eu']);
      // US dollars on `us`, euros on `eu`: the German buyer's order goes to `eu`.
      for (const [handle, currency] of [
        ['us', 'usd'],
        ['eu', 'eur'],
      ] as const) {
        const updated = await api('PATCH', `/api/accounts/${handle}`, { currencies: [currency] });
        expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      }
      await importLaunchFunnel(server.services);
      for (const email of ['ann@example.com', 'bob@example.com']) {
        const bought = await buyOrder(emulator(), visitorOf(server.app), {
          email,
          name: 'Buyer',
          country: 'US',
        });
        expect(bought.intent.status).toBe('succeeded');
        usPaid.push(bought.intent.amount);
        usOrders.push(String(bought.intent.metadata.switchyard_order ?? ''));
      }
      const german = await buyOrder(emulator(), visitorOf(server.app), {
        email: 'jonas@example.de',
        name: 'Jonas',
        country: 'DE',
      });
      euOrder = String(german.intent.metadata.switchyard_order ?? '');
      euPaid = german.intent.amount;
      // The scheduled jobs once (the alerts job among them), as the runner would: findings stored.
      await server.services.jobs.runDue();
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await store?.dispose();
    });

    async function keep(page: Page): Promise<string> {
      const html = await page.content();
      pages.push(html);
      return html;
    }

    it('shows today’s sales per account, each account’s health, the stored findings and the changes', async () => {
      const { context, page, user } = await signedInContext(browser, server, 'owner');
      await page.goto(`${server.url}/admin`);
      const sales = page.getByRole('region', {
        name: 'Payments and volume per account and currency',
      });
      const usRow = sales.locator('tr', { hasText: 'USD' }).filter({ hasText: 'us' });
      const cells = await usRow.locator('td').allTextContents();
      const total = usPaid.reduce((sum, amount) => sum + amount, 0);
      // Account, currency, today's volume and payments, the month's.
      const money = formatMoney(total, 'usd');
      expect(cells).toEqual(['us · USD Test', `${money}2 payments`, `${money}2 payments`]);
      const euCells = await sales.locator('tr', { hasText: 'EUR' }).locator('td').allTextContents();
      expect(euCells.slice(0, 2)).toEqual([
        'eu · EUR Test',
        `${formatMoney(euPaid, 'eur')}1 payment`,
      ]);
      const health = page.getByRole('region', { name: 'Health of each payment gateway' });
      await expect
        .poll(() => health.locator('tr', { hasText: 'us' }).first().textContent())
        .toContain('Healthy');
      await expect
        .poll(() => page.locator('section', { hasText: 'Open findings' }).textContent())
        .toMatch(/Last checked .* by the scheduled alerts job/);
      expect(await page.getByRole('link', { name: 'Run doctor now' }).getAttribute('href')).toBe(
        '/admin/doctor?run=all',
      );
      // The accounts connected by the test's token show in the recent changes.
      await expect
        .poll(() => page.locator('section[aria-labelledby=changes-heading]').textContent())
        .toContain('Account: connected');
      await keep(page);
      await checkScreen(page, 'dashboard');
      expect(user.role).toBe('owner');
      await context.close();
    });

    it('runs doctor for every account or one, failures first with their fixes', async () => {
      const { context, page } = await signedInContext(browser, server, 'admin');
      await page.goto(`${server.url}/admin/doctor`);
      await keep(page);
      await checkScreen(page, 'doctor');
      await page.getByLabel('Check').selectOption('us');
      await page.getByRole('button', { name: 'Run doctor now' }).click();
      await page.waitForURL(/run=us/);
      await expect
        .poll(() => page.locator('h2#report-heading').textContent())
        .toBe('Findings for us');
      const status = await page.getByRole('status').textContent();
      expect(status).toMatch(/Checked/);
      // Passes are folded away under their count; problems (if any) come before it.
      await expect
        .poll(() => page.locator('details.passes summary').textContent())
        .toMatch(/checks? passed/);
      const statuses = await page
        .locator('li.finding')
        .evaluateAll((items) => items.map((item) => (item.classList.contains('fail') ? 0 : 1)));
      expect(statuses).toEqual([...statuses].sort());
      await keep(page);
      await checkScreen(page, 'doctor-report');
      // Keys rolled in Stripe's dashboard: eu's stored keys now fail, and doctor says so first.
      const eu = await server.services.accounts.showAccount('default', 'eu');
      await control(emulator(), 'POST', `accounts/${eu.stripeAccountId}/roll_keys`, {});
      await page.goto(`${server.url}/admin/doctor?run=all`);
      await expect.poll(() => page.locator('h2#report-heading').textContent()).toBe('Findings');
      const first = page.locator('li.finding').first();
      await expect.poll(() => first.getAttribute('class')).toBe('finding fail');
      expect(await first.textContent()).toContain('eu (test)');
      expect(await first.textContent()).toContain('How to mend it:');
      expect(
        await first.getByRole('link', { name: 'Replace keys of eu' }).getAttribute('href'),
      ).toBe('/admin/accounts/eu');
      await checkScreen(page, 'doctor-report-failing');
      await keep(page);
      await context.close();
    });

    it('filters the transaction log, pages it, and downloads the same entries as CSV', async () => {
      const { context, page } = await signedInContext(browser, server, 'viewer');
      await page.goto(`${server.url}/admin/transactions`);
      await keep(page);
      await checkScreen(page, 'transactions');
      await page.getByLabel('Account').selectOption('us');
      await page.getByLabel('Outcome').selectOption('succeeded');
      await page.getByRole('button', { name: 'Show transactions' }).click();
      await page.waitForURL(/account=us/);
      const log = page.getByRole('region', { name: 'Transactions, newest first' });
      const rows = log.locator('tbody tr');
      await expect.poll(() => rows.count()).toBeGreaterThan(0);
      const shown = await rows.allTextContents();
      for (const row of shown) expect(row).toContain('Succeeded');
      expect(shown.join('\n')).not.toContain(euOrder);
      for (const order of usOrders) expect(shown.join('\n')).toContain(order);
      await keep(page);
      await checkScreen(page, 'transactions-filtered');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download CSV' }).click(),
      ]);
      const csv = readFileSync(await download.path(), 'utf8');
      const lines = csv.trim().split(/\r?\n/);
      expect(lines[0]).toMatch(/^time,entry,kind,order_id/);
      expect(lines.length - 1).toBe(shown.length);
      for (const order of usOrders) expect(csv).toContain(order);
      expect(csv).not.toContain(euOrder);

      // A bad filter is named beside its field; what was typed stays.
      await page.goto(
        `${server.url}/admin/transactions?funnel=Not+A+Slug&from=2026-12-05&to=2026-12-01`,
      );
      await expect
        .poll(() => page.locator('#field-funnel-error').textContent())
        .toContain('a funnel slug');
      expect(await page.getByLabel('Funnel').inputValue()).toBe('Not A Slug');
      await expect
        .poll(() => page.locator('#field-to-error').textContent())
        .toContain('on or after the "from" day');
      await keep(page);
      await checkScreen(page, 'transactions-refused');

      // One entry a page: the cursor walks to the older entries, the filters kept.
      await page.goto(`${server.url}/admin/transactions?account=us&outcome=succeeded&limit=1`);
      const seen: string[] = [];
      for (;;) {
        expect(await rows.count()).toBe(1);
        seen.push((await rows.first().textContent()) ?? '');
        const older = page.getByRole('link', { name: 'Older transactions' });
        if ((await older.count()) === 0) break;
        await older.click();
        await page.waitForURL(/cursor=/);
        expect(new URL(page.url()).searchParams.get('account')).toBe('us');
      }
      expect(seen).toEqual(shown);
      await page.getByRole('link', { name: 'Back to the newest' }).click();
      await expect.poll(() => rows.first().textContent()).toBe(shown[0]);
      await context.close();
    });

    it('saves alert channels (a bad Slack URL refused beside the field) and sends a test', async () => {
      const { context, page } = await signedInContext(browser, server, 'owner');
      await page.goto(`${server.url}/admin/settings/alerts`);
      await keep(page);
      await checkScreen(page, 'alerts');
      await page.getByLabel('Slack webhook URL').fill('hooks.slack.com/not-a-url');
      await page.getByLabel('Sender address').fill('alerts@shop.example');
      await page.getByRole('button', { name: 'Save alert settings' }).click();
      await expect
        .poll(() => page.locator('#field-slackWebhookUrl-error').textContent())
        .toContain('Slack-compatible incoming webhook');
      expect(await page.getByLabel('Sender address').inputValue()).toBe('alerts@shop.example');
      expect(await page.getByLabel('Slack webhook URL').inputValue()).toBe('');
      await keep(page);
      await checkScreen(page, 'alerts-refused');

      await page.getByLabel('Slack webhook URL').fill(receivers.slack.url);
      await page.getByLabel('SMTP server').fill(receivers.mail.url);
      await page.getByLabel('Recipients').fill('ops@shop.example, owner@shop.example');
      await page.getByLabel('Send warnings too').check();
      await page.getByRole('button', { name: 'Save alert settings' }).click();
      await expect
        .poll(() => page.getByRole('status').first().textContent())
        .toBe('Alert settings saved.');
      const saved = await keep(page);
      expect(saved).not.toContain('s3cretWebhookPath42');
      expect(saved).not.toContain(receivers.mail.password);
      const view = await server.services.alerts.showSettings('default');
      expect(view.email.to).toEqual(['ops@shop.example', 'owner@shop.example']);
      expect(view.warnings).toBe(true);
      expect(view.updatedBy).toMatch(/^Owner \d+ </);

      await page.getByRole('button', { name: 'Send a test message' }).click();
      const results = page.locator('.test-results');
      await expect.poll(() => results.textContent()).toMatch(/Slack: ?Delivered/);
      await expect.poll(() => results.textContent()).toMatch(/Email: ?Delivered/);
      expect(receivers.slack.messages).toHaveLength(1);
      expect(receivers.mail.messages).toHaveLength(1);
      await keep(page);
      await checkScreen(page, 'alerts-tested');
      await context.close();
    });

    it('refuses a viewer’s and an admin’s change to the alert channels on the server', async () => {
      for (const role of ['viewer', 'admin'] as const) {
        const { context, page } = await signedInContext(browser, server, role);
        await page.goto(`${server.url}/admin/settings/alerts`);
        expect(await page.getByRole('button', { name: 'Save alert settings' }).count()).toBe(0);
        expect(await page.getByRole('button', { name: 'Send a test message' }).count()).toBe(0);
        const html = await keep(page);
        expect(html).not.toContain('s3cretWebhookPath42');
        if (role === 'viewer') await checkScreen(page, 'alerts-viewer');
        const csrf = await page.locator('input[name=_csrf]').first().inputValue();
        for (const action of ['/admin/settings/alerts', '/admin/settings/alerts/test']) {
          const refused = await page.request.post(`${server.url}${action}`, {
            form: { _csrf: csrf, slackWebhookUrl: 'https://attacker.example/hook' },
          });
          expect(refused.status()).toBe(403);
          expect(await refused.text()).toContain('only an owner can');
        }
        await context.close();
      }
      expect(
        (await server.services.alerts.showSettings('default')).slack.webhookUrl ?? '',
      ).not.toContain('attacker');
    });

    it('puts no secret on any page', async () => {
      expect(pages.length).toBeGreaterThan(8);
      await expectNoSecrets(emulator(), pages);
      for (const html of pages) {
        expect(html).not.toContain('s3cretWebhookPath42');
        expect(html).not.toContain(receivers.mail.password);
      }
    });
  },
);
