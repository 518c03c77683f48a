import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  expectNoSecrets,
  importLaunchFunnel,
  stripeSideOf,
  visitorOf,
} from '../../test/checkout.js';
import { parseCsv } from '../../test/csv.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, emulatorEnv, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';
import type { Clock } from '../clock.js';

const emulator = useEmulator();

/** A name a spreadsheet would run as a formula if it were written as it is. */
const formulaReason = '=HYPERLINK("http://evil.example","Refund, now")';

/**
 * A clock that moves on by a millisecond each time it is read (so every record has a time of its
 * own, in the order it was made), and by hand in bigger steps.
 */
function tickingClock(start: string): Clock & { moveTo(time: string): void } {
  let now = Date.parse(start);
  return Object.assign(() => new Date(now++), {
    moveTo(time: string) {
      now = Date.parse(time);
    },
  });
}

interface Entry {
  id: string;
  entry: string;
  at: string;
  kind: string;
  account: string | null;
  amount: number;
  currency: string;
  outcome: string;
  order: string;
  payment: string;
  errorCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  requestId: string | null;
  latencyMs: number | null;
  message: string | null;
  stripeId: string | null;
  routing: { reason: string; outcome: string; fallbackFrom: string | null } | null;
}

/** What a test compares of an entry: enough to recognise it. */
function brief(entry: Entry): string {
  return `${entry.entry} ${entry.kind} ${entry.account} ${entry.amount} ${entry.currency} ${entry.outcome}`;
}

