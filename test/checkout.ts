import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { expect, vi } from 'vitest';
import { funnelDocumentSchema, parseInput } from '../src/catalog/catalog.schema.js';
import type { Clock } from '../src/clock.js';
import type { Store } from '../src/db/database.js';
import { launchFunnel } from '../src/demo/launch-funnel.js';
import type { App } from '../src/http/app.js';
import type { StripeGateway } from '../src/stripe/gateway.js';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from './app.js';
import {
  control,
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  type RunningEmulator,
} from './emulator.js';

/**
 * A visitor walking a funnel in-process: keeps the visit's cookie between requests, like a
 * browser, and confirms card payments with the SDK the way Stripe.js would.
 */
export interface Visitor<R extends VisitorResponse = LightMyRequestResponse> {
  get(path: string): Promise<R>;
  post(path: string, form?: Record<string, string>): Promise<R>;
  postJson(path: string, body: unknown): Promise<R>;
}

/** What the walks below read of an answer, in-process (inject) or over HTTP (`httpVisitor`). */
export interface VisitorResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export function visitorOf(
  app: App,
  headers: Record<string, string> = {},
  /** Receives every response body (for the secret-leak checks). */
  seen?: string[],
): Visitor {
  const cookies = new Map<string, string>();
  function keep(response: LightMyRequestResponse) {
    for (const cookie of response.cookies) cookies.set(cookie.name, cookie.value);
    seen?.push(response.body);
    return response;
  }
  function cookieHeader() {
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  return {
    async get(path) {
      return keep(
        await app.inject({
          method: 'GET',
          url: path,
          headers: { ...headers, cookie: cookieHeader() },
        }),
      );
    },
    async post(path, form = {}) {
      return keep(
        await app.inject({
          method: 'POST',
          url: path,
          headers: {
            ...headers,
            cookie: cookieHeader(),
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: new URLSearchParams(form).toString(),
        }),
      );
    },
    async postJson(path, body) {
      return keep(
        await app.inject({
          method: 'POST',
          url: path,
          headers: { ...headers, cookie: cookieHeader(), 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        }),
      );
    },
  };
}

/** Imports the demo's `launch` funnel (course + bump, upsell, downsell, thank-you). */
export async function importLaunchFunnel(services: {
  catalog: {
    importFunnel(
      workspaceId: string,
      input: ReturnType<typeof parseDocument>,
      actor: string,
    ): Promise<unknown>;
  };
}) {
  await services.catalog.importFunnel('default', parseDocument(), 'test');
}

function parseDocument() {
  return parseInput(funnelDocumentSchema, launchFunnel);
}

/** The card-form settings a payment page embeds: key and client secret of the routed account. */
export function cardConfigOf(html: string): {
  publishableKey: string;
  clientSecret: string;
  returnUrl: string;
} {
  const match = /<script type="application\/json" id="card-config">([\s\S]*?)<\/script>/.exec(html);
  expect(match, 'the page has a card form').not.toBeNull();
  return JSON.parse(match?.[1] ?? '{}');
}

/** Confirms a PaymentIntent with a card, as Stripe.js does in the browser (publishable key only). */
export async function confirmAsBrowser(
  emulator: RunningEmulator,
  card: { publishableKey: string; clientSecret: string },
  paymentMethod = 'pm_card_visa',
): Promise<Stripe.PaymentIntent> {
  const stripe = new Stripe(card.publishableKey, {
    host: emulator.host,
    port: emulator.port,
    protocol: 'http',
  });
  const id = card.clientSecret.split('_secret_')[0] ?? '';
  try {
    return await stripe.paymentIntents.confirm(id, {
      payment_method: paymentMethod,
      client_secret: card.clientSecret,
    } as Stripe.PaymentIntentConfirmParams);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) {
      return stripe.paymentIntents.retrieve(id, {
        client_secret: card.clientSecret,
      } as Stripe.PaymentIntentRetrieveParams);
    }
    throw error;
  }
}

/** A clock the test moves by hand, so orders get the creation times it chooses. */
export function manualClock(start: string): Clock & { advance(seconds: number): void } {
  let now = Date.parse(start);
  return Object.assign(() => new Date(now), {
    advance(seconds: number) {
      now += seconds * 1000;
    },
  });
}

/** The real time moved ahead by the test: in step with the emulator's clock, which runs on. */
export function clockAhead(): Clock & { advance(seconds: number): void; reset(): void } {
  let offsetMs = 0;
  return Object.assign(() => new Date(Date.now() + offsetMs), {
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
    reset() {
      offsetMs = 0;
    },
  });
}

/** What Stripe.js would need to know about an account: its Stripe id and publishable key. */
export async function stripeSideOf(
  api: AdminCall,
  handle: string,
): Promise<{ stripeAccountId: string; publishableKey: string }> {
  const { body } = await api('GET', `/api/accounts/${handle}`);
  return {
    stripeAccountId: body.account.stripeAccountId,
    publishableKey: body.account.modes.test.publishableKey,
  };
}

/**
 * Pays a card form as the buyer would: confirms with the card, answers the 3-D Secure challenge
 * when the bank asks for one, and comes back to the return page.
 */
export async function payCardForm<R extends VisitorResponse>(
  emulator: RunningEmulator,
  visitor: Visitor<R>,
  returnPath: string,
  card: { publishableKey: string; clientSecret: string },
  paymentMethod = 'pm_card_visa',
): Promise<{ intent: Stripe.PaymentIntent; back: R }> {
  let intent = await confirmAsBrowser(emulator, card, paymentMethod);
  if (intent.status === 'requires_action') {
    intent = await control<Stripe.PaymentIntent>(
      emulator,
      'POST',
      `payment_intents/${intent.id}/authenticate`,
      { client_secret: card.clientSecret, outcome: 'complete' },
    );
  }
  const back = await visitor.get(`${returnPath}?payment_intent=${intent.id}`);
  return { intent, back };
}

/** A buyer's contact form, as posted; `consent` ticks the merchant's checkbox. */
export type ContactForm = Record<'email' | 'name' | 'country', string> & { consent?: 'yes' };

/**
 * Walks an order form to the end: contact, the card form (in `currency` when given), the card,
 * and back from Stripe. Answers the payment page, its card form and what the return page did.
 */
export async function buyOrder<R extends VisitorResponse = LightMyRequestResponse>(
  emulator: RunningEmulator,
  visitor: Visitor<R>,
  contact: ContactForm,
  options: { funnel?: string; currency?: string; paymentMethod?: string } = {},
): Promise<{
  pay: R;
  card: ReturnType<typeof cardConfigOf>;
  intent: Stripe.PaymentIntent;
  back: R;
}> {
  const order = `/f/${options.funnel ?? 'launch'}/order`;
  const contacted = await visitor.post(`${order}/contact`, { ...contact });
  expect(contacted.statusCode, contacted.body).toBe(303);
  const pay = await visitor.get(
    `${order}/pay${options.currency ? `?currency=${options.currency}` : ''}`,
  );
  expect(pay.statusCode, pay.body).toBe(200);
  const card = cardConfigOf(pay.body);
  const { intent, back } = await payCardForm(
    emulator,
    visitor,
    `${order}/return`,
    card,
    options.paymentMethod,
  );
  return { pay, card, intent, back };
}

/** A Stripe client on the account connected as `handle`: what Stripe itself holds, not our records. */
export async function stripeOfAccount(
  emulator: RunningEmulator,
  api: AdminCall,
  handle: string,
): Promise<Stripe> {
  const { stripeAccountId } = await stripeSideOf(api, handle);
  const { data } = await control<{ data: EmulatorAccount[] }>(emulator, 'GET', 'accounts');
  const account = data.find((candidate) => candidate.id === stripeAccountId);
  if (!account) throw new Error(`the emulator has no account ${stripeAccountId}`);
  return new Stripe(account.keys.test.secret, {
    host: emulator.host,
    port: emulator.port,
    protocol: 'http',
  });
}

/** One Switchyard process over a store that outlives it: after a restart, or beside another instance. */
export interface SwitchyardProcess extends TestApp {
  api: AdminCall;
  /** Its PUBLIC_URL, where the accounts' webhooks go; answered only while a process listens there. */
  url: string;
  close(): Promise<void>;
}

export function newMasterKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Starts a process with the master key and public URL of the ones before it, so stored keys and
 * signed visit cookies stay valid; it listens on the URL's port only when asked (then the
 * emulator's webhook deliveries reach it).
 */
export async function startProcess(
  store: Store,
  emulator: RunningEmulator,
  options: { masterKey: string; port: number; listen: boolean; gateway?: StripeGateway },
): Promise<SwitchyardProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const testApp = await buildTestApp(store, {
    env: { ...emulatorEnv(emulator), PUBLIC_URL: url, SWITCHYARD_MASTER_KEY: options.masterKey },
    gateway: options.gateway ?? emulatorGateway(emulator),
  });
  if (options.listen) await testApp.app.listen({ port: options.port, host: '127.0.0.1' });
  return {
    ...testApp,
    masterKey: options.masterKey,
    api: await adminClient(testApp),
    url,
    async close() {
      await testApp.app.close();
      await testApp.services.webhooks.stop();
    },
  };
}

/** Connects one new emulator account per handle through the admin API; the first is the primary. */
export async function connectAccounts(
  api: AdminCall,
  emulator: RunningEmulator,
  handles: readonly string[],
): Promise<void> {
  for (const handle of handles) {
    const created = await api('POST', '/api/accounts', {
      handle,
      credentials: keysOf(await createEmulatorAccount(emulator)),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
}

/** Disables the account's webhook endpoints at Stripe: the test hands events over itself, in its own order. */
export async function holdBackWebhooks(stripe: Stripe): Promise<void> {
  for (const endpoint of (await stripe.webhookEndpoints.list()).data) {
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
  }
}

/** The events of one type Stripe recorded about one object (`data.object[field] === id`), newest first. */
export async function eventsAbout(
  stripe: Stripe,
  type: string,
  id: string,
  field = 'id',
): Promise<Stripe.Event[]> {
  const { data } = await stripe.events.list({ type, limit: 100 });
  return data.filter(
    (event) => Object.fromEntries(Object.entries(event.data.object))[field] === id,
  );
}

/** Posts a Stripe event to our webhook route for `handle`'s account, signed as Stripe signs it. */
export async function deliverEvent(
  target: Pick<TestApp, 'app' | 'services'>,
  store: Store,
  handle: string,
  event: Stripe.Event,
): Promise<{ status: number; duplicate: boolean }> {
  const endpoint = await store.db
    .selectFrom('webhook_endpoints')
    .innerJoin('accounts', 'accounts.account_id', 'webhook_endpoints.account_id')
    .select(['webhook_endpoints.endpoint_id', 'webhook_endpoints.secret_encrypted'])
    .where('accounts.handle', '=', handle)
    .where('webhook_endpoints.mode', '=', 'test')
    .where('webhook_endpoints.removed_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (!endpoint.secret_encrypted) throw new Error(`the ${handle} webhook endpoint has no secret`);
  const payload = JSON.stringify(event);
  const response = await target.app.inject({
    method: 'POST',
    url: `/webhooks/stripe/${endpoint.endpoint_id}`,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: target.services.vault.open(endpoint.secret_encrypted),
      }),
    },
    payload,
  });
  return { status: response.statusCode, duplicate: response.json().duplicate };
}

/** Waits until every stored webhook event is handled (the route handles them after answering). */
export async function settleWebhooks(
  target: Pick<TestApp, 'services'>,
  store: Store,
): Promise<void> {
  await vi.waitFor(async () => {
    await target.services.webhooks.processPending();
    const left = await store.db
      .selectFrom('webhook_events')
      .select(['type', 'last_error'])
      .where('processed_at', 'is', null)
      .execute();
    expect(left).toEqual([]);
  });
}

/** No page or API answer may carry a secret the emulator handed out, or any key or signing secret. */
export async function expectNoSecrets(emulator: RunningEmulator, bodies: string[]): Promise<void> {
  const { data } = await control<{ data: Array<Pick<EmulatorAccount, 'keys'>> }>(
    emulator,
    'GET',
    'accounts',
  );
  const everything = bodies.join('\n');
  for (const account of data) {
    expect(everything).not.toContain(account.keys.test.secret);
    expect(everything).not.toContain(account.keys.live.secret);
  }
  expect(everything).not.toMatch(/\b(sk|rk)_(test|live)_[A-Za-z0-9]/);
  expect(everything).not.toContain('whsec_');
}
