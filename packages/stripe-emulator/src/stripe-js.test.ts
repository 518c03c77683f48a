import { Script } from 'node:vm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPhoneContext, type Site, startSite } from './browser.test-helper.js';
import { startEmulator } from './index.js';
import { stripeJsSource } from './stripe-js.js';

interface EmulatorAccount {
  id: string;
  keys: { test: { secret: string; publishable: string } };
}

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** Two digits of a year safely in the future, for expiry dates. */
const futureYear = String((new Date().getFullYear() + 5) % 100).padStart(2, '0');

/** A merchant's checkout page, as a Switchyard page would be: Stripe.js from the emulator, one form. */
function checkoutPage(emulatorUrl: string, url: URL): string {
  const element = url.searchParams.get('element') === 'card' ? 'card' : 'payment';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:16px}button{margin-top:8px;width:100%;padding:12px;font-size:16px}</style>
<script src="${emulatorUrl}/v3/"></script>
</head><body>
<h1>Pay $49.00</h1>
<form id="payment-form">
  <div id="payment-element"></div>
  <button id="pay" type="submit">Pay</button>
  <p id="message" role="status"></p>
</form>
<script>
  const params = new URLSearchParams(location.search);
  const account = params.get('account');
  const stripe = Stripe(params.get('pk'), account ? { stripeAccount: account } : undefined);
  const clientSecret = params.get('cs');
  const elements = stripe.elements({ clientSecret });
  const element = elements.create('${element}');
  const changes = [];
  element.on('change', (event) => changes.push(event));
  element.on('ready', () => { document.body.dataset.ready = 'true'; });
  window.elementChanges = changes;
  element.mount('#payment-element');
  document.getElementById('payment-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const message = document.getElementById('message');
    message.textContent = '';
    const result = '${element}' === 'card'
      ? await stripe.confirmCardPayment(clientSecret, { payment_method: { card: element } })
      : await stripe.confirmPayment({
          elements,
          confirmParams: { return_url: location.origin + '/complete' },
          redirect: params.get('redirect') || 'always',
        });
    window.lastResult = result;
    message.textContent = result.error ? result.error.message : 'Payment ' + result.paymentIntent.status;
  });
</script>
</body></html>`;
}

/** The merchant's return_url: reads what Stripe.js put in the address, then asks Stripe.js. */
function completePage(emulatorUrl: string, publishableKey: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Thank you</title>
<script src="${emulatorUrl}/v3/"></script></head><body>
<p id="redirect-status"></p><p id="intent-status"></p>
<script>
  const params = new URLSearchParams(location.search);
  document.getElementById('redirect-status').textContent = 'Redirect ' + params.get('redirect_status');
  Stripe('${publishableKey}').retrievePaymentIntent(params.get('payment_intent_client_secret'))
    .then(({ paymentIntent, error }) => {
      document.getElementById('intent-status').textContent =
        error ? error.message : paymentIntent.id + ' is ' + paymentIntent.status;
    });
</script></body></html>`;
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** What the merchant's page script left on `window` (results, change events). */
function readFromPage(page: Page, name: string): Promise<unknown> {
  return page.evaluate((key) => Reflect.get(window, key) as unknown, name);
}

/** Waits for the merchant's page to show the outcome of paying, and returns it. */
async function readMessage(page: Page): Promise<string> {
  await page.waitForFunction(() => document.getElementById('message')?.textContent !== '');
  return (await page.locator('#message').textContent()) ?? '';
}

async function fillCard(
  page: Page,
  card: { number: string; expiry?: string; cvc?: string; postal?: string },
): Promise<void> {
  await page.getByLabel('Card number').fill(card.number);
  await page.getByLabel('Expiration date').fill(card.expiry ?? `12 / ${futureYear}`);
  await page.getByLabel('Security code').fill(card.cvc ?? '123');
  const postal = page.getByLabel('Postal code');
  if ((await postal.count()) > 0) await postal.fill(card.postal ?? '10001');
}

/** Waits for the browser to reach return_url, and checks the parameters Stripe adds to it. */
async function expectReturned(
  page: Page,
  intent: Stripe.PaymentIntent,
  redirectStatus: 'succeeded' | 'failed',
): Promise<void> {
  await page.waitForURL(/\/complete\?/);
  const landed = new URL(page.url());
  expect(landed.searchParams.get('payment_intent')).toBe(intent.id);
  expect(landed.searchParams.get('payment_intent_client_secret')).toBe(intent.client_secret);
  expect(landed.searchParams.get('redirect_status')).toBe(redirectStatus);
}

