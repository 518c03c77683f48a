import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthGrant } from './accounts.js';
import {
  type EmulatorAccount,
  startTestEmulator,
  type TestEmulator,
} from './emulator.test-helper.js';
import type {
  AccountObject,
  BalanceObject,
  ChargeObject,
  CustomerObject,
  InvoiceLineObject,
  InvoiceObject,
  InvoicePaymentObject,
  PaymentIntentObject,
  PaymentMethodObject,
  PlanObject,
  PriceObject,
  ProductObject,
  RefundObject,
  SubscriptionItemObject,
  SubscriptionObject,
  WebhookEndpointObject,
} from './objects.js';
import { readSdkTypes, type ShapeProblem } from './sdk-types.test-helper.js';

/*
 * Every object the emulator answers has every field the official SDK's types declare for it
 * (null where Stripe answers null), at every depth: the SDK's .d.ts files are read at test time
 * (sdk-types.test-helper.ts), so a field the SDK adds in a new version fails here first. The
 * objects come from one run through the whole surface, in every state it reaches, plus every
 * event that run published.
 */

/** The SDK's type for each kind of object, by its `object` field. */
const sdkTypeOfObject: Record<string, string> = {
  account: 'Account',
  application: 'Application',
  balance: 'Balance',
  charge: 'Charge',
  customer: 'Customer',
  event: 'EventBase',
  invoice: 'Invoice',
  invoice_payment: 'InvoicePayment',
  line_item: 'InvoiceLineItem',
  list: 'ApiList',
  payment_intent: 'PaymentIntent',
  payment_method: 'PaymentMethod',
  plan: 'Plan',
  price: 'Price',
  product: 'Product',
  refund: 'Refund',
  search_result: 'ApiSearchResult',
  subscription: 'Subscription',
  subscription_item: 'SubscriptionItem',
  webhook_endpoint: 'WebhookEndpoint',
};

const deletedKinds = ['customer', 'product', 'webhook_endpoint'];

/** The fields an SDK type declares without `?`. */
type DeclaredKeys<Type> = {
  [Key in keyof Type]-?: Record<never, never> extends Pick<Type, Key> ? never : Key;
}[keyof Type];

/** `true` when the emulator's type has every field the SDK's declares; else the ones it lacks. */
type HasEveryField<Ours, Theirs> = [Exclude<DeclaredKeys<Theirs>, keyof Ours>] extends [never]
  ? true
  : Exclude<DeclaredKeys<Theirs>, keyof Ours>;

/**
 * Checked by the compiler (`npm run typecheck`): an emulator type that lacks a field the SDK
 * declares turns its `true` into an error that names the field.
 */
const emulatorTypesHaveEveryField = {
  account: true satisfies HasEveryField<AccountObject, Stripe.Account>,
  balance: true satisfies HasEveryField<BalanceObject, Stripe.Balance>,
  charge: true satisfies HasEveryField<ChargeObject, Stripe.Charge>,
  customer: true satisfies HasEveryField<CustomerObject, Stripe.Customer>,
  invoice: true satisfies HasEveryField<InvoiceObject, Stripe.Invoice>,
  invoice_payment: true satisfies HasEveryField<InvoicePaymentObject, Stripe.InvoicePayment>,
  line_item: true satisfies HasEveryField<InvoiceLineObject, Stripe.InvoiceLineItem>,
  oauth_token: true satisfies HasEveryField<OAuthGrant, Stripe.OAuthToken>,
  payment_intent: true satisfies HasEveryField<PaymentIntentObject, Stripe.PaymentIntent>,
  payment_method: true satisfies HasEveryField<PaymentMethodObject, Stripe.PaymentMethod>,
  plan: true satisfies HasEveryField<PlanObject, Stripe.Plan>,
  price: true satisfies HasEveryField<PriceObject, Stripe.Price>,
  product: true satisfies HasEveryField<ProductObject, Stripe.Product>,
  refund: true satisfies HasEveryField<RefundObject, Stripe.Refund>,
  subscription: true satisfies HasEveryField<SubscriptionObject, Stripe.Subscription>,
  subscription_item: true satisfies HasEveryField<SubscriptionItemObject, Stripe.SubscriptionItem>,
  webhook_endpoint: true satisfies HasEveryField<WebhookEndpointObject, Stripe.WebhookEndpoint>,
};

