import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import {
  buyOrder,
  clockAhead,
  connectAccounts,
  importLaunchFunnel,
  visitorOf,
} from '../../test/checkout.js';
import { checkScreen, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';
import { funnelDocumentSchema, parseInput } from '../catalog/catalog.schema.js';
import { launchFunnel } from '../demo/launch-funnel.js';

const emulator = useEmulator();
const weekendHeadline = 'Your launch, planned in a weekend';
// How the page looks does not depend on the database (stats.test.ts counts on both).
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('the funnel stats page in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;
  const clock = clockAhead();

  beforeAll(async () => {
    if (!sqlite) return;
    store = await sqlite.openMigrated();
    server = await listenTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
      clock,
    });
    await connectAccounts(await adminClient(server), emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
    // The sales page runs an A/B test of its headline.
    const document = structuredClone(launchFunnel);
    const sales = document.funnel.steps[0];
    if (!sales?.content) throw new Error('the demo funnel starts with its sales page');
    sales.content.variants = [
      { name: 'original', weight: 1 },
      { name: 'weekend', weight: 1, headline: weekendHeadline },
    ];
    await server.services.catalog.importFunnel(
      'default',
      parseInput(funnelDocumentSchema, document),
      'test',
    );
    // Three days of visits: more each day, one buyer a day.
    clock.advance(-2 * 86_400);
    for (let day = 0; day < 3; day++) {
      for (let visit = 0; visit < 3 + day * 2; visit++) {
        const visitor = visitorOf(server.app);
        await visitor.get('/f/launch/sales');
        if (visit % 2 === 0) await visitor.get('/f/launch/order');
      }
      const buyer = visitorOf(server.app);
      await buyer.get('/f/launch/order');
      await buyOrder(emulator(), buyer, {
        email: `buyer${day}@example.com`,
        name: 'Buyer',
        country: day === 1 ? 'DE' : 'US',
      });
      await buyer.get('/f/launch/coaching');
      clock.advance(86_400);
    }
    clock.advance(-86_400);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  it('shows the funnel, the days and each step, readable on a phone and a laptop', async () => {
    const { context, page } = await signedInContext(browser, server, 'viewer');
    await page.goto(`${server.url}/admin/stats`);
    await page.getByRole('link', { name: 'Launch Masterclass' }).click();
    await page.getByRole('img', { name: /Unique visitors per step/ }).waitFor();
    const table = page.getByRole('region', { name: 'Each step over the period' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(5);
    await expect(table.locator('tbody tr').first().textContent()).resolves.toContain('sales');
    await checkScreen(page, 'funnel-stats');

    // A period that ends before it starts is named beside its field; the dates stay as given.
    await page.goto(`${server.url}/admin/stats/launch?from=2026-03-01&to=2026-02-01`);
    await expect(page.locator('.field-error').textContent()).resolves.toContain(
      'not before from (2026-03-01)',
    );
    await expect(page.getByLabel('From').inputValue()).resolves.toBe('2026-03-01');
    await expect(page.getByLabel('To').inputValue()).resolves.toBe('2026-02-01');
    await context.close();
  }, 60_000);

  it('keeps a visitor on their variant across visits, and an admin ends the test with a winner', async () => {
    const visitor = await browser.newContext();
    const page = await visitor.newPage();
    await page.goto(`${server.url}/f/launch/sales`);
    const first = await page.locator('h1').textContent();
    for (let visit = 0; visit < 3; visit++) {
      const again = await visitor.newPage();
      await again.goto(`${server.url}/f/launch/sales`);
      await expect(again.locator('h1').textContent()).resolves.toBe(first);
      await again.close();
    }
    const cookies = await visitor.cookies();
    expect(cookies.find((cookie) => cookie.name === 'sy_ab_launch_sales')?.value).toMatch(
      /^(original|weekend)$/,
    );

    const { context, page: admin } = await signedInContext(browser, server, 'admin');
    await admin.goto(`${server.url}/admin/stats/launch`);
    await admin.getByRole('heading', { name: 'A/B test on sales' }).waitFor();
    await checkScreen(admin, 'funnel-stats-ab-test');
    await admin.getByRole('button', { name: 'End with weekend on step sales' }).click();
    await admin.getByRole('status').filter({ hasText: 'every visitor now sees weekend' }).waitFor();
    await expect(admin.getByRole('heading', { name: 'A/B test on sales' }).count()).resolves.toBe(
      0,
    );
    await context.close();

    // The visitor who had the other variant sees the winner now.
    await page.reload();
    await expect(page.locator('h1').textContent()).resolves.toBe(weekendHeadline);
    await visitor.close();
  }, 60_000);
});
