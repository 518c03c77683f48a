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
  account = await harness.createAccount({ name: 'Refunds' });
  stripe = harness.stripe(account.keys.test.secret);
});

afterAll(() => harness.close());

function pay(amount = 5000) {
  return stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
  });
}

describe('refunds', () => {
  it('refunds a whole payment by PaymentIntent', async () => {
    const paid = await pay();
    const refund = await stripe.refunds.create({
      payment_intent: paid.id,
      reason: 'requested_by_customer',
      metadata: { ticket: 'T-1' },
    });
    expect(refund).toMatchObject({
      object: 'refund',
      amount: 5000,
      status: 'succeeded',
      payment_intent: paid.id,
      charge: paid.latest_charge,
      reason: 'requested_by_customer',
      metadata: { ticket: 'T-1' },
    });
    const charge = await stripe.charges.retrieve(String(paid.latest_charge));
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 5000 });
    expect((await stripe.refunds.retrieve(refund.id)).id).toBe(refund.id);
  });

  it('refunds in parts by charge, then refuses more than is left', async () => {
    const paid = await pay();
    const charge = String(paid.latest_charge);
    await stripe.refunds.create({ charge, amount: 1500 });
    await stripe.refunds.create({ charge, amount: 2000 });
    const partly = await stripe.charges.retrieve(charge);
    expect(partly).toMatchObject({ refunded: false, amount_refunded: 3500 });
    const tooMuch = await stripe.refunds
      .create({ charge, amount: 2000 })
      .catch((error: unknown) => error);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ param: 'amount', code: 'amount_too_large' });
    await stripe.refunds.create({ charge });
    expect(await stripe.charges.retrieve(charge)).toMatchObject({
      refunded: true,
      amount_refunded: 5000,
    });
    await expect(stripe.refunds.create({ charge })).rejects.toMatchObject({
      code: 'charge_already_refunded',
    });
    const listed = await stripe.refunds.list({ charge });
    expect(listed.data.map((refund) => refund.amount)).toEqual([1500, 2000, 1500]);
  });

  it('refuses to refund a PaymentIntent that was never paid', async () => {
    const open = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await expect(stripe.refunds.create({ payment_intent: open.id })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'payment_intent',
    });
  });

  it('announces refund.created and charge.refunded', async () => {
    const paid = await pay(2000);
    const refund = await stripe.refunds.create({ payment_intent: paid.id, amount: 500 });
    const created = await stripe.events.list({ type: 'refund.created', limit: 1 });
    expect(created.data[0]?.data.object).toMatchObject({ id: refund.id, amount: 500 });
    const refunded = await stripe.events.list({ type: 'charge.refunded', limit: 1 });
    expect(refunded.data[0]?.data).toMatchObject({
      object: { id: paid.latest_charge, amount_refunded: 500 },
      previous_attributes: { amount_refunded: 0 },
    });
  });

  it('shows captured money less refunds in the balance', async () => {
    const balanceAccount = await harness.createAccount();
    const client = harness.stripe(balanceAccount.keys.test.secret);
    const paid = await client.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await client.refunds.create({ payment_intent: paid.id, amount: 1000 });
    const balance = await client.balance.retrieve();
    expect(balance.object).toBe('balance');
    expect(balance.available).toEqual([expect.objectContaining({ currency: 'usd', amount: 2000 })]);
  });
});
