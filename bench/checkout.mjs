// Checkout throughput: `npm run bench:checkout` (builds dist/ first). `-- --postgres` also runs
// (a) on PostgreSQL (127.0.0.1:5432, user postgres, a database of its own that the bench creates
// and drops; BENCH_POSTGRES_URL names another server). `-- --cpu-prof <dir>` writes a CPU profile
// of the SQLite app child there (read it with `node bench/profile-top.mjs <file>`).
//
// One Stripe emulator (a child process) serves all three sides of the comparison:
//   (a) Switchyard: the real app (a child process) over a temp SQLite file with durable commits
//       (each answered after an fdatasync of the WAL, src/db/durable-commits.ts), two emulator
//       accounts connected, the demo's `launch` funnel imported. One order is what a buyer does
//       up to the card form: POST /f/launch/order/contact (a new email each time), then GET
//       .../pay, which routes, writes the order, payment and attempt, and makes the Stripe
//       customer and the PaymentIntent on the routed account.
//   (b) baseline: a bare Fastify app (a child process, no logger) whose one POST route creates a
//       PaymentIntent with the official SDK on the same emulator account, and nothing else.
//   (c) the same shape as (a) with nothing of Switchyard's: a bare Fastify app (a child process)
//       taking a form post that redirects, then a GET that makes a Stripe customer and a
//       PaymentIntent for it and answers a page as large as Switchyard's card form. No database,
//       no routing. It is the ceiling for any checkout that does what (a) does: (a) / (c) is
//       Switchyard's own cost.
// All are driven over HTTP keep-alive by `concurrency` callers, in interleaved rounds; the figure
// is the median of the rounds. Between warm-up and rounds, `countedOrders` orders are placed
// while the app counts its statements and commits (a counter in its store) and, on SQLite,
// strace counts its fsync calls: that commits reach the disk (and how many share one sync). It also times
// the order form's pages and weighs them (HTML + CSS, Stripe.js aside). Budgets: (a) / (c) >= 0.3
// on SQLite, and each page's HTML + CSS <= 40 KB (40,000 bytes); exits 1 if either is missed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  answerCpuQuestions,
  askChild,
  freshPostgresDatabase,
  machineLine,
  median,
  postControl,
  readChildCpu,
  startChild,
  stopChild,
  timeCalls,
} from './harness.mjs';

const thisScript = fileURLToPath(import.meta.url);

/** (a) / (c), the orders/s of Switchyard over those of the same shape without it. */
const budgetRatio = 0.3;
const budgetPageBytes = 40_000;
const concurrency = 16;
const ordersPerRound = 400;
const rounds = 5;
const warmupOrders = 1000;
const countedOrders = 200;
const pageRequestsPerRound = 1_000;
const pageRounds = 3;
/** What the order form sells first: the course, in dollars, to a US buyer (routed to `us`). */
const orderAmount = 4900;
const orderCurrency = 'usd';

const mode = process.argv[2];
const options = mode?.endsWith('-server') ? {} : parseOptions(process.argv.slice(2));
if (mode === 'emulator-server') {
  await serveEmulator();
} else if (mode === 'switchyard-server') {
  await serveSwitchyard();
} else if (mode === 'baseline-server') {
  await serveBaseline();
} else if (mode === 'same-shape-server') {
  await serveSameShape();
} else {
  await runBenchmark();
}

/** The parent's own flags: `--postgres`, `--cpu-prof <dir>`. */
function parseOptions(args) {
  const at = args.indexOf('--cpu-prof');
  const cpuProf = at === -1 ? null : args[at + 1];
  if (at !== -1 && (!cpuProf || cpuProf.startsWith('--'))) {
    console.error('--cpu-prof needs a folder for the profile, e.g. --cpu-prof profiles/');
    process.exit(2);
  }
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });
  return { postgres: args.includes('--postgres'), cpuProf: cpuProf ? resolve(cpuProf) : null };
}

