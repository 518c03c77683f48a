// The fault run: `npm run test:faults` (builds dist/ first). Issue 12's "Done when".
//
// On SQLite and on PostgreSQL (`--sqlite`, `--postgres`; both by default), each from nothing:
// the Stripe emulator in its own process, three accounts made at its control API and connected
// with the CLI (`main`, the primary, and `backup`, both taking usd; `eu` taking eur), an admin
// token, and a funnel imported with `switchyard funnels import` (order form with a bump, a
// one-click upsell, a downsell, thank-you). Then `switchyard serve` in another process, and
// concurrent buyers making whole orders over HTTP in three phases:
//   1. faults on the primary: one-shot server_error, rate_limit, connection_reset and timeout
//      faults (a quarter of them after the request ran: server_error, connection_reset and
//      timeout with `after`), one waiting at a time, so a share of the primary's requests fail;
//   2. webhook chaos (every event delivered three times, shuffled) and a share of declined cards;
//   3. a burst during which the server is killed with SIGKILL and restarted while the emulator
//      keeps its state: buyers reload what did not answer, some confirm their card at the
//      emulator while the server is down, and some close the tab when the return page fails.
// Then the faults stop, reconciliation gets `--settle-seconds` to catch up, and the audit lists
// every PaymentIntent at the emulator per account and compares it with the records. It prints
// the figures and the first failing cases, and exits 1 unless lost, stuck, doubled, and 5xx
// answered to a buyer while another account could take the sale are all 0.
//
// The load run, `npm run test:load` (`--load`), is the same with 2,000 orders from 50 buyers at
// a time, two `switchyard serve` instances on PostgreSQL behind nginx (deploy/nginx/; one
// instance on SQLite), a phase in which every request to the primary fails for a minute
// (`--outage-seconds`), the kill -9 striking one of the instances, and any 5xx to a buyer
// failing the run. `--instances`, `--strict` and the other options work in both.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { auditPayments, secretsInLog } from './faults-audit.mjs';
import { visitFunnel } from './faults-buyer.mjs';
import { caughtMistakes, plantMistakes } from './faults-self-check.mjs';
import { countBy, freshPostgresDatabase, machineLine, postControl } from './harness.mjs';
import { startNginx } from './nginx.mjs';

const binary = fileURLToPath(new URL('../bin/switchyard.js', import.meta.url));
const projectDir = fileURLToPath(new URL('..', import.meta.url));
const funnelSlug = 'faults';

const options = parseArguments(process.argv.slice(2));
const children = new Set();
let buyerCount = 0;
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
// Whatever hangs, the run stops by itself.
setTimeout(() => {
  console.error(`the fault run took over ${options.maxMinutes} minutes (--max-minutes); stopped`);
  process.exit(1);
}, options.maxMinutes * 60_000).unref();

function parseArguments(args) {
  const read = (name, fallback) => {
    const at = args.indexOf(`--${name}`);
    if (at === -1) return fallback;
    const value = Number(args[at + 1]);
    if (!Number.isFinite(value) || value < 0) {
      console.error(`--${name} needs a number, e.g. --${name} ${fallback}`);
      process.exit(2);
    }
    return value;
  };
  const chosen = ['sqlite', 'postgres'].filter((name) => args.includes(`--${name}`));
  // `--load` (npm run test:load): more orders and buyers, two instances behind nginx on
  // PostgreSQL, a minute-long outage of the primary, and no 5xx to a buyer at all.
  const load = args.includes('--load');
  return {
    databases: chosen.length > 0 ? chosen : ['sqlite', 'postgres'],
    orders: read('orders', load ? 2000 : 340),
    buyers: read('buyers', load ? 50 : 12),
    instances: Math.min(7, Math.max(1, read('instances', load ? 2 : 1))),
    outageSeconds: read('outage-seconds', load ? 60 : 0),
    downSeconds: read('down-seconds', load ? 10 : 25),
    settleSeconds: read('settle-seconds', load ? 300 : 150),
    seed: read('seed', 12),
    faultShare: read('fault-share', 0.1),
    maxMinutes: read('max-minutes', load ? 90 : 30),
    portBase: read('port-base', load ? 46200 : 46100),
    // Any 5xx to a buyer fails the run, not only one while another account could take the sale.
    strict: load || args.includes('--strict'),
    load,
    // `--phases kill` (or a comma list of faults, outage, chaos, kill): only those phases.
    phases: args.includes('--phases')
      ? (args[args.indexOf('--phases') + 1] ?? '').split(',').filter(Boolean)
      : [],
    keep: args.includes('--keep'),
    selfCheck: args.includes('--self-check'),
  };
}

