// Routing decision latency: `npm run bench:routing` (builds dist/ first).
//
// For configs of 5 / 50 / 500 accounts × 10 / 200 / 2,000 rules it compiles the config once, as the
// service does per config version, then times single decisions over varied payment contexts.
// Rules are generated so that most do not match: the evaluator walks them, which is the slow path.
// Issue 16's parts are in: some rules and funnel pins split between 2-3 accounts (some preferring
// the customer's account), some accounts have daily or monthly caps with usage near them, and
// most payments have a customer (an email and known accounts) and an order id, so splits hash.
// A baseline (JSON.stringify of the same context) is timed in the same run, so the figures can be
// compared across machines. Budget: p99 <= 50 µs for 50 accounts and 200 rules; exits 1 if missed.
import { arch, cpus, platform } from 'node:os';
import { compileRouting, parsePaymentContext, parseRoutingConfig } from '../dist/routing/index.js';

const accountCounts = [5, 50, 500];
const ruleCounts = [10, 200, 2_000];
const budget = { accounts: 50, rules: 200, p99Micros: 50 };
const contextCount = 1_000;
const warmupDecisions = 50_000;
const timedDecisions = 30_000;
const batches = 3;
const batchMillis = 100;

const currencies = ['usd', 'eur', 'gbp', 'cad', 'aud', 'jpy', 'chf', 'sek'];
const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const allCountries = [...letters].flatMap((a) => [...letters].map((b) => a + b));
// Payments come from a few countries; rules name countries from the whole list, so few match.
const paymentCountries = ['US', 'DE', 'FR', 'GB', 'CA', 'AU', 'NL', 'SE', 'CH', 'JP'];
const tags = Array.from({ length: 40 }, (_, index) => `line-${index}`);
const products = Array.from({ length: 200 }, (_, index) => `product-${index}`);
const funnels = Array.from({ length: 30 }, (_, index) => `funnel-${index}`);

/** A small seeded generator (mulberry32): every run benchmarks the same configs and payments. */
function createRandom(seed) {
  let state = seed >>> 0;
  const next = function nextRandom() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = (list) => list[Math.floor(next() * list.length)];
  const pickSome = (list, count) => Array.from({ length: count }, () => pick(list));
  const chance = (probability) => next() < probability;
  return { next, pick, pickSome, chance };
}

function generateConfig(accountCount, ruleCount, random) {
  const handles = Array.from({ length: accountCount }, (_, index) => `acct-${index}`);
  const accounts = handles.map((handle, index) => ({
    handle,
    role: index === 0 ? 'primary' : 'secondary',
    priority: index % 5,
    ...(random.chance(0.5) ? { currencies: random.pickSome(currencies, 2) } : {}),
    ...(random.chance(0.1) ? { modes: ['test'] } : {}),
    ...(random.chance(0.05) ? { drain: true } : {}),
    ...(random.chance(0.5) ? { caps: capsFor(random) } : {}),
  }));
  // A split of 2-3 distinct accounts with weights that sum above 0.
  const split = () => {
    const accounts = [...new Set(random.pickSome(handles, 2 + Math.floor(random.next() * 2)))];
    return {
      split: accounts.map((account, index) => ({
        account,
        weight: index === 0 ? 1 + Math.floor(random.next() * 90) : Math.floor(random.next() * 50),
      })),
      ...(random.chance(0.2) ? { key: 'order' } : {}),
    };
  };
  const rules = Array.from({ length: ruleCount }, (_, index) => {
    const when = {};
    if (random.chance(0.5))
      when.currency = random.pickSome(currencies, 1 + Math.floor(random.next() * 2));
    when.country = random.pickSome(allCountries, 1 + Math.floor(random.next() * 3));
    if (random.chance(0.3)) when.tags = random.pickSome(tags, 2);
    if (random.chance(0.3)) when.amount = { min: Math.floor(random.next() * 50_000) };
    if (random.chance(0.1)) when.funnel = random.pickSome(funnels, 2);
    return {
      name: `rule-${index}`,
      when,
      use: random.chance(0.3) ? split() : random.pick(handles),
      ...(random.chance(0.3) ? { prefer: 'customer_account' } : {}),
      fallback: random.chance(0.2)
        ? 'none'
        : random.chance(0.5)
          ? 'auto'
          : random.pickSome(handles, 2),
    };
  });
  const pin = (splits) => ({
    use: splits && random.chance(0.6) ? split() : random.pick(handles),
    fallback: random.chance(0.7) ? 'auto' : 'none',
  });
  const pinsFor = (names, share, splits) =>
    Object.fromEntries(names.filter(() => random.chance(share)).map((name) => [name, pin(splits)]));
  return {
    accounts,
    rules,
    products: pinsFor(products, 0.05, false),
    funnels: pinsFor(funnels, 0.2, true),
    steps: pinsFor(
      funnels.map((funnel) => `${funnel}/order`),
      0.1,
      true,
    ),
  };
}