/** Child: the Stripe emulator, from its built package. */
async function serveEmulator() {
  const { startEmulator } = await import('@switchyard/stripe-emulator');
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  answerCpuQuestions();
  process.send?.({ url: emulator.url, port: emulator.port });
  process.on('disconnect', () => {
    emulator.close().finally(() => process.exit(0));
  });
}

/**
 * Child: Switchyard as `switchyard serve` runs it (config from the environment, logs at the
 * production default level, written to /dev/null), with the accounts and the funnel set up first,
 * and its store counting statements and commits (answered to the parent's 'statements').
 */
async function serveSwitchyard() {
  const { default: pino } = await import('pino');
  const { loadConfig } = await import('../dist/config.js');
  const { openStore } = await import('../dist/db/database.js');
  const { migrateToLatest } = await import('../dist/db/migrate.js');
  const { createStatementCounter } = await import('../dist/db/statement-counter.js');
  const { sql } = await import('kysely');
  const { createServices } = await import('../dist/services.js');
  const { buildApp } = await import('../dist/web/app.js');
  const { createLogger } = await import('../dist/logger.js');
  const { newAccountSchema } = await import('../dist/accounts/accounts.routes.js');
  const { funnelDocumentSchema, parseInput } = await import('../dist/catalog/catalog.schema.js');
  const { launchFunnel } = await import('../dist/demo/launch-funnel.js');

  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel,
    destination: pino.destination({ dest: '/dev/null', sync: false }),
  });
  const counter = createStatementCounter();
  const store = openStore(config.databaseUrl, { counter });
  await migrateToLatest(store);
  const services = createServices({ config, store, logger });
  const app = await buildApp({ config, store, logger, services });
  const accounts = JSON.parse(process.env.BENCH_ACCOUNTS ?? '[]');
  for (const account of accounts) {
    await services.accounts.connectWithKeys(
      'default',
      newAccountSchema.parse({
        handle: account.handle,
        credentials: {
          test: {
            secretKey: account.keys.test.secret,
            publishableKey: account.keys.test.publishable,
          },
        },
      }),
      'bench',
    );
  }
  await services.catalog.importFunnel(
    'default',
    parseInput(funnelDocumentSchema, launchFunnel),
    'bench',
  );
  const url = await app.listen({ port: config.port, host: config.host });
  services.webhooks.start();
  // How the app's own connection commits, as it reports it.
  const setting = async (query) => Object.values((await query.execute(store.db)).rows[0])[0];
  const durability =
    store.dialect === 'sqlite'
      ? `journal_mode ${await setting(sql`pragma journal_mode`)}, synchronous ${['OFF', 'NORMAL', 'FULL', 'EXTRA'][await setting(sql`pragma synchronous`)]}, each commit answered after an fdatasync of the WAL that began after it (shared by the commits of the moment)`
      : `fsync ${await setting(sql`show fsync`)}, synchronous_commit ${await setting(sql`show synchronous_commit`)}`;
  answerCpuQuestions({ statements: () => counter.count() });
  process.send?.({ url, logLevel: config.logLevel, database: store.dialect, durability });
  process.on('disconnect', async () => {
    await app.close();
    await services.webhooks.stop();
    await store.close();
    process.exit(0);
  });
}

/** The SDK on the emulator account the bare servers use, set as Switchyard's gateway sets it. */
async function emulatorStripe() {
  const { default: Stripe } = await import('stripe');
  return new Stripe(process.env.BENCH_SECRET_KEY ?? '', {
    host: '127.0.0.1',
    port: Number(process.env.BENCH_EMULATOR_PORT),
    protocol: 'http',
    maxNetworkRetries: 1,
    timeout: 20_000,
  });
}

/** A bare server child: listens, tells the parent where, and answers its CPU questions. */
async function serveBare(app) {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  answerCpuQuestions();
  process.send?.({ url });
  process.on('disconnect', () => {
    app.close().finally(() => process.exit(0));
  });
}

