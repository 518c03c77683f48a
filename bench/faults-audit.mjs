// The audit of the fault run (`npm run test:faults`): every PaymentIntent at the emulator, listed
// per account through the official SDK, against Switchyard's records read from the admin API
// (GET /api/orders, then GET /api/orders/{id} for each). And the server's log, read for secrets.
import Stripe from 'stripe';
import { countBy } from './harness.mjs';

/**
 * `accounts`: handle -> { secretKey, currencies }. Answers the figures and, for each kind of
 * failure, the cases (first ones first) with their ids.
 */
export async function auditPayments({ emulatorPort, accounts, serverUrl, token }) {
  const intents = await intentsAtStripe(emulatorPort, accounts);
  const orders = await recordedOrders(serverUrl, token);
  return compare(intents, orders, accounts);
}

async function intentsAtStripe(emulatorPort, accounts) {
  const intents = [];
  for (const [handle, account] of Object.entries(accounts)) {
    const stripe = new Stripe(account.secretKey, {
      host: '127.0.0.1',
      port: emulatorPort,
      protocol: 'http',
      maxNetworkRetries: 2,
    });
    for await (const intent of stripe.paymentIntents.list({ limit: 100 })) {
      // The test payments the jobs make (refunded or never confirmed) are not sales.
      if (intent.metadata.switchyard_test_payment) continue;
      intents.push({
        handle,
        id: intent.id,
        status: intent.status,
        amount: intent.amount,
        currency: intent.currency,
        order: intent.metadata.switchyard_order ?? null,
        payment: intent.metadata.switchyard_payment ?? null,
        step: intent.metadata.switchyard_step ?? null,
      });
    }
  }
  return intents;
}

