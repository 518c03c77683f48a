import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  startWebhookReceiver,
  type TestEmulator,
  type WebhookReceiver,
} from './emulator.test-helper.js';

interface Platform extends EmulatorAccount {
  client_id: string;
}

let harness: TestEmulator;
let platform: Platform;
let platformStripe: Stripe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  harness = await startTestEmulator();
  platform = await harness.control<Platform>('POST', '/_emulator/platforms', {
    name: 'Switchyard Connect',
  });
  platformStripe = harness.stripe(platform.keys.test.secret);
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await harness.close();
  await receiver.close();
});

async function connect(account: EmulatorAccount) {
  const { code } = await harness.control<{ code: string }>('POST', '/_emulator/oauth/codes', {
    client_id: platform.client_id,
    account: account.id,
  });
  return platformStripe.oauth.token({ grant_type: 'authorization_code', code });
}

describe('Connect OAuth', () => {
  it('exchanges a code for tokens of the connected account', async () => {
    expect(platform.client_id).toMatch(/^ca_/);
    const merchant = await harness.createAccount({ name: 'Merchant A' });
    const token = await connect(merchant);
    expect(token).toMatchObject({
      stripe_user_id: merchant.id,
      stripe_publishable_key: merchant.keys.test.publishable,
      livemode: false,
      scope: 'read_write',
      token_type: 'bearer',
    });
    expect(token.access_token).toMatch(/^sk_test_/);
    expect(token.refresh_token).toMatch(/^rt_/);
    const asMerchant = harness.stripe(String(token.access_token));
    expect((await asMerchant.accounts.retrieveCurrent()).id).toBe(merchant.id);
  });

  it('refuses a code used twice or made up (invalid_grant)', async () => {
    const merchant = await harness.createAccount();
    const { code } = await harness.control<{ code: string }>('POST', '/_emulator/oauth/codes', {
      client_id: platform.client_id,
      account: merchant.id,
    });
    await platformStripe.oauth.token({ grant_type: 'authorization_code', code });
    const reused = await platformStripe.oauth
      .token({ grant_type: 'authorization_code', code })
      .catch((error: unknown) => error);
    expect(reused).toBeInstanceOf(Stripe.errors.StripeInvalidGrantError);
    await expect(
      platformStripe.oauth.token({ grant_type: 'authorization_code', code: 'ac_madeup' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidGrantError);
  });

  it('acts on a connected account with Stripe-Account, and nowhere else', async () => {
    const merchant = await harness.createAccount({ name: 'Merchant B' });
    const stranger = await harness.createAccount({ name: 'Stranger' });
    await connect(merchant);
    const paid = await platformStripe.paymentIntents.create(
      { amount: 4200, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
      { stripeAccount: merchant.id },
    );
    expect(paid.status).toBe('succeeded');
    const asMerchant = harness.stripe(merchant.keys.test.secret);
    expect((await asMerchant.paymentIntents.retrieve(paid.id)).id).toBe(paid.id);
    await expect(platformStripe.paymentIntents.retrieve(paid.id)).rejects.toMatchObject({
      code: 'resource_missing',
    });
    const onMerchant = await platformStripe.accounts.retrieve(merchant.id);
    expect(onMerchant.id).toBe(merchant.id);
    const forbidden = await platformStripe.paymentIntents
      .create({ amount: 4200, currency: 'usd' }, { stripeAccount: stranger.id })
      .catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(forbidden).toMatchObject({
      statusCode: 403,
      message: expect.stringContaining(`does not have access to account '${stranger.id}'`),
    });
    await expect(
      harness.stripe(stranger.keys.test.secret).customers.list({}, { stripeAccount: merchant.id }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripePermissionError);
  });

  it('sends connected accounts’ events, with `account`, to the platform’s connect endpoint', async () => {
    const merchant = await harness.createAccount({ name: 'Merchant C' });
    await connect(merchant);
    const endpoint = await platformStripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['payment_intent.succeeded', 'account.application.deauthorized'],
      connect: true,
    });
    const secret = String(endpoint.secret);
    const before = receiver.received.length;
    await platformStripe.paymentIntents.create(
      { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
      { stripeAccount: merchant.id },
    );
    await receiver.waitFor(before + 1);
    const delivery = receiver.received[before];
    if (delivery === undefined) throw new Error('no delivery');
    const event = platformStripe.webhooks.constructEvent(
      delivery.body,
      String(delivery.headers['stripe-signature']),
      secret,
    );
    expect(event.type).toBe('payment_intent.succeeded');
    expect(event.account).toBe(merchant.id);

    const deauthorized = await platformStripe.oauth.deauthorize({
      client_id: platform.client_id,
      stripe_user_id: merchant.id,
    });
    expect(deauthorized.stripe_user_id).toBe(merchant.id);
    await receiver.waitFor(before + 2);
    const notice = receiver.received[before + 1];
    if (notice === undefined) throw new Error('no delivery');
    const noticeEvent = platformStripe.webhooks.constructEvent(
      notice.body,
      String(notice.headers['stripe-signature']),
      secret,
    );
    expect(noticeEvent.type).toBe('account.application.deauthorized');
    expect(noticeEvent.account).toBe(merchant.id);
    await platformStripe.webhookEndpoints.del(endpoint.id);
  });

  it('stops the tokens and Stripe-Account access once deauthorized', async () => {
    const merchant = await harness.createAccount({ name: 'Merchant D' });
    const token = await connect(merchant);
    await platformStripe.oauth.deauthorize({
      client_id: platform.client_id,
      stripe_user_id: merchant.id,
    });
    await expect(
      harness.stripe(String(token.access_token)).customers.list(),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    await expect(
      platformStripe.customers.list({}, { stripeAccount: merchant.id }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripePermissionError);
    await expect(
      platformStripe.oauth.deauthorize({
        client_id: platform.client_id,
        stripe_user_id: merchant.id,
      }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeOAuthError);
  });

  it('refreshes an access token with the refresh token', async () => {
    const merchant = await harness.createAccount();
    const token = await connect(merchant);
    const refreshed = await platformStripe.oauth.token({
      grant_type: 'refresh_token',
      refresh_token: String(token.refresh_token),
    });
    expect(refreshed.stripe_user_id).toBe(merchant.id);
    expect(refreshed.access_token).not.toBe(token.access_token);
  });
});

describe('the authorize page', () => {
  const redirectUri = 'http://shop.example/connect/callback';

  function authorizeUrl() {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: platform.client_id,
      scope: 'read_write',
      redirect_uri: redirectUri,
      state: 'csrf-123',
    });
    return `${harness.url}/oauth/authorize?${query}`;
  }

  it('lists the accounts to pick from, with Authorize and Deny', async () => {
    await harness.createAccount({ name: 'Picked Ltd' });
    const page = await fetch(authorizeUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Switchyard Connect');
    expect(html).toContain('Picked Ltd');
    expect(html).toMatch(/<button[^>]*value="authorize"[^>]*>Authorize<\/button>/);
    expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
  });

  it('redirects with a code and the state on Authorize; the code gets a token', async () => {
    const chosen = await harness.createAccount({ name: 'Chosen' });
    const response = await fetch(`${harness.url}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: platform.client_id,
        redirect_uri: redirectUri,
        state: 'csrf-123',
        scope: 'read_write',
        account: chosen.id,
        decision: 'authorize',
      }),
    });
    expect(response.status).toBe(302);
    const location = new URL(String(response.headers.get('location')));
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('csrf-123');
    const code = String(location.searchParams.get('code'));
    expect(code).toMatch(/^ac_/);
    const token = await platformStripe.oauth.token({ grant_type: 'authorization_code', code });
    expect(token.stripe_user_id).toBe(chosen.id);
  });

  it('redirects with error=access_denied on Deny', async () => {
    const response = await fetch(`${harness.url}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: platform.client_id,
        redirect_uri: redirectUri,
        state: 'csrf-456',
        decision: 'deny',
      }),
    });
    expect(response.status).toBe(302);
    const location = new URL(String(response.headers.get('location')));
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('csrf-456');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('refuses an unknown client_id', async () => {
    const page = await fetch(
      `${harness.url}/oauth/authorize?client_id=ca_unknown&redirect_uri=${encodeURIComponent(redirectUri)}`,
    );
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('Unknown application');
  });
});