/** A day and/or a month cap in one or two currencies. */
function capsFor(random) {
  const caps = [];
  for (const currency of new Set(random.pickSome(currencies, 2))) {
    if (random.chance(0.7)) caps.push({ currency, period: 'day', amount: 500_000 });
    if (random.chance(0.5)) caps.push({ currency, period: 'month', amount: 10_000_000 });
  }
  return caps.length > 0 ? caps : [{ currency: 'usd', period: 'day', amount: 500_000 }];
}

/** Minor units taken today and this month in the payment's currency, some of them near the caps. */
function usageFor(accountCount, currency, random) {
  const usage = {};
  for (let index = 0; index < 8; index++) {
    const handle = `acct-${Math.floor(random.next() * Math.min(accountCount, 20))}`;
    usage[handle] = {
      [random.chance(0.8) ? currency : random.pick(currencies)]: {
        day: Math.floor(random.next() * 520_000),
        month: Math.floor(random.next() * 10_100_000),
      },
    };
  }
  return usage;
}

function generateContext(accountCount, random) {
  const kind = random.chance(0.85) ? 'initial' : random.pick(['upsell', 'renewal', 'refund']);
  const health = {};
  for (let index = 0; index < 3; index++) {
    if (random.chance(0.2)) {
      health[`acct-${Math.floor(random.next() * Math.min(accountCount, 10))}`] = random.pick([
        'degraded',
        'down',
        'disconnected',
        'restricted',
      ]);
    }
  }
  const funnel = random.pick(funnels);
  const currency = random.pick(currencies);
  return {
    mode: random.chance(0.9) ? 'live' : 'test',
    kind,
    ...(random.chance(0.7) ? { funnel, step: `${funnel}/order` } : {}),
    products: random.chance(0.5)
      ? random.pickSome(products, 1 + Math.floor(random.next() * 2))
      : [],
    tags: random.chance(0.5) ? random.pickSome(tags, 1) : [],
    currency,
    country: random.pick(paymentCountries),
    amount: Math.floor(random.next() * 100_000),
    ...(kind === 'initial'
      ? {}
      : { parent: { account: `acct-${Math.floor(random.next() * accountCount)}` } }),
    order: `ord_${Math.floor(random.next() * 1e9)}`,
    ...(random.chance(0.8)
      ? {
          customer: {
            key: `buyer${Math.floor(random.next() * 1e6)}@example.com`,
            accounts: random.chance(0.4)
              ? random.pickSome(
                  Array.from({ length: Math.min(accountCount, 20) }, (_, index) => `acct-${index}`),
                  1 + Math.floor(random.next() * 2),
                )
              : [],
          },
        }
      : {}),
    usage: usageFor(accountCount, currency, random),
    health,
  };
}