async function adminGet(serverUrl, token, path) {
  const response = await fetch(`${serverUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body;
}

async function recordedOrders(serverUrl, token) {
  const summaries = [];
  let cursor = null;
  do {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await adminGet(serverUrl, token, `/api/orders?limit=200${query}`);
    summaries.push(...page.orders);
    cursor = page.nextCursor;
  } while (cursor);
  const details = [];
  // Four at a time: the server under audit shares two cores with everything else.
  for (let index = 0; index < summaries.length; index += 4) {
    const batch = summaries.slice(index, index + 4);
    const shown = await Promise.all(
      batch.map((order) => adminGet(serverUrl, token, `/api/orders/${order.id}`)),
    );
    details.push(...shown.map((answer) => answer.order));
  }
  return details;
}

function compare(intents, orders, accounts) {
  const recordedByIntent = new Map();
  const paymentsById = new Map();
  for (const order of orders) {
    for (const payment of order.payments) {
      paymentsById.set(payment.id, { order, payment });
      if (payment.paymentIntent) recordedByIntent.set(payment.paymentIntent, { order, payment });
    }
  }
  const stripeById = new Map(intents.map((intent) => [intent.id, intent]));
  const succeeded = intents.filter((intent) => intent.status === 'succeeded');

  const perAccount = {};
  for (const handle of Object.keys(accounts)) {
    perAccount[handle] = { intents: 0, succeeded: 0, payments: 0, recordedSucceeded: 0 };
  }
  for (const intent of intents) {
    perAccount[intent.handle].intents += 1;
    if (intent.status === 'succeeded') perAccount[intent.handle].succeeded += 1;
  }
  let recordedSucceeded = 0;
  for (const { payment } of paymentsById.values()) {
    const counts = payment.account ? perAccount[payment.account] : undefined;
    if (counts) counts.payments += 1;
    if (payment.status !== 'succeeded') continue;
    recordedSucceeded += 1;
    if (counts) counts.recordedSucceeded += 1;
  }

  const lost = [];
  for (const intent of succeeded) {
    const recorded = recordedByIntent.get(intent.id) ?? paymentsById.get(intent.payment);
    if (recorded?.payment.status === 'succeeded' && recorded.payment.paymentIntent === intent.id) {
      continue;
    }
    lost.push({
      paymentIntent: intent.id,
      account: intent.handle,
      order: intent.order,
      payment: intent.payment,
      amount: intent.amount,
      recorded: recorded
        ? `${recorded.payment.status} (PaymentIntent ${recorded.payment.paymentIntent ?? 'none'})`
        : 'no payment',
      orderStatus: recorded ? recorded.order.status : null,
    });
  }

  const phantom = [];
  const amountDiffers = [];
  for (const [intentId, { order, payment }] of recordedByIntent) {
    if (payment.status !== 'succeeded') continue;
    const atStripe = stripeById.get(intentId);
    if (atStripe?.status !== 'succeeded') {
      phantom.push({
        payment: payment.id,
        order: order.id,
        paymentIntent: intentId,
        atStripe: atStripe?.status ?? 'missing',
      });
    } else if (atStripe.amount !== payment.amount) {
      amountDiffers.push({
        payment: payment.id,
        paymentIntent: intentId,
        recorded: payment.amount,
        atStripe: atStripe.amount,
      });
    }
  }

  const doubled = [
    ...groupsOfMany(succeeded, (intent) => intent.payment, 'payment'),
    ...groupsOfMany(
      succeeded,
      (intent) => intent.order && `${intent.order}/${intent.step}`,
      'step',
    ),
  ];

  const stuck = [];
  for (const order of orders) {
    const paid = order.payments.filter((payment) => payment.status === 'succeeded');
    const total = paid
      .filter((payment) => payment.currency === order.currency)
      .reduce((sum, payment) => sum + payment.amount, 0);
    const open = paid.length > 0 && order.status === 'open';
    if (open || total !== order.paid || total < paid.reduce((sum, p) => sum + p.amount, 0)) {
      stuck.push({
        order: order.id,
        status: order.status,
        paid: order.paid,
        succeededPayments: paid.map((payment) => `${payment.id} ${payment.amount}`),
      });
    }
  }

  const wrongAccount = succeeded
    .filter((intent) => {
      const taken = accounts[intent.handle].currencies;
      return taken !== null && !taken.includes(intent.currency);
    })
    .map((intent) => ({
      paymentIntent: intent.id,
      account: intent.handle,
      currency: intent.currency,
    }));

  const nonFinal = [];
  for (const intent of intents) {
    const recorded = recordedByIntent.get(intent.id);
    if (recorded && recorded.payment.status !== intent.status && intent.status !== 'succeeded') {
      nonFinal.push({
        paymentIntent: intent.id,
        payment: recorded.payment.id,
        atStripe: intent.status,
        recorded: recorded.payment.status,
      });
    }
  }

  return {
    raw: { intents, orders },
    orders: orders.length,
    ordersByStatus: countBy(orders, (order) => order.status),
    intents: intents.length,
    succeededAtStripe: succeeded.length,
    recordedSucceeded,
    perAccount,
    lost,
    stuck,
    doubled,
    phantom,
    amountDiffers,
    wrongAccount,
    differsFromStripe: nonFinal,
    failoverPayments: orders
      .flatMap((order) => order.payments)
      .filter((payment) => new Set(payment.attempts.map((attempt) => attempt.account)).size > 1)
      .length,
  };
}

function groupsOfMany(intents, keyOf, by) {
  const groups = new Map();
  for (const intent of intents) {
    const key = keyOf(intent);
    if (!key) continue;
    groups.set(key, [...(groups.get(key) ?? []), intent]);
  }
  return [...groups]
    .filter(([, members]) => members.length > 1)
    .map(([key, members]) => ({
      by,
      key,
      paymentIntents: members.map((intent) => `${intent.id} on ${intent.handle}`),
    }));
}

const secretPatterns = [
  ['secret key', /\bsk_(test|live)_[A-Za-z0-9]{10,}/g],
  ['restricted key', /\brk_(test|live)_[A-Za-z0-9]{10,}/g],
  ['webhook signing secret', /\bwhsec_[A-Za-z0-9]{10,}/g],
  ['PaymentIntent client secret', /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g],
];

/**
 * Secrets in the server's log: by their shapes, and the exact values it was given (the admin
 * token, the master key). Answers each kind with its count and a line where it was seen, masked.
 */
export function secretsInLog(log, knownSecrets) {
  const found = [];
  const lines = log.split('\n');
  const patterns = [
    ...secretPatterns,
    ...Object.entries(knownSecrets)
      .filter(([, value]) => value)
      .map(([kind, value]) => [kind, new RegExp(escapeRegExp(value), 'g')]),
  ];
  for (const [kind, pattern] of patterns) {
    let count = 0;
    let example = null;
    for (const line of lines) {
      const hits = line.match(pattern);
      if (!hits) continue;
      count += hits.length;
      example ??= line.replace(pattern, '<secret>').slice(0, 300);
    }
    if (count > 0) found.push({ kind, count, example });
  }
  return found;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
