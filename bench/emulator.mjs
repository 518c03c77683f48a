// Stripe emulator throughput: `npm run bench:emulator` (builds dist/ first).
//
// The emulator runs in a child process (this file, forked in `emulator-server` mode) so the
// client does not steal its core. Through the official SDK, with CONCURRENCY callers, it times:
//   (a) PaymentIntent create-and-confirm (`pm_card_visa`, `confirm: true`), requests per second;
//   (b) webhook delivery: events POSTed to a local receiver that checks every signature with
//       `stripe.webhooks.constructEvent`, events per second;
//   (c) a baseline in the same run: a bare node:http server (forked too) answering a fixed JSON,
//       hit by the same SDK loop, so (a) reads as a ratio to "HTTP and the SDK alone".
// Medians over several rounds. Loopback only, bounded loops. Budget: (a) >= 2,000 req/s; exits 1
// if missed.
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import {
  answerCpuQuestions,
  machineLine,
  median,
  postControl,
  readChildCpu,
  startChild,
  stopChild,
  timeCalls,
} from './harness.mjs';

const thisScript = fileURLToPath(import.meta.url);

const budgetRequestsPerSecond = 2_000;
const concurrency = 32;
const requestsPerRound = 4_000;
const rounds = 5;
const warmupRequests = 2_000;
const webhookRounds = 3;
const paymentsPerWebhookRound = 1_500;
/** Each create-and-confirm makes payment_intent.created, charge.succeeded, payment_intent.succeeded. */
const eventsPerPayment = 3;
const deliveryTimeoutMs = 60_000;

const mode = process.argv[2];
if (mode === 'emulator-server') {
  await serveEmulator();
} else if (mode === 'baseline-server') {
  await serveBaseline();
} else {
  await runBenchmark();
}

/** Child: the emulator from its built package, as the app would start it in-process. */
async function serveEmulator() {
  const { startEmulator } = await import('@switchyard/stripe-emulator');
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  process.send?.({ url: emulator.url, port: emulator.port });
  // The parent asks for the CPU time spent so far, to report the emulator's own cost per request.
  answerCpuQuestions();
  process.on('disconnect', () => {
    emulator.close().finally(() => process.exit(0));
  });
}