function mustParse(parsed, what) {
  if (!parsed.success)
    throw new Error(`generated ${what} is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

/** Times `decide` one call at a time and in one batch; returns microseconds and decisions/s. */
function measure(decide, contexts) {
  let sink = 0;
  for (let index = 0; index < warmupDecisions; index++) {
    sink ^= decide(contexts[index % contexts.length]) === undefined ? 1 : 0;
  }
  const samples = new Float64Array(timedDecisions);
  for (let index = 0; index < timedDecisions; index++) {
    const context = contexts[index % contexts.length];
    const start = process.hrtime.bigint();
    const result = decide(context);
    samples[index] = Number(process.hrtime.bigint() - start) / 1_000;
    sink ^= result === undefined ? 1 : 0;
  }
  // Throughput: the best of a few batches, each at least batchMillis long, so that a moment of
  // contention on a shared machine does not decide the figure.
  let perSecond = 0;
  for (let batch = 0; batch < batches; batch++) {
    let decided = 0;
    const batchStart = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < batchMillis * 1e6) {
      for (let index = 0; index < 1_000; index++) {
        sink ^= decide(contexts[(decided + index) % contexts.length]) === undefined ? 1 : 0;
      }
      decided += 1_000;
      elapsed = Number(process.hrtime.bigint() - batchStart);
    }
    perSecond = Math.max(perSecond, decided / (elapsed / 1e9));
  }
  samples.sort();
  return {
    median: samples[Math.floor(samples.length * 0.5)],
    p99: samples[Math.floor(samples.length * 0.99)],
    perSecond,
    sink,
  };
}

function timerOverhead() {
  const samples = new Float64Array(100_000);
  for (let index = 0; index < samples.length; index++) {
    const start = process.hrtime.bigint();
    samples[index] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  samples.sort();
  return samples[Math.floor(samples.length / 2)];
}

const format = {
  micros: (value) => value.toFixed(2).padStart(9),
  count: (value) => Math.round(value).toLocaleString('en-US').padStart(12),
  share: (value) => `${(value * 100).toFixed(0)}%`.padStart(9),
};

function main() {
  const cpuList = cpus();
  console.log('Switchyard routing benchmark');
  console.log(
    `Machine: ${cpuList[0]?.model ?? 'unknown CPU'}, ${cpuList.length} cores, Node ${process.version}, ${platform()} ${arch()}`,
  );
  console.log(
    `Per combination: ${contextCount} generated payment contexts, ${warmupDecisions} warm-up decisions, ${timedDecisions} timed one by one; decisions/s is the best of ${batches} batches of ${batchMillis} ms.`,
  );
  console.log(
    `Timer overhead (included in each single-call figure): ${timerOverhead().toFixed(3)} µs\n`,
  );

  const random = createRandom(20_240_601);
  const rows = [];
  let baseline;
  for (const accountCount of accountCounts) {
    for (const ruleCount of ruleCounts) {
      const config = mustParse(
        parseRoutingConfig(generateConfig(accountCount, ruleCount, random)),
        'config',
      );
      const contexts = Array.from({ length: contextCount }, () =>
        mustParse(parsePaymentContext(generateContext(accountCount, random)), 'context'),
      );
      const compileStart = process.hrtime.bigint();
      const compiled = compileRouting(config);
      const compileMillis = Number(process.hrtime.bigint() - compileStart) / 1e6;
      const decisions = contexts.map((context) => compiled.route(context));
      const walkedAll = decisions.filter((decision) => decision.matched.level === 'default').length;
      const split = decisions.filter((decision) => decision.split !== undefined).length;
      const capped = decisions.filter((decision) =>
        decision.candidates.some((candidate) => candidate.reasons.includes('cap_reached')),
      ).length;
      const result = measure((context) => compiled.route(context), contexts);
      // The baseline runs on the same contexts; the middle configuration's is the reference.
      const reference = measure((context) => JSON.stringify(context), contexts);
      if (accountCount === budget.accounts && ruleCount === budget.rules) baseline = reference;
      rows.push({
        accountCount,
        ruleCount,
        compileMillis,
        walkedAll: walkedAll / decisions.length,
        split: split / decisions.length,
        capped: capped / decisions.length,
        ...result,
        ratio: result.median / reference.median,
      });
    }
  }

  console.log(
    'accounts  rules  compile ms  to default    split   capped  median µs   p99 µs   decisions/s  median × baseline',
  );
  for (const row of rows) {
    console.log(
      [
        String(row.accountCount).padStart(8),
        String(row.ruleCount).padStart(6),
        row.compileMillis.toFixed(2).padStart(11),
        format.share(row.walkedAll).padStart(11),
        format.share(row.split),
        format.share(row.capped).padStart(8),
        format.micros(row.median).padStart(10),
        format.micros(row.p99),
        format.count(row.perSecond).padStart(13),
        row.ratio.toFixed(1).padStart(18),
      ].join(' '),
    );
  }
  if (baseline !== undefined) {
    console.log(
      `\nBaseline, JSON.stringify(context): median ${baseline.median.toFixed(2)} µs, p99 ${baseline.p99.toFixed(2)} µs, ${Math.round(baseline.perSecond).toLocaleString('en-US')} calls/s.`,
    );
  }
  console.log('"to default": share of decisions that walked every rule and fell to the primary.');
  console.log(
    '"split": share decided through a split; "capped": share where an account was at a cap.',
  );

  const budgetRow = rows.find(
    (row) => row.accountCount === budget.accounts && row.ruleCount === budget.rules,
  );
  const passed = budgetRow !== undefined && budgetRow.p99 <= budget.p99Micros;
  console.log(
    `\nBudget: p99 <= ${budget.p99Micros} µs at ${budget.accounts} accounts × ${budget.rules} rules: ${budgetRow?.p99.toFixed(2)} µs -> ${passed ? 'PASS' : 'FAIL'}`,
  );
  if (!passed) process.exitCode = 1;
}

main();