/** Child: the least a server can do to start a card payment, one PaymentIntent through the SDK. */
async function serveBaseline() {
  const { default: Fastify } = await import('fastify');
  const stripe = await emulatorStripe();
  const app = Fastify({ logger: false });
  app.post('/payment-intents', async function createPaymentIntent() {
    const intent = await stripe.paymentIntents.create({
      amount: orderAmount,
      currency: orderCurrency,
      automatic_payment_methods: { enabled: true },
    });
    return { id: intent.id, clientSecret: intent.client_secret };
  });
  await serveBare(app);
}

/**
 * Child: (c), what (a) does with nothing of Switchyard's: the contact post redirects, and the
 * payment step makes the customer and the PaymentIntent and answers a card-form-sized page.
 */
async function serveSameShape() {
  const { default: Fastify } = await import('fastify');
  const { default: formbody } = await import('@fastify/formbody');
  const stripe = await emulatorStripe();
  const pageFiller = 'x'.repeat(Number(process.env.BENCH_PAGE_BYTES ?? 7000));
  const app = Fastify({ logger: false });
  await app.register(formbody);
  app.post('/contact', async function contact(request, reply) {
    const email = String(request.body?.email ?? '');
    return reply.redirect(`/pay?email=${encodeURIComponent(email)}`, 303);
  });
  app.get('/pay', async function pay(request, reply) {
    const customer = await stripe.customers.create({ email: String(request.query.email) });
    const intent = await stripe.paymentIntents.create({
      amount: orderAmount,
      currency: orderCurrency,
      customer: customer.id,
      setup_future_usage: 'off_session',
      automatic_payment_methods: { enabled: true },
    });
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html>${pageFiller}<script>{"clientSecret":"${intent.client_secret}"}</script>`,
      );
  });
  await serveBare(app);
}

/** A port nobody listens on now: Switchyard must know its address before it registers webhooks. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function stripeRequestsOf(emulatorUrl, accountId) {
  const response = await fetch(`${emulatorUrl}/_emulator/requests?account=${accountId}`);
  return (await response.json()).data;
}

/** Times `call` and reports the server child's CPU per call alongside. */
async function timeRound(server, call, total) {
  const cpuBefore = await readChildCpu(server.child);
  const perSecond = await timeCalls(call, total, concurrency);
  const cpuAfter = await readChildCpu(server.child);
  return { perSecond, cpuMicros: (cpuAfter - cpuBefore) / total };
}

function cookiesOf(response) {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** A buyer up to the card form; returns the card form's page and the visit's cookie. */
async function placeOrder(switchyardUrl, email) {
  const contact = await fetch(`${switchyardUrl}/f/launch/order/contact`, {
    method: 'POST',
    body: new URLSearchParams({ email, name: 'Bench Buyer', country: 'US' }),
    redirect: 'manual',
  });
  const contactBody = await contact.text();
  if (contact.status !== 303) {
    throw new Error(`the contact form answered ${contact.status}: ${contactBody.slice(0, 300)}`);
  }
  const cookie = cookiesOf(contact);
  const pay = await fetch(`${switchyardUrl}${contact.headers.get('location')}`, {
    headers: { cookie },
    redirect: 'manual',
  });
  const html = await pay.text();
  if (pay.status !== 200 || !/"clientSecret":"pi_/.test(html)) {
    throw new Error(`the payment step answered ${pay.status} without a card form`);
  }
  return { html, cookie };
}

async function createBaselineIntent(baselineUrl) {
  const response = await fetch(`${baselineUrl}/payment-intents`, { method: 'POST' });
  const body = await response.json();
  if (response.status !== 200 || !body.clientSecret?.startsWith('pi_')) {
    throw new Error(`the baseline answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/** (c): the contact post, then the payment step, as `placeOrder` does on Switchyard. */
async function placeSameShapeOrder(sameShapeUrl, email) {
  const contact = await fetch(`${sameShapeUrl}/contact`, {
    method: 'POST',
    body: new URLSearchParams({ email, name: 'Bench Buyer', country: 'US' }),
    redirect: 'manual',
  });
  await contact.text();
  if (contact.status !== 303) throw new Error(`(c) contact answered ${contact.status}`);
  const pay = await fetch(`${sameShapeUrl}${contact.headers.get('location')}`, {
    redirect: 'manual',
  });
  const html = await pay.text();
  if (pay.status !== 200 || !/"clientSecret":"pi_/.test(html)) {
    throw new Error(`(c) payment step answered ${pay.status} without a client secret`);
  }
}

async function getPage(url, headers = {}) {
  const response = await fetch(url, { headers, redirect: 'manual' });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  return body;
}

/** The stylesheets a page links to, and any other resource it loads (scripts, images). */
function resourcesOf(html) {
  const stylesheets = [];
  const others = [];
  for (const match of html.matchAll(/<link\b[^>]*>/g)) {
    const href = /\bhref="([^"]+)"/.exec(match[0])?.[1];
    if (href && /\brel="stylesheet"/.test(match[0])) stylesheets.push(href);
  }
  for (const match of html.matchAll(/<(script|img)\b[^>]*\bsrc="([^"]+)"/g)) {
    others.push(match[2]);
  }
  return { stylesheets, others };
}