/** Child: the least an HTTP server can do for the SDK, a fixed PaymentIntent-shaped JSON. */
async function serveBaseline() {
  const body = JSON.stringify({
    id: 'pi_baseline',
    object: 'payment_intent',
    amount: 2000,
    currency: 'usd',
    status: 'succeeded',
  });
  const server = createServer({ keepAlive: true }, (request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Request-Id': 'req_baseline' });
      response.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  process.send?.({ url: `http://127.0.0.1:${port}`, port });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

/** Forks this file in a server mode and waits for the address it listens on. */
function sdkFor(key, port) {
  return new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
}

/** The merchant's webhook URL: verifies each signature as a real integration must. */
async function startReceiver(stripe) {
  const state = { secret: '', verified: 0, rejected: 0, onCount: null };
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      try {
        stripe.webhooks.constructEvent(body, request.headers['stripe-signature'], state.secret);
        state.verified += 1;
      } catch {
        state.rejected += 1;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{"received":true}');
      state.onCount?.();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    state,
    waitFor(count) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`only ${state.verified} of ${count} deliveries in ${deliveryTimeoutMs} ms`),
            ),
          deliveryTimeoutMs,
        );
        state.onCount = () => {
          if (state.verified >= count) {
            clearTimeout(timer);
            state.onCount = null;
            resolve();
          }
        };
        state.onCount();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function runBenchmark() {
  // Other processes on a 2-core machine move these figures a lot: the report shows the load.
  const loadBefore = loadavg()[0];
  const emulator = await startChild(thisScript, 'emulator-server');
  const baseline = await startChild(thisScript, 'baseline-server');
  let receiver;
  try {
    const account = await postControl(emulator.url, '/_emulator/accounts', { name: 'Bench' });
    const stripe = sdkFor(account.keys.test.secret, emulator.port);
    const createAndConfirm = () =>
      stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
    const baselineStripe = sdkFor('sk_test_baseline', baseline.port);
    const createOnBaseline = () =>
      baselineStripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });

    const check = await createAndConfirm();
    if (check.status !== 'succeeded') throw new Error(`create-and-confirm gave ${check.status}`);
    await timeCalls(createAndConfirm, warmupRequests, concurrency);
    await timeCalls(createOnBaseline, warmupRequests, concurrency);

    const emulatorRates = [];
    const emulatorCpuPerRequest = [];
    const baselineRates = [];
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so both see the same machine state.
      const cpuBefore = await readChildCpu(emulator.child);
      emulatorRates.push(await timeCalls(createAndConfirm, requestsPerRound, concurrency));
      const cpuAfter = await readChildCpu(emulator.child);
      emulatorCpuPerRequest.push((cpuAfter - cpuBefore) / requestsPerRound);
      baselineRates.push(await timeCalls(createOnBaseline, requestsPerRound, concurrency));
    }

    // (b) A fresh account, so its only endpoint gets exactly this round's events.
    receiver = await startReceiver(stripe);
    const deliveryRates = [];
    let expected = 0;
    for (let round = 0; round < webhookRounds; round++) {
      const hooked = await postControl(emulator.url, '/_emulator/accounts', {
        name: `Hooks ${round}`,
      });
      const hookedStripe = sdkFor(hooked.keys.test.secret, emulator.port);
      const endpoint = await hookedStripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['*'],
      });
      receiver.state.secret = endpoint.secret;
      const started = performance.now();
      await timeCalls(
        () =>
          hookedStripe.paymentIntents.create({
            amount: 2000,
            currency: 'usd',
            payment_method: 'pm_card_visa',
            confirm: true,
          }),
        paymentsPerWebhookRound,
        concurrency,
      );
      expected += paymentsPerWebhookRound * eventsPerPayment;
      await receiver.waitFor(expected);
      const seconds = (performance.now() - started) / 1000;
      deliveryRates.push((paymentsPerWebhookRound * eventsPerPayment) / seconds);
      await hookedStripe.webhookEndpoints.del(endpoint.id);
    }
    if (receiver.state.rejected > 0) {
      throw new Error(`${receiver.state.rejected} deliveries failed signature verification`);
    }

    const createRate = median(emulatorRates);
    const baselineRate = median(baselineRates);
    const deliveryRate = median(deliveryRates);
    const format = (value) => Math.round(value).toLocaleString('en-US');
    console.log('Stripe emulator benchmark');
    console.log(machineLine());
    console.log(
      `load average (1 min) before: ${loadBefore.toFixed(2)}, after: ${loadavg()[0].toFixed(2)}`,
    );
    console.log(
      `client: official stripe SDK ${Stripe.PACKAGE_VERSION ?? ''}, ${concurrency} concurrent callers, keep-alive; servers in child processes`,
    );
    console.log(
      `(a) PaymentIntent create-and-confirm: ${format(createRate)} req/s (median of ${rounds} rounds of ${requestsPerRound}; rounds: ${emulatorRates.map(format).join(', ')})`,
    );
    const cpuMicros = median(emulatorCpuPerRequest);
    const cpuRounds = emulatorCpuPerRequest.map((value) => Math.round(value)).join(', ');
    console.log(
      `    emulator CPU per create-and-confirm: ${Math.round(cpuMicros)} µs, so one core serves ${format(1e6 / cpuMicros)} req/s (rounds: ${cpuRounds} µs)`,
    );
    console.log(
      `(c) baseline, bare node:http fixed JSON: ${format(baselineRate)} req/s (rounds: ${baselineRates.map(format).join(', ')})`,
    );
    console.log(`    emulator / baseline: ${(createRate / baselineRate).toFixed(2)}`);
    console.log(
      `(b) webhook delivery, signatures verified: ${format(deliveryRate)} events/s (median of ${webhookRounds} rounds of ${paymentsPerWebhookRound * eventsPerPayment} events; rounds: ${deliveryRates.map(format).join(', ')})`,
    );
    const passed = createRate >= budgetRequestsPerSecond;
    console.log(
      `budget: create-and-confirm >= ${format(budgetRequestsPerSecond)} req/s: ${passed ? 'met' : 'MISSED'}`,
    );
    process.exitCode = passed ? 0 : 1;
  } finally {
    await receiver?.close();
    await stopChild(emulator.child);
    await stopChild(baseline.child);
  }
}
