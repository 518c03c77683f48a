import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { consoleUser, testPassword } from '../../test/console.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { signInLimits } from '../users/users.service.js';
import { csrfTokenOf } from './session-cookie.js';

/** The cookies a response sets, as `name=value` for the next request's cookie header. */
function cookiesOf(response: { headers: Record<string, unknown> }): string[] {
  const raw = response.headers['set-cookie'];
  return (Array.isArray(raw) ? raw : raw ? [String(raw)] : []).map(String);
}

/** A signed-out form's token: the sy_form cookie and the page's _csrf value. */
async function formToken(testApp: TestApp, path: string) {
  const page = await testApp.app.inject({ method: 'GET', url: path });
  const cookie =
    cookiesOf(page)
      .find((line) => line.startsWith('sy_form='))
      ?.split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return { cookie, csrf };
}

describeEachDatabase('the sign-in and people routes', (database) => {
  let store: TestStore;
  let testApp: TestApp | undefined;
  beforeEach(async () => {
    store = await database.openMigrated();
  });
  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
    await store.dispose();
  });

  async function signInPost(app: TestApp, email: string, password: string, ip = '203.0.113.5') {
    const { cookie, csrf } = await formToken(app, '/admin/sign-in');
    return app.app.inject({
      method: 'POST',
      url: '/admin/sign-in',
      remoteAddress: ip,
      headers: { cookie },
      payload: { email, password, _csrf: csrf },
    });
  }

  it('sets a Secure, HTTP-only, SameSite=Strict session cookie behind an https PUBLIC_URL', async () => {
    testApp = await buildTestApp(store, { env: { PUBLIC_URL: 'https://pay.example.com' } });
    const user = await consoleUser(testApp, 'admin');
    const response = await signInPost(testApp, user.email, testPassword);
    expect(response.statusCode).toBe(303);
    const session = cookiesOf(response).find((line) => line.startsWith('sy_session='));
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\/admin/);
  });

  it('sets no Secure flag on plain http, and answers 429 with the same page for a known and an unknown email', async () => {
    testApp = await buildTestApp(store, { env: { PUBLIC_URL: 'http://127.0.0.1:3000' } });
    const user = await consoleUser(testApp, 'viewer');
    const ok = await signInPost(testApp, user.email, testPassword);
    expect(cookiesOf(ok).find((line) => line.startsWith('sy_session='))).not.toMatch(/Secure/);
    for (let i = 0; i < signInLimits.perEmail; i++) {
      await signInPost(testApp, user.email, 'wrong password', `198.51.100.${i}`);
      await signInPost(testApp, 'stranger@example.com', 'wrong password', `198.51.100.${i}`);
    }
    const known = await signInPost(testApp, user.email, testPassword, '192.0.2.50');
    const unknown = await signInPost(testApp, 'stranger@example.com', testPassword, '192.0.2.50');
    expect([known.statusCode, unknown.statusCode]).toEqual([429, 429]);
    expect(known.headers['retry-after']).toBe('900');
    const message = (body: string) =>
      /<div class="error-summary"[^>]*>(.*?)<\/div>/s.exec(body)?.[1];
    expect(message(known.body)).toContain('Too many sign-in attempts');
    expect(message(known.body)).toBe(message(unknown.body));
  });

  it('refuses a viewer’s invite and role change with 403, and a post without its CSRF token', async () => {
    testApp = await buildTestApp(store);
    const owner = await consoleUser(testApp, 'owner');
    const viewer = await consoleUser(testApp, 'viewer');
    const { token } = await testApp.services.users.startSession(viewer);
    const cookie = `sy_session=${token}`;
    const invite = await testApp.app.inject({
      method: 'POST',
      url: '/admin/users/invites',
      headers: { cookie },
      payload: { email: 'new@example.com', role: 'owner', _csrf: csrfTokenOf(token) },
    });
    expect(invite.statusCode).toBe(403);
    expect(invite.body).toContain('only an owner can invite people');
    const role = await testApp.app.inject({
      method: 'POST',
      url: `/admin/users/${viewer.id}/role`,
      headers: { cookie },
      payload: { role: 'owner', _csrf: csrfTokenOf(token) },
    });
    expect(role.statusCode).toBe(403);
    const ownerSession = await testApp.services.users.startSession(owner);
    const noToken = await testApp.app.inject({
      method: 'POST',
      url: `/admin/users/${viewer.id}/role`,
      headers: { cookie: `sy_session=${ownerSession.token}` },
      payload: { role: 'admin' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('no valid security token');
    expect((await testApp.services.users.findUser('default', viewer.id))?.role).toBe('viewer');
    expect(await testApp.services.users.listInvites('default')).toEqual([]);
  });
});