describeEachDatabase('the transaction log and the accounts report', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let clock: ReturnType<typeof tickingClock>;
  let seen: string[];

  beforeEach(async () => {
    seen = [];
    clock = tickingClock('2026-03-02T09:00:00.000Z');
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), { clock, seen }));
    await importLaunchFunnel(testApp.services);
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await expectNoSecrets(emulator(), seen);
    await testApp.app.close();
    await store.dispose();
  });

  /** A buyer at the order form: contact, the card form, then the card (or none: they leave). */
  async function buyCourse(email: string, paymentMethod: string | null): Promise<string> {
    const visitor = visitorOf(testApp.app, {}, seen);
    const contact = await visitor.post('/f/launch/order/contact', {
      email,
      name: email.split('@')[0] ?? '',
      country: 'US',
    });
    expect(contact.statusCode, contact.body).toBe(303);
    const pay = await visitor.get('/f/launch/order/pay');
    expect(pay.statusCode, pay.body).toBe(200);
    if (paymentMethod !== null) {
      const intent = await confirmAsBrowser(emulator(), cardConfigOf(pay.body), paymentMethod);
      await visitor.get(`/f/launch/order/return?payment_intent=${intent.id}`);
    }
    const { body } = await api('GET', '/api/orders?limit=1');
    return body.orders[0].id;
  }

  /**
   * The day's sales on 2 March: Ana pays on us at 09:00; at 10:00 us answers Bo's PaymentIntent
   * with a 500 and eu takes it; at 11:00 Cy's card is declined for insufficient funds. On 3 March
   * half of Ana's course is refunded.
   */
  async function daysOfSales(): Promise<Record<'ana' | 'bo' | 'cy', string>> {
    const ana = await buyCourse('ana@example.com', 'pm_card_visa');
    clock.moveTo('2026-03-02T10:00:00.000Z');
    await control(emulator(), 'POST', 'faults', {
      account: (await stripeSideOf(api, 'us')).stripeAccountId,
      fault: 'server_error',
      path: '/v1/payment_intents',
      times: 1,
    });
    const bo = await buyCourse('bo@example.com', 'pm_card_visa');
    clock.moveTo('2026-03-02T11:00:00.000Z');
    const cy = await buyCourse('cy@example.com', 'pm_card_chargeDeclinedInsufficientFunds');
    clock.moveTo('2026-03-03T08:00:00.000Z');
    const paid = await api('GET', `/api/orders/${ana}`);
    const refund = await api('POST', `/api/payments/${paid.body.order.payments[0].id}/refunds`, {
      amount: 2450,
      reason: formulaReason,
    });
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    return { ana, bo, cy };
  }

  async function listed(query: string): Promise<Entry[]> {
    const page = await api('GET', `/api/transactions${query}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    return page.body.transactions;
  }

  it('lists every attempt, charge and refund, newest first, with what Stripe said and why the account', async () => {
    const orders = await daysOfSales();
    const log = await listed('');
    expect(log.map(brief)).toEqual([
      'refund refund us 2450 usd succeeded',
      'charge initial us 4900 usd declined',
      'attempt initial us 4900 usd created',
      'charge initial eu 4900 usd succeeded',
      'attempt initial eu 4900 usd created',
      'attempt initial us 4900 usd failed',
      'charge initial us 4900 usd succeeded',
      'attempt initial us 4900 usd created',
    ]);
    const [refund, declined, , boPaid, failover, failed, anaPaid, anaAttempt] = log;
    expect(refund).toMatchObject({
      order: orders.ana,
      at: expect.stringMatching(/^2026-03-03T08:00/),
      message: formulaReason,
      stripeId: expect.stringMatching(/^re_/),
      routing: { outcome: 'selected', reason: 'continuation on us' },
    });
    expect(declined).toMatchObject({
      order: orders.cy,
      errorCode: 'card_declined',
      declineCode: 'insufficient_funds',
      at: expect.stringMatching(/^2026-03-02T11:00/),
    });
    // us answered with a 500: Stripe's request id, the status and the time it took are kept.
    expect(failed).toMatchObject({
      order: orders.bo,
      errorCode: 'stripe_error',
      httpStatus: 500,
      requestId: expect.stringMatching(/^req_/),
      latencyMs: expect.any(Number),
      routing: { outcome: 'selected', reason: 'default (primary)' },
    });
    expect(failover).toMatchObject({
      order: orders.bo,
      payment: failed?.payment,
      errorCode: null,
      stripeId: expect.stringMatching(/^pi_/),
      routing: {
        outcome: 'fallback',
        fallbackFrom: 'us',
        reason: 'default (primary) → fallback from us (health_down)',
      },
    });
    expect(boPaid?.stripeId).toMatch(/^ch_/);
    // A PaymentIntent made shows the request that made it, as Stripe's dashboard lists it.
    expect(anaAttempt).toMatchObject({
      order: orders.ana,
      latencyMs: expect.any(Number),
      requestId: expect.stringMatching(/^req_/),
    });
    expect(failover?.requestId).toMatch(/^req_/);
    expect(anaPaid?.payment).toBe(anaAttempt?.payment);
  });

  it('filters by account, outcome, kind, error code, funnel, mode and time', async () => {
    await daysOfSales();
    expect((await listed('?account=eu')).map(brief)).toEqual([
      'charge initial eu 4900 usd succeeded',
      'attempt initial eu 4900 usd created',
    ]);
    expect((await listed('?outcome=declined')).map(brief)).toEqual([
      'charge initial us 4900 usd declined',
    ]);
    expect((await listed('?outcome=failed&account=us')).map(brief)).toEqual([
      'attempt initial us 4900 usd failed',
    ]);
    expect((await listed('?kind=refund')).map(brief)).toEqual([
      'refund refund us 2450 usd succeeded',
    ]);
    // An error code matches Stripe's code or its decline code.
    expect((await listed('?error=insufficient_funds')).map(brief)).toEqual([
      'charge initial us 4900 usd declined',
    ]);
    expect((await listed('?error=card_declined')).map(brief)).toEqual([
      'charge initial us 4900 usd declined',
    ]);
    expect(await listed('?funnel=launch')).toHaveLength(8);
    expect(await listed('?funnel=webinar')).toEqual([]);
    expect(await listed('?mode=live')).toEqual([]);
    // `from` is inclusive and `to` is not; a day is its first moment in UTC.
    expect((await listed('?from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z')).map(brief)).toEqual(
      [
        'charge initial eu 4900 usd succeeded',
        'attempt initial eu 4900 usd created',
        'attempt initial us 4900 usd failed',
      ],
    );
    expect((await listed('?from=2026-03-03')).map(brief)).toEqual([
      'refund refund us 2450 usd succeeded',
    ]);
    expect(await listed('?from=2026-03-02T12:00:00%2B01:00&to=2026-03-03')).toHaveLength(2);
  });

  it('pages through the log without gaps or repeats while new sales come in', async () => {
    await daysOfSales();
    const everything = (await listed('')).map((entry) => entry.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api('GET', `/api/transactions?limit=3${query}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      walked.push(...page.body.transactions.map((entry: Entry) => entry.id));
      cursor = page.body.nextCursor;
      pages++;
      // A sale made while the merchant reads is newer than every page: it comes first next time.
      if (pages === 1) await buyCourse('dee@example.com', 'pm_card_visa');
    } while (cursor);
    expect(walked).toEqual(everything);
    expect(pages).toBe(3);
    const now = await listed('');
    expect(now).toHaveLength(10);
    expect(now.slice(2).map((entry) => entry.id)).toEqual(everything);
  });

  it('exports the log as CSV with the same filters, quoted and safe for spreadsheets', async () => {
    const orders = await daysOfSales();
    const { token } = await testApp.services.tokens.createToken({
      workspaceId: 'default',
      name: 'csv-download',
      actor: 'test',
    });
    const download = async (query: string) => {
      const response = await testApp.app.inject({
        method: 'GET',
        url: `/api/transactions.csv${query}`,
        headers: { authorization: `Bearer ${token}` },
      });
      seen.push(response.body);
      return response;
    };
    const all = await download('');
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(all.headers['content-disposition']).toBe('attachment; filename="transactions.csv"');
    const rows = parseCsv(all.body);
    const header = rows[0] ?? [];
    expect(header).toEqual([
      'time',
      'entry',
      'kind',
      'order_id',
      'payment_id',
      'account',
      'mode',
      'amount',
      'currency',
      'outcome',
      'stripe_id',
      'request_id',
      'error_code',
      'decline_code',
      'http_status',
      'latency_ms',
      'funnel',
      'routing',
      'message',
    ]);
    expect(rows).toHaveLength(9);
    const column = (row: string[] | undefined, name: string) => row?.[header.indexOf(name)];
    const refund = rows[1];
    expect(column(refund, 'order_id')).toBe(orders.ana);
    expect(column(refund, 'amount')).toBe('2450');
    // The formula is written as text, its quotes and comma quoted as RFC 4180 says.
    expect(column(refund, 'message')).toBe(`'${formulaReason}`);
    expect(all.body).toContain(`"'=HYPERLINK(""http://evil.example"",""Refund, now"")"`);
    const declined = rows[2];
    expect([column(declined, 'outcome'), column(declined, 'decline_code')]).toEqual([
      'declined',
      'insufficient_funds',
    ]);
    expect(column(rows[5], 'routing')).toBe('default (primary) → fallback from us (health_down)');
    expect(column(rows[6], 'http_status')).toBe('500');

    const onlyEu = parseCsv((await download('?account=eu')).body);
    expect(onlyEu.slice(1).map((row) => column(row, 'account'))).toEqual(['eu', 'eu']);
    const bad = await download('?outcome=lost');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.fields).toEqual([
      { field: 'query.outcome', message: expect.stringContaining('declined') },
    ]);
  });

  it('reports each account by day and currency: payments, volume, refunds, success, failovers, errors', async () => {
    await daysOfSales();
    // A test payment charges and refunds a card on us: it checks the account, it is no sale.
    const testPayment = await api('POST', '/api/accounts/us/test-payments', { mode: 'test' });
    expect(testPayment.status, JSON.stringify(testPayment.body)).toBe(201);
    expect(await listed('')).toHaveLength(8);
    const report = await api('GET', '/api/reports/accounts');
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body).toEqual({
      from: null,
      to: null,
      days: [
        {
          day: '2026-03-02',
          account: 'eu',
          mode: 'test',
          currency: 'usd',
          payments: 1,
          volume: 4900,
          refunds: { count: 0, amount: 0 },
          failed: 0,
          successRate: 1,
          failovers: 0,
          topErrors: [],
        },
        {
          day: '2026-03-02',
          account: 'us',
          mode: 'test',
          currency: 'usd',
          payments: 1,
          volume: 4900,
          refunds: { count: 0, amount: 0 },
          // Bo's attempt that us answered with a 500, and Cy's declined card.
          failed: 2,
          successRate: 0.3333,
          failovers: 1,
          topErrors: [
            { code: 'card_declined', declineCode: 'insufficient_funds', count: 1 },
            { code: 'stripe_error', declineCode: null, count: 1 },
          ],
        },
        {
          day: '2026-03-03',
          account: 'us',
          mode: 'test',
          currency: 'usd',
          payments: 0,
          volume: 0,
          refunds: { count: 1, amount: 2450 },
          failed: 0,
          successRate: null,
          failovers: 0,
          topErrors: [],
        },
      ],
    });
    // The log's own entries agree with the report: one succeeded charge on us that day.
    const usPaid = await listed('?account=us&outcome=succeeded&from=2026-03-02&to=2026-03-03');
    expect(usPaid.map(brief)).toEqual(['charge initial us 4900 usd succeeded']);

    // Both days are included.
    const oneDay = await api('GET', '/api/reports/accounts?from=2026-03-03&to=2026-03-03');
    expect(oneDay.body.days.map((day: { day: string; account: string }) => day.day)).toEqual([
      '2026-03-03',
    ]);
    const firstDay = await api('GET', '/api/reports/accounts?from=2026-03-01&to=2026-03-02');
    expect(firstDay.body.days.map((day: { account: string }) => day.account)).toEqual(['eu', 'us']);
    expect((await api('GET', '/api/reports/accounts?mode=live')).body.days).toEqual([]);
  });

  it('refuses bad input with a 400 that names the field', async () => {
    async function problemOf(path: string) {
      const response = await api('GET', path);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      return response.body.error.details.fields.map((field: { field: string }) => field.field);
    }
    expect(await problemOf('/api/transactions?colour=red')).toEqual(['query.colour']);
    expect(await problemOf('/api/transactions?from=yesterday')).toEqual(['query.from']);
    expect(await problemOf('/api/transactions?from=2026-03-03&to=2026-03-02')).toEqual([
      'query.to',
    ]);
    expect(await problemOf('/api/transactions?cursor=not-ours')).toEqual(['cursor']);
    expect(await problemOf('/api/transactions?limit=0')).toEqual(['query.limit']);
    expect(await problemOf('/api/transactions?limit=many')).toEqual(['query.limit']);
    expect(await problemOf('/api/transactions?limit=201')).toEqual(['query.limit']);
    expect(await problemOf('/api/transactions?outcome=lost')).toEqual(['query.outcome']);
    expect(await problemOf('/api/transactions?kind=gift')).toEqual(['query.kind']);
    expect(await problemOf('/api/transactions?account=US%20LLC')).toEqual(['query.account']);
    expect(await problemOf('/api/transactions?error=card%20declined')).toEqual(['query.error']);
    expect(await problemOf('/api/transactions.csv?cursor=abc')).toEqual(['query.cursor']);
    expect(await problemOf('/api/reports/accounts?from=2026-13-01')).toEqual(['query.from']);
    expect(await problemOf('/api/reports/accounts?to=2026-03-02T00:00:00Z')).toEqual(['query.to']);
    expect(await problemOf('/api/reports/accounts?from=2026-03-03&to=2026-03-02')).toEqual([
      'query.to',
    ]);
    expect(await problemOf('/api/reports/accounts?account=us')).toEqual(['query.account']);
    const unauthenticated = await testApp.app.inject({ method: 'GET', url: '/api/transactions' });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('lists the log and reports the accounts from the command line', async () => {
    const orders = await daysOfSales();
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-transactions-cli-'));
    const env = {
      ...emulatorEnv(emulator()),
      DATABASE_URL: store.url,
      DATA_DIR: dataDir,
      SWITCHYARD_MASTER_KEY: testApp.masterKey,
    };
    try {
      const list = await runInProcess(['transactions', 'list', '--limit', '3'], env);
      expect([list.code, list.stderr]).toEqual([0, '']);
      seen.push(list.stdout);
      const lines = list.stdout.trim().split('\n');
      expect(lines[0]).toMatch(
        /^TIME\s+ENTRY\s+KIND\s+ACCOUNT\s+AMOUNT\s+OUTCOME\s+CODE\s+LATENCY\s+REQUEST\s+PAYMENT\s+ROUTED BY$/,
      );
      expect(lines[1]).toMatch(
        /^2026-03-03T08:00\S+\s+refund\s+refund\s+us\s+\$24\.50\s+succeeded\s+-\s+-\s+-\s+ord_\S+\s+continuation on us$/,
      );
      expect(lines[2]).toMatch(
        /^2026-03-02T11:00\S+\s+charge\s+initial\s+us\s+\$49\.00\s+declined\s+card_declined\/insufficient_funds\s/,
      );
      expect(lines[3]).toMatch(/\sattempt\s+initial\s+us\s+\$49\.00\s+created\s/);
      const more = /^More: (switchyard transactions list --limit 3 --cursor (\S+))$/.exec(
        lines.at(-1) ?? '',
      );
      expect(more, list.stdout).not.toBeNull();
      const next = await runInProcess(
        ['transactions', 'list', '--limit', '3', '--cursor', more?.[2] ?? '', '--json'],
        env,
      );
      expect(next.code, next.stderr).toBe(0);
      const page = JSON.parse(next.stdout);
      expect(page.transactions.map(brief)).toEqual([
        'charge initial eu 4900 usd succeeded',
        'attempt initial eu 4900 usd created',
        'attempt initial us 4900 usd failed',
      ]);
      expect(page.transactions[0].order).toBe(orders.bo);

      const declined = await runInProcess(
        ['transactions', 'list', '--error', 'insufficient_funds', '--json'],
        env,
      );
      expect(JSON.parse(declined.stdout).transactions.map(brief)).toEqual([
        'charge initial us 4900 usd declined',
      ]);
      const none = await runInProcess(['transactions', 'list', '--funnel', 'webinar'], env);
      expect(none.stdout.trim()).toBe('No transactions match these filters.');

      const report = await runInProcess(['report', 'accounts', '--to', '2026-03-02'], env);
      expect([report.code, report.stderr]).toEqual([0, '']);
      const rows = report.stdout.trim().split('\n');
      expect(rows[0]).toMatch(
        /^DAY\s+ACCOUNT\s+MODE\s+CURRENCY\s+PAYMENTS\s+VOLUME\s+REFUNDS\s+SUCCESS\s+FAILOVERS\s+TOP ERRORS$/,
      );
      expect(rows[1]).toMatch(
        /^2026-03-02\s+eu\s+test\s+usd\s+1\s+\$49\.00\s+-\s+100\.0%\s+0\s+-$/,
      );
      expect(rows[2]).toMatch(
        /^2026-03-02\s+us\s+test\s+usd\s+1\s+\$49\.00\s+-\s+33\.3%\s+1\s+card_declined\/insufficient_funds ×1, stripe_error ×1$/,
      );
      expect(rows).toHaveLength(3);
      const json = await runInProcess(
        ['report', 'accounts', '--from', '2026-03-03', '--json'],
        env,
      );
      expect(JSON.parse(json.stdout).days).toMatchObject([
        { day: '2026-03-03', account: 'us', refunds: { count: 1, amount: 2450 } },
      ]);

      // Bad input exits 2 and names the option, in the words of the command line.
      for (const [args, problem] of [
        [
          ['transactions', 'list', '--from', 'yesterday'],
          '--from: got "yesterday", needs an ISO 8601',
        ],
        [
          ['transactions', 'list', '--limit', '0'],
          '--limit: got "0", needs a whole number from 1 to 200',
        ],
        [
          ['transactions', 'list', '--outcome', 'lost'],
          '--outcome: got "lost", needs one of pending',
        ],
        [
          ['transactions', 'list', '--cursor', 'abc'],
          '--cursor: got "abc", needs the cursor the last page printed',
        ],
        [
          ['transactions', 'list', '--from', '2026-03-03', '--to', '2026-03-02'],
          '--to: got "2026-03-02", needs a time not before from (2026-03-03T00:00:00.000Z)',
        ],
        [
          ['report', 'accounts', '--from', '2026-3-1'],
          '--from: got "2026-3-1", needs a day as YYYY-MM-DD',
        ],
        [['report', 'accounts', '--mode', 'prod'], '--mode: got "prod", needs test or live'],
        [['transactions', 'list', '--colour', 'red'], "unknown option '--colour'"],
      ] as const) {
        const refused = await runInProcess([...args], env);
        expect([refused.code, refused.stdout], refused.stderr).toEqual([2, '']);
        expect(refused.stderr).toContain(problem);
        expect(refused.stderr).not.toContain('query.');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