/** Bytes of a page and its stylesheets (Stripe.js is Stripe's, and is not counted). */
async function weighPage(switchyardUrl, path, headers) {
  const html = await getPage(`${switchyardUrl}${path}`, headers);
  const { stylesheets, others } = resourcesOf(html);
  let cssBytes = 0;
  let cssGzipBytes = 0;
  for (const href of stylesheets) {
    const css = await getPage(new URL(href, switchyardUrl).href);
    cssBytes += Buffer.byteLength(css);
    cssGzipBytes += gzipSync(css).length;
  }
  const htmlBytes = Buffer.byteLength(html);
  return {
    path,
    htmlBytes,
    cssBytes,
    total: htmlBytes + cssBytes,
    gzipTotal: gzipSync(html).length + cssGzipBytes,
    stylesheets,
    others,
  };
}

async function runBenchmark() {
  // Other processes on a small machine move these figures a lot: the report shows the load.
  const loadBefore = loadavg()[0];
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const children = [];
  let postgresDatabase = null;
  try {
    const emulator = await startChild(thisScript, 'emulator-server');
    children.push(emulator);
    const us = await postControl(emulator.url, '/_emulator/accounts', {
      name: 'Bench US',
      country: 'US',
      default_currency: 'usd',
    });
    const eu = await postControl(emulator.url, '/_emulator/accounts', {
      name: 'Bench EU',
      country: 'DE',
      default_currency: 'eur',
    });
    const switchyardOf = async (name, databaseUrl, execArgv = [], env = {}) => {
      const port = await freePort();
      const dataDir = join(folder, name);
      return startChild(
        thisScript,
        'switchyard-server',
        {
          PORT: String(port),
          HOST: '127.0.0.1',
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          DATABASE_URL: databaseUrl,
          DATA_DIR: dataDir,
          SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
          SWITCHYARD_DEMO: 'off',
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
          STRIPE_API_HOST: '127.0.0.1',
          STRIPE_API_PORT: String(emulator.port),
          STRIPE_API_PROTOCOL: 'http',
          STRIPE_JS_URL: `${emulator.url}/v3/`,
          // Every order comes from 127.0.0.1: the card-testing brakes would stop the bench.
          CHECKOUT_LIMIT_PER_IP: '1000000',
          CHECKOUT_LIMIT_PER_EMAIL: '1000000',
          BENCH_ACCOUNTS: JSON.stringify([
            { handle: 'us', keys: us.keys },
            { handle: 'eu', keys: eu.keys },
          ]),
          ...env,
        },
        execArgv,
      );
    };
    const profileArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [];
    const switchyard = await switchyardOf(
      'sqlite',
      `sqlite:${join(folder, 'switchyard.db')}`,
      profileArgs,
    );
    children.push(switchyard);
    // The same app with the funnel stats' counting off: what counting a page view costs.
    const switchyardUncounted = await switchyardOf(
      'sqlite-uncounted',
      `sqlite:${join(folder, 'switchyard-uncounted.db')}`,
      [],
      { FUNNEL_STATS: 'off' },
    );
    children.push(switchyardUncounted);
    let switchyardPostgres = null;
    if (options.postgres) {
      postgresDatabase = await makePostgresDatabase();
      switchyardPostgres = await switchyardOf('postgres', postgresDatabase.url);
      children.push(switchyardPostgres);
    }
    const baseline = await startChild(thisScript, 'baseline-server', {
      BENCH_SECRET_KEY: us.keys.test.secret,
      BENCH_EMULATOR_PORT: String(emulator.port),
    });
    children.push(baseline);

    // One order of each kind first, counting the Stripe requests each makes on the account.
    const run = randomBytes(3).toString('hex');
    let ordered = 0;
    const orderOn = (server) => () => {
      ordered += 1;
      return placeOrder(server.url, `buyer-${run}-${ordered}@example.com`);
    };
    const order = orderOn(switchyard);
    const before = (await stripeRequestsOf(emulator.url, us.id)).length;
    const first = await order();
    const afterOrder = await stripeRequestsOf(emulator.url, us.id);
    const switchyardStripeCalls = afterOrder.slice(before);
    await createBaselineIntent(baseline.url);
    const baselineStripeCalls = (await stripeRequestsOf(emulator.url, us.id)).slice(
      afterOrder.length,
    );
    const describeCalls = (calls) => calls.map((call) => `${call.method} ${call.path}`).join(', ');

    const sameShape = await startChild(thisScript, 'same-shape-server', {
      BENCH_SECRET_KEY: us.keys.test.secret,
      BENCH_EMULATOR_PORT: String(emulator.port),
      BENCH_PAGE_BYTES: String(Buffer.byteLength(first.html)),
    });
    children.push(sameShape);
    let sameShapeOrdered = 0;
    function sameShapeOrder() {
      sameShapeOrdered += 1;
      return placeSameShapeOrder(sameShape.url, `shape-${run}-${sameShapeOrdered}@example.com`);
    }

    const switchyards = [
      { label: '(a) Switchyard checkout, SQLite', server: switchyard, order, rounds: [] },
    ];
    if (switchyardPostgres) {
      switchyards.push({
        label: '(a) Switchyard checkout, PostgreSQL',
        server: switchyardPostgres,
        order: orderOn(switchyardPostgres),
        rounds: [],
      });
    }
    for (const side of switchyards) await timeCalls(side.order, warmupOrders, concurrency);
    await timeCalls(() => createBaselineIntent(baseline.url), warmupOrders, concurrency);
    await timeCalls(sameShapeOrder, warmupOrders, concurrency);

    // What one order asks of the database, counted in the app (not timed).
    for (const side of switchyards) {
      side.cost = await countOrderCost(side.server, side.order);
    }

    const baselineRounds = [];
    const sameShapeRounds = [];
    for (let round = 0; round < rounds; round++) {
      // Interleaved, and rotating which goes first, so all see the same machine state.
      const sides = [
        ...switchyards.map(
          (side) => async () =>
            side.rounds.push(await timeRound(side.server, side.order, ordersPerRound)),
        ),
        async () =>
          baselineRounds.push(
            await timeRound(baseline, () => createBaselineIntent(baseline.url), ordersPerRound),
          ),
        async () =>
          sameShapeRounds.push(await timeRound(sameShape, sameShapeOrder, ordersPerRound)),
      ];
      for (let turn = 0; turn < sides.length; turn++) {
        await sides[(round + turn) % sides.length]();
      }
    }

    // The order form's pages: the contact step, and the payment step shown again for an order
    // that already has its PaymentIntent (Switchyard reads it back from Stripe to show the form).
    // Not while profiling: the profile is of the orders.
    const contactRates = [];
    const payRates = [];
    // Counting on and off, interleaved: the sales page (the least work, so counting weighs most)
    // and the contact step, each request a new visitor (a new cookie, as a first visit).
    const countedPages = ['/f/launch/sales', '/f/launch/order'].map((path) => ({
      path,
      on: [],
      off: [],
    }));
    for (let round = 0; round < (options.cpuProf ? 0 : pageRounds); round++) {
      for (const page of countedPages) {
        const sides = [
          async () =>
            page.on.push(
              await timeRound(
                switchyard,
                () => getPage(`${switchyard.url}${page.path}`),
                pageRequestsPerRound,
              ),
            ),
          async () =>
            page.off.push(
              await timeRound(
                switchyardUncounted,
                () => getPage(`${switchyardUncounted.url}${page.path}`),
                pageRequestsPerRound,
              ),
            ),
        ];
        for (let turn = 0; turn < sides.length; turn++)
          await sides[(round + turn) % sides.length]();
      }
      contactRates.push(
        await timeRound(
          switchyard,
          () => getPage(`${switchyard.url}/f/launch/order`),
          pageRequestsPerRound,
        ),
      );
      payRates.push(
        await timeRound(
          switchyard,
          () => getPage(`${switchyard.url}/f/launch/order/pay`, { cookie: first.cookie }),
          pageRequestsPerRound,
        ),
      );
    }
    const pages = [
      await weighPage(switchyard.url, '/f/launch/order', {}),
      await weighPage(switchyard.url, '/f/launch/order/pay', { cookie: first.cookie }),
    ];

    const format = (value) => Math.round(value).toLocaleString('en-US');
    const rates = (list) => list.map((entry) => format(entry.perSecond)).join(', ');
    const medianRate = (list) => median(list.map((entry) => entry.perSecond));
    const medianCpu = (list) => median(list.map((entry) => entry.cpuMicros));
    const switchyardRate = medianRate(switchyards[0].rounds);
    const baselineRate = medianRate(baselineRounds);
    const sameShapeRate = medianRate(sameShapeRounds);
    const ratio = switchyardRate / sameShapeRate;

    console.log('Switchyard checkout benchmark');
    console.log(machineLine());
    console.log(
      `load average (1 min) before: ${loadBefore.toFixed(2)}, after: ${loadavg()[0].toFixed(2)}`,
    );
    console.log(
      `client: fetch (undici) keep-alive, ${concurrency} concurrent callers; emulator, Switchyard, (b) and (c) each in a child process`,
    );
    for (const side of switchyards) {
      console.log(
        `Switchyard on ${side.server.database}: ${side.server.durability}, log level ${side.server.logLevel} (to /dev/null), accounts us + eu, funnel launch`,
      );
    }
    console.log(
      `\nOrders, median of ${rounds} interleaved rounds of ${ordersPerRound} (after ${warmupOrders} warm-up each):`,
    );
    printTable([
      ['', 'orders/s', 'server CPU/order', 'HTTP requests', 'Stripe calls', 'rounds'],
      ...switchyards.map((side) => [
        side.label,
        format(medianRate(side.rounds)),
        `${format(medianCpu(side.rounds))} µs`,
        '2',
        String(switchyardStripeCalls.length),
        rates(side.rounds),
      ]),
      [
        '(b) bare Fastify + SDK',
        format(baselineRate),
        `${format(medianCpu(baselineRounds))} µs`,
        '1',
        String(baselineStripeCalls.length),
        rates(baselineRounds),
      ],
      [
        '(c) bare Fastify, same shape as (a)',
        format(sameShapeRate),
        `${format(medianCpu(sameShapeRounds))} µs`,
        '2',
        '2',
        rates(sameShapeRounds),
      ],
    ]);
    console.log(`    Switchyard's Stripe calls per order: ${describeCalls(switchyardStripeCalls)}`);
    console.log(`    baseline's Stripe calls per order:   ${describeCalls(baselineStripeCalls)}`);
    console.log(
      '    (a) is POST /f/launch/order/contact then GET /f/launch/order/pay: routing, the order, payment and attempt written to the database, a Stripe customer and a PaymentIntent made; (b) makes only the PaymentIntent.',
    );
    console.log(
      "    (c) posts a form that redirects, then makes a customer and a PaymentIntent and answers a page as large as (a)'s, with no database and no routing.",
    );
    for (const side of switchyards) {
      const rate = medianRate(side.rounds);
      console.log(
        `    ${side.server.database}: ratio (a) / (c) ${(rate / sameShapeRate).toFixed(2)}  (Switchyard's own cost: routing, database, pages), (a) / (b) ${(rate / baselineRate).toFixed(2)}`,
      );
    }
    console.log(
      `    ratio (c) / (b): ${(sameShapeRate / baselineRate).toFixed(2)}  (the most any checkout of (a)'s shape reaches here)`,
    );

    console.log(`\nDatabase work per order, counted in the app over ${countedOrders} orders:`);
    printTable([
      ['', 'statements', 'reads', 'writes', 'commits', 'fsyncs'],
      ...switchyards.map((side) => [
        side.server.database,
        formatPerOrder(side.cost.reads + side.cost.writes),
        formatPerOrder(side.cost.reads),
        formatPerOrder(side.cost.writes),
        formatPerOrder(side.cost.commits),
        side.cost.fsyncs === null ? '-' : formatPerOrder(side.cost.fsyncs),
      ]),
    ]);
    console.log(
      "    commits: transactions committed plus writes outside one; fsyncs: the app process's fsync and fdatasync calls, all threads (strace), SQLite only: fewer than commits where commits share one",
    );

    if (pageRounds > 0 && contactRates.length > 0) {
      console.log(
        `\nOrder-form pages, median of ${pageRounds} rounds of ${pageRequestsPerRound} requests:`,
      );
      printTable([
        ['', 'requests/s', 'server CPU/request', 'rounds'],
        [
          'GET /f/launch/order (contact step)',
          format(medianRate(contactRates)),
          `${format(medianCpu(contactRates))} µs`,
          rates(contactRates),
        ],
        [
          'GET /f/launch/order/pay (card form again)',
          format(medianRate(payRates)),
          `${format(medianCpu(payRates))} µs`,
          rates(payRates),
        ],
      ]);
      console.log(
        '    the card form shown again reads its PaymentIntent back from Stripe (1 call).',
      );
      console.log(
        `\nFunnel stats' counting (FUNNEL_STATS on vs off, same pages, new visitor each request), median of ${pageRounds} interleaved rounds of ${pageRequestsPerRound}:`,
      );
      printTable([
        [
          '',
          'counting on, req/s',
          'counting off, req/s',
          'on / off',
          'CPU/request on',
          'CPU/request off',
        ],
        ...countedPages.map((page) => [
          `GET ${page.path}`,
          format(medianRate(page.on)),
          format(medianRate(page.off)),
          (medianRate(page.on) / medianRate(page.off)).toFixed(2),
          `${format(medianCpu(page.on))} µs`,
          `${format(medianCpu(page.off))} µs`,
        ]),
      ]);
    }
    console.log('\nPage weight, uncompressed bytes (Stripe.js not counted):');
    printTable([
      ['', 'HTML', 'CSS', 'HTML + CSS', 'gzipped', 'other resources'],
      ...pages.map((page) => [
        page.path,
        format(page.htmlBytes),
        format(page.cssBytes),
        format(page.total),
        format(page.gzipTotal),
        page.others.join(', ') || '-',
      ]),
    ]);

    const heaviest = Math.max(...pages.map((page) => page.total));
    const ratioMet = ratio >= budgetRatio;
    const weightMet = heaviest <= budgetPageBytes;
    console.log(
      `\nbudget: orders/s (a) / (c) >= ${budgetRatio} on SQLite with durable commits: ${ratio.toFixed(2)} -> ${ratioMet ? 'met' : 'MISSED'}`,
    );
    console.log(
      `budget: HTML + CSS per page <= ${format(budgetPageBytes)} bytes: heaviest ${format(heaviest)} -> ${weightMet ? 'met' : 'MISSED'}`,
    );
    if (!ratioMet) {
      console.error(
        `Switchyard's checkout made ${format(switchyardRate)} orders/s, ${ratio.toFixed(2)} of the same-shape server's ${format(sameShapeRate)}; the budget is ${budgetRatio}.`,
      );
    }
    if (!weightMet) {
      console.error(
        `The order form weighs ${format(heaviest)} bytes of HTML and CSS; the budget is ${format(budgetPageBytes)}.`,
      );
    }
    process.exitCode = ratioMet && weightMet ? 0 : 1;
  } finally {
    for (const { child } of children.reverse()) await stopChild(child);
    await postgresDatabase?.drop();
    rmSync(folder, { recursive: true, force: true });
    if (options.cpuProf) console.log(`\nCPU profile of the SQLite app child in ${options.cpuProf}`);
  }
}