/** One whole run on one database: set-up, the three phases, settling, the audit, the report. */
async function runOn(database) {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-faults-${database}-`));
  const portBase = options.portBase + (database === 'postgres' ? 10 : 0);
  const emulatorPort = portBase;
  // SQLite is one process's database: several instances are PostgreSQL's.
  const instances = database === 'postgres' ? options.instances : 1;
  const serverPorts = Array.from({ length: instances }, (_, index) => portBase + 1 + index);
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  // Buyers, Stripe's webhooks and the CLI's public URL: the one instance, or nginx before them.
  const frontPort = instances > 1 ? portBase + 9 : portBase + 1;
  const serverUrl = `http://127.0.0.1:${frontPort}`;
  const serverLogs = serverPorts.map((_, index) =>
    join(dir, instances > 1 ? `server-${index + 1}.log` : 'server.log'),
  );
  const random = seededRandom(options.seed);
  let databaseUrl = `sqlite:${join(dir, 'switchyard.db')}`;
  let dropDatabase = async () => {};
  if (database === 'postgres') {
    const made = await makePostgresDatabase();
    databaseUrl = made.url;
    dropDatabase = made.drop;
  }
  try {
    const emulator = startProcess(
      ['emulator', '--port', String(emulatorPort)],
      process.env,
      join(dir, 'emulator.log'),
    );
    await waitUntilAnswering(`${emulatorUrl}/_emulator/clock`, 20_000, emulator);

    const envOf = (serverPort) =>
      serverEnvironment({ dir, databaseUrl, serverUrl, serverPort, emulatorUrl });
    const setup = await setUpAsAMerchant({ env: envOf(serverPorts[0]), dir, emulatorUrl });
    const servers = serverPorts.map((serverPort, index) => ({
      process: null,
      async start() {
        this.process = startProcess(['serve'], envOf(serverPort), serverLogs[index]);
        await waitUntilAnswering(`http://127.0.0.1:${serverPort}/readyz`, 60_000, this.process);
      },
    }));
    await Promise.all(servers.map((server) => server.start()));
    const nginx =
      instances > 1 ? await startNginx({ port: frontPort, upstreams: serverPorts }) : null;
    // The one that is killed in the burst; with several, the others go on taking the orders.
    const server = servers[0];

    const run = {
      serverDown: false,
      /** Buyers typing their card into the card form (the kill waits for some). */
      atCardForm: 0,
      timings: {},
      answers5xx: [],
      accountsTaking: (currency) =>
        Object.values(setup.accounts).filter((account) => account.currencies.includes(currency))
          .length,
    };
    const outage = options.outageSeconds > 0;
    const phases = [
      {
        key: 'faults',
        name: 'faults on the primary',
        share: outage ? 0.3 : 0.35,
        faults: true,
        chaos: false,
        declines: 0.1,
      },
      ...(outage
        ? [
            {
              key: 'outage',
              name: `${options.outageSeconds} s outage of the primary`,
              share: 0.1,
              faults: false,
              outage: true,
              chaos: false,
              declines: 0.1,
            },
          ]
        : []),
      {
        key: 'chaos',
        name: 'webhook chaos and declines',
        share: outage ? 0.3 : 0.35,
        faults: false,
        chaos: true,
        declines: 0.4,
      },
      {
        key: 'kill',
        name: instances > 1 ? 'kill -9 of one instance mid-burst' : 'kill -9 mid-burst',
        share: 0.3,
        faults: false,
        chaos: true,
        declines: 0.15,
        kill: true,
      },
    ];
    const chosenPhases = phases.filter(
      (phase) => options.phases.length === 0 || options.phases.includes(phase.key),
    );
    const primary = setup.accounts.main;
    const requestsSeen = new Set();
    const buyers = [];
    const phaseLines = [];
    const runStarted = Date.now();
    for (const [index, phase] of chosenPhases.entries()) {
      // The orders left, shared among this phase and the ones after it.
      const sharesLeft = chosenPhases.slice(index).reduce((sum, each) => sum + each.share, 0);
      const count = Math.max(
        0,
        Math.round(((options.orders - buyers.length) * phase.share) / sharesLeft),
      );
      await postControl(emulatorUrl, '/_emulator/webhooks/chaos', {
        duplicates: phase.chaos ? 2 : 0,
        shuffle: phase.chaos,
      });
      const stopFaults = phase.faults ? injectFaults(emulatorUrl, primary.id, random) : null;
      const started = Date.now();
      const crash = { downMs: 0, confirmedWhileDown: 0 };
      const phaseBuyers = await runBuyers({
        count,
        phase,
        random,
        run,
        serverUrl,
        emulatorUrl,
        alongside: phase.kill
          ? (started) => killMidBurst(started, count, server, run, crash)
          : phase.outage
            ? () => primaryOutage(emulatorUrl, primary.id, crash)
            : null,
      });
      await stopFaults?.();
      buyers.push(...phaseBuyers);
      const faulted = await faultedRequests(emulatorUrl, primary.id, requestsSeen);
      phaseLines.push(
        describePhase(phase, phaseBuyers, (Date.now() - started) / 1000, faulted, crash),
      );
    }
    const ordersSeconds = (Date.now() - runStarted) / 1000;

    // Faults and chaos off: what is left to heal is the server's to heal.
    await fetch(`${emulatorUrl}/_emulator/faults`, { method: 'DELETE' });
    await postControl(emulatorUrl, '/_emulator/webhooks/chaos', { duplicates: 0, shuffle: false });
    const settleStarted = Date.now();
    const auditInput = {
      emulatorPort,
      accounts: setup.accounts,
      serverUrl,
      token: setup.token,
    };
    let audit = await auditPayments(auditInput);
    while (!isSettled(audit) && Date.now() - settleStarted < options.settleSeconds * 1000) {
      await sleep(10_000);
      audit = await auditPayments(auditInput);
    }
    const settledSeconds = (Date.now() - settleStarted) / 1000;
    const deliveries = await webhookDeliveries(emulatorUrl);
    const settled = isSettled(audit);
    let selfCheck = null;
    if (options.selfCheck) {
      const planted = await plantMistakes({
        audit,
        emulatorPort,
        accounts: setup.accounts,
        databaseUrl,
      });
      // The planted charge's webhook reaches the server meanwhile; whatever it does, Stripe has two.
      await sleep(2_000);
      audit = await auditPayments(auditInput);
      selfCheck = { planted, caught: caughtMistakes(audit, planted) };
    }

    await Promise.all(servers.map((each) => stopProcess(each.process, 'SIGTERM')));
    await nginx?.stop();
    await stopProcess(emulator, 'SIGTERM');
    const serverLog = serverLogs.join(', ');
    const logText = serverLogs.map((path) => readFileSync(path, 'utf8')).join('\n');
    const secrets = secretsInLog(logText, {
      'admin token': setup.token,
      'master key': readFileSync(join(dir, 'master.key'), 'utf8').trim(),
    });
    const report = buildReport({
      database,
      buyers,
      run,
      audit,
      phaseLines,
      ordersSeconds,
      settledSeconds,
      settled,
      selfCheck,
      deliveries,
      secrets,
      serverLog,
      instances,
    });
    console.log(report.text);
    if (report.passed && !options.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept for a look: ${dir}`);
    return report;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await dropDatabase();
  }
}

function serverEnvironment({ dir, databaseUrl, serverUrl, serverPort, emulatorUrl }) {
  // With several instances, each has its own port and nginx (at 127.0.0.1) is the public URL.
  const env = { ...process.env };
  delete env.SWITCHYARD_MASTER_KEY;
  return {
    ...env,
    PORT: String(serverPort),
    HOST: '127.0.0.1',
    PUBLIC_URL: serverUrl,
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info',
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: new URL(emulatorUrl).port,
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_JS_URL: `${emulatorUrl}/v3/`,
    SWITCHYARD_DEMO: 'off',
    // Every buyer of this run comes from 127.0.0.1: the per-IP card-testing brake would stop them.
    CHECKOUT_LIMIT_PER_IP: '1000000',
    TRUST_PROXY: '127.0.0.1',
  };
}

/** As the README tells a merchant: accounts, keys through the CLI, a token, a funnel file. */
async function setUpAsAMerchant({ env, dir, emulatorUrl }) {
  const wanted = [
    { handle: 'main', name: 'Main LLC', country: 'US', currency: 'usd', flags: [] },
    {
      handle: 'backup',
      name: 'Backup LLC',
      country: 'US',
      currency: 'usd',
      flags: ['--priority', '1'],
    },
    { handle: 'eu', name: 'EU GmbH', country: 'DE', currency: 'eur', flags: ['--priority', '2'] },
  ];
  const accounts = {};
  for (const account of wanted) {
    const made = await postControl(emulatorUrl, '/_emulator/accounts', {
      name: account.name,
      country: account.country,
      default_currency: account.currency,
    });
    await runCli(
      [
        'accounts',
        'add',
        account.handle,
        '--label',
        account.name,
        '--currencies',
        account.currency,
        ...account.flags,
      ],
      {
        ...env,
        STRIPE_TEST_SECRET_KEY: made.keys.test.secret,
        STRIPE_TEST_PUBLISHABLE_KEY: made.keys.test.publishable,
      },
    );
    accounts[account.handle] = {
      id: made.id,
      secretKey: made.keys.test.secret,
      currencies: [account.currency],
    };
  }
  const { token } = JSON.parse(
    await runCli(['tokens', 'create', '--name', 'faults', '--json'], env),
  );
  const funnelFile = join(dir, 'faults-funnel.yaml');
  writeFileSync(funnelFile, toYaml(funnelDocument()));
  await runCli(['funnels', 'import', funnelFile], env);
  return { accounts, token };
}

function funnelDocument() {
  const product = (slug, name, usd, eur) => ({
    slug,
    name,
    description: `${name}, sold in the fault run.`,
    prices: [
      { currency: 'usd', amount: usd },
      { currency: 'eur', amount: eur },
    ],
  });
  return {
    products: [
      product('course', 'Launch Masterclass', 4900, 4500),
      product('checklist', 'Launch Day Checklist', 1900, 1700),
      product('coaching', 'Group Coaching', 9900, 8900),
      product('templates', 'Launch Email Templates', 2900, 2700),
    ],
    funnel: {
      slug: funnelSlug,
      name: 'Fault run',
      mode: 'test',
      steps: [
        { slug: 'order', kind: 'order', product: 'course', bump: 'checklist', content: {} },
        { slug: 'coaching', kind: 'upsell', product: 'coaching', content: {} },
        { slug: 'templates', kind: 'downsell', product: 'templates', content: {} },
        { slug: 'thanks', kind: 'thankyou', content: {} },
      ],
    },
  };
}

/** `count` buyers, `options.buyers` at a time; `alongside(started)` runs meanwhile. */
async function runBuyers({ count, phase, random, run, serverUrl, emulatorUrl, alongside }) {
  const buyers = [];
  let started = 0;
  // An outage phase spreads its orders over the outage, so buyers keep coming all through it.
  const paceMs = phase.outage && count > 0 ? (options.outageSeconds * 1000) / count : 0;
  const phaseStart = Date.now();
  async function lane() {
    while (started < count) {
      const due = phaseStart + started * paceMs;
      started += 1;
      if (due > Date.now()) await sleep(due - Date.now());
      const buyer = newBuyer(phase, random);
      buyers.push(buyer);
      try {
        await visitFunnel({
          run,
          serverUrl,
          emulatorUrl,
          funnel: funnelSlug,
          buyer,
          choices: buyer.choices,
        });
      } catch (error) {
        buyer.giveUp(`the script failed: ${error?.stack ?? error}`);
      }
    }
  }
  const side = alongside?.(() => started);
  await Promise.all(Array.from({ length: options.buyers }, lane));
  await side;
  return buyers;
}

function newBuyer(phase, random) {
  buyerCount += 1;
  const german = random() < 0.2;
  const currency = german ? 'eur' : 'usd';
  return {
    n: buyerCount,
    phase: phase.name,
    email: `buyer${buyerCount}.${process.pid}@example.com`,
    name: `Buyer ${buyerCount}`,
    country: german ? 'DE' : 'US',
    currency,
    orderId: null,
    finished: false,
    gaveUpBecause: null,
    bumpChosen: false,
    confirms: [],
    offers: [],
    offerCardForms: 0,
    unanswered: 0,
    slowestWait: 0,
    confirmedWhileDown: 0,
    confirmingPages: 0,
    confirmErrors: [],
    abandonsWhenUnanswered: phase.kill === true && random() < 0.5,
    choices: {
      bump: random() < 0.5,
      declineFirst: random() < phase.declines,
      declinedCard: random() < 0.5 ? '4000000000000002' : '4000000000009995',
      acceptUpsell: random() < 0.5,
      acceptDownsell: random() < 0.5,
      typingMs: phase.kill ? 500 + Math.floor(random() * 1500) : 0,
    },
    giveUp(reason) {
      this.gaveUpBecause ??= reason;
      return this;
    },
  };
}

/**
 * Fails `share` of the primary's requests: it watches the emulator's request log and adds a
 * one-shot fault for every so many new requests (a timeout at most every 5 s, as each holds a
 * buyer for as long as the server waits).
 */
function injectFaults(emulatorUrl, accountId, random) {
  let stopped = false;
  let lastTimeout = 0;
  let owed = 0;
  const counted = new Set();
  // A `_after` fault strikes once Stripe has done the work: the answer is lost, or a 500 stored.
  const kinds = [
    ['server_error', 0.25],
    ['rate_limit', 0.3],
    ['connection_reset', 0.15],
    ['timeout', 0.05],
    ['server_error_after', 0.1],
    ['connection_reset_after', 0.1],
    ['timeout_after', 0.05],
  ];
  const loop = (async () => {
    while (!stopped) {
      const recent = await (
        await fetch(`${emulatorUrl}/_emulator/requests?account=${accountId}&limit=300`)
      ).json();
      for (const request of recent.data) {
        if (counted.has(request.id)) continue;
        counted.add(request.id);
        owed += options.faultShare;
      }
      for (; owed >= 1; owed -= 1) {
        const picked = pickWeighted(kinds, random());
        const after = picked.endsWith('_after');
        let fault = after ? picked.slice(0, -'_after'.length) : picked;
        if (fault === 'timeout' && Date.now() - lastTimeout < 5_000) fault = 'server_error';
        if (fault === 'timeout') lastTimeout = Date.now();
        await postControl(emulatorUrl, '/_emulator/faults', {
          account: accountId,
          fault,
          after,
          times: 1,
        });
      }
      await sleep(200);
    }
  })();
  return async function stopFaults() {
    stopped = true;
    await loop;
    await fetch(`${emulatorUrl}/_emulator/faults`, { method: 'DELETE' });
  };
}

function pickWeighted(choices, roll) {
  let left = roll;
  for (const [choice, weight] of choices) {
    left -= weight;
    if (left < 0) return choice;
  }
  return choices[0][0];
}

async function faultedRequests(emulatorUrl, accountId, seen) {
  const answer = await (
    await fetch(`${emulatorUrl}/_emulator/requests?account=${accountId}`)
  ).json();
  const counts = { requests: 0 };
  for (const request of answer.data) {
    if (seen.has(request.id)) continue;
    seen.add(request.id);
    counts.requests += 1;
    if (request.fault) counts[request.fault] = (counts[request.fault] ?? 0) + 1;
  }
  return counts;
}

/**
 * Once a third of the burst has started and some buyers hold a card form, SIGKILL the server,
 * leave it down `--down-seconds`, and start it again on the same database and DATA_DIR.
 */
async function killMidBurst(started, count, server, run, crash) {
  const atTheForm = Math.max(1, Math.floor(options.buyers / 3));
  while (started() < count && (started() < count * 0.35 || run.atCardForm < atTheForm)) {
    await sleep(20);
  }
  run.serverDown = true;
  const downAt = Date.now();
  await stopProcess(server.process, 'SIGKILL');
  await sleep(options.downSeconds * 1000);
  await server.start();
  run.serverDown = false;
  crash.downMs = Date.now() - downAt;
}

/**
 * Every request to the primary fails with a 500 for `--outage-seconds`, as when Stripe has an
 * incident on one account: its breaker opens, and new sales go to the backup account.
 */
async function primaryOutage(emulatorUrl, accountId, crash) {
  const from = Date.now();
  await postControl(emulatorUrl, '/_emulator/faults', {
    account: accountId,
    fault: 'server_error',
    times: 100_000_000,
  });
  await sleep(options.outageSeconds * 1000);
  await fetch(`${emulatorUrl}/_emulator/faults`, { method: 'DELETE' });
  crash.outageMs = Date.now() - from;
}

async function webhookDeliveries(emulatorUrl) {
  const attempts = (await (await fetch(`${emulatorUrl}/_emulator/deliveries`)).json()).data;
  const delivered = new Set(
    attempts.filter((attempt) => attempt.succeeded).map((attempt) => attempt.event_id),
  );
  const events = new Set(attempts.map((attempt) => attempt.event_id));
  return {
    attempts: attempts.length,
    duplicates: attempts.filter((attempt) => attempt.duplicate).length,
    failed: attempts.filter((attempt) => !attempt.succeeded).length,
    failedBecause: countBy(
      attempts.filter((attempt) => !attempt.succeeded),
      (attempt) => attempt.error ?? `HTTP ${attempt.status}`,
    ),
    events: events.size,
    neverDelivered: [...events].filter((id) => !delivered.has(id)).length,
  };
}

function isSettled(audit) {
  return audit.lost.length === 0 && audit.stuck.length === 0 && audit.phantom.length === 0;
}

function describePhase(phase, buyers, seconds, faulted, crash) {
  const finished = buyers.filter((buyer) => buyer.finished).length;
  const parts = [
    `${phase.name}: ${buyers.length} buyers, ${finished} reached thank-you, in ${seconds.toFixed(1)} s`,
  ];
  if (phase.faults) {
    const names = ['server_error', 'rate_limit', 'connection_reset', 'timeout'].flatMap((kind) =>
      kind === 'rate_limit' ? [kind] : [kind, `${kind}_after`],
    );
    const kinds = names.map((kind) => `${kind} ${faulted[kind] ?? 0}`).join(', ');
    const total = names.reduce((sum, kind) => sum + (faulted[kind] ?? 0), 0);
    parts.push(`primary's requests ${faulted.requests}, faulted ${total} (${kinds})`);
  }
  const declined = buyers.filter((buyer) =>
    buyer.confirms.some((confirm) => confirm.outcome === 'declined'),
  ).length;
  if (declined > 0) parts.push(`declined first ${declined}`);
  if (phase.outage) {
    parts.push(
      `primary's requests ${faulted.requests}, all failing for ${((crash.outageMs ?? 0) / 1000).toFixed(1)} s`,
    );
  }
  if (phase.kill) {
    const whileDown = buyers.reduce((sum, buyer) => sum + buyer.confirmedWhileDown, 0);
    const closed = buyers.filter((buyer) =>
      /closed the tab/.test(buyer.gaveUpBecause ?? ''),
    ).length;
    parts.push(
      `server down ${(crash.downMs / 1000).toFixed(1)} s, cards confirmed at Stripe meanwhile ${whileDown}, tabs closed after paying ${closed}`,
    );
  }
  return parts.join('; ');
}

function buildReport(input) {
  const { database, buyers, run, audit, deliveries, secrets } = input;
  const lines = [];
  const say = (line = '') => lines.push(line);
  const withAnother = run.answers5xx.filter((answer) => answer.anotherAccountCould);
  const failures = {
    lost: audit.lost.length,
    stuck: audit.stuck.length,
    doubled: audit.doubled.length,
    ...(options.strict
      ? { 'buyer 5xx': run.answers5xx.length }
      : { 'buyer 5xx with another account': withAnother.length }),
  };
  const passed = Object.values(failures).every((count) => count === 0);

  say(
    `\n== switchyard ${options.load ? 'load' : 'fault'} run on ${database}` +
      (input.instances > 1 ? `, ${input.instances} instances behind nginx` : ', one instance'),
  );
  say(machineLine());
  for (const line of input.phaseLines) say(`phase ${line}`);
  say(
    `orders: ${buyers.length} buyers in ${input.ordersSeconds.toFixed(1)} s (${options.buyers} at a time), ` +
      `${buyers.filter((buyer) => buyer.finished).length} reached thank-you; records: ${audit.orders} orders ` +
      `(${Object.entries(audit.ordersByStatus)
        .map(([status, count]) => `${status} ${count}`)
        .join(', ')})`,
  );
  say(
    `webhooks: ${deliveries.events} events, ${deliveries.attempts} delivery attempts ` +
      `(${deliveries.duplicates} duplicates, ${deliveries.failed} failed${formatCounts(deliveries.failedBecause)}), ` +
      `${deliveries.neverDelivered} events never delivered`,
  );
  say(
    `settling: ${input.settled ? 'settled' : 'NOT settled'} after ${input.settledSeconds.toFixed(0)} s (limit ${options.settleSeconds} s)`,
  );
  say('payments per account (PaymentIntents at Stripe, succeeded; payments recorded, succeeded):');
  for (const [handle, counts] of Object.entries(audit.perAccount)) {
    say(
      `  ${handle.padEnd(7)} Stripe ${counts.intents} PIs, ${counts.succeeded} succeeded; records ${counts.payments} payments, ${counts.recordedSucceeded} succeeded`,
    );
  }
  say(`payments moved to another account after a failure: ${audit.failoverPayments}`);
  say(`succeeded at Stripe vs recorded: ${audit.succeededAtStripe} / ${audit.recordedSucceeded}`);
  say(`lost (charged at Stripe, not recorded as succeeded): ${audit.lost.length}`);
  say(`stuck (payments succeeded, order not paid or totals disagree): ${audit.stuck.length}`);
  say(`doubled (two succeeded charges for one payment or one order step): ${audit.doubled.length}`);
  say(`recorded succeeded, not succeeded at Stripe: ${audit.phantom.length}`);
  say(`amount recorded differs from Stripe's: ${audit.amountDiffers.length}`);
  say(`succeeded on an account that does not take the currency: ${audit.wrongAccount.length}`);
  const byStep = countBy(run.answers5xx, (answer) => `${answer.step} ${answer.status}`);
  say(
    `buyer 5xx answers: ${run.answers5xx.length}${formatCounts(byStep)}; while another account could take the sale: ${withAnother.length}`,
  );
  const unanswered = buyers.reduce((sum, buyer) => sum + buyer.unanswered, 0);
  say(`buyer requests without an answer (reloaded): ${unanswered}`);
  const confirmErrors = buyers.flatMap((buyer) => buyer.confirmErrors);
  say(
    `Stripe.js confirms answered an error (the buyer reloaded the payment step): ${confirmErrors.length}${formatCounts(countBy(confirmErrors, (error) => error))}`,
  );
  const confirming = buyers.reduce((sum, buyer) => sum + buyer.confirmingPages, 0);
  say(`"payment is being confirmed" pages followed (they reload themselves): ${confirming}`);
  const gaveUp = buyers.filter((buyer) => !buyer.finished);
  say(
    `buyers who did not reach thank-you: ${gaveUp.length}${formatCounts(
      countBy(gaveUp, (buyer) => shortReason(buyer.gaveUpBecause)),
    )}`,
  );
  say(
    `secrets in the server log: ${secrets.reduce((sum, found) => sum + found.count, 0)}${formatCounts(
      Object.fromEntries(secrets.map((found) => [found.kind, found.count])),
    )}`,
  );
  say('time per step, ms (p50 / p95 / p99 / max, answers):');
  for (const [step, took] of Object.entries(run.timings)) {
    const quantiles = [0.5, 0.95, 0.99].map((fraction) => percentile(took, fraction));
    say(`  ${step.padEnd(13)} ${[...quantiles, Math.max(...took)].join(' / ')} (${took.length})`);
  }
  const slow = buyers.filter((buyer) => buyer.slowestWait >= 10_000).length;
  say(`buyers who waited 10 s or more for one page: ${slow}`);

  const cases = [
    ['lost', audit.lost],
    ['stuck', audit.stuck],
    ['doubled', audit.doubled],
    ['recorded succeeded, not at Stripe', audit.phantom],
    ['amount differs', audit.amountDiffers],
    ['wrong account', audit.wrongAccount],
    ['buyer 5xx', run.answers5xx],
    ['did not reach thank-you', gaveUp.map(describeBuyer)],
    ['secret in the log', secrets.map((found) => ({ kind: found.kind, line: found.example }))],
  ];
  for (const [kind, list] of cases) {
    if (list.length === 0) continue;
    say(`first ${kind} cases:`);
    for (const item of list.slice(0, 5)) say(`  ${JSON.stringify(item)}`);
  }
  say(`server log: ${input.serverLog}`);
  const verdict = passed
    ? `PASS: lost 0, stuck 0, doubled 0, no 5xx to a buyer${options.strict ? '' : ' while another account could take the sale'}`
    : `FAIL: ${Object.entries(failures)
        .filter(([, count]) => count > 0)
        .map(([name, count]) => `${name} ${count}`)
        .join(', ')}`;
  if (input.selfCheck) {
    const { planted, caught } = input.selfCheck;
    const selfPassed = caught.doubled && caught.stuck;
    const selfVerdict = `self-check ${selfPassed ? 'PASS' : 'FAIL'}: planted a second charge for ${planted.doubledPayment} (caught as doubled: ${caught.doubled ? 'yes' : 'no'}) and reopened ${planted.stuckOrder} (caught as stuck: ${caught.stuck ? 'yes' : 'no'})`;
    say(selfVerdict);
    return { database, passed: selfPassed, verdict: selfVerdict, text: lines.join('\n') };
  }
  say(verdict);
  return { database, passed, verdict, text: lines.join('\n') };
}

function describeBuyer(buyer) {
  return {
    buyer: buyer.n,
    phase: buyer.phase,
    order: buyer.orderId,
    why: buyer.gaveUpBecause?.split('\n')[0],
  };
}

function shortReason(reason) {
  return (reason ?? 'unknown').split('\n')[0].replace(/\d{3}/g, 'NNN').slice(0, 60);
}

function formatCounts(counts) {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '';
  return ` (${entries.map(([name, count]) => `${name}: ${count}`).join(', ')})`;
}

function percentile(values, fraction) {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/** Small, fast and repeatable: the same seed makes the same buyers. */
function seededRandom(seed) {
  let state = seed >>> 0 || 1;
  return function random() {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function startProcess(args, env, logPath) {
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [binary, ...args], {
    cwd: projectDir,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stopProcess(child, signal) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

async function waitUntilAnswering(url, limitMs, child) {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${limitMs / 1000} s`);
}

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], { cwd: projectDir, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.once('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`switchyard ${args.slice(0, 2).join(' ')} exited ${code}: ${err}`)),
    );
  });
}

/**
 * A fresh database of this run, dropped again by `drop()`: `switchyard_faults`, never the test
 * suite's `switchyard_test`; with another --port-base its own name, so two runs never share one.
 */
function makePostgresDatabase() {
  const postgresDatabase =
    options.portBase === 46100 ? 'switchyard_faults' : `switchyard_faults_${options.portBase}`;
  const adminUrl = process.env.FAULTS_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  return freshPostgresDatabase(postgresDatabase, adminUrl);
}

const reports = [];
for (const database of options.databases) {
  reports.push(await runOn(database));
}
console.log(`\n${reports.map((report) => `${report.database}: ${report.verdict}`).join('\n')}`);
process.exit(reports.every((report) => report.passed) ? 0 : 1);
