import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import { clockAhead, connectAccounts, importLaunchFunnel, visitorOf } from '../../test/checkout.js';
import { checkScreen, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

const emulator = useEmulator();
// How the page looks does not depend on the database; SQLite is enough here.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('the abandoned checkouts page in Chromium', () => {
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
    const api = await adminClient(server);
    await connectAccounts(api, emulator(), ['us', 'eu']);
    await importLaunchFunnel(server.services);
    for (const contact of [
      { email: 'jonas.becker@example.de', name: 'Jonas Becker', country: 'DE' },
      { email: 'ana@example.com', name: 'Ana Lima', country: 'US' },
    ]) {
      const visitor = visitorOf(server.app);
      await visitor.post('/f/launch/order/contact', contact);
      await visitor.get('/f/launch/order/pay');
    }
    clock.advance(31 * 60);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  it('lists the buyers who left, readable on a phone and a laptop', async () => {
    const { context, page } = await signedInContext(browser, server, 'viewer');
    await page.goto(`${server.url}/admin/checkouts/abandoned`);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await expect.poll(() => page.locator('tbody').textContent()).toContain('Not sent');
    await checkScreen(page, 'abandoned-checkouts');
    await context.close();
  });
});