function formatPerOrder(value) {
  return (Math.round(value * 10) / 10).toLocaleString('en-US');
}

/**
 * Statements, commits and (on SQLite, when strace is there) fsyncs per order: `countedOrders`
 * orders placed while the app's counter runs and strace watches its fsync calls.
 */
async function countOrderCost(server, order) {
  const watch = server.database === 'sqlite' ? await watchFsyncs(server.child.pid) : null;
  const before = await askChild(server.child, 'statements');
  await timeCalls(order, countedOrders, concurrency);
  const after = await askChild(server.child, 'statements');
  const fsyncs = watch ? await watch.stop() : null;
  const perOrder = (key) => (after[key] - before[key]) / countedOrders;
  return {
    reads: perOrder('reads'),
    writes: perOrder('writes'),
    commits: perOrder('commits'),
    fsyncs: fsyncs === null ? null : fsyncs / countedOrders,
  };
}

/** strace on a process, counting its fsync and fdatasync calls until `stop()`; null without strace. */
async function watchFsyncs(pid) {
  const output = join(mkdtempSync(join(tmpdir(), 'switchyard-strace-')), 'calls');
  const strace = spawn(
    'strace',
    ['-f', '-c', '-e', 'trace=fsync,fdatasync', '-o', output, '-p', String(pid)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const attached = await new Promise((resolve) => {
    let said = '';
    strace.once('error', () => resolve(false));
    strace.once('exit', () => resolve(false));
    strace.stderr.on('data', (chunk) => {
      said += chunk;
      if (/attached/.test(said)) resolve(true);
    });
  });
  if (!attached) return null;
  return {
    async stop() {
      const exited = new Promise((resolve) => strace.once('exit', resolve));
      strace.kill('SIGINT');
      await exited;
      const summary = readFileSync(output, 'utf8');
      rmSync(dirname(output), { recursive: true, force: true });
      let calls = 0;
      for (const line of summary.split('\n')) {
        const columns = line.trim().split(/\s+/);
        if (['fsync', 'fdatasync'].includes(columns.at(-1))) calls += Number(columns[3]);
      }
      return calls;
    },
  };
}

/** A fresh PostgreSQL database of this run (never the test suite's), dropped by `drop()`. */
function makePostgresDatabase() {
  return freshPostgresDatabase(
    `switchyard_bench_${randomBytes(4).toString('hex')}`,
    process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
}

function printTable(rows) {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => String(row[column]).length)),
  );
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) =>
          column === 0 || column === row.length - 1
            ? String(cell).padEnd(widths[column])
            : String(cell).padStart(widths[column]),
        )
        .join('  ')
        .trimEnd(),
    );
  }
}
