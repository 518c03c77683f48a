import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmulatorAccount,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';

let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Payments Co' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

function createAndConfirm(
  paymentMethod: string,
  extra: Partial<Stripe.PaymentIntentCreateParams> = {},
) {
  return stripe.paymentIntents.create({
    amount: 4900,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
    ...extra,
  });
}

describe('creating and confirming PaymentIntents', () => {
  it('waits for a payment method, then for confirmation, then succeeds with a charge', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 4900,
      currency: 'USD',
      description: 'Webinar seat',
      receipt_email: 'buyer@example.com',
      automatic_payment_methods: { enabled: true },
      metadata: { order_id: 'ord_1' },
    });
    expect(created).toMatchObject({
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 4900,
      currency: 'usd',
      livemode: false,
      metadata: { order_id: 'ord_1' },
      automatic_payment_methods: { enabled: true },
    });
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    const withCard = await stripe.paymentIntents.update(created.id, {
      payment_method: 'pm_card_mastercard',
    });
    expect(withCard.status).toBe('requires_confirmation');
    const confirmed = await stripe.paymentIntents.confirm(created.id, {
      expand: ['latest_charge', 'payment_method'],
    });
    expect(confirmed.status).toBe('succeeded');
    expect(confirmed.amount_received).toBe(4900);
    const charge = confirmed.latest_charge;
    if (charge === null || typeof charge === 'string') throw new Error('charge not expanded');
    expect(charge).toMatchObject({
      object: 'charge',
      status: 'succeeded',
      paid: true,
      captured: true,
      amount: 4900,
      payment_intent: created.id,
      receipt_email: 'buyer@example.com',
      payment_method_details: { card: { brand: 'mastercard', last4: '4444' } },
    });
    const retrievedCharge = await stripe.charges.retrieve(charge.id);
    expect(retrievedCharge.metadata).toEqual({ order_id: 'ord_1' });
  });

  it('makes a new pm_ on the account each time a test payment method is used', async () => {
    const first = await createAndConfirm('pm_card_visa');
    const second = await createAndConfirm('pm_card_visa');
    expect(first.payment_method).toMatch(/^pm_(?!card_)/);
    expect(first.payment_method).not.toBe(second.payment_method);
    const method = await stripe.paymentMethods.retrieve(String(first.payment_method));
    expect(method.card).toMatchObject({ brand: 'visa', last4: '4242' });
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    [
      'pm_card_chargeDeclinedInsufficientFunds',
      'card_declined',
      'insufficient_funds',
      'Your card has insufficient funds.',
    ],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.'],
  ])(
    'declines %s with a 402 card error carrying the PaymentIntent',
    async (method, code, declineCode, message) => {
      const failure = await createAndConfirm(method).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Stripe.errors.StripeCardError);
      if (!(failure instanceof Stripe.errors.StripeCardError)) return;
      expect(failure).toMatchObject({ statusCode: 402, code, decline_code: declineCode, message });
      expect(failure.charge).toMatch(/^ch_/);
      const paymentIntent = failure.payment_intent;
      expect(paymentIntent?.status).toBe('requires_payment_method');
      expect(paymentIntent?.last_payment_error).toMatchObject({ code, decline_code: declineCode });
      const stored = await stripe.paymentIntents.retrieve(String(paymentIntent?.id));
      expect(stored.status).toBe('requires_payment_method');
      const charge = await stripe.charges.retrieve(String(failure.charge));
      expect(charge).toMatchObject({ status: 'failed', paid: false, failure_code: code });
    },
  );

  it('lets the customer retry a declined PaymentIntent with another card', async () => {
    const failure = await createAndConfirm('pm_card_chargeDeclined').catch(
      (error: unknown) => error,
    );
    if (!(failure instanceof Stripe.errors.StripeCardError)) throw new Error('decline expected');
    const id = String(failure.payment_intent?.id);
    const retried = await stripe.paymentIntents.confirm(id, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
    expect(retried.last_payment_error).toBeNull();
  });

  it('asks for 3-D Secure on session and refuses off session with authentication_required', async () => {
    const onSession = await createAndConfirm('pm_card_authenticationRequired');
    expect(onSession.status).toBe('requires_action');
    expect(onSession.next_action).toMatchObject({
      type: 'use_stripe_sdk',
      use_stripe_sdk: { type: 'three_d_secure_redirect' },
    });
    const failure = await createAndConfirm('pm_card_authenticationRequired', {
      off_session: true,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(failure).toMatchObject({
      code: 'authentication_required',
      decline_code: 'authentication_required',
    });
  });

  describe('a bank payment (iDEAL) that redirects to the bank and back', () => {
    const returnUrl = 'https://shop.example/return?step=pay';

    async function confirmWithBank() {
      const created = await stripe.paymentIntents.create({
        amount: 4500,
        currency: 'eur',
        automatic_payment_methods: { enabled: true },
      });
      expect(created.payment_method_types).toEqual(['card', 'ideal']);
      return stripe.paymentIntents.confirm(created.id, {
        payment_method_data: { type: 'ideal' },
        return_url: returnUrl,
      });
    }

    /** The buyer presses a button on the bank's page; the page answers with where it sends them. */
    async function answerBank(confirmed: Stripe.PaymentIntent, outcome: 'complete' | 'fail') {
      const bankUrl = String(confirmed.next_action?.redirect_to_url?.url);
      const page = await fetch(bankUrl);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Approve payment');
      expect(html).toContain('Fail payment');
      const answer = await fetch(new URL(bankUrl).origin + new URL(bankUrl).pathname, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_secret: String(confirmed.client_secret),
          outcome,
        }).toString(),
        redirect: 'manual',
      });
      expect(answer.status).toBe(303);
      return new URL(String(answer.headers.get('location')));
    }

    it('asks for the redirect to the bank page, with the return_url', async () => {
      const confirmed = await confirmWithBank();
      expect(confirmed.status).toBe('requires_action');
      expect(confirmed.next_action).toEqual({
        type: 'redirect_to_url',
        redirect_to_url: {
          url: `${harness.url}/_emulator/redirect/${confirmed.id}?client_secret=${encodeURIComponent(String(confirmed.client_secret))}`,
          return_url: returnUrl,
        },
      });
    });

    it('succeeds when the bank approves, and returns with redirect_status=succeeded', async () => {
      const confirmed = await confirmWithBank();
      const back = await answerBank(confirmed, 'complete');
      expect(back.origin + back.pathname).toBe('https://shop.example/return');
      expect(Object.fromEntries(back.searchParams)).toEqual({
        step: 'pay',
        payment_intent: confirmed.id,
        payment_intent_client_secret: confirmed.client_secret,
        redirect_status: 'succeeded',
      });
      const paid = await stripe.paymentIntents.retrieve(confirmed.id, {
        expand: ['latest_charge'],
      });
      expect(paid).toMatchObject({ status: 'succeeded', amount_received: 4500, next_action: null });
      expect(paid.latest_charge).toMatchObject({
        paid: true,
        payment_method_details: { type: 'ideal' },
      });
    });

    it('goes back to requires_payment_method with the error when the bank fails it', async () => {
      const confirmed = await confirmWithBank();
      const back = await answerBank(confirmed, 'fail');
      expect(back.searchParams.get('redirect_status')).toBe('failed');
      const failed = await stripe.paymentIntents.retrieve(confirmed.id);
      expect(failed).toMatchObject({
        status: 'requires_payment_method',
        payment_method: null,
        next_action: null,
        last_payment_error: {
          type: 'invalid_request_error',
          code: 'payment_intent_payment_attempt_failed',
          payment_method: { type: 'ideal' },
        },
      });
      // The bank answers once; the buyer pays again by card.
      const answered = await fetch(String(confirmed.next_action?.redirect_to_url?.url));
      expect(answered.status).toBe(404);
      const byCard = await stripe.paymentIntents.confirm(confirmed.id, {
        payment_method: 'pm_card_visa',
      });
      expect(byCard.status).toBe('succeeded');
    });

    it('refuses iDEAL where the PaymentIntent does not allow it, and without a return_url', async () => {
      const dollars = await stripe.paymentIntents.create({
        amount: 4500,
        currency: 'usd',
        automatic_payment_methods: { enabled: true },
      });
      await expect(
        stripe.paymentIntents.confirm(dollars.id, {
          payment_method_data: { type: 'ideal' },
          return_url: returnUrl,
        }),
      ).rejects.toMatchObject({ code: 'payment_intent_incompatible_payment_method' });
      const euros = await stripe.paymentIntents.create({
        amount: 4500,
        currency: 'eur',
        automatic_payment_methods: { enabled: true },
      });
      await expect(
        stripe.paymentIntents.confirm(euros.id, { payment_method_data: { type: 'ideal' } }),
      ).rejects.toMatchObject({ param: 'return_url' });
    });
  });

  it('charges a saved card off session later (one-click upsell)', async () => {
    const customer = await stripe.customers.create({ email: 'upsell@example.com' });
    const first = await createAndConfirm('pm_card_visa', {
      customer: customer.id,
      setup_future_usage: 'off_session',
    });
    const saved = String(first.payment_method);
    expect((await stripe.paymentMethods.retrieve(saved)).customer).toBe(customer.id);
    const upsell = await createAndConfirm(saved, { customer: customer.id, off_session: true });
    expect(upsell.status).toBe('succeeded');
    await expect(createAndConfirm(saved, { off_session: true })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'payment_method',
    });
  });

  it('holds funds with capture_method=manual, then captures part of them', async () => {
    const held = await createAndConfirm('pm_card_visa', { capture_method: 'manual' });
    expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 4900 });
    const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 3000 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 3000 });
    const charge = await stripe.charges.retrieve(String(captured.latest_charge));
    expect(charge).toMatchObject({ captured: true, amount_captured: 3000 });
  });

  it('cancels an open PaymentIntent and refuses to cancel a succeeded one', async () => {
    const open = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(open.id, {
      cancellation_reason: 'abandoned',
    });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    const succeeded = await createAndConfirm('pm_card_visa');
    await expect(stripe.paymentIntents.cancel(succeeded.id)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'payment_intent_unexpected_state',
    });
  });

  it('refuses amounts below the minimum', async () => {
    await expect(
      stripe.paymentIntents.create({ amount: 10, currency: 'usd' }),
    ).rejects.toMatchObject({ code: 'amount_too_small', param: 'amount' });
  });
});

