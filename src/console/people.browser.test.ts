import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../test/browser.js';
import { checkScreen, desktop, testPassword } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';

// The console's pages do not depend on the database for how they look; SQLite is enough here.
const sqlite = testDatabases[0];

describe.skipIf(sqlite === undefined)('people and sessions in Chromium', () => {
  let store: TestStore;
  let server: ListeningTestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  // The test's clock: moved forward to let a session go idle.
  let offsetMs = 0;

  beforeAll(async () => {
    if (!sqlite) return;
    store = await sqlite.openMigrated();
    server = await listenTestApp(store, {
      env: { SESSION_IDLE_MINUTES: '30' },
      clock: () => new Date(Date.now() + offsetMs),
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    await store?.dispose();
  });

  async function profile(): Promise<Page> {
    const context = await browser.newContext({ viewport: desktop, deviceScaleFactor: 1 });
    contexts.push(context);
    return context.newPage();
  }

  /** The CSRF token of the signed-in page: the one every form of it carries. */
  const csrfOf = (page: Page) =>
    page.locator('form[action="/admin/sign-out"] input[name="_csrf"]').first().inputValue();

  async function acceptInvite(link: string, name: string, screen?: string): Promise<Page> {
    const page = await profile();
    await page.goto(link);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Join Switchyard');
    if (screen) await checkScreen(page, screen);
    await page.getByLabel('Your name').fill(name);
    await page.getByLabel('Password', { exact: true }).fill(testPassword);
    await page.getByLabel('Password again').fill(testPassword);
    await page.getByRole('button', { name: 'Join and sign in' }).click();
    await page.waitForURL(`${server.url}/admin`);
    await expect.poll(() => page.locator('.who').textContent()).toContain(name);
    return page;
  }

  async function invite(owner: Page, email: string, role: string): Promise<string> {
    await owner.getByLabel('Email').fill(email);
    await owner.getByLabel('Role', { exact: true }).selectOption(role);
    await owner.getByRole('button', { name: 'Create invite link' }).click();
    await expect.poll(() => owner.locator('.invite-link h2').textContent()).toContain(email);
    return owner.locator('#invite-url').inputValue();
  }

  it('sets up the first owner with the setup code, invites an admin and a viewer, and the server refuses the viewer', async () => {
    const code = await server.services.users.issueSetupCode('default');
    expect(code).not.toBeNull();

    // First run: the setup page, a wrong code refused beside its field, then the right one.
    const owner = await profile();
    await owner.goto(`${server.url}/admin/sign-in`);
    await expect
      .poll(() => owner.locator('main').textContent())
      .toContain('No one can sign in yet');
    await owner.getByRole('link', { name: '/admin/setup' }).click();
    await checkScreen(owner, 'setup');
    await owner.getByLabel('Setup code').fill('AAAA-BBBB-CCCC-DDDD');
    await owner.getByLabel('Your name').fill('Olive Owner');
    await owner.getByLabel('Email').fill('olive@example.com');
    await owner.getByLabel('Password', { exact: true }).fill(testPassword);
    await owner.getByLabel('Password again').fill(testPassword);
    await owner.getByRole('button', { name: 'Create owner and sign in' }).click();
    await expect
      .poll(() => owner.locator('#field-code-error').textContent())
      .toContain('is not the code');
    expect(await owner.getByLabel('Email').inputValue()).toBe('olive@example.com');
    await checkScreen(owner, 'setup-refused');
    await owner.getByLabel('Setup code').fill(code ?? '');
    await owner.getByLabel('Password', { exact: true }).fill(testPassword);
    await owner.getByLabel('Password again').fill(testPassword);
    await owner.getByRole('button', { name: 'Create owner and sign in' }).click();
    await owner.waitForURL(`${server.url}/admin/users`);
    await expect.poll(() => owner.locator('.who').textContent()).toContain('Olive Owner');

    // Setup is closed now.
    const late = await profile();
    await late.goto(`${server.url}/admin/setup`);
    await expect.poll(() => late.locator('h1').textContent()).toBe('Setup is done');

    // Sign out, then in with the password.
    await owner.getByRole('button', { name: 'Sign out' }).first().click();
    await owner.waitForURL(/\/admin\/sign-in$/);
    await checkScreen(owner, 'sign-in');
    await owner.getByLabel('Email').fill('olive@example.com');
    await owner.getByLabel('Password').fill(testPassword);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.waitForURL(`${server.url}/admin`);

    // Invites, each accepted in a browser profile of its own.
    await owner.goto(`${server.url}/admin/users`);
    const adminLink = await invite(owner, 'ada@example.com', 'admin');
    await checkScreen(owner, 'people-invite-link');
    const viewerLink = await invite(owner, 'vic@example.com', 'viewer');
    expect(adminLink).toMatch(`${server.url}/admin/invites/`);
    await owner.goto(`${server.url}/admin/users`);
    await expect.poll(() => owner.locator('main').textContent()).toContain('vic@example.com');
    await checkScreen(owner, 'people');

    const admin = await acceptInvite(adminLink, 'Ada Admin', 'invite');
    const viewer = await acceptInvite(viewerLink, 'Vic Viewer');
    // A used link says so.
    const again = await profile();
    await again.goto(adminLink);
    await expect.poll(() => again.locator('h1').textContent()).toBe('This invite was already used');
    await checkScreen(again, 'invite-used');

    // The viewer sees no change buttons, and the server refuses the posts anyway (403 page).
    await viewer.goto(`${server.url}/admin/users`);
    expect(await viewer.getByRole('button', { name: 'Create invite link' }).count()).toBe(0);
    expect(await viewer.locator('form.role-form').count()).toBe(0);
    const csrf = await csrfOf(viewer);
    const refusedInvite = await viewer.request.post(`${server.url}/admin/users/invites`, {
      form: { _csrf: csrf, email: 'eve@example.com', role: 'owner' },
      maxRedirects: 0,
    });
    expect(refusedInvite.status()).toBe(403);
    expect(await refusedInvite.text()).toContain('only an owner can invite people');
    const vic = await server.services.users.findUserByEmail('default', 'vic@example.com');
    const refusedRole = await viewer.request.post(`${server.url}/admin/users/${vic?.id}/role`, {
      form: { _csrf: csrf, role: 'owner' },
      maxRedirects: 0,
    });
    expect(refusedRole.status()).toBe(403);
    expect((await server.services.users.findUser('default', vic?.id ?? ''))?.role).toBe('viewer');
    expect(await server.services.users.listInvites('default')).toEqual([]);
    // The refusal as a page in the browser: unhide nothing, post the owner's form shape directly.
    await viewer.evaluate((token) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/admin/users/invites';
      for (const [name, value] of Object.entries({
        _csrf: token,
        email: 'eve@example.com',
        role: 'owner',
      })) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, csrf);
    await expect.poll(() => viewer.locator('h1').textContent()).toBe('Not allowed');
    await checkScreen(viewer, 'people-refused');

    // A post without its CSRF token is refused, even from the owner.
    const ada = await server.services.users.findUserByEmail('default', 'ada@example.com');
    const noToken = await owner.request.post(`${server.url}/admin/users/${ada?.id}/role`, {
      form: { role: 'viewer' },
      maxRedirects: 0,
    });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain('no valid security token');
    expect((await server.services.users.findUser('default', ada?.id ?? ''))?.role).toBe('admin');

    // Your password: a mismatch is refused beside its field, then the change keeps this session.
    await admin.goto(`${server.url}/admin/users/me`);
    await checkScreen(admin, 'your-password');
    await admin.getByLabel('Current password').fill(testPassword);
    await admin.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await admin.getByLabel('New password again').fill('a brand new passphrase!');
    await admin.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => admin.locator('#field-newPasswordAgain-error').textContent())
      .toContain('is not the same');
    await admin.getByLabel('Current password').fill(testPassword);
    await admin.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await admin.getByLabel('New password again').fill('a brand new passphrase');
    await admin.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => admin.locator('.notice').textContent()).toContain('Password changed');

    // The owner removes the viewer (with a confirmation); the viewer's session ends at once.
    await owner.goto(`${server.url}/admin/users`);
    await owner.getByRole('link', { name: 'Remove Vic Viewer' }).click();
    await checkScreen(owner, 'people-remove');
    await owner.getByRole('button', { name: 'Remove Vic Viewer' }).click();
    await expect.poll(() => owner.locator('.notice').textContent()).toContain('Removed Vic Viewer');
    await viewer.goto(`${server.url}/admin/users`);
    expect(new URL(viewer.url()).pathname).toBe('/admin/sign-in');

    // An idle session is sent to sign-in, then back to the page asked for.
    offsetMs = 31 * 60_000;
    await admin.goto(`${server.url}/admin/users/me`);
    expect(new URL(admin.url()).pathname).toBe('/admin/sign-in');
    expect(new URL(admin.url()).searchParams.get('next')).toBe('/admin/users/me');

    // Sign out everywhere ends the owner's other browser too.
    const elsewhere = await profile();
    await elsewhere.goto(`${server.url}/admin/sign-in`);
    await elsewhere.getByLabel('Email').fill('olive@example.com');
    await elsewhere.getByLabel('Password').fill(testPassword);
    await elsewhere.getByRole('button', { name: 'Sign in' }).click();
    await elsewhere.waitForURL(`${server.url}/admin`);
    await elsewhere.goto(`${server.url}/admin/users/me`);
    await elsewhere.getByRole('button', { name: 'Sign out everywhere' }).click();
    await elsewhere.waitForURL(/\/admin\/sign-in$/);
    await owner.goto(`${server.url}/admin/users`);
    expect(new URL(owner.url()).pathname).toBe('/admin/sign-in');

    const actions = (await server.services.audit.list({ workspaceId: 'default', limit: 30 })).map(
      (entry) => `${entry.action} ${entry.actor}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        'user.created Olive Owner <olive@example.com>',
        'user.invited Olive Owner <olive@example.com>',
        'user.invite_accepted Vic Viewer <vic@example.com>',
        'user.password_changed Ada Admin <ada@example.com>',
        'user.removed Olive Owner <olive@example.com>',
        'user.signed_out_everywhere Olive Owner <olive@example.com>',
      ]),
    );
  }, 240_000);
});
