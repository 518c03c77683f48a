import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../test/browser.js';
import {
  checkScreen,
  consoleUser,
  desktop,
  signedInContext,
  testPassword,
} from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

// The console's pages do not depend on the database for how they look; SQLite is enough here.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('signing in to the console in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;

  beforeAll(async () => {
    if (!sqlite) return;
    store = await sqlite.openMigrated();
    server = await listenTestApp(store);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  it('sends a signed-out visitor to sign-in, then back to the page they asked for', async () => {
    const user = await consoleUser(server, 'owner', 'Olive Owner');
    const context = await browser.newContext({ viewport: desktop });
    const page = await context.newPage();
    await page.goto(`${server.url}/admin/audit`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await checkScreen(page, 'sign-in');
    await page.getByLabel('Email').fill(user.email.toUpperCase());
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('That email and password do not match');
    await expect.poll(() => page.getByLabel('Email').inputValue()).toBe(user.email.toUpperCase());
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/admin/audit`);
    await page.goto(`${server.url}/admin`);
    await expect.poll(() => page.locator('.who').textContent()).toContain('Olive Owner');
    await checkScreen(page, 'frame');
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    await page.waitForURL(/\/admin\/sign-in$/);
    await page.goto(`${server.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await context.close();
  }, 120_000);

  it('opens a console link from another site (an alert email in a webmail) signed in', async () => {
    // localhost is another site than 127.0.0.1: the session cookie (SameSite=Strict) is not
    // sent on the click itself.
    const mail = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><a href="${server.url}/admin/audit">See the audit log</a>`);
    });
    await new Promise<void>((resolve) => mail.listen(0, '127.0.0.1', resolve));
    const { port } = mail.address() as AddressInfo;
    const { context, page } = await signedInContext(browser, server, 'owner');
    try {
      await page.goto(`http://localhost:${port}/`);
      await page.getByRole('link', { name: 'See the audit log' }).click();
      await page.waitForURL(`${server.url}/admin/audit`);
      await expect.poll(() => page.locator('.who').count()).toBe(1);
    } finally {
      await context.close();
      mail.close();
    }
  }, 60_000);
});
