import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  type RunningEmulator,
  startEmulator,
} from '../../test/emulator.js';

interface Platform {
  client_id: string;
  id: string;
  keys: EmulatorAccount['keys'];
}

let emulator: RunningEmulator;
let platform: Platform;
beforeAll(async () => {
  emulator = await startEmulator();
  platform = await control<Platform>(emulator, 'POST', 'platforms', {
    name: 'Switchyard demo platform',
  });
});
afterAll(async () => {
  await emulator.close();
});

/** Reads the hidden fields of the emulator's authorize page, as a browser would submit them. */
function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    const [, name, value] = match;
    if (name) fields[name] = (value ?? '').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  return fields;
}

describeEachDatabase('Connect with Stripe (OAuth)', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let token: string;
  let now: number;
  let merchant: EmulatorAccount;

  beforeEach(async () => {
    store = await database.openMigrated();
    now = Date.now();
    testApp = await buildTestApp(store, {
      env: {
        ...emulatorEnv(emulator),
        STRIPE_CONNECT_CLIENT_ID: platform.client_id,
        STRIPE_CONNECT_SECRET_KEY: platform.keys.test.secret,
        STRIPE_CONNECT_AUTHORIZE_URL: `${emulator.url}/oauth/authorize`,
      },
      gateway: emulatorGateway(emulator),
      clock: () => new Date(now),
    });
    ({ token } = await testApp.services.tokens.createToken({
      workspaceId: 'default',
      name: 'ops',
      actor: 'test',
    }));
    merchant = await createEmulatorAccount(emulator, {
      name: 'EU GmbH',
      country: 'DE',
      default_currency: 'eur',
    });
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  async function start(handle: string): Promise<string> {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/connect/stripe/start?handle=${handle}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(302);
    return String(response.headers.location);
  }

  /** The merchant on Stripe's page picks an account and presses Authorize or Deny. */
  async function answerAuthorizePage(
    authorizeUrl: string,
    decision: 'authorize' | 'deny',
  ): Promise<URL> {
    const page = await fetch(authorizeUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Authorize');
    const form = new URLSearchParams({ ...formFields(html), account: merchant.id, decision });
    const answer = await fetch(`${emulator.url}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    return new URL(String(answer.headers.get('location')));
  }

  async function callback(url: URL) {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `${url.pathname}${url.search}`,
    });
    return { status: response.statusCode, html: response.body };
  }

  it("connects an account through Stripe's authorize page and says so", async () => {
    const authorizeUrl = await start('eu');
    const parsed = new URL(authorizeUrl);
    expect(parsed.origin + parsed.pathname).toBe(`${emulator.url}/oauth/authorize`);
    expect(parsed.searchParams.get('client_id')).toBe(platform.client_id);
    expect(parsed.searchParams.get('redirect_uri')).toBe(
      'http://127.0.0.1:3000/connect/stripe/callback',
    );

    const back = await answerAuthorizePage(authorizeUrl, 'authorize');
    expect(back.pathname).toBe('/connect/stripe/callback');
    const page = await callback(back);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Stripe account connected');
    expect(page.html).toContain(merchant.id);

    const account = await testApp.services.accounts.showAccount('default', 'eu');
    expect(account).toMatchObject({
      connectedBy: 'oauth',
      stripeAccountId: merchant.id,
      role: 'primary',
      health: 'healthy',
    });
    expect(account.modes.test?.keyType).toBe('oauth');

    const replay = await callback(back);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain('already used');

    // Nothing secret is stored in plain text or shown: the access and refresh tokens are sealed.
    const [credential] = await store.db.selectFrom('account_credentials').selectAll().execute();
    if (!credential?.refresh_token_encrypted) throw new Error('the grant has a refresh token');
    const accessToken = testApp.services.vault.open(credential.secret_encrypted);
    const refreshToken = testApp.services.vault.open(credential.refresh_token_encrypted);
    const everything = [
      page.html,
      JSON.stringify(account),
      JSON.stringify(testApp.logLines()),
      JSON.stringify(await store.db.selectFrom('account_credentials').selectAll().execute()),
    ].join('\n');
    expect(everything).not.toContain(accessToken);
    expect(everything).not.toContain(refreshToken);

    // Removing it revokes the grant at Stripe.
    await testApp.services.accounts.removeAccount('default', 'eu', 'test');
    const revoked = new Stripe(accessToken, {
      host: emulator.host,
      port: emulator.port,
      protocol: 'http',
    });
    await expect(revoked.accounts.retrieveCurrent()).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
  });

  it('connects nothing when the merchant presses Deny', async () => {
    const back = await answerAuthorizePage(await start('eu'), 'deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    const page = await callback(back);
    expect(page.status).toBe(400);
    expect(page.html).toContain('Nothing was connected');
    expect(page.html).toContain('choose Authorize');
    expect(await testApp.services.accounts.listAccounts('default')).toEqual([]);
  });

  it('refuses an expired, a forged and a replayed state, and a rejected code', async () => {
    const expiredBack = await answerAuthorizePage(await start('eu'), 'authorize');
    now += 11 * 60 * 1000;
    const expired = await callback(expiredBack);
    expect([expired.status, expired.html.includes('This link has expired')]).toEqual([400, true]);

    const back = await answerAuthorizePage(await start('eu'), 'authorize');
    const forged = new URL(back);
    forged.searchParams.set(
      'state',
      `${String(back.searchParams.get('state')).split('.')[0]}.AAAA`,
    );
    expect((await callback(forged)).html).toContain('This link is not valid');

    const badCode = new URL(back);
    badCode.searchParams.set('code', 'ac_not_a_real_code');
    const rejected = await callback(badCode);
    expect([rejected.status, rejected.html.includes('Stripe rejected the authorization')]).toEqual([
      400,
      true,
    ]);
    // The state was spent on the rejected code; the genuine answer cannot reuse it.
    expect((await callback(back)).html).toContain('already used');
    expect(await testApp.services.accounts.listAccounts('default')).toEqual([]);
  });

  it('needs an admin token to start, and says when Connect is not configured', async () => {
    const anonymous = await testApp.app.inject({
      method: 'GET',
      url: '/connect/stripe/start?handle=eu',
    });
    expect(anonymous.statusCode).toBe(401);

    const plain = await buildTestApp(store, { env: emulatorEnv(emulator) });
    const { token: plainToken } = await plain.services.tokens.createToken({
      workspaceId: 'default',
      name: 'other',
      actor: 'test',
    });
    const unconfigured = await plain.app.inject({
      method: 'GET',
      url: '/connect/stripe/start?handle=eu',
      headers: { authorization: `Bearer ${plainToken}` },
    });
    expect(unconfigured.statusCode).toBe(404);
    expect(unconfigured.json().error.message).toContain('STRIPE_CONNECT_CLIENT_ID');
    await plain.app.close();
  });
});
