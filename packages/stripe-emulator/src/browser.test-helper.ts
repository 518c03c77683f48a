import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Headless Chromium (CHROMIUM_PATH, or the system's) for the Stripe.js stand-in's tests. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A phone-sized profile: the stand-in's forms must work there. */
export function openPhoneContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 1 });
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/** A merchant's pages on a free loopback port: each path maps to the HTML it answers. */
export async function startSite(pages: Record<string, (url: URL) => string>): Promise<Site> {
  const server = createServer(function answerPage(request, response) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const page = pages[url.pathname];
    response.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page ? page(url) : 'Not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
