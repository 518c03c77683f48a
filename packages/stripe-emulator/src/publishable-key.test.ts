import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  formBody,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';

/*
 * The calls the Stripe.js stand-in makes from the merchant's page, with the publishable key:
 * made here with fetch, as the browser makes them, and checked through the official SDK.
 */

let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;

const futureYear = String(new Date().getFullYear() + 4);

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Browser Shop' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

interface BrowserAnswer {
  status: number;
  body: Record<string, unknown> & {
    status?: string;
    error?: Record<string, unknown> & { payment_intent?: Record<string, unknown> };
  };
  allowOrigin: string | null;
}

async function browserCall(
  method: 'GET' | 'POST',
  path: string,
  options: {
    key?: string;
    form?: Record<string, string>;
    json?: unknown;
    stripeAccount?: string;
  } = {},
): Promise<BrowserAnswer> {
  const headers: Record<string, string> = { Origin: 'http://shop.example' };
  if (options.key !== undefined) headers.Authorization = `Bearer ${options.key}`;
  if (options.stripeAccount !== undefined) headers['Stripe-Account'] = options.stripeAccount;
  let body: string | undefined;
  if (options.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = formBody(options.form);
  } else if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${harness.url}${path}`, { method, headers, body });
  return {
    status: response.status,
    body: await response.json(),
    allowOrigin: response.headers.get('access-control-allow-origin'),
  };
}

function readChallengeUrl(nextAction: unknown): string {
  if (typeof nextAction !== 'object' || nextAction === null || !('use_stripe_sdk' in nextAction)) {
    throw new Error('no use_stripe_sdk next action');
  }
  const sdk = nextAction.use_stripe_sdk;
  if (typeof sdk !== 'object' || sdk === null || !('stripe_js' in sdk)) {
    throw new Error('no stripe_js URL');
  }
  return String(sdk.stripe_js);
}

function cardFields(clientSecret: string, number: string): Record<string, string> {
  return {
    client_secret: clientSecret,
    return_url: 'http://shop.example/complete',
    'payment_method_data[type]': 'card',
    'payment_method_data[card][number]': number,
    'payment_method_data[card][exp_month]': '12',
    'payment_method_data[card][exp_year]': futureYear,
    'payment_method_data[card][cvc]': '123',
    'payment_method_data[billing_details][address][postal_code]': '94107',
  };
}

async function openPaymentIntent(client: Stripe = stripe) {
  const paymentIntent = await client.paymentIntents.create({ amount: 4900, currency: 'usd' });
  return { id: paymentIntent.id, clientSecret: String(paymentIntent.client_secret) };
}

function confirmInBrowser(
  id: string,
  clientSecret: string,
  number: string,
  key = account.keys.test.publishable,
) {
  return browserCall('POST', `/v1/payment_intents/${id}/confirm`, {
    key,
    form: cardFields(clientSecret, number),
  });
}

describe('retrieving a PaymentIntent with the publishable key', () => {
  it('answers when the client secret matches, with CORS for the shop origin', async () => {
    const { id, clientSecret } = await openPaymentIntent();
    const answer = await browserCall(
      'GET',
      `/v1/payment_intents/${id}?client_secret=${encodeURIComponent(clientSecret)}`,
      { key: account.keys.test.publishable },
    );
    expect(answer.status).toBe(200);
    expect(answer.allowOrigin).toBe('*');
    expect(answer.body).toMatchObject({ id, status: 'requires_payment_method', amount: 4900 });
  });

  it('answers 404 resource_missing without the right client secret', async () => {
    const { id } = await openPaymentIntent();
    for (const path of [
      `/v1/payment_intents/${id}?client_secret=${id}_secret_wrong`,
      `/v1/payment_intents/${id}`,
    ]) {
      const answer = await browserCall('GET', path, { key: account.keys.test.publishable });
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 'resource_missing' });
    }
  });
});

describe('confirming with card details from the card form', () => {
  it.each([
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
  ])('charges %s (%s) and the server sees the charge', async (number, brand) => {
    const { id, clientSecret } = await openPaymentIntent();
    const answer = await confirmInBrowser(id, clientSecret, number);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('succeeded');
    const seen = await stripe.paymentIntents.retrieve(id, { expand: ['payment_method'] });
    expect(seen.status).toBe('succeeded');
    expect(seen.latest_charge).toMatch(/^ch_/);
    const method = seen.payment_method;
    if (method === null || typeof method === 'string') throw new Error('payment method expected');
    expect(method.card).toMatchObject({ brand, last4: number.slice(-4) });
    expect(method.billing_details.address?.postal_code).toBe('94107');
  });

  it.each([
    ['4000000000000002', 'card_declined', 'generic_decline'],
    ['4000000000009995', 'card_declined', 'insufficient_funds'],
    ['4000000000000069', 'expired_card', 'expired_card'],
    ['4000000000000341', 'card_declined', 'generic_decline'],
  ])(
    'declines %s with 402 and the PaymentIntent ready for another card',
    async (number, code, declineCode) => {
      const { id, clientSecret } = await openPaymentIntent();
      const answer = await confirmInBrowser(id, clientSecret, number);
      expect(answer.status).toBe(402);
      expect(answer.body.error).toMatchObject({
        type: 'card_error',
        code,
        decline_code: declineCode,
      });
      expect(answer.body.error?.payment_intent).toMatchObject({
        id,
        status: 'requires_payment_method',
        last_payment_error: { code, decline_code: declineCode },
      });
      const retry = await confirmInBrowser(id, clientSecret, '4242424242424242');
      expect(retry.body.status).toBe('succeeded');
    },
  );

  it('attaches 4000000000000341 to a customer, then declines it when charged', async () => {
    const customer = await stripe.customers.create({});
    const method = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000341', exp_month: 12, exp_year: Number(futureYear), cvc: '123' },
    });
    const attached = await stripe.paymentMethods.attach(method.id, { customer: customer.id });
    expect(attached.customer).toBe(customer.id);
    await expect(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        customer: customer.id,
        payment_method: method.id,
        off_session: true,
        confirm: true,
      }),
    ).rejects.toMatchObject({ type: 'StripeCardError', decline_code: 'generic_decline' });
  });

  it('rejects a mistyped card number with incorrect_number', async () => {
    const { id, clientSecret } = await openPaymentIntent();
    const answer = await confirmInBrowser(id, clientSecret, '4242424242424241');
    expect(answer.status).toBe(402);
    expect(answer.body.error).toMatchObject({ code: 'incorrect_number' });
  });
});

describe('3-D Secure', () => {
  async function startChallenge() {
    const { id, clientSecret } = await openPaymentIntent();
    const answer = await confirmInBrowser(id, clientSecret, '4000002500003155');
    return { id, clientSecret, answer };
  }

  it('asks for authentication with use_stripe_sdk / three_d_secure_redirect', async () => {
    const { answer } = await startChallenge();
    expect(answer.body.status).toBe('requires_action');
    expect(answer.body).toMatchObject({
      next_action: {
        type: 'use_stripe_sdk',
        use_stripe_sdk: {
          type: 'three_d_secure_redirect',
          stripe_js: expect.stringContaining('/_emulator/three_d_secure/'),
        },
      },
    });
  });

  it('succeeds when the challenge is completed', async () => {
    const { id, clientSecret } = await startChallenge();
    const answer = await browserCall('POST', `/_emulator/payment_intents/${id}/authenticate`, {
      json: { client_secret: clientSecret, outcome: 'complete' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('succeeded');
    expect((await stripe.paymentIntents.retrieve(id)).status).toBe('succeeded');
  });

  it('goes back to requires_payment_method when the challenge fails', async () => {
    const { id, clientSecret } = await startChallenge();
    const answer = await browserCall('POST', `/_emulator/payment_intents/${id}/authenticate`, {
      json: { client_secret: clientSecret, outcome: 'fail' },
    });
    expect(answer.body).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
    });
  });

  it('refuses an answer with the wrong client secret', async () => {
    const { id } = await startChallenge();
    const answer = await browserCall('POST', `/_emulator/payment_intents/${id}/authenticate`, {
      json: { client_secret: 'wrong', outcome: 'complete' },
    });
    expect(answer.status).toBe(404);
  });

  it('serves the challenge page the next_action points at', async () => {
    const { answer } = await startChallenge();
    const url = readChallengeUrl(answer.body.next_action);
    const page = await fetch(url);
    const html = await page.text();
    expect(html).toContain('Complete authentication');
    expect(html).toContain('Fail authentication');
  });
});

describe('publishable keys and Connect', () => {
  it("confirms on a connected account with the platform's publishable key and Stripe-Account", async () => {
    const platform = await harness.control<{
      client_id: string;
      id: string;
      keys: EmulatorAccount['keys'];
    }>('POST', '/_emulator/platforms', { name: 'Platform' });
    const merchant = await harness.createAccount({ name: 'Merchant' });
    const { code } = await harness.control<{ code: string }>('POST', '/_emulator/oauth/codes', {
      client_id: platform.client_id,
      account: merchant.id,
    });
    const platformStripe = harness.stripe(platform.keys.test.secret);
    await platformStripe.oauth.token({ grant_type: 'authorization_code', code });
    const paymentIntent = await platformStripe.paymentIntents.create(
      { amount: 2000, currency: 'usd' },
      { stripeAccount: merchant.id },
    );
    const answer = await browserCall('POST', `/v1/payment_intents/${paymentIntent.id}/confirm`, {
      key: platform.keys.test.publishable,
      stripeAccount: merchant.id,
      form: cardFields(String(paymentIntent.client_secret), '4242424242424242'),
    });
    expect(answer.body.status).toBe('succeeded');
    const onMerchant = await harness
      .stripe(merchant.keys.test.secret)
      .paymentIntents.retrieve(paymentIntent.id);
    expect(onMerchant.status).toBe('succeeded');
  });
});