const sdk = readSdkTypes();
let harness: TestEmulator;
let account: EmulatorAccount;
let stripe: Stripe;

/** One answer of the emulator as it was sent: every call of this run records one. */
interface Answer {
  label: string;
  path: string;
  status: number;
  body: Record<string, unknown>;
}

const answers: Answer[] = [];

function record(method: string, path: string, status: number, body: unknown): void {
  const withoutQuery = path.split('?')[0] ?? path;
  answers.push({
    label: `${method} ${withoutQuery} #${answers.length}`,
    path: withoutQuery,
    status,
    // A copy, as sent: the SDK turns some fields into its own objects (decimals) as it reads.
    body: JSON.parse(JSON.stringify(body)) as Record<string, unknown>,
  });
}

type HttpClient = NonNullable<Stripe.StripeConfig['httpClient']>;

/** The SDK's own HTTP client, keeping each answer's body before the SDK reads it. */
function recordingHttpClient(): HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => 'shapes-recorder',
    async makeRequest(host, port, path, method, headers, requestData, protocol, timeout) {
      const response = await inner.makeRequest(
        host,
        port,
        path,
        method,
        headers,
        requestData,
        protocol,
        timeout,
      );
      const body: unknown = await response.toJSON();
      record(method, path, response.getStatusCode(), body);
      return {
        getStatusCode: () => response.getStatusCode(),
        getHeaders: () => response.getHeaders(),
        getRawResponse: () => response.getRawResponse(),
        toStream: (done) => response.toStream(done),
        toJSON: () => Promise.resolve(body),
      };
    },
  };
}

function sdkFor(key: string): Stripe {
  return harness.stripe(key, { httpClient: recordingHttpClient() });
}

function kindOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || !('object' in value)) return '(none)';
  return String(value.object);
}

function sdkTypeOf(value: unknown): string {
  const kind = kindOf(value);
  const type = sdkTypeOfObject[kind];
  if (type === undefined) throw new Error(`No SDK type listed for objects of kind ${kind}`);
  const deleted = typeof value === 'object' && value !== null && 'deleted' in value;
  return deleted ? `Deleted${type}` : type;
}

/**
 * An object's problems. A list is read with its items' type; an event's object is checked by
 * its own kind, as the SDK types it per event type and this reader sees only the base.
 */
function problemsOf(value: unknown, path: string): ShapeProblem[] {
  const kind = kindOf(value);
  if (kind !== 'list' && kind !== 'search_result') {
    return [...sdk.check(value, sdkTypeOf(value), path), ...eventObjectProblems(value, path)];
  }
  const items = (value as { data: unknown[] }).data;
  const list = sdkTypeOf(value);
  const [first] = items;
  const type = first === undefined ? list : `${list}<${sdkTypeOf(first)}>`;
  return [
    ...sdk.check(value, type, path),
    ...items.flatMap((item, index) => eventObjectProblems(item, `${path}.data[${index}]`)),
  ];
}

function eventObjectProblems(value: unknown, path: string): ShapeProblem[] {
  if (kindOf(value) !== 'event') return [];
  const data = (value as { data: { object: unknown } }).data;
  return problemsOf(data.object, `${path}.data.object`);
}

/** Stripe sends `total_count` on the lists inside an object, which the SDK's ApiList omits. */
function isKnownExtra(problem: ShapeProblem): boolean {
  return (
    problem.problem === 'undeclared' &&
    problem.type === 'ApiList' &&
    problem.path.endsWith('.total_count')
  );
}

