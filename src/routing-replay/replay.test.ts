import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import type { ReplayReport } from './replay.service.js';
import { type SeededPayment, seedHistory, writeHistory } from './stored-payments.test-helper.js';

const emulator = useEmulator();

/** What a hand count gives: payments and volume per `from>to`, and those with no account. */
interface Tally {
  moves: Record<string, { payments: number; volume: Record<string, number> }>;
  noAccount: { payments: number; volume: Record<string, number> };
  unchanged: number;
  payments: number;
}

/**
 * Counts by hand what a candidate does to the history: `newAccountOf` is the changed routing
 * written out plainly for this data; an upsell follows where its parent went (or, with the parent
 * before the window, where the parent really is).
 */
function handCount(
  history: readonly SeededPayment[],
  newAccountOf: (payment: SeededPayment) => string | null,
  window: { from?: string; to?: string } = {},
): Tally {
  const tally: Tally = {
    moves: {},
    noAccount: { payments: 0, volume: {} },
    unchanged: 0,
    payments: 0,
  };
  const placed = new Map<string, string | null>();
  const byId = new Map(history.map((payment) => [payment.paymentId, payment]));
  for (const payment of history) {
    if (payment.account === null) continue;
    if (window.from !== undefined && payment.createdAt < window.from) continue;
    if (window.to !== undefined && payment.createdAt >= window.to) continue;
    const parent = payment.parentPaymentId;
    const account =
      parent === null
        ? newAccountOf(payment)
        : placed.has(parent)
          ? (placed.get(parent) ?? null)
          : (byId.get(parent)?.account ?? null);
    placed.set(payment.paymentId, account);
    tally.payments += 1;
    if (account === null) {
      tally.noAccount.payments += 1;
      add(tally.noAccount.volume, payment);
    } else if (account === payment.account) {
      tally.unchanged += 1;
    } else {
      const key = `${payment.account}>${account}`;
      const move = tally.moves[key] ?? { payments: 0, volume: {} };
      tally.moves[key] = move;
      move.payments += 1;
      add(move.volume, payment);
    }
  }
  return tally;
}

function add(volume: Record<string, number>, payment: SeededPayment): void {
  volume[payment.currency] = (volume[payment.currency] ?? 0) + payment.amount;
}

function tallyOf(report: ReplayReport): Tally {
  return {
    moves: Object.fromEntries(
      report.moves.map((move) => [
        `${move.from}>${move.to}`,
        { payments: move.payments, volume: move.volume },
      ]),
    ),
    noAccount: { payments: report.noAccount.payments, volume: report.noAccount.volume },
    unchanged: report.totals.unchanged,
    payments: report.totals.payments,
  };
}

/** The split's bucket as issue 16 defines it, computed here without the router. */
function bucketOf(splitId: string, email: string): number {
  const digest = createHash('sha256')
    .update(`${splitId}|${email.trim().toLowerCase()}`, 'utf8')
    .digest();
  return digest.readUInt32BE(0) % 10_000;
}

/** Euro sales from Germany and France to us2, webinar dollars split us 50 / us2 50. */
const reroute = {
  rules: [
    { name: 'de-fr-euro', when: { currency: ['eur'], country: ['DE', 'FR'] }, use: 'us2' },
    {
      name: 'webinar-dollars',
      when: { currency: ['usd'], funnel: ['webinar'] },
      use: {
        split: [
          { account: 'us', weight: 50 },
          { account: 'us2', weight: 50 },
        ],
      },
    },
    { name: 'pounds', when: { currency: ['gbp'] }, use: 'eu' },
  ],
};

function rerouted(payment: SeededPayment): string {
  if (payment.currency === 'eur' && ['DE', 'FR'].includes(payment.country)) return 'us2';
  if (payment.currency === 'usd' && payment.funnel === 'webinar') {
    return bucketOf('webinar-dollars', payment.email) * 100 < 50 * 10_000 ? 'us' : 'us2';
  }
  if (payment.currency === 'gbp') return 'eu';
  return 'us';
}

