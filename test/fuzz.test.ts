import fc from 'fast-check';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { subscribedEvents } from '../src/webhooks/webhooks.service.js';
import { importLaunchFunnel } from './checkout.js';
import { consoleUser, testPassword } from './console.js';
import { describeEachDatabase, type TestStore } from './databases.js';
import {
  control,
  createEmulatorAccount,
  createEmulatorPlatform,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from './emulator.js';
import {
  type Answer,
  bodyOf,
  encoded,
  fieldNameOf,
  fuzzSettings,
  type JsonSchema,
  jsonValue,
  nearlyValid,
  oddText,
  problemsOf,
  queryOf,
  segmentOf,
} from './fuzz.js';
import { type ListeningTestApp, listenTestApp } from './server.js';

/**
 * Property-based fuzzing over HTTP of every public endpoint and every admin API route, against the
 * real app listening on loopback: never a 5xx, a stack trace or a secret, and every refusal says
 * what it refuses. `npm run fuzz` runs the same properties long with a new seed.
 */

const emulator = useEmulator();
const { seed, numRuns } = fuzzSettings();
console.log(`fuzz: seed ${seed}, ${numRuns} runs a property (replay with FUZZ_SEED=${seed})`);
// A long run takes long: a run is a few requests of a few milliseconds each.
const timeout = 20_000 + numRuns * 400;

describeEachDatabase('hostile input over HTTP', (database) => {
  let store: TestStore;
  let server: ListeningTestApp;
  let token: string;
  /** Every secret of the shop: none may show in any answer, body or header. */
  const secrets: string[] = [];
  const endpoints: Array<{ id: string; secret: string }> = [];
  const ids = { products: [] as string[], orders: [] as string[] };
  /** The cookies of a buyer who filled the order form, and of a form the sign-in page gave. */
  let visitCookie = '';
  let signInForm = { cookie: '', csrf: '' };
  /** What a Stripe event is about: the buyer's real PaymentIntent, as Stripe would send it. */
  let intent: Record<string, unknown> = {};
  let platform: Awaited<ReturnType<typeof createEmulatorPlatform>>;

  async function send(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: options.headers ?? {},
      redirect: 'manual',
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    return {
      path: path.split('?')[0] ?? '',
      request: `${method} ${path.slice(0, 300)} ${options.body?.slice(0, 300) ?? ''}`,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
    };
  }

  function admin(method: string, path: string, body?: unknown) {
    return send(method, path, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** Answers by status, printed after a long run: what the fuzz reached, not only what it was refused. */
  const statuses = new Map<number, number>();
  afterAll(() => {
    if (!process.env.FUZZ_RUNS) return;
    const tally = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}: ${count}`);
    console.log(`fuzz [${database.name}]: answers by status, ${tally.join(', ')}`);
  });

  function expectSound(answer: Answer) {
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    const problems = problemsOf(answer, secrets);
    if (problems.length > 0) {
      const got = `${answer.status} ${answer.headers.get('content-type')} ${answer.body.slice(0, 600)}`;
      expect.fail(`${problems.join(', ')}\n${answer.request.slice(0, 400)} -> ${got}`);
    }
  }

  /** Runs a property, then finds no error the app logged of its own (a bug it answered around). */
  async function check<Ts extends [unknown, ...unknown[]]>(
    property: fc.IAsyncPropertyWithHooks<Ts>,
    runs = numRuns,
  ) {
    await fc.assert(property, { seed, numRuns: runs });
    await server.services.webhooks.processPending();
    const errors = server.logLines().filter((line) => Number(line.level) >= 50);
    expect(errors.map((line) => JSON.stringify(line).slice(0, 2000))).toEqual([]);
  }

  beforeAll(async () => {
    store = await database.openMigrated();
    platform = await createEmulatorPlatform(emulator(), 'Fuzz platform');
    secrets.push(platform.keys.test.secret, platform.keys.live.secret);
    server = await listenTestApp(store, {
      // Limits out of the way, so the fuzz reaches past them (they have their own tests).
      env: {
        ...emulatorEnv(emulator()),
        STRIPE_CONNECT_CLIENT_ID: platform.client_id,
        STRIPE_CONNECT_SECRET_KEY: platform.keys.test.secret,
        STRIPE_CONNECT_AUTHORIZE_URL: `${emulator().url}/oauth/authorize`,
        CHECKOUT_LIMIT_PER_IP: '1000000',
        CHECKOUT_LIMIT_PER_EMAIL: '1000000',
      },
      gateway: emulatorGateway(emulator()),
    });
    token = (
      await server.services.tokens.createToken({
        workspaceId: 'default',
        name: 'fuzz',
        actor: 'test',
      })
    ).token;
    secrets.push(token, server.masterKey, testPassword);
    const stripeAccounts: Stripe[] = [];
    for (const handle of ['us', 'eu']) {
      const account = await createEmulatorAccount(emulator());
      secrets.push(account.keys.test.secret, account.keys.live.secret);
      stripeAccounts.push(
        new Stripe(account.keys.test.secret, {
          host: emulator().host,
          port: emulator().port,
          protocol: 'http',
        }),
      );
      const created = await admin('POST', '/api/accounts', {
        handle,
        credentials: keysOf(account),
      });
      expect(created.status).toBe(201);
    }
    await importLaunchFunnel(server.services);
    const rows = await store.db.selectFrom('webhook_endpoints').selectAll().execute();
    for (const row of rows) {
      if (!row.secret_encrypted) continue;
      const secret = server.services.vault.open(row.secret_encrypted);
      endpoints.push({ id: row.endpoint_id, secret });
      secrets.push(secret);
    }
    expect(endpoints.length).toBeGreaterThan(0);
    const owner = await consoleUser(server, 'owner');
    secrets.push((await server.services.users.startSession(owner)).token);

    // A buyer at the payment step: the return URL and the pages see a real order.
    const contact = await send('POST', '/f/launch/order/contact', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: 'ana@example.com',
        name: 'Ana',
        country: 'US',
      }).toString(),
    });
    expect(contact.status).toBe(303);
    visitCookie = cookiesOf(contact).join('; ');
    expect(
      (await send('GET', '/f/launch/order/pay', { headers: { cookie: visitCookie } })).status,
    ).toBe(200);
    for (const stripe of stripeAccounts) {
      const [made] = (await stripe.paymentIntents.list({ limit: 1 })).data;
      if (made) intent = { ...made };
    }
    expect(intent.id).toEqual(expect.stringMatching(/^pi_/));
    const signIn = await send('GET', '/admin/sign-in');
    signInForm = {
      cookie: cookiesOf(signIn).join('; '),
      csrf: /name="_csrf" value="([^"]+)"/.exec(signIn.body)?.[1] ?? '',
    };

    const products = JSON.parse((await admin('GET', '/api/products')).body);
    ids.products = products.products.map((product: { id: string }) => product.id);
    const orders = JSON.parse((await admin('GET', '/api/orders')).body);
    ids.orders = orders.orders.map(
      (order: { id?: string; orderId?: string }) => order.orderId ?? order.id,
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await store?.dispose();
  });

  const funnels = ['launch', 'nope'];
  const steps = ['sales', 'order', 'coaching', 'templates', 'thanks', 'missing'];

  function cookieOf(): fc.Arbitrary<Record<string, string>> {
    return fc.oneof(
      fc.constant({}),
      fc.constant({ cookie: visitCookie }),
      oddText.map((value) => ({
        cookie: `sy_order_launch=${encoded(value)}; sy_visitor=${encoded(value)}`,
      })),
    );
  }

  it('funnel pages: any slug, step and query string', { timeout }, async () => {
    await check(
      fc.asyncProperty(
        segmentOf(funnels),
        fc.option(segmentOf(steps), { nil: undefined }),
        fc.constantFrom('', '/pay', '/resume', '/return', '/thanks', '/contact'),
        queryOf(['currency', 'code', 'refused', 'token', 'variant', 'payment_intent']),
        cookieOf(),
        async (funnel, step, tail, query, cookie) => {
          const path = step === undefined ? `/f/${funnel}` : `/f/${funnel}/${step}${tail}`;
          expectSound(await send('GET', `${path}${query}`, { headers: cookie }));
        },
      ),
    );
  });

  it('funnel forms: contact, opt-in, coupon, bump, accept and decline with any body', {
    timeout,
  }, async () => {
    await check(
      fc.asyncProperty(
        segmentOf(funnels),
        segmentOf(steps),
        fc.constantFrom('', '/contact', '/coupon', '/bump', '/accept', '/decline'),
        queryOf(['currency']),
        bodyOf(['email', 'name', 'country', 'consent', 'code', 'currency', 'remove', 'bump']),
        cookieOf(),
        async (funnel, step, action, query, body, cookie) => {
          const headers = { ...cookie, ...(body.type ? { 'content-type': body.type } : {}) };
          expectSound(
            await send('POST', `/f/${funnel}/${step}${action}${query}`, {
              headers,
              body: body.payload,
            }),
          );
        },
      ),
    );
  });

  it('return URLs and the resume link: any payment_intent, client secret, status and token', {
    timeout,
  }, async () => {
    // The buyer's own PaymentIntent too, so a return with the visit's cookie asks Stripe about it.
    const intentId = fc.oneof(
      fc.constantFrom(String(intent.id), String(intent.client_secret)),
      oddText,
      fc.string({ maxLength: 24 }).map((tail) => `pi_${tail}`),
    );
    await check(
      fc.asyncProperty(
        fc.constantFrom('order', 'coaching', 'templates', 'sales'),
        fc.constantFrom('/return', '/resume'),
        fc.array(
          fc.tuple(
            fc.constantFrom(
              'payment_intent',
              'payment_intent_client_secret',
              'redirect_status',
              'token',
            ),
            fc.oneof(intentId, fc.constantFrom('succeeded', 'failed', 'requires_action')),
          ),
          { maxLength: 4 },
        ),
        cookieOf(),
        async (step, tail, pairs, cookie) => {
          const query = pairs.length > 0 ? `?${new URLSearchParams(pairs)}` : '';
          expectSound(await send('GET', `/f/launch/${step}${tail}${query}`, { headers: cookie }));
        },
      ),
    );
  });

  it('webhooks: any body, with a valid signature, a wrong one or none', { timeout }, async () => {
    // Mostly well-formed events about the buyer's real PaymentIntent, with some fields changed.
    const changedIntent = fc
      .dictionary(fieldNameOf(Object.keys(intent)), jsonValue, { maxKeys: 3 })
      .map((changes) => ({ ...intent, ...changes }));
    const eventId = fc
      .string({ unit: fc.constantFrom(...'abcXYZ0189_'), minLength: 1, maxLength: 24 })
      .map((tail) => `evt_${tail}`);
    const event = fc.record({
      id: fc.oneof({ weight: 4, arbitrary: eventId }, { weight: 1, arbitrary: oddText }),
      object: fc.constant('event'),
      type: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...subscribedEvents) },
        { weight: 1, arbitrary: oddText },
      ),
      created: fc.oneof(fc.constant(Math.floor(Date.now() / 1000)), fc.integer()),
      livemode: fc.oneof(fc.constant(false), fc.boolean()),
      account: fc.oneof(fc.constant(null), oddText),
      data: fc.record({
        object: fc.oneof(
          { weight: 4, arbitrary: changedIntent },
          { weight: 1, arbitrary: nearlyValid({ type: 'object' }) },
        ),
      }),
    });
    const payload = fc.oneof(
      { weight: 3, arbitrary: event.map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: bodyOf(['id', 'type', 'data']).map((body) => body.payload) },
    );
    await check(
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...endpoints.map((endpoint) => endpoint.id)) },
          segmentOf(['we_missing']),
        ),
        payload,
        fc.constantFrom('valid', 'valid', 'valid', 'wrong', 'stale', 'garbage', 'none'),
        fc.string({ maxLength: 60 }).map((text) => text.replace(/[^\x20-\x7e]/g, '')),
        async (endpointId, body, signing, garbage) => {
          const secret =
            endpoints.find((endpoint) => endpoint.id === endpointId)?.secret ?? 'whsec_x';
          const header = (timestamp: number, key: string) =>
            Stripe.webhooks.generateTestHeaderString({ payload: body, secret: key, timestamp });
          const now = Math.floor(Date.now() / 1000);
          const signature = {
            valid: header(now, secret),
            wrong: header(now, 'whsec_not_ours'),
            stale: header(now - 3600, secret),
            garbage,
            none: undefined,
          }[signing];
          expectSound(
            await send('POST', `/webhooks/stripe/${endpointId}`, {
              headers: {
                'content-type': 'application/json',
                ...(signature === undefined ? {} : { 'stripe-signature': signature }),
              },
              body,
            }),
          );
        },
      ),
    );
    // What a valid delivery started is done before the next property, and failed nowhere.
    await server.services.webhooks.processPending();
  });

  it('the Connect callback: any code, state and error', { timeout }, async () => {
    // Real states and codes too, so the fuzz gets past the signature of the state.
    const states: string[] = [];
    const codes: string[] = [];
    for (const handle of ['fuzz-a', 'fuzz-b', 'fuzz-c']) {
      const url = await server.services.connect.startConnect({
        workspaceId: 'default',
        handle,
        actor: 'test',
      });
      states.push(new URL(url).searchParams.get('state') ?? '');
      const merchant = await createEmulatorAccount(emulator());
      secrets.push(merchant.keys.test.secret, merchant.keys.live.secret);
      const { code } = await control<{ code: string }>(emulator(), 'POST', 'oauth/codes', {
        client_id: platform.client_id,
        account: merchant.id,
      });
      codes.push(code);
    }
    const value = fc.oneof(fc.constantFrom(...states, ...codes, 'access_denied'), oddText);
    await check(
      fc.asyncProperty(
        queryOf(['code', 'state', 'scope', 'error', 'error_description'], value),
        async (query) => {
          expectSound(await send('GET', `/connect/stripe/callback${query}`));
        },
      ),
    );
  });

  it('console sign-in: any email, password, next and form token', { timeout }, async () => {
    await check(
      fc.asyncProperty(
        bodyOf(['email', 'password', 'next', '_csrf']),
        fc.boolean(),
        fc.oneof(fc.constant('GET'), fc.constant('POST')),
        queryOf(['next']),
        async (body, withForm, method, query) => {
          let payload = body.payload;
          if (withForm && body.type === 'application/x-www-form-urlencoded') {
            const params = new URLSearchParams(payload);
            params.set('_csrf', signInForm.csrf);
            payload = params.toString();
          }
          const headers: Record<string, string> = {
            ...(withForm ? { cookie: signInForm.cookie } : {}),
            ...(body.type ? { 'content-type': body.type } : {}),
          };
          const answer =
            method === 'GET'
              ? await send('GET', `/admin/sign-in${query}`, { headers })
              : await send('POST', `/admin/sign-in${query}`, { headers, body: payload });
          expectSound(answer);
        },
      ),
    );
  });

  it('every admin API route, with a valid token and any parameters, query and body', {
    timeout: timeout * 4,
  }, async () => {
    const document = JSON.parse((await send('GET', '/api/openapi.json')).body) as OpenApi;
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(routes.length).toBeGreaterThan(30);
    const realValues: Record<string, readonly string[]> = {
      handle: ['us', 'eu', 'xx'],
      slug: ['launch', 'course', 'checklist'],
      funnel: ['launch'],
      product: ['course', 'checklist'],
      id: [...ids.products, ...ids.orders, '1'],
      orderId: ids.orders.length > 0 ? ids.orders : ['o_1'],
      version: ['1', '2', '0'],
    };
    const route = fc.constantFrom(...routes).chain(({ path, method, operation }) => {
      const parameters = operation.parameters ?? [];
      const pathNames = parameters.filter((p) => p.in === 'path').map((p) => p.name);
      const queryNames = parameters.filter((p) => p.in === 'query').map((p) => p.name);
      const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
      return fc.record({
        method: fc.constant(method.toUpperCase()),
        path: fc
          .tuple(...pathNames.map((name) => segmentOf(realValues[name] ?? ['1'])))
          .map((values) =>
            pathNames.reduce(
              (filled, name, index) => filled.replace(`{${name}}`, values[index] ?? ''),
              path,
            ),
          ),
        query: queryOf(queryNames),
        body:
          bodySchema || method !== 'get'
            ? fc.option(nearlyValid(bodySchema), { freq: 8 })
            : fc.constant(undefined),
      });
    });
    await check(
      fc.asyncProperty(route, async ({ method, path, query, body }) => {
        expectSound(await admin(method, `${path}${query}`, body ?? undefined));
      }),
      numRuns * 4,
    );
  });
});

interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string }>;
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
}

function cookiesOf(answer: Answer): string[] {
  return answer.headers.getSetCookie().map((cookie) => cookie.split(';')[0] ?? '');
}
