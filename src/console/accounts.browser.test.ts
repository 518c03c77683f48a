import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import { connectAccounts, expectNoSecrets, importLaunchFunnel } from '../../test/checkout.js';
import { checkScreen, signedInContext } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import {
  createEmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  useEmulator,
} from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

/*
 * Payment gateways in Chromium: adding an account by its keys (refused, then accepted), making
 * it primary, draining, removal refused while routing uses it, a viewer who can change nothing.
 */

const emulator = useEmulator();
// The console's pages do not depend on the database for how they look; SQLite is enough here.
const sqlite = testDatabases[0];
/** Each test drives several screens, each checked by axe at two sizes, on a shared machine. */
const screensTimeout = 90_000;

describe.skipIf(sqlite === undefined)('payment gateways in the console, in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;
  /** Every HTML page the browser was sent, for the check that no secret reached one. */
  const pages: Array<Promise<string>> = [];

  beforeAll(async () => {
    if (!sqlite) return;
    store = await sqlite.openMigrated();
    server = await listenTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
    });
    await importLaunchFunnel(server.services);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  /** A signed-in profile whose every HTML answer is kept for the secrets check. */
  async function signedIn(
    role: 'admin' | 'viewer',
  ): Promise<{ context: BrowserContext; page: Page }> {
    const { context, page } = await signedInContext(browser, server, role);
    context.on('response', (response) => {
      if ((response.headers()['content-type'] ?? '').includes('text/html')) {
        pages.push(response.text().catch(() => ''));
      }
    });
    return { context, page };
  }

  const notice = (page: Page) => page.locator('.notice').textContent();
  const csrfOf = (page: Page) => page.locator('input[name=_csrf]').first().inputValue();

  async function useInRouting(handle: string | null): Promise<void> {
    const routing = server.services.routingConfig;
    const active = await routing.showActive('default');
    const document = handle
      ? {
          ...active.document,
          rules: [{ name: 'dollar-sales', when: { currency: ['usd'] }, use: handle }],
          funnels: { launch: { use: handle } },
        }
      : { ...active.document, rules: [], funnels: {} };
    await routing.applyDocument('default', document, { actor: 'test' });
  }

  it(
    'adds an account by its keys: Stripe refuses a bad key beside its field, then takes the right ones',
    async () => {
      const { context, page } = await signedIn('admin');
      const stripeAccount = await createEmulatorAccount(emulator(), {
        name: 'US LLC',
        country: 'US',
      });
      await page.goto(`${server.url}/admin/accounts`);
      await expect.poll(() => page.locator('.empty').textContent()).toContain('No Stripe account');
      // Connect is not configured on this server: the page says how to turn it on.
      await expect
        .poll(() => page.locator('.gw-note').textContent())
        .toContain('STRIPE_CONNECT_CLIENT_ID');
      await page.getByRole('link', { name: 'Add by API keys' }).click();
      await page.waitForURL(/\/admin\/accounts\/new$/);

      await page.getByLabel('Handle').fill('us');
      await page.getByLabel('Name').fill('US LLC');
      await page.getByLabel('Purpose').fill('North American sales of the course.');
      await page.getByLabel('Currencies').fill('usd, cad');
      // A live key in the test slot.
      await page.getByLabel('Test secret key').fill(stripeAccount.keys.live.secret);
      await page.getByLabel('Test publishable key').fill(stripeAccount.keys.test.publishable);
      await page.getByRole('button', { name: 'Check the keys and add the account' }).click();
      await expect
        .poll(() => page.locator('#field-testSecretKey-error').textContent())
        .toContain('This is a live key in the test slot');

      // A key Stripe does not know (mistyped, rolled).
      await page.getByLabel('Test secret key').fill('sk_test_mistyped0000000000');
      await page.getByRole('button', { name: 'Check the keys and add the account' }).click();
      await expect
        .poll(() => page.locator('#field-testSecretKey-error').textContent())
        .toContain('Stripe rejected the test secret key');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Nothing was saved');
      // What was typed stays, except the secret key, which never comes back into the page.
      await expect.poll(() => page.getByLabel('Handle').inputValue()).toBe('us');
      await expect
        .poll(() => page.getByLabel('Purpose').inputValue())
        .toBe('North American sales of the course.');
      await expect
        .poll(() => page.getByLabel('Test publishable key').inputValue())
        .toBe(stripeAccount.keys.test.publishable);
      await expect.poll(() => page.getByLabel('Test secret key').inputValue()).toBe('');
      expect(await page.content()).not.toContain('sk_test_mistyped');
      await checkScreen(page, 'gateways-add-errors');

      await page.getByLabel('Test secret key').fill(stripeAccount.keys.test.secret);
      await page.getByRole('button', { name: 'Check the keys and add the account' }).click();
      await page.waitForURL(/\/admin\/accounts\/us$/);
      await expect.poll(() => notice(page)).toContain('US LLC is connected.');
      const added = await server.services.accounts.showAccount('default', 'us');
      expect([added.role, added.currencies, added.purpose]).toEqual([
        'primary',
        ['usd', 'cad'],
        'North American sales of the course.',
      ]);
      await expect
        .poll(() => page.locator('#gw-keys + .table-wrap').textContent())
        .toContain('sk_test_…');

      await page.getByRole('button', { name: 'Run a test payment (test)' }).click();
      await page.waitForURL(/\/admin\/accounts\/us$/);
      await expect.poll(() => notice(page)).toContain('test payment went through');
      await expect.poll(() => page.locator('.gw-timeline').textContent()).toContain('Connected');
      await checkScreen(page, 'gateways-detail');
      await context.close();
    },
    screensTimeout,
  );

  it(
    'sets a volume cap in dollars: a bad amount is refused beside its field, then the cap shows with its usage',
    async () => {
      const { context, page } = await signedIn('admin');
      await page.goto(`${server.url}/admin/accounts/us`);
      const caps = page.locator('section[aria-labelledby=gw-caps]');
      await expect.poll(() => caps.textContent()).toContain('No cap');
      await caps.locator('summary', { hasText: 'Set a cap' }).click();
      await caps.getByLabel('Currency').fill('usd');
      await caps.getByLabel('Per').selectOption('day');
      await caps.getByLabel('At most').fill('fifty thousand');
      await caps.getByRole('button', { name: 'Save the cap' }).click();
      await expect
        .poll(() => page.locator('#field-amount-error').textContent())
        .toContain('Type the amount in USD, such as 50,000.00');
      await expect.poll(() => page.getByLabel('At most').inputValue()).toBe('fifty thousand');
      await checkScreen(page, 'gateways-caps-error');

      await page.getByLabel('At most').fill('50,000');
      await page.getByRole('button', { name: 'Save the cap' }).click();
      await page.waitForURL(/\/admin\/accounts\/us$/);
      await expect
        .poll(() => notice(page))
        .toContain('US LLC takes at most $50,000.00 a UTC day of new payments.');
      await expect
        .poll(() => caps.textContent())
        .toContain('Test: $0.00 of $50,000.00 today (0 %)');
      expect((await server.services.accounts.showAccount('default', 'us')).caps).toEqual([
        { currency: 'usd', period: 'day', amount: 5_000_000 },
      ]);
      await checkScreen(page, 'gateways-caps');
      await page.goto(`${server.url}/admin/accounts`);
      await expect
        .poll(() => page.locator('.gw-card').first().textContent())
        .toContain('Capped $50,000.00 a UTC day');
      await context.close();
    },
    screensTimeout,
  );

  it(
    'makes another account primary, drains one, and refuses to remove one routing uses, saying where',
    async () => {
      await connectAccounts(await adminClient(server), emulator(), ['eu']);
      const { context, page } = await signedIn('admin');
      await page.goto(`${server.url}/admin/accounts`);
      await checkScreen(page, 'gateways-list');
      const eu = (await server.services.accounts.showAccount('default', 'eu')).label;

      await page.getByRole('button', { name: `Make primary ${eu}` }).click();
      await expect.poll(() => notice(page)).toContain(`${eu} is now the primary account.`);
      expect((await server.services.accounts.showAccount('default', 'eu')).role).toBe('primary');

      await page.getByRole('button', { name: 'Drain: take no new payments US LLC' }).click();
      await expect.poll(() => notice(page)).toContain('US LLC is draining');
      expect((await server.services.accounts.showAccount('default', 'us')).drain).toBe(true);
      await expect
        .poll(() =>
          page.getByRole('button', { name: 'Undrain: take new payments again US LLC' }).count(),
        )
        .toBe(1);

      await useInRouting('us');
      await page.goto(`${server.url}/admin/accounts/us`);
      await page.getByRole('link', { name: 'Remove US LLC' }).click();
      await page.waitForURL(/\/admin\/accounts\/us\/remove$/);
      const reasons = page.locator('.gw-reasons');
      await expect.poll(() => reasons.textContent()).toContain('rule "dollar-sales"');
      await expect.poll(() => reasons.textContent()).toContain('the pin of funnel "launch"');
      await expect.poll(() => page.getByRole('button', { name: 'Remove US LLC' }).count()).toBe(0);
      await checkScreen(page, 'gateways-remove-refused');
      // The server refuses the removal itself, with the same reasons, whatever the page offered.
      const refused = await page.request.post(`${server.url}/admin/accounts/us/remove`, {
        form: { _csrf: await csrfOf(page) },
      });
      expect(refused.status()).toBe(409);
      expect(await refused.text()).toContain('rule &quot;dollar-sales&quot;');
      expect(
        (await server.services.accounts.listAccounts('default')).map((a) => a.handle),
      ).toContain('us');

      await useInRouting(null);
      await page.reload();
      await expect
        .poll(() => page.locator('main').textContent())
        .toContain('No funnel, product, pin or rule uses it now.');
      await checkScreen(page, 'gateways-remove');
      await page.getByRole('button', { name: 'Remove US LLC' }).click();
      await page.waitForURL(/\/admin\/accounts$/);
      await expect.poll(() => notice(page)).toContain('Removed US LLC.');
      expect((await server.services.accounts.listAccounts('default')).map((a) => a.handle)).toEqual(
        ['eu'],
      );
      await context.close();
    },
    screensTimeout,
  );

  it(
    'shows a viewer no buttons, and the server refuses their posts',
    async () => {
      const { context, page } = await signedIn('viewer');
      await page.goto(`${server.url}/admin/accounts`);
      await expect.poll(() => page.locator('.gw-card').count()).toBe(1);
      expect(await page.locator('main button, main a.button').count()).toBe(0);
      await page.goto(`${server.url}/admin/accounts/eu`);
      expect(await page.locator('main button, main a.button').count()).toBe(0);
      const csrf = await csrfOf(page);
      for (const [path, form] of [
        ['/admin/accounts/eu/drain', { drain: 'true' }],
        ['/admin/accounts/eu/remove', {}],
        ['/admin/accounts', { handle: 'x' }],
      ] as const) {
        const answer = await page.request.post(`${server.url}${path}`, {
          form: { _csrf: csrf, ...form },
        });
        expect(answer.status(), path).toBe(403);
        expect(await answer.text()).toContain('only an owner or an admin can');
      }
      expect((await server.services.accounts.showAccount('default', 'eu')).drain).toBe(false);
      expect((await page.goto(`${server.url}/admin/accounts/new`))?.status()).toBe(403);
      await context.close();
    },
    screensTimeout,
  );

  it('never sends a secret key to a page', async () => {
    const bodies = await Promise.all(pages);
    expect(bodies.length).toBeGreaterThan(10);
    await expectNoSecrets(emulator(), bodies);
  });
});