describeEachDatabase('route replay over 1,000 stored payments', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  const history = seedHistory(1000);

  beforeAll(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), {
      handles: ['us', 'eu', 'us2'],
    }));
    await writeHistory(store.db, history);
  });
  afterAll(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  async function replay(body: unknown): Promise<ReplayReport> {
    const response = await api('POST', '/api/routing/replay', body);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as ReplayReport;
  }

  it('reports the moves a hand count of the same payments gives', async () => {
    const report = await replay({ document: reroute });
    const expected = handCount(history, rerouted);
    expect(tallyOf(report)).toEqual(expected);
    // The history has something of each: moves both ways out of eu and us, and unchanged ones.
    expect(Object.keys(expected.moves).sort()).toEqual(['eu>us', 'eu>us2', 'us>us2']);
    expect(report.totals).toEqual({
      payments: expected.payments,
      moved: report.moves.reduce((sum, move) => sum + move.payments, 0),
      unchanged: expected.unchanged,
      noAccount: 0,
    });
    // Pending, declined and canceled payments never landed on an account: not replayed.
    expect(report.totals.payments).toBe(history.filter((p) => p.account !== null).length);
    expect(report.contexts.stored).toBeGreaterThan(400);
    expect(report.contexts.rebuilt).toBeGreaterThan(400);
    expect(report.document).toMatchObject({ activeVersion: null, accounts: 'live' });
  });

  it('shows at most three examples per move, each with the new decision in words', async () => {
    const report = await replay({ document: reroute });
    const toUs2 = report.moves.find((move) => move.from === 'eu' && move.to === 'us2');
    expect(toUs2?.examples).toHaveLength(3);
    const example = toUs2?.examples[0];
    const original = history.find((payment) => payment.paymentId === example?.payment);
    expect(example).toMatchObject({
      order: original?.orderId,
      amount: original?.amount,
      currency: 'eur',
      from: 'eu',
      to: 'us2',
    });
    expect(example?.explanation[0]).toMatch(/de-fr-euro/);
    // A split's pick is named with its bucket; an upsell follows its parent, as a continuation.
    const split = report.moves.find((move) => move.from === 'us' && move.to === 'us2');
    for (const moved of split?.examples ?? []) {
      const words = moved.explanation.join(' ');
      const kind = history.find((payment) => payment.paymentId === moved.payment)?.kind;
      expect(words).toMatch(
        kind === 'initial' ? /webinar-dollars/ : /saved card, which only us2 can charge/,
      );
    }
  });

  it('counts payments that would have no account, and upsells whose parent would have none', async () => {
    // Pounds only to eu, which now takes euros only, with no fallback.
    const report = await replay({
      document: {
        accounts: [{ handle: 'eu', currencies: ['eur'] }],
        rules: [{ name: 'pounds', when: { currency: ['gbp'] }, use: 'eu', fallback: 'none' }],
      },
    });
    const expected = handCount(history, (payment) => (payment.currency === 'gbp' ? null : 'us'));
    expect(tallyOf(report)).toEqual(expected);
    expect(expected.noAccount.payments).toBeGreaterThan(0);
    expect(Object.keys(report.noAccount.volume)).toEqual(['gbp']);
    expect(report.noAccount.examples).toHaveLength(3);
    expect(report.document.accounts).toBe('document');
    const upsell = history.find(
      (payment) =>
        payment.kind === 'upsell' && payment.currency === 'gbp' && payment.account !== null,
    );
    expect(upsell).toBeDefined();
  });

  it('replays only the window, with the older parents where they really are', async () => {
    const from = '2026-11-10T00:00:00.000Z';
    const to = '2026-11-20T00:00:00.000Z';
    const report = await replay({ document: reroute, from: '2026-11-10', to });
    expect(tallyOf(report)).toEqual(handCount(history, rerouted, { from, to }));
    expect(report.window.from).toBe(from);
    expect(report.window.first && report.window.first >= from).toBe(true);
    expect(report.window.last && report.window.last < to).toBe(true);
  });

  it('starts a window with the volume its first day already took: caps are part used', async () => {
    // A dollar sale on us after earlier dollar sales on us that same UTC day.
    const landed = history.filter((p) => p.account !== null);
    const sale = landed.find(
      (p) =>
        p.kind === 'initial' &&
        p.account === 'us' &&
        landed.some(
          (q) =>
            q.account === 'us' &&
            q.currency === 'usd' &&
            q.createdAt < p.createdAt &&
            q.createdAt.slice(0, 10) === p.createdAt.slice(0, 10),
        ),
    );
    if (sale === undefined) throw new Error('the history has no second dollar sale in a day');
    const takenBefore = landed
      .filter(
        (q) =>
          q.account === 'us' &&
          q.currency === 'usd' &&
          q.createdAt < sale.createdAt &&
          q.createdAt.slice(0, 10) === sale.createdAt.slice(0, 10),
      )
      .reduce((sum, q) => sum + q.amount, 0);
    const report = await replay({
      document: {
        accounts: [
          {
            handle: 'us',
            role: 'primary',
            caps: [
              // Room for the sale alone, not on top of what the day took before the window.
              { currency: 'usd', period: 'day', amount: takenBefore + sale.amount - 1 },
            ],
          },
        ],
      },
      from: sale.createdAt,
      to: new Date(Date.parse(sale.createdAt) + 1).toISOString(),
    });
    expect(report.totals.payments).toBe(1);
    expect(report.moves).toMatchObject([{ from: 'us', to: 'eu', payments: 1 }]);
    expect(report.moves[0]?.examples[0]?.explanation.join(' ')).toMatch(/cap/);
  });

  it('knows a buyer on the accounts where they had a Stripe customer before the window', async () => {
    const from = '2026-11-15T00:00:00.000Z';
    const buyer = history.find(
      (p) => p.kind === 'initial' && p.account !== null && p.createdAt >= from,
    );
    const key = buyer?.email.trim().toLowerCase() ?? '';
    const customer = await store.db
      .selectFrom('customers')
      .select('customer_id')
      .where('email', '=', key)
      .executeTakeFirstOrThrow();
    const us2 = await store.db
      .selectFrom('accounts')
      .select('account_id')
      .where('handle', '=', 'us2')
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto('customer_accounts')
      .values({
        customer_id: customer.customer_id,
        account_id: us2.account_id,
        mode: 'test',
        stripe_customer_id: 'cus_known_before',
        created_at: '2026-11-02T00:00:00.000Z',
      })
      .execute();
    try {
      const report = await replay({
        document: {
          rules: [
            {
              name: 'returning-buyers',
              when: {},
              use: {
                split: [
                  { account: 'us', weight: 100 },
                  { account: 'us2', weight: 0 },
                ],
              },
              prefer: 'customer_account',
            },
          ],
        },
        from,
      });
      const expected = handCount(
        history,
        (payment) => (payment.email.trim().toLowerCase() === key ? 'us2' : 'us'),
        { from },
      );
      expect(tallyOf(report)).toEqual(expected);
      expect(Object.keys(expected.moves)).toContain(`${buyer?.account}>us2`);
    } finally {
      await store.db
        .deleteFrom('customer_accounts')
        .where('stripe_customer_id', '=', 'cus_known_before')
        .execute();
    }
  });

  it('writes nothing: payments, orders, routing versions and the audit log stay as they were', async () => {
    const before = await snapshot(store);
    await replay({ document: reroute });
    await replay({
      document: {
        accounts: [
          {
            handle: 'us',
            role: 'primary',
            caps: [{ currency: 'usd', period: 'day', amount: 10000 }],
          },
        ],
      },
    });
    expect(await snapshot(store)).toEqual(before);
  });

  it('needs a bearer token', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/routing/replay',
      payload: { document: reroute },
    });
    expect(response.statusCode).toBe(401);
  });

  it('refuses a bad document or window with 400 or 422, naming the field', async () => {
    const misspelt = await api('POST', '/api/routing/replay', {
      document: { rules: [{ name: 'x', when: { curency: ['eur'] }, use: 'eu' }] },
    });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error.details.fields).toContainEqual({
      field: 'document.rules[0].when.curency',
      message: 'unknown field: did you mean "currency"?',
    });

    const unknownUse = await api('POST', '/api/routing/replay', {
      document: { rules: [{ name: 'x', when: {}, use: 'asia' }] },
    });
    expect(unknownUse.status).toBe(422);
    expect(unknownUse.body.error.code).toBe('routing_config_invalid');
    expect(unknownUse.body.error.details.fields[0].field).toBe('document.rules[0].use');
    expect(unknownUse.body.error.message).toMatch(/nothing was replayed/);

    const notConnected = await api('POST', '/api/routing/replay', {
      document: { accounts: [{ handle: 'asia' }] },
    });
    expect(notConnected.status).toBe(422);
    expect(notConnected.body.error.details.fields[0].field).toBe('document.accounts[0].handle');

    const badDate = await api('POST', '/api/routing/replay', { document: {}, from: 'last week' });
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.details.fields).toEqual([
      { field: 'from', message: expect.stringContaining('use ISO 8601, e.g. 2026-11-01') },
    ]);

    const backwards = await api('POST', '/api/routing/replay', {
      document: {},
      from: '2026-11-20',
      to: '2026-11-10',
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details.fields[0].field).toBe('to');
  });
});

/** Every row of the tables a replay could touch, in a fixed order. */
async function snapshot(store: TestStore) {
  const { db } = store;
  return {
    payments: await db.selectFrom('payments').selectAll().orderBy('payment_id').execute(),
    orders: await db.selectFrom('orders').selectAll().orderBy('order_id').execute(),
    versions: await db.selectFrom('routing_versions').selectAll().orderBy('version').execute(),
    active: await db.selectFrom('routing_active').selectAll().execute(),
    accounts: await db.selectFrom('accounts').selectAll().orderBy('handle').execute(),
    audit: await db.selectFrom('audit_log').selectAll().execute(),
    customers: await db.selectFrom('customer_accounts').selectAll().execute(),
  };
}