describe('the Stripe.js stand-in', () => {
  let emulator: Emulator;
  let site: Site;
  let browser: Browser;
  let account: EmulatorAccount;
  let stripe: Stripe;
  let context: BrowserContext;
  /** One tab for the whole file: each test loads its own checkout page into it. */
  let page: Page;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
    account = await postJson<EmulatorAccount>(`${emulator.url}/_emulator/accounts`, {
      name: 'Shop',
    });
    stripe = new Stripe(account.keys.test.secret, {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
    });
    site = await startSite({
      '/checkout': (url) => checkoutPage(emulator.url, url),
      '/complete': () => completePage(emulator.url, account.keys.test.publishable),
    });
    browser = await launchBrowser();
    context = await openPhoneContext(browser);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await emulator?.close();
  });

  async function createIntent(
    options: { stripeAccount?: string; secret?: string; currency?: string } = {},
  ) {
    const client = options.secret
      ? new Stripe(options.secret, { host: '127.0.0.1', port: emulator.port, protocol: 'http' })
      : stripe;
    return client.paymentIntents.create(
      {
        amount: 4900,
        currency: options.currency ?? 'usd',
        automatic_payment_methods: { enabled: true },
      },
      options.stripeAccount ? { stripeAccount: options.stripeAccount } : undefined,
    );
  }

  async function openCheckout(
    clientSecret: string,
    query: Record<string, string> = {},
    publishableKey = account.keys.test.publishable,
  ): Promise<void> {
    const params = new URLSearchParams({ pk: publishableKey, cs: clientSecret, ...query });
    await page.goto(`${site.url}/checkout?${params}`);
    await page.waitForSelector('body[data-ready="true"]');
  }

  it('mounts a labelled card form with the input names autofill knows, fitting a phone', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret));

    const fields = [
      ['Card number', 'cardnumber'],
      ['Expiration date', 'exp-date'],
      ['Security code', 'cvc'],
      ['Postal code', 'postal'],
    ] as const;
    for (const [label, name] of fields) {
      await expect(page.getByLabel(label).getAttribute('name')).resolves.toBe(name);
    }
    await page.getByLabel('Card number').fill('4242424242424242');
    await page.getByLabel('Expiration date').pressSequentially(`12${futureYear}`);
    await expect(page.getByLabel('Card number').inputValue()).resolves.toBe('4242 4242 4242 4242');
    await expect(page.getByLabel('Expiration date').inputValue()).resolves.toBe(
      `12 / ${futureYear}`,
    );
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
  });

  it('pays, then sends the customer to return_url with the PaymentIntent, as Stripe does', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret));
    await fillCard(page, { number: '4242 4242 4242 4242' });
    await page.getByRole('button', { name: 'Pay' }).click();

    await expectReturned(page, intent, 'succeeded');
    await page.waitForFunction(() => document.getElementById('intent-status')?.textContent !== '');
    await expect(page.locator('#redirect-status').textContent()).resolves.toBe(
      'Redirect succeeded',
    );
    await expect(page.locator('#intent-status').textContent()).resolves.toBe(
      `${intent.id} is succeeded`,
    );

    const paid = await stripe.paymentIntents.retrieve(intent.id);
    expect(paid.status).toBe('succeeded');
  });

  it('refuses an incomplete or invalid card in the form, without asking Stripe', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret), { redirect: 'if_required' });
    const pay = page.getByRole('button', { name: 'Pay' });

    await pay.click();
    await expect(readMessage(page)).resolves.toBe('Your card number is incomplete.');
    await expect(page.getByRole('alert').first().textContent()).resolves.toBe(
      'Your card number is incomplete.',
    );
    await expect(page.getByLabel('Card number').getAttribute('aria-invalid')).resolves.toBe('true');

    await fillCard(page, { number: '4242 4242 4242 4241' });
    await pay.click();
    await expect(readMessage(page)).resolves.toBe('Your card number is invalid.');

    await fillCard(page, { number: '4242 4242 4242 4242', expiry: '01 / 20' });
    await pay.click();
    await expect(readMessage(page)).resolves.toBe("Your card's expiration year is in the past.");

    await fillCard(page, { number: '4242 4242 4242 4242', cvc: '12' });
    await pay.click();
    await expect(readMessage(page)).resolves.toBe("Your card's security code is incomplete.");

    const result = await readFromPage(page, 'lastResult');
    expect(result).toEqual({
      error: {
        type: 'validation_error',
        code: 'incomplete_cvc',
        message: "Your card's security code is incomplete.",
      },
    });
    const logged = await fetch(`${emulator.url}/_emulator/requests?account=${account.id}`);
    const { data: requests } = (await logged.json()) as { data: Array<{ path: string }> };
    expect(requests.filter((request) => request.path.includes(`${intent.id}/confirm`))).toEqual([]);
    const untouched = await stripe.paymentIntents.retrieve(intent.id);
    expect(untouched.status).toBe('requires_payment_method');
    expect(untouched.last_payment_error).toBeNull();
  });

  it('shows the decline, then takes another card on the same PaymentIntent', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret), { redirect: 'if_required' });
    const pay = page.getByRole('button', { name: 'Pay' });

    await fillCard(page, { number: '4000 0000 0000 0002' });
    await pay.click();
    await expect(readMessage(page)).resolves.toBe('Your card was declined.');
    const declined = await readFromPage(page, 'lastResult');
    expect(declined).toMatchObject({
      error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        payment_intent: { id: intent.id, status: 'requires_payment_method' },
      },
    });

    await fillCard(page, { number: '4242 4242 4242 4242' });
    await pay.click();
    await expect(readMessage(page)).resolves.toBe('Payment succeeded');
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
  });

  it("reports each test card's decline as Stripe words it", async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret), { redirect: 'if_required' });
    const declines = [
      ['4000 0000 0000 9995', 'Your card has insufficient funds.', 'insufficient_funds'],
      ['4000 0000 0000 0069', 'Your card has expired.', 'expired_card'],
      ['4000 0000 0000 0341', 'Your card was declined.', 'generic_decline'],
    ] as const;
    for (const [number, text, declineCode] of declines) {
      await fillCard(page, { number });
      await page.getByRole('button', { name: 'Pay' }).click();
      await expect(readMessage(page)).resolves.toBe(text);
      const result = await readFromPage(page, 'lastResult');
      expect(result).toMatchObject({ error: { type: 'card_error', decline_code: declineCode } });
    }
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe(
      'requires_payment_method',
    );
  });

  it('runs the 3-D Secure challenge and pays once the customer completes it', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret), { redirect: 'if_required' });
    await fillCard(page, { number: '4000 0025 0000 3155' });
    await page.getByRole('button', { name: 'Pay' }).click();

    const challenge = page.getByRole('dialog');
    await challenge.waitFor();
    await expect(challenge.textContent()).resolves.toContain('$49.00');
    await challenge.getByRole('button', { name: 'Complete authentication' }).click();

    await expect(readMessage(page)).resolves.toBe('Payment succeeded');
    await expect(challenge.count()).resolves.toBe(0);
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
  });

  it('reports a failed 3-D Secure challenge as an error and leaves the payment unpaid', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret), { redirect: 'if_required' });
    await fillCard(page, { number: '4000 0025 0000 3155' });
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Fail authentication' }).click();

    const shown = await readMessage(page);
    const result = await readFromPage(page, 'lastResult');
    expect(result).toMatchObject({
      error: {
        code: 'payment_intent_authentication_failure',
        payment_intent: { id: intent.id, status: 'requires_payment_method' },
      },
    });
    expect(shown).toMatch(/authenticat/i);
    const unpaid = await stripe.paymentIntents.retrieve(intent.id);
    expect(unpaid.status).toBe('requires_payment_method');
    expect(unpaid.last_payment_error?.code).toBe('payment_intent_authentication_failure');
  });

  describe('a bank payment (iDEAL) beside the card', () => {
    /** Picks iDEAL in the Payment Element and pays: the browser goes to the bank's page. */
    async function payAtBank(): Promise<Stripe.PaymentIntent> {
      const intent = await createIntent({ currency: 'eur' });
      await openCheckout(String(intent.client_secret));
      await page.getByRole('radio', { name: 'iDEAL' }).check();
      await expect(page.getByLabel('Card number').isVisible()).resolves.toBe(false);
      await page.getByRole('button', { name: 'Pay' }).click();
      await page.waitForURL(/\/_emulator\/redirect\//);
      await expect(page.locator('h1').textContent()).resolves.toBe('Approve your payment');
      return intent;
    }

    it('is offered only where the PaymentIntent allows it (EUR), with the card checked first', async () => {
      const dollars = await createIntent();
      await openCheckout(String(dollars.client_secret));
      await expect(page.getByRole('radio').count()).resolves.toBe(0);
      const euros = await createIntent({ currency: 'eur' });
      await openCheckout(String(euros.client_secret));
      const group = page.getByRole('group', { name: 'Payment method' });
      await expect(group.getByRole('radio', { name: 'Card' }).isChecked()).resolves.toBe(true);
      await expect(group.getByRole('radio', { name: 'iDEAL' }).isChecked()).resolves.toBe(false);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBe(0);
    });

    it('returns to return_url with redirect_status=succeeded once the bank approves', async () => {
      const intent = await payAtBank();
      await page.getByRole('button', { name: 'Approve payment' }).click();
      await expectReturned(page, intent, 'succeeded');
      await page.waitForFunction(
        () => document.getElementById('intent-status')?.textContent !== '',
      );
      await expect(page.locator('#intent-status').textContent()).resolves.toBe(
        `${intent.id} is succeeded`,
      );
    });

    it('returns with redirect_status=failed when the bank fails it, and the card can pay after', async () => {
      const intent = await payAtBank();
      await page.getByRole('button', { name: 'Fail payment' }).click();
      await expectReturned(page, intent, 'failed');
      const unpaid = await stripe.paymentIntents.retrieve(intent.id);
      expect(unpaid.status).toBe('requires_payment_method');
      expect(unpaid.last_payment_error?.code).toBe('payment_intent_payment_attempt_failed');

      await openCheckout(String(intent.client_secret), { redirect: 'if_required' });
      await fillCard(page, { number: '4242 4242 4242 4242' });
      await page.getByRole('button', { name: 'Pay' }).click();
      await expect(readMessage(page)).resolves.toBe('Payment succeeded');
    });
  });

  it('pays with the Card Element and confirmCardPayment', async () => {
    const intent = await createIntent();
    await openCheckout(String(intent.client_secret), { element: 'card' });
    await fillCard(page, { number: '5555 5555 5555 4444' });
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect(readMessage(page)).resolves.toBe('Payment succeeded');
    const changes = await readFromPage(page, 'elementChanges');
    expect(Array.isArray(changes) ? changes[changes.length - 1] : changes).toMatchObject({
      elementType: 'card',
      complete: true,
      brand: 'mastercard',
    });
  });

  it("pays on a connected account with the platform's publishable key and stripeAccount", async () => {
    const platform = await postJson<EmulatorAccount & { client_id: string }>(
      `${emulator.url}/_emulator/platforms`,
      {},
    );
    const { code } = await postJson<{ code: string }>(`${emulator.url}/_emulator/oauth/codes`, {
      client_id: platform.client_id,
      account: account.id,
    });
    const platformStripe = new Stripe(platform.keys.test.secret, {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
    });
    const grant = await platformStripe.oauth.token({ grant_type: 'authorization_code', code });
    expect(grant.stripe_user_id).toBe(account.id);

    const intent = await createIntent({
      secret: platform.keys.test.secret,
      stripeAccount: account.id,
    });
    await openCheckout(
      String(intent.client_secret),
      { redirect: 'if_required', account: account.id },
      platform.keys.test.publishable,
    );
    await fillCard(page, { number: '4242 4242 4242 4242' });
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect(readMessage(page)).resolves.toBe('Payment succeeded');
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
  });

  it('refuses a secret key, as Stripe.js does', async () => {
    await page.goto(`${site.url}/complete`);
    const thrown = await page.evaluate((secret) => {
      try {
        Reflect.apply(Reflect.get(window, 'Stripe'), window, [secret]);
        return 'accepted';
      } catch (error) {
        return String(error);
      }
    }, account.keys.test.secret);
    expect(thrown).toContain('You should not use your secret key with Stripe.js');
  });
});

describe('stripeJsSource', () => {
  it('is one plain script without syntax newer than ES2019, for older phones', () => {
    const source = stripeJsSource();
    expect(() => new Script(source)).not.toThrow();
    expect(source).not.toMatch(/\?\.[^\d]|\?\?|\bimport\b|\bexport\b/);
  });
});