describe('listing and searching PaymentIntents', () => {
  it('lists by customer', async () => {
    const customer = await stripe.customers.create({});
    const mine = await createAndConfirm('pm_card_visa', { customer: customer.id });
    await createAndConfirm('pm_card_visa');
    const list = await stripe.paymentIntents.list({ customer: customer.id });
    expect(list.data.map((paymentIntent) => paymentIntent.id)).toEqual([mine.id]);
  });

  it("finds PaymentIntents by metadata['order_id'] as reconciliation does", async () => {
    const wanted = await createAndConfirm('pm_card_visa', { metadata: { order_id: 'ord_777' } });
    await createAndConfirm('pm_card_visa', { metadata: { order_id: 'ord_778' } });
    const found = await stripe.paymentIntents.search({ query: "metadata['order_id']:'ord_777'" });
    expect(found.object).toBe('search_result');
    expect(found.data.map((paymentIntent) => paymentIntent.id)).toEqual([wanted.id]);
    const combined = await stripe.paymentIntents.search({
      query: "metadata['order_id']:'ord_777' AND status:'succeeded' AND amount>=4900",
    });
    expect(combined.data).toHaveLength(1);
    const none = await stripe.paymentIntents.search({ query: 'metadata["order_id"]:"nope"' });
    expect(none.data).toEqual([]);
    await expect(
      stripe.paymentIntents.search({ query: "metadata['order_id'] = 'x'" }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'query' });
  });

  it("finds PaymentIntents that have a metadata key at all, made since a time, as Switchyard's unrecorded-payments search does", async () => {
    const since = (await stripe.paymentIntents.create({ amount: 100, currency: 'usd' })).created;
    const keyed = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      metadata: { marked_payment: 'pay_1' },
    });
    await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      metadata: { other_key: 'pay_2' },
    });
    const found = await stripe.paymentIntents.search({
      query: `-metadata['marked_payment']:null AND created>=${since}`,
    });
    expect(found.data.map((paymentIntent) => paymentIntent.id)).toEqual([keyed.id]);
    const later = await stripe.paymentIntents.search({
      query: `-metadata['marked_payment']:null AND created>=${keyed.created + 1}`,
    });
    expect(later.data).toEqual([]);
    const without = await stripe.paymentIntents.search({
      query: `metadata['marked_payment']:null AND created>=${since}`,
    });
    expect(without.data.map((paymentIntent) => paymentIntent.id)).not.toContain(keyed.id);
  });

  it('pages search results with next_page', async () => {
    for (let index = 0; index < 3; index++) {
      await stripe.paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        metadata: { batch: 'paged' },
      });
    }
    const first = await stripe.paymentIntents.search({
      query: "metadata['batch']:'paged'",
      limit: 2,
    });
    expect(first.has_more).toBe(true);
    const next = await stripe.paymentIntents.search({
      query: "metadata['batch']:'paged'",
      limit: 2,
      page: String(first.next_page),
    });
    expect(next.data).toHaveLength(1);
    expect(next.has_more).toBe(false);
  });
});

