import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../test/app.js';
import { launchBrowser } from '../../test/browser.js';
import { clockAhead, connectAccounts, importLaunchFunnel } from '../../test/checkout.js';
import { checkScreen, phone } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { emulatorEnv, emulatorGateway, useEmulator } from '../../test/emulator.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';
import { type MailReceiver, startMailReceiver } from '../alerts/alert-receivers.test-helper.js';

const emulator = useEmulator();
// The way back does not depend on the database (recovery.test.ts runs both); SQLite is enough.
const sqlite = testDatabases[0];
/** Two digits of a year safely in the future, for expiry dates. */
const futureYear = String((new Date().getFullYear() + 5) % 100).padStart(2, '0');

describe.skipIf(sqlite === undefined)(
  'abandoning a checkout and coming back by email, in Chromium',
  () => {
    let store: TestStore;
    let server: ListeningTestApp;
    let browser: Browser;
    let mail: MailReceiver;
    const clock = clockAhead();

    beforeAll(async () => {
      if (!sqlite) return;
      mail = await startMailReceiver();
      store = await sqlite.openMigrated();
      server = await listenTestApp(store, {
        env: { ...emulatorEnv(emulator()), SMTP_URL: mail.url, EMAIL_FROM: 'shop@example.com' },
        gateway: emulatorGateway(emulator()),
        clock,
      });
      await connectAccounts(await adminClient(server), emulator(), ['us', 'eu']);
      await importLaunchFunnel(server.services);
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await store?.dispose();
      await mail?.close();
    });

    it('ticks consent, leaves at the card form, and pays later in another browser from the link', async () => {
      const left = await browser.newContext({ viewport: phone, deviceScaleFactor: 1 });
      const page = await left.newPage();
      await page.goto(`${server.url}/f/launch/order`);
      const consent = page.getByLabel('If I don’t finish paying, email me once');
      await expect(consent.isChecked()).resolves.toBe(false);
      await page.locator('#email').fill('ana@example.com');
      await page.locator('#name').fill('Ana Lima');
      await page.locator('#country').selectOption('US');
      await consent.check();
      await checkScreen(page, 'contact-with-consent');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.waitForURL(/\/f\/launch\/order\/pay$/);
      await page.getByLabel('Card number').waitFor();
      await left.close();

      clock.advance(31 * 60);
      expect((await server.services.recovery.sendDue('default')).sent).toBe(1);
      const link = /(http:\/\/127\.0\.0\.1:\d+\/f\/launch\/order\/resume\?token=\S+)/.exec(
        mail.messages[0]?.text ?? '',
      )?.[1];
      expect(link, mail.messages[0]?.text).toBeDefined();

      // Another browser, as when the email is opened on a phone's mail app.
      const back = await browser.newContext({ viewport: phone, deviceScaleFactor: 1 });
      const again = await back.newPage();
      await again.goto(link ?? '');
      await again.waitForURL(/\/f\/launch\/order\/pay$/);
      await again.getByLabel('Card number').fill('4242 4242 4242 4242');
      await again.getByLabel('Expiration date').fill(`12 / ${futureYear}`);
      await again.getByLabel('Security code').fill('123');
      const postal = again.getByLabel('Postal code');
      if ((await postal.count()) > 0) await postal.fill('10001');
      await again.locator('#pay').click();
      await again.waitForURL(/\/f\/launch\/coaching$/);

      const { body } = await (await adminClient(server))('GET', '/api/orders');
      const anas = body.orders.filter((one: { email: string }) => one.email === 'ana@example.com');
      expect(anas.map((one: { status: string }) => one.status)).toEqual(['paid']);

      // The same link once paid: no card form, a plain answer.
      await again.goto(link ?? '');
      await again.getByRole('heading', { name: 'This order is already paid' }).waitFor();
      await checkScreen(again, 'recovery-link-paid');
      await back.close();
    }, 60_000);
  },
);
