import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Role } from '../src/users/roles.js';
import type { User } from '../src/users/users.service.js';
import type { ListeningTestApp } from './server.js';

/** The two sizes every console screen is looked at: a phone and a laptop. */
export const phone = { width: 390, height: 844 } as const;
export const desktop = { width: 1280, height: 800 } as const;

const screenshots = new URL('../test-results/console/', import.meta.url).pathname;

/** A password every console test user has; long enough for the password rules. */
export const testPassword = 'correct horse battery staple';

let people = 0;

/** A new console user of that role (a fresh email each time), through the real service. */
export async function consoleUser(
  server: Pick<ListeningTestApp, 'services'>,
  role: Role,
  name = `${role[0]?.toUpperCase()}${role.slice(1)} ${++people}`,
): Promise<User> {
  return server.services.users.createUser({
    workspaceId: 'default',
    email: `${role}.${people}.${Date.now()}@example.com`,
    name,
    role,
    password: testPassword,
    actor: 'test',
  });
}

/**
 * A browser profile signed in as a new user of that role, as if they had typed their password:
 * the session is started by the real service and its cookie set in the profile.
 */
export async function signedInContext(
  browser: Browser,
  server: Pick<ListeningTestApp, 'services' | 'url'>,
  role: Role,
): Promise<{ context: BrowserContext; page: Page; user: User }> {
  const user = await consoleUser(server, role);
  const { token } = await server.services.users.startSession(user);
  const context = await browser.newContext({ viewport: desktop, deviceScaleFactor: 1 });
  await context.addCookies([
    {
      name: 'sy_session',
      value: token,
      url: `${server.url}/admin`,
      httpOnly: true,
      sameSite: 'Strict',
    },
  ]);
  const page = await context.newPage();
  return { context, page, user };
}

/**
 * Checks the screen the page shows: axe-core finds no serious or critical violation, and a
 * screenshot is taken at 390x844 and at 1280x800 (`test-results/console/<name>-<size>.png`).
 * Leaves the page at the laptop size.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  for (const size of [phone, desktop]) {
    await page.setViewportSize(size);
    const results = await new AxeBuilder({ page }).analyze();
    const grave = results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) =>
          `${violation.id} (${violation.impact}) at ${size.width}px: ${violation.help} — ${violation.nodes
            .slice(0, 3)
            .map((node) => node.target.join(' '))
            .join(', ')}`,
      );
    expect(grave, `axe on ${name}`).toEqual([]);
    // Nothing may stick out sideways on a phone (a table scrolls inside its own box).
    if (size.width === phone.width) {
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `${name} is wider than a ${size.width} px screen`).toBeLessThanOrEqual(0);
    }
    await page.screenshot({
      path: join(screenshots, `${name}-${size.width}x${size.height}.png`),
      fullPage: true,
    });
  }
}
