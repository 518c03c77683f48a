import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { buyOrder, importLaunchFunnel, visitorOf } from '../../test/checkout.js';
import { consoleUser } from '../../test/console.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import type { EmulatorAccount } from '../../test/emulator.js';
import {
  control,
  createEmulatorAccount,
  createEmulatorPlatform,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { personActor } from '../users/users.service.js';
import { csrfTokenOf } from './session-cookie.js';

/*
 * The gateways screens over HTTP, on both databases: where each of Stripe's refusals lands in
 * the form, the order of the secondaries, the purpose, and Connect with Stripe when it is set up.
 */

const emulator = useEmulator();

/** The notice a post left for the next page: encoded once by the console, once more as a cookie. */
function noticeOf(response: { headers: Record<string, unknown> }): string {
  return decodeURIComponent(decodeURIComponent(String(response.headers['set-cookie'] ?? '')));
}

describeEachDatabase('the console’s payment gateways', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  /** Every page this suite was sent, for the secret-leak search. */
  const seen: string[] = [];

  async function start(env: Record<string, string> = {}) {
    testApp = await buildTestApp(store, {
      env: { ...emulatorEnv(emulator()), ...env },
      gateway: emulatorGateway(emulator()),
    });
  }

  beforeEach(async () => {
    store = await database.openMigrated();
  });
  afterEach(async () => {
    await testApp?.app.close();
    await store.dispose();
  });

  /** A signed-in admin's browser: pages read and forms posted with the session's CSRF token. */
  async function admin() {
    const user = await consoleUser(testApp, 'admin', 'Ada Admin');
    const { token } = await testApp.services.users.startSession(user);
    const cookie = `sy_session=${token}`;
    return {
      user,
      async get(url: string) {
        const response = await testApp.app.inject({ method: 'GET', url, headers: { cookie } });
        seen.push(response.body);
        return response;
      },
      async post(url: string, form: Record<string, string>) {
        const response = await testApp.app.inject({
          method: 'POST',
          url,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: csrfTokenOf(token), ...form }).toString(),
        });
        seen.push(response.body);
        return response;
      },
    };
  }

  async function connect(handle: string) {
    const stripeAccount = await createEmulatorAccount(emulator());
    await testApp.services.accounts.connectWithKeys(
      'default',
      { handle, credentials: keysOf(stripeAccount) },
      'test',
    );
    return stripeAccount;
  }

  it('puts each refusal beside its field, names every missing permission, and keeps no secret', async () => {
    await start();
    const person = await admin();
    const stripeAccount = await createEmulatorAccount(emulator());
    const other = await createEmulatorAccount(emulator());
    const weak = await control<{ secret: string }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/restricted_keys`,
      { mode: 'test', permissions: ['payment_intents:write', 'account:read'] },
    );
    const form = {
      handle: 'eu',
      label: 'EU GmbH',
      purpose: 'European sales',
      currencies: 'eur',
      testSecretKey: weak.secret,
      testPublishableKey: stripeAccount.keys.test.publishable,
    };
    const missing = await person.post('/admin/accounts', form);
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('id="field-testSecretKey-error"');
    expect(missing.body).toContain('This restricted key lacks 11 permissions');
    for (const permission of ['customers:write', 'refunds:write', 'webhook_endpoints:write']) {
      expect(missing.body).toContain(`<li><code>${permission}</code></li>`);
    }
    expect(missing.body).not.toContain(weak.secret);
    expect(missing.body).toContain('value="EU GmbH"');

    const mixed = await person.post('/admin/accounts', {
      ...form,
      testSecretKey: stripeAccount.keys.test.secret,
      testPublishableKey: other.keys.test.publishable,
    });
    expect(mixed.statusCode).toBe(422);
    expect(mixed.body).toMatch(
      /id="field-testPublishableKey-error">The test publishable key belongs to a different Stripe account/,
    );

    const wrongType = await person.post('/admin/accounts', {
      ...form,
      testSecretKey: stripeAccount.keys.test.publishable,
    });
    expect(wrongType.body).toMatch(
      /id="field-testSecretKey-error">The test secret key slot holds a publishable key/,
    );

    const badHandle = await person.post('/admin/accounts', {
      ...form,
      handle: 'EU Ltd',
      currencies: 'euro',
    });
    expect(badHandle.statusCode).toBe(400);
    expect(badHandle.body).toMatch(/id="field-handle-error">Use 1 to 40 lowercase letters/);
    expect(badHandle.body).toMatch(
      /id="field-currencies-error">Use a three-letter ISO currency code/,
    );

    const noKeys = await person.post('/admin/accounts', {
      ...form,
      testSecretKey: '',
      testPublishableKey: '',
    });
    expect(noKeys.body).toMatch(
      /id="field-testSecretKey-error">Give the keys of at least one mode/,
    );

    await connect('us');
    const taken = await person.post('/admin/accounts', {
      ...form,
      handle: 'us',
      testSecretKey: stripeAccount.keys.test.secret,
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toMatch(
      /id="field-handle-error">Another account already has the handle &quot;us&quot;/,
    );

    const added = await person.post('/admin/accounts', {
      ...form,
      testSecretKey: stripeAccount.keys.test.secret,
    });
    expect([added.statusCode, added.headers.location]).toEqual([303, '/admin/accounts/eu']);
    const again = await person.post('/admin/accounts', {
      ...form,
      handle: 'eu-2',
      testSecretKey: stripeAccount.keys.test.secret,
    });
    expect(again.body).toMatch(/This Stripe account is already connected as &quot;eu&quot;/);

    const [entry] = await testApp.services.audit.list({
      workspaceId: 'default',
      limit: 1,
      subject: 'account:eu',
    });
    expect([entry?.action, entry?.actor]).toEqual(['account.connected', personActor(person.user)]);
    for (const page of [
      '/admin/accounts',
      '/admin/accounts/eu',
      '/admin/accounts/eu/keys',
      '/admin/accounts/eu/remove',
    ]) {
      expect((await person.get(page)).statusCode, page).toBe(200);
    }
    const everything = seen.join('\n');
    expect(everything).not.toMatch(/\b(sk|rk)_(test|live)_[A-Za-z0-9]/);
    expect(everything).not.toContain('whsec_');
  });

  it('moves secondaries up and down in the order routing tries them', async () => {
    await start();
    const person = await admin();
    for (const handle of ['main', 'b', 'c', 'd']) await connect(handle);
    const order = async () =>
      (await testApp.services.accounts.listAccounts('default'))
        .filter((account) => account.role === 'secondary')
        .sort((x, y) => x.priority - y.priority || x.handle.localeCompare(y.handle))
        .map((account) => account.handle);
    expect(await order()).toEqual(['b', 'c', 'd']);

    const up = await person.post('/admin/accounts/d/move', { direction: 'up' });
    expect([up.statusCode, up.headers.location]).toEqual([303, '/admin/accounts']);
    expect(await order()).toEqual(['b', 'd', 'c']);
    await person.post('/admin/accounts/b/move', { direction: 'down', back: 'detail' });
    expect(await order()).toEqual(['d', 'b', 'c']);
    const list = await person.get('/admin/accounts');
    expect(list.body.indexOf('>d</a>')).toBeLessThan(list.body.indexOf('>b</a>'));
    const refused = await person.post('/admin/accounts/main/move', { direction: 'down' });
    expect(refused.statusCode).toBe(409);
  });

  it('saves the purpose and name, and keeps what was typed when the name is empty', async () => {
    await start();
    const person = await admin();
    await connect('us');
    const empty = await person.post('/admin/accounts/us/purpose', {
      label: '',
      purpose: 'US sales',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toMatch(/id="field-label-error">Give the account a name/);
    expect(empty.body).toContain('>US sales</textarea>');
    const saved = await person.post('/admin/accounts/us/purpose', {
      label: 'US LLC',
      purpose: 'US sales',
    });
    expect([saved.statusCode, saved.headers.location]).toEqual([303, '/admin/accounts/us']);
    const account = await testApp.services.accounts.showAccount('default', 'us');
    expect([account.label, account.purpose]).toEqual(['US LLC', 'US sales']);
  });

  it('sets volume caps in major units, shows what was taken of them, and refuses bad amounts beside the field', async () => {
    await start();
    const person = await admin();
    await connect('us');
    await importLaunchFunnel(testApp.services);
    const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };
    expect((await buyOrder(emulator(), visitorOf(testApp.app), ana)).intent.status).toBe(
      'succeeded',
    );

    const tooPrecise = await person.post('/admin/accounts/us/caps', {
      currency: 'usd',
      period: 'day',
      amount: '60.125',
    });
    expect(tooPrecise.statusCode).toBe(400);
    expect(tooPrecise.body).toMatch(/id="field-amount-error">USD has 2 decimals at most\./);
    expect(tooPrecise.body).toContain('value="60.125"');
    const unknown = await person.post('/admin/accounts/us/caps', {
      currency: 'dollars',
      period: 'day',
      amount: '60',
    });
    expect(unknown.body).toMatch(/id="field-currency-error">Type a three-letter currency code/);
    expect((await testApp.services.accounts.showAccount('default', 'us')).caps).toBeNull();

    const saved = await person.post('/admin/accounts/us/caps', {
      currency: 'USD',
      period: 'day',
      amount: '60',
    });
    expect([saved.statusCode, saved.headers.location]).toEqual([303, '/admin/accounts/us']);
    await person.post('/admin/accounts/us/caps', {
      currency: 'usd',
      period: 'month',
      amount: '1,000',
    });
    await person.post('/admin/accounts/us/caps', {
      currency: 'jpy',
      period: 'day',
      amount: '50000',
    });
    // The same currency and period again replaces the cap.
    await person.post('/admin/accounts/us/caps', {
      currency: 'usd',
      period: 'month',
      amount: '2000.50',
    });
    expect((await testApp.services.accounts.showAccount('default', 'us')).caps).toEqual([
      { currency: 'usd', period: 'day', amount: 6000 },
      { currency: 'jpy', period: 'day', amount: 50_000 },
      { currency: 'usd', period: 'month', amount: 200_050 },
    ]);

    const page = await person.get('/admin/accounts/us');
    expect(page.body).toContain('$49.00 of $60.00 today (81 %)');
    expect(page.body).toContain('<span class="badge warn">Near the cap</span>');
    expect(page.body).toContain('$49.00 of $2,000.50 this month (2 %)');
    expect(page.body).toContain('¥0 of ¥50,000 today (0 %)');
    expect(page.body).toContain('Volume caps changed.');
    const list = await person.get('/admin/accounts');
    expect(list.body).toContain(
      '<span class="badge info">Capped</span> $60.00 a UTC day; ¥50,000 a UTC day; $2,000.50 a UTC month',
    );

    const removed = await person.post('/admin/accounts/us/caps/remove', {
      currency: 'jpy',
      period: 'day',
    });
    expect(noticeOf(removed)).toContain('Removed the daily JPY cap');
    expect((await testApp.services.accounts.showAccount('default', 'us')).caps).toHaveLength(2);
  });

  it('sends an admin to Stripe to connect an account when Connect with Stripe is set up', async () => {
    const platform = await createEmulatorPlatform(emulator(), 'Switchyard test platform');
    await start({
      STRIPE_CONNECT_CLIENT_ID: platform.client_id,
      STRIPE_CONNECT_SECRET_KEY: platform.keys.test.secret,
      STRIPE_CONNECT_AUTHORIZE_URL: `${emulator().url}/oauth/authorize`,
    });
    const person = await admin();
    const list = await person.get('/admin/accounts');
    expect(list.body).toContain('href="/admin/accounts/connect">Connect with Stripe</a>');
    const bad = await person.post('/admin/accounts/connect', { handle: 'Not a handle' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('id="field-handle-error"');
    const started = await person.post('/admin/accounts/connect', { handle: 'eu' });
    expect(started.statusCode).toBe(303);
    expect(started.headers.location).toContain(`${emulator().url}/oauth/authorize`);
    expect(started.headers.location).toContain(`client_id=${platform.client_id}`);
  });

  it('verifies an account whose key was rolled, then takes the new keys in place of the old', async () => {
    await start();
    const person = await admin();
    const stripeAccount = await connect('us');
    const rolled = await control<{ keys: EmulatorAccount['keys'] }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
    );
    const verified = await person.post('/admin/accounts/us/verify', { back: 'detail' });
    expect([verified.statusCode, verified.headers.location]).toEqual([303, '/admin/accounts/us']);
    expect(noticeOf(verified)).toContain('Replace it with a working key');
    const detail = await person.get('/admin/accounts/us');
    expect(detail.body).toContain('<span class="badge fail">Disconnected</span>');
    expect(detail.body).toContain('Verified with Stripe: healthy → disconnected.');

    const stale = await person.post('/admin/accounts/us/keys', {
      testSecretKey: stripeAccount.keys.test.secret,
      testPublishableKey: stripeAccount.keys.test.publishable,
    });
    expect(stale.statusCode).toBe(422);
    expect(stale.body).toMatch(
      /id="field-testSecretKey-error">Stripe says the test secret key has expired/,
    );
    const other = await createEmulatorAccount(emulator());
    const foreign = await person.post('/admin/accounts/us/keys', {
      testSecretKey: other.keys.test.secret,
      testPublishableKey: other.keys.test.publishable,
    });
    expect(foreign.body).toMatch(
      /id="field-testSecretKey-error">These keys belong to Stripe account/,
    );
    expect(foreign.body).toContain(`value="${other.keys.test.publishable}"`);

    const replaced = await person.post('/admin/accounts/us/keys', {
      testSecretKey: rolled.keys.test.secret,
      testPublishableKey: rolled.keys.test.publishable,
    });
    expect([replaced.statusCode, replaced.headers.location]).toEqual([303, '/admin/accounts/us']);
    const account = await testApp.services.accounts.showAccount('default', 'us');
    expect([account.health, account.modes.test?.secretKey]).toEqual([
      'healthy',
      `sk_test_…${rolled.keys.test.secret.slice(-4)}`,
    ]);

    const disabled = await person.post('/admin/accounts/us/enabled', { enabled: 'false' });
    expect(noticeOf(disabled)).toContain('is disabled');
    expect((await testApp.services.accounts.showAccount('default', 'us')).enabled).toBe(false);
    expect((await person.get('/admin/accounts')).body).toContain(
      '<span class="badge fail">Disabled</span>',
    );
    for (const body of seen) {
      expect(body).not.toContain(rolled.keys.test.secret);
      expect(body).not.toContain(other.keys.test.secret);
    }
  });

  it('shows an open circuit breaker as Down, with the failures behind it in the timeline', async () => {
    await start();
    const person = await admin();
    await connect('us');
    const { accountId } = await testApp.services.health.showHealth('default', 'us');
    for (let failure = 0; failure < 5; failure += 1) {
      await testApp.services.health.recordOutcome(
        { workspaceId: 'default', accountId, mode: 'test' },
        { ok: false, kind: 'connection', message: 'Stripe did not answer' },
      );
    }
    const list = await person.get('/admin/accounts');
    expect(list.body).toContain('<span class="badge fail">Down</span>');
    const detail = await person.get('/admin/accounts/us');
    expect(detail.body).toContain('<span class="badge fail">Open</span> calls are refused since');
    expect(detail.body).toContain('<span class="badge fail">Breaker opened</span>');
    expect(detail.body).toContain('Test mode: Stripe did not answer.');
  });
});
