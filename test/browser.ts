import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where the system Chromium lives; CHROMIUM_PATH overrides it on other machines. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium for browser tests. Launch once per file (beforeAll) and close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** A fresh profile the size of a small phone, where pages must work (and look right). */
export function openPhoneContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 1 });
}

/** Answers one request with an HTML page, or undefined for a 404. */
export type PageRoute = (url: URL, request: IncomingMessage) => string | undefined;

export interface Site {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * A throwaway web site on a free port, for pages a test needs in the browser (a merchant's
 * checkout page, a return URL): each route maps a path to the HTML it serves.
 */
export async function startSite(routes: Record<string, PageRoute>): Promise<Site> {
  const server: Server = createServer(function answerPage(request, response) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = routes[url.pathname];
    const html = route ? route(url, request) : undefined;
    if (html === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Two digits of a year safely in the future, for expiry dates. */
const futureYear = String((new Date().getFullYear() + 5) % 100).padStart(2, '0');

/** Fills the Payment Element's card form as a buyer would, with a future expiry. */
export async function fillCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration date').fill(`12 / ${futureYear}`);
  await page.getByLabel('Security code').fill('123');
  const postal = page.getByLabel('Postal code');
  if ((await postal.count()) > 0) await postal.fill('10001');
}
