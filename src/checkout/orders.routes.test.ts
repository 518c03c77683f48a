import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  buyOrder,
  expectNoSecrets,
  importLaunchFunnel,
  manualClock,
  visitorOf,
} from '../../test/checkout.js';
import { parseCsv } from '../../test/csv.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { funnelDocumentSchema, parseInput } from '../catalog/catalog.schema.js';
import { launchFunnel } from '../demo/launch-funnel.js';

const emulator = useEmulator();

/** The launch funnel's offers again, under another slug. */
const webinarFunnel = {
  ...launchFunnel,
  funnel: { ...launchFunnel.funnel, slug: 'webinar', name: 'Launch Webinar' },
};

/** A name a spreadsheet would run as a formula if it were written as it is. */
const formulaName = '=HYPERLINK("http://evil.example","Refund")';

describeEachDatabase('the orders API', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let clock: ReturnType<typeof manualClock>;
  let seen: string[];

  beforeEach(async () => {
    seen = [];
    clock = manualClock('2026-03-02T09:00:00.000Z');
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), { clock, seen }));
    await importLaunchFunnel(testApp.services);
    await testApp.services.catalog.importFunnel(
      'default',
      parseInput(funnelDocumentSchema, webinarFunnel),
      'test',
    );
    const applied = await api('PUT', '/api/routing', {
      document: {
        accounts: [],
        rules: [{ name: 'germany', when: { country: ['DE'] }, use: 'eu' }],
      },
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
  });
  afterEach(async () => {
    await expectNoSecrets(emulator(), seen);
    await testApp.app.close();
    await store.dispose();
  });

  /**
   * Four orders an hour apart from 09:00: Ana paid on us, Jonas (DE) paid on eu, Cleo (a
   * formula for a name, webinar funnel) still open, Dan paid on us and refunded. Answers their ids.
   */
  async function fourOrders(): Promise<Record<'ana' | 'jonas' | 'cleo' | 'dan', string>> {
    async function newest(): Promise<string> {
      return (await api('GET', '/api/orders?limit=1')).body.orders[0].id;
    }
    const buyer = () => visitorOf(testApp.app, {}, seen);
    await buyOrder(emulator(), buyer(), { email: 'ana@example.com', name: 'Ana', country: 'US' });
    const ana = await newest();
    clock.advance(3600);
    await buyOrder(emulator(), buyer(), {
      email: 'jonas@example.de',
      name: 'Jonas',
      country: 'DE',
    });
    const jonas = await newest();
    clock.advance(3600);
    const contact = await buyer().post('/f/webinar/order/contact', {
      email: 'cleo@example.com',
      name: formulaName,
      country: 'US',
    });
    expect(contact.statusCode).toBe(303);
    const cleo = await newest();
    clock.advance(3600);
    await buyOrder(emulator(), buyer(), { email: 'dan@example.com', name: 'Dan', country: 'US' });
    const dan = await newest();
    const paid = await api('GET', `/api/orders/${dan}`);
    const refund = await api('POST', `/api/payments/${paid.body.order.payments[0].id}/refunds`, {
      reason: 'changed his mind',
    });
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    return { ana, jonas, cleo, dan };
  }

  /** The CSV export as a spreadsheet user downloads it (the admin client reads only JSON). */
  async function downloadCsv(query: string) {
    const { token } = await testApp.services.tokens.createToken({
      workspaceId: 'default',
      name: 'csv-download',
      actor: 'test',
    });
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/api/orders.csv${query}`,
      headers: { authorization: `Bearer ${token}` },
    });
    seen.push(response.body);
    return response;
  }

  async function emailsOf(query: string): Promise<string[]> {
    const listed = await api('GET', `/api/orders${query}`);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    return listed.body.orders.map((order: { email: string }) => order.email);
  }

  it('lists orders newest first and filters them by account, status, funnel, email and time', async () => {
    await fourOrders();
    expect(await emailsOf('')).toEqual([
      'dan@example.com',
      'cleo@example.com',
      'jonas@example.de',
      'ana@example.com',
    ]);
    expect(await emailsOf('?account=eu')).toEqual(['jonas@example.de']);
    expect(await emailsOf('?account=us')).toEqual(['dan@example.com', 'ana@example.com']);
    expect(await emailsOf('?status=paid')).toEqual(['jonas@example.de', 'ana@example.com']);
    expect(await emailsOf('?status=open')).toEqual(['cleo@example.com']);
    expect(await emailsOf('?status=refunded')).toEqual(['dan@example.com']);
    expect(await emailsOf('?funnel=webinar')).toEqual(['cleo@example.com']);
    expect(await emailsOf('?funnel=launch&status=paid&account=us')).toEqual(['ana@example.com']);
    // `from` is inclusive and `to` is not.
    expect(await emailsOf('?from=2026-03-02T10:00:00Z&to=2026-03-02T12:00:00Z')).toEqual([
      'cleo@example.com',
      'jonas@example.de',
    ]);
    expect(await emailsOf('?from=2026-03-02T12:00:00%2B01:00')).toEqual([
      'dan@example.com',
      'cleo@example.com',
    ]);
    expect(await emailsOf('?account=nobody')).toEqual([]);
    // A buyer is found by email however it is typed.
    expect(await emailsOf('?email=%20Jonas@Example.DE')).toEqual(['jonas@example.de']);
    expect(await emailsOf('?email=jonas@example.de&account=us')).toEqual([]);

    const listed = (await api('GET', '/api/orders?account=eu')).body.orders[0];
    expect(listed).toMatchObject({
      funnel: 'launch',
      status: 'paid',
      name: 'Jonas',
      country: 'DE',
      currency: 'eur',
      paid: 4500,
      refunded: 0,
      accounts: ['eu'],
      createdAt: '2026-03-02T10:00:00.000Z',
    });
  });

  it('walks every order one page at a time without repeating one', async () => {
    const ids = await fourOrders();
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api('GET', `/api/orders?limit=1${query}`);
      expect(page.status).toBe(200);
      expect(page.body.orders.length).toBeLessThanOrEqual(1);
      walked.push(...page.body.orders.map((order: { id: string }) => order.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(walked).toEqual([ids.dan, ids.cleo, ids.jonas, ids.ana]);

    const firstTwo = await api('GET', '/api/orders?limit=2&status=paid');
    expect(firstTwo.body.nextCursor).toBeNull();
    const filtered = await api('GET', '/api/orders?limit=1&account=us');
    const rest = await api(
      'GET',
      `/api/orders?limit=1&account=us&cursor=${encodeURIComponent(filtered.body.nextCursor)}`,
    );
    expect([filtered.body.orders[0].id, rest.body.orders[0].id]).toEqual([ids.dan, ids.ana]);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('names the query parameter it cannot use, and answers 404 for an unknown order', async () => {
    const badStatus = await api('GET', '/api/orders?status=shipped');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.details.fields).toEqual([
      { field: 'query.status', message: 'a status is open, paid, partially_refunded or refunded' },
    ]);
    const badCursor = await api('GET', '/api/orders?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'cursor',
    ]);
    const badTime = await api('GET', '/api/orders?from=yesterday');
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.message).toContain('query.from');
    const badLimit = await api('GET', '/api/orders?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toContain('query.limit');
    const unknownFilter = await api('GET', '/api/orders?colour=red');
    expect(unknownFilter.status).toBe(400);
    expect(unknownFilter.body.error.message).toContain('colour');
    const badCsv = await api('GET', '/api/orders.csv?status=shipped');
    expect(badCsv.status).toBe(400);

    const unknown = await api('GET', '/api/orders/ord_nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(
      'Order ord_nope does not exist. GET /api/orders lists them.',
    );
    const unknownFunnel = await api('GET', '/api/funnels/nope');
    expect(unknownFunnel.body.error.message).toBe(
      'There is no funnel "nope". GET /api/funnels lists them.',
    );
    const unknownPayment = await api('POST', '/api/payments/ord_nope.order.usd/refunds', {});
    expect(unknownPayment.status).toBe(404);
    // An API caller is pointed at routes, never at a command of the CLI.
    for (const answer of [unknown, unknownFunnel, unknownPayment]) {
      expect(answer.body.error.message).not.toContain('switchyard');
    }
  });

  it('shows an order with its payments, the account of each, the decision and the refund', async () => {
    const ids = await fourOrders();
    const jonas = (await api('GET', `/api/orders/${ids.jonas}`)).body.order;
    expect(jonas.payments).toHaveLength(1);
    expect(jonas.payments[0]).toMatchObject({
      kind: 'initial',
      account: 'eu',
      status: 'succeeded',
      amount: 4500,
      currency: 'eur',
      decision: { outcome: 'selected', matched: { level: 'rule', ref: 'germany' } },
      attempts: [{ account: 'eu', status: 'created' }],
    });
    const dan = (await api('GET', `/api/orders/${ids.dan}`)).body.order;
    expect(dan).toMatchObject({ status: 'refunded', paid: 4900, refunded: 4900 });
    expect(dan.payments[0].refunds).toMatchObject([
      { account: 'us', amount: 4900, currency: 'usd', reason: 'changed his mind' },
    ]);
    const cleo = (await api('GET', `/api/orders/${ids.cleo}`)).body.order;
    expect(cleo).toMatchObject({ status: 'open', funnel: 'webinar', payments: [] });
  });

  it('exports one CSV row per payment with its account, and a formula-looking name made inert', async () => {
    const ids = await fourOrders();
    const response = await downloadCsv('');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const [header, ...rows] = parseCsv(response.body);
    expect(header).toEqual([
      'order_id',
      'created_at',
      'funnel',
      'mode',
      'order_status',
      'email',
      'name',
      'country',
      'payment_id',
      'kind',
      'account',
      'payment_status',
      'amount',
      'currency',
      'refunded',
      'payment_intent',
      'routed_by',
      'coupon',
      'discount',
    ]);
    const column = (name: string) => header?.indexOf(name) ?? -1;
    const byOrder = (id: string) => rows.filter((row) => row[column('order_id')] === id);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toHaveLength(header?.length ?? 0);

    const [jonas] = byOrder(ids.jonas);
    expect(jonas?.[column('account')]).toBe('eu');
    expect(jonas?.[column('amount')]).toBe('4500');
    expect(jonas?.[column('routed_by')]).toBe('selected:rule:germany');
    expect(byOrder(ids.ana)[0]?.[column('account')]).toBe('us');
    const [dan] = byOrder(ids.dan);
    expect(dan?.[column('order_status')]).toBe('refunded');
    expect(dan?.[column('refunded')]).toBe('4900');

    // An open order has no payment yet: one row, the payment columns empty.
    const [cleo] = byOrder(ids.cleo);
    expect(cleo?.[column('payment_id')]).toBe('');
    expect(cleo?.[column('name')]).toBe(`'${formulaName}`);
    expect(response.body).not.toMatch(/(^|,)"?=HYPERLINK/m);

    const onlyEu = parseCsv((await downloadCsv('?account=eu')).body);
    expect(onlyEu.slice(1).map((row) => row[column('order_id')])).toEqual([ids.jonas]);
  });
});