describe('accounts that cannot take charges', () => {
  it('shows the restriction on the account and refuses new charges', async () => {
    const restricted = await harness.createAccount({ name: 'Restricted' });
    const client = harness.stripe(restricted.keys.test.secret);
    await harness.control('POST', `/_emulator/accounts/${restricted.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'requirements.past_due',
    });
    const shown = await client.accounts.retrieveCurrent();
    expect(shown.charges_enabled).toBe(false);
    expect(shown.requirements?.disabled_reason).toBe('requirements.past_due');
    const failure = await client.paymentIntents
      .create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(failure).toMatchObject({
      message: expect.stringContaining('cannot currently make test charges'),
    });
    const updated = await client.events.list({ type: 'account.updated' });
    expect(updated.data[0]?.data.previous_attributes).toMatchObject({ charges_enabled: true });
    await harness.control('POST', `/_emulator/accounts/${restricted.id}/status`, {
      charges_enabled: true,
    });
    const paid = await client.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(paid.status).toBe('succeeded');
  });

  it('shows what Stripe asks for, its deadline, and payouts disabled', async () => {
    const asked = await harness.createAccount({ name: 'Asked' });
    const client = harness.stripe(asked.keys.test.secret);
    await harness.control('POST', `/_emulator/accounts/${asked.id}/status`, {
      payouts_enabled: false,
      disabled_reason: 'requirements.past_due',
      requirements: {
        currently_due: ['individual.verification.document'],
        past_due: ['external_account'],
        current_deadline: 1_900_000_000,
      },
    });
    const shown = await client.accounts.retrieveCurrent();
    expect(shown).toMatchObject({
      charges_enabled: true,
      payouts_enabled: false,
      requirements: {
        currently_due: ['individual.verification.document'],
        past_due: ['external_account'],
        eventually_due: ['individual.verification.document', 'external_account'],
        current_deadline: 1_900_000_000,
        disabled_reason: 'requirements.past_due',
      },
    });
    await harness.control('POST', `/_emulator/accounts/${asked.id}/status`, {
      payouts_enabled: true,
      requirements: null,
    });
    expect((await client.accounts.retrieveCurrent()).requirements).toMatchObject({
      currently_due: [],
      past_due: [],
      current_deadline: null,
      disabled_reason: null,
    });
  });
});

describe('events of a payment', () => {
  it('records created, charge and succeeded events in order', async () => {
    const eventsAccount = await harness.createAccount();
    const client = harness.stripe(eventsAccount.keys.test.secret);
    const paid = await client.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const events = await client.events.list();
    expect(events.data.map((event) => event.type).reverse()).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const succeeded = await client.events.list({ type: 'payment_intent.succeeded' });
    const event = succeeded.data[0];
    expect(event?.data.object).toMatchObject({ id: paid.id, status: 'succeeded' });
    expect(event?.request).toEqual({
      id: paid.lastResponse.requestId,
      idempotency_key: paid.lastResponse.idempotencyKey,
    });
  });
});