/** A call the SDK would not make (a bad parameter, a missing key), recorded the same way. */
async function rawCall(
  method: string,
  path: string,
  key: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const response = await fetch(`${harness.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body,
  });
  record(method, path, response.status, await response.json());
}

const futureYear = new Date().getFullYear() + 3;

/** One run through everything the emulator answers, keeping each answer. */
async function exerciseTheSurface(): Promise<void> {
  const platform = await harness.control<EmulatorAccount & { client_id: string }>(
    'POST',
    '/_emulator/platforms',
    { name: 'Shapes Platform' },
  );
  const platformStripe = sdkFor(platform.keys.test.secret);
  const secret = account.keys.test.secret;

  // Accounts and balance.
  await stripe.accounts.retrieveCurrent();
  await stripe.accounts.retrieve(account.id);
  await stripe.balance.retrieve();

  // Customers.
  const customer = await stripe.customers.create({
    email: 'grace@example.com',
    name: 'Grace Hopper',
    phone: '+15555550100',
    description: 'Shapes',
    address: { line1: '1 Main St', city: 'Arlington', country: 'US', postal_code: '22201' },
    metadata: { workspace: 'w1' },
  });
  await stripe.customers.update(customer.id, { name: 'Grace B. Hopper' });
  await stripe.customers.retrieve(customer.id);
  await stripe.customers.list({ limit: 3 });
  await stripe.customers.search({ query: "email:'grace@example.com'" });
  const leaving = await stripe.customers.create({ email: 'leaving@example.com' });
  await stripe.customers.del(leaving.id);
  await stripe.customers.retrieve(leaving.id);

  // Catalog.
  const product = await stripe.products.create({
    name: 'Course',
    default_price_data: { currency: 'usd', unit_amount: 4900 },
  });
  await stripe.products.update(product.id, { description: 'A course' });
  await stripe.products.retrieve(product.id);
  await stripe.products.list({ limit: 3 });
  const lonely = await stripe.products.create({ name: 'Unused' });
  await stripe.products.del(lonely.id);
  await stripe.products.retrieve(lonely.id);
  const monthly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1500,
    nickname: 'Monthly',
    lookup_key: 'monthly',
    recurring: { interval: 'month' },
  });
  await stripe.prices.update(monthly.id, { metadata: { tier: 'a' } });
  await stripe.prices.retrieve(monthly.id);
  await stripe.prices.list({ limit: 3 });

  // Payment methods.
  const card = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4242424242424242', exp_month: 8, exp_year: futureYear, cvc: '314' },
    billing_details: {
      name: 'Grace',
      email: 'grace@example.com',
      address: { postal_code: '22201' },
    },
  });
  await stripe.paymentMethods.attach(card.id, { customer: customer.id });
  await stripe.paymentMethods.update(card.id, { metadata: { a: 'b' } });
  await stripe.paymentMethods.retrieve(card.id);
  await stripe.paymentMethods.list({ customer: customer.id });
  await stripe.customers.listPaymentMethods(customer.id);
  const spare = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '5555555555554444', exp_month: 1, exp_year: futureYear },
  });
  await stripe.paymentMethods.attach(spare.id, { customer: customer.id });
  await stripe.paymentMethods.detach(spare.id);
  await stripe.customers.update(customer.id, {
    invoice_settings: { default_payment_method: card.id },
  });

  // PaymentIntents in each state.
  const empty = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    metadata: { order: '1' },
  });
  await stripe.paymentIntents.update(empty.id, { description: 'Order 1' });
  const ready = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    customer: customer.id,
    payment_method: card.id,
  });
  const paid = await stripe.paymentIntents.confirm(ready.id);
  const held = await stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
  });
  await stripe.paymentIntents.capture(held.id, { amount_to_capture: 2500 });
  const released = await stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
  });
  await stripe.paymentIntents.cancel(released.id);
  const declined = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: 'pm_card_chargeDeclined',
  });
  await stripe.paymentIntents.confirm(declined.id).catch(() => 'declined, as it should');
  await stripe.paymentIntents.retrieve(declined.id);
  const challenged = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: (
      await stripe.paymentMethods.create({
        type: 'card',
        card: { number: '4000002760003184', exp_month: 8, exp_year: futureYear },
      })
    ).id,
    confirm: true,
  });
  const authenticate = `/_emulator/payment_intents/${challenged.id}/authenticate`;
  record(
    'POST',
    authenticate,
    200,
    await harness.control('POST', authenticate, {
      client_secret: challenged.client_secret,
      outcome: 'fail',
    }),
  );
  await stripe.paymentIntents.list({ limit: 3 });
  await stripe.paymentIntents.search({ query: "status:'succeeded'" });

  // Charges and refunds.
  const chargeId = String(paid.latest_charge);
  await stripe.charges.retrieve(chargeId);
  await stripe.charges.update(chargeId, { metadata: { a: 'b' } });
  await stripe.charges.list({ limit: 3 });
  await stripe.charges.retrieve(
    String((await stripe.paymentIntents.retrieve(declined.id)).latest_charge),
  );
  const refund = await stripe.refunds.create({
    payment_intent: paid.id,
    amount: 500,
    reason: 'requested_by_customer',
  });
  await stripe.refunds.retrieve(refund.id);
  await stripe.refunds.update(refund.id, { metadata: { a: 'b' } });
  await stripe.refunds.list({ limit: 3 });
  await stripe.balance.retrieve();

  // Subscriptions and invoices.
  const active = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id, quantity: 2 }],
    metadata: { plan: 'monthly' },
  });
  await stripe.invoices.retrieve(String(active.latest_invoice));
  const trialing = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
    trial_period_days: 7,
  });
  await stripe.invoices.retrieve(String(trialing.latest_invoice));
  const incomplete = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
    payment_behavior: 'default_incomplete',
    expand: ['latest_invoice.confirmation_secret'],
  });
  const openInvoice = (incomplete.latest_invoice as Stripe.Invoice).id;
  await stripe.invoices.retrieve(String(openInvoice));
  await stripe.invoices.pay(String(openInvoice), { payment_method: card.id });
  await stripe.subscriptions.update(active.id, {
    items: [{ price: monthly.id, quantity: 1 }],
    cancel_at_period_end: true,
  });
  await stripe.subscriptions.retrieve(active.id, {
    expand: ['customer', 'default_payment_method', 'latest_invoice.payments.data.payment'],
  });
  await stripe.subscriptions.cancel(trialing.id);
  await stripe.subscriptions.list({ status: 'all', limit: 3 });
  await stripe.invoices.list({ limit: 3 });
  // A renewal: the clock passes the period end and the card is charged off session.
  await harness.control('POST', '/_emulator/clock/advance', { seconds: 32 * 24 * 60 * 60 });
  await stripe.subscriptions.retrieve(incomplete.id);

  // Webhook endpoints and events.
  const endpoint = await stripe.webhookEndpoints.create({
    url: 'http://127.0.0.1:9/webhooks',
    enabled_events: ['charge.succeeded'],
    description: 'Shapes',
  });
  await stripe.webhookEndpoints.retrieve(endpoint.id);
  await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
  await stripe.webhookEndpoints.list();
  await stripe.webhookEndpoints.del(endpoint.id);
  const events = await stripe.events.list({ limit: 100 });
  await stripe.events.retrieve(String(events.data[0]?.id));

  // Connect: OAuth, the connected account seen by its platform, and the platform's events.
  const { code } = await harness.control<{ code: string }>('POST', '/_emulator/oauth/codes', {
    client_id: platform.client_id,
    account: account.id,
  });
  const token = await platformStripe.oauth.token({ grant_type: 'authorization_code', code });
  await platformStripe.oauth.token({
    grant_type: 'refresh_token',
    refresh_token: String(token.refresh_token),
  });
  await platformStripe.accounts.retrieve(account.id);
  await platformStripe.oauth.deauthorize({
    client_id: platform.client_id,
    stripe_user_id: account.id,
  });
  // Every event of the run, the platform's too: each object in each state it passed through.
  await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  await platformStripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });

  // Errors.
  await rawCall('GET', '/v1/customers/cus_missing', secret);
  await rawCall('POST', '/v1/customers', secret, 'colour=red');
  await rawCall('GET', '/v1/customers', '');
  await rawCall('GET', `/v1/customers/search?query=${encodeURIComponent("colour:'red'")}`, secret);
  await rawCall('POST', '/v1/customers', secret, 'name=A', { 'Idempotency-Key': 'shapes-1' });
  await rawCall('POST', '/v1/customers', secret, 'name=B', { 'Idempotency-Key': 'shapes-1' });
  await rawCall(
    'POST',
    '/oauth/token',
    platform.keys.test.secret,
    'grant_type=authorization_code&code=ac_nope',
  );
}

beforeAll(async () => {
  harness = await startTestEmulator();
  account = await harness.createAccount({ name: 'Shapes Ltd', email: 'owner@example.com' });
  stripe = sdkFor(account.keys.test.secret);
  await exerciseTheSurface();
}, 60_000);

afterAll(() => harness.close());

describe("the SDK's types, as this test reads them", () => {
  it('are read in full, so that a field left out cannot pass unnoticed', () => {
    const invoice = sdk.fieldsOf('Invoice').map((field) => field.name);
    expect(invoice.length).toBeGreaterThan(70);
    expect(invoice).toEqual(
      expect.arrayContaining(['automatic_tax', 'default_tax_rates', 'lines']),
    );
    expect(sdk.fieldsOf('Invoice.AutomaticTax').map((field) => field.name)).toEqual(
      expect.arrayContaining(['enabled', 'liability', 'status']),
    );
    const optional = sdk.fieldsOf('Invoice').filter((field) => field.optional);
    expect(optional.map((field) => field.name)).toContain('amount_paid_off_stripe');
  });

  it('find a field missing at any depth', () => {
    const bare = sdk.check({ id: 'in_1', object: 'invoice' }, 'Invoice');
    expect(bare.map((problem) => problem.path)).toContain('Invoice.automatic_tax');
    const nested = sdk.check({ object: 'invoice', automatic_tax: { enabled: false } }, 'Invoice');
    expect(nested.map((problem) => problem.path)).toContain('Invoice.automatic_tax.liability');
    const inList = sdk.check(
      { object: 'list', data: [{ object: 'customer' }], has_more: false, url: '/v1/customers' },
      'ApiList<Customer>',
    );
    expect(inList.map((problem) => problem.path)).toContain('ApiList<Customer>.data[0].email');
  });
});

describe("the emulator's object types", () => {
  it("declare every field of the SDK's types (checked when compiling this file)", () => {
    expect(Object.values(emulatorTypesHaveEveryField).every((held) => held)).toBe(true);
  });
});

describe('every answer of the emulator has every field the SDK declares', () => {
  const isOAuth = (answer: Answer) => answer.path.startsWith('/oauth/');
  const objects = () => answers.filter((answer) => answer.status < 400 && !isOAuth(answer));
  const errors = () => answers.filter((answer) => answer.status >= 400);
  let problems: ShapeProblem[];
  beforeAll(() => {
    problems = objects().flatMap(({ label, body }) =>
      problemsOf(body, label).filter((problem) => !isKnownExtra(problem)),
    );
  });

  it.each(Object.keys(sdkTypeOfObject))('%s', (kind) => {
    const type = sdkTypeOfObject[kind] ?? '';
    const ofKind = problems
      .filter((problem) => problem.type.split('.')[0] === type)
      .map((problem) => `${problem.path}: ${problem.problem}`);
    expect(ofKind).toEqual([]);
    // Answered at least once, on its own or inside another object.
    expect(sdk.visited.has(type), `no ${kind} was answered`).toBe(true);
  });

  it.each(deletedKinds)('a deleted %s', (kind) => {
    const deleted = objects().filter(({ body }) => kindOf(body) === kind && body.deleted === true);
    expect(deleted.length).toBeGreaterThan(0);
    for (const { label, body } of deleted) expect(problemsOf(body, label)).toEqual([]);
  });

  it('OAuth tokens and deauthorizations', () => {
    const granted = answers.filter((answer) => isOAuth(answer) && answer.status < 400);
    expect(granted.map((answer) => answer.path)).toEqual([
      '/oauth/token',
      '/oauth/token',
      '/oauth/deauthorize',
    ]);
    for (const { label, path, body } of granted) {
      const type = path === '/oauth/token' ? 'OAuthToken' : 'OAuthDeauthorization';
      expect(sdk.check(body, type, label)).toEqual([]);
    }
  });

  it("errors, in Stripe's error shape", () => {
    const failed = errors();
    expect(failed.map((answer) => answer.status).sort()).toEqual([
      400, 400, 400, 400, 401, 402, 404,
    ]);
    for (const { label, body } of failed) {
      if (label.includes('/oauth/')) {
        expect(Object.keys(body).sort(), label).toEqual(['error', 'error_description']);
        continue;
      }
      expect(Object.keys(body), label).toEqual(['error']);
      const error = body.error as Record<string, unknown>;
      expect(error, label).toMatchObject({ type: expect.any(String), message: expect.any(String) });
      expect(sdk.check(error, 'StripeRawError', label), label).toEqual([]);
    }
  });

  // Last: the checks above are what fills this in.
  it('leaves no object unchecked for want of a type', () => {
    expect([...sdk.unchecked]).toEqual([]);
  });
});
