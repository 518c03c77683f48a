import { beforeEach, expect, it } from 'vitest';
import { buyOrder, clockAhead, type Visitor, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';

const emulator = useEmulator();

interface StepRow {
  step: string;
  views: number;
  visitors: number;
  contacts: number;
  payments: number;
  revenue: Array<{ currency: string; account: string; amount: number; payments: number }>;
  toNext: number | null;
  paidRate: number | null;
  takeRate: number | null;
}

describeEachDatabase('funnel stats', (database) => {
  const clock = clockAhead();
  beforeEach(() => clock.reset());
  const shop = launchShopForEachTest(database, emulator, { clock });
  const visitor = () => visitorOf(shop().testApp.app);
  const contact = (name: string) => ({
    email: `${name}@example.com`,
    name,
    country: 'US',
  });

  async function views(who: Visitor, ...paths: string[]) {
    for (const path of paths) expect((await who.get(path)).statusCode, path).toBe(200);
  }

  it('counts a scripted set of visits as a hand count does', async () => {
    // Ana: the sales page twice, the order form, pays with the bump, takes the upsell.
    const ana = visitor();
    await views(ana, '/f/launch/sales', '/f/launch/sales', '/f/launch/order');
    await ana.post('/f/launch/order/contact', contact('ana'));
    await views(ana, '/f/launch/order/pay');
    expect(
      (await ana.postJson('/f/launch/order/bump?currency=usd', { bump: true })).statusCode,
    ).toBe(200);
    const anaPaid = await buyOrder(emulator(), ana, contact('ana'));
    expect(anaPaid.intent.amount).toBe(6800);
    await views(ana, '/f/launch/coaching');
    expect((await ana.post('/f/launch/coaching/accept')).statusCode).toBe(303);
    await views(ana, '/f/launch/thanks');
    // Ben: pays without the bump, says no to the upsell and the downsell.
    const ben = visitor();
    await views(ben, '/f/launch/sales', '/f/launch/order');
    await buyOrder(emulator(), ben, contact('ben'));
    await views(ben, '/f/launch/coaching');
    await ben.post('/f/launch/coaching/decline');
    await views(ben, '/f/launch/templates');
    await ben.post('/f/launch/templates/decline');
    await views(ben, '/f/launch/thanks');
    // Cy reads the sales page; Dee reaches the order form and leaves.
    await views(visitor(), '/f/launch/sales');
    await views(visitor(), '/f/launch/sales', '/f/launch/order');
    // Two days later Ana looks at the sales page again: a view, not a new visitor.
    clock.advance(2 * 86_400);
    await views(ana, '/f/launch/sales');

    const answer = await shop().api('GET', '/api/funnels/launch/stats');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const steps = Object.fromEntries(
      (answer.body.steps as StepRow[]).map((row) => [row.step, row]),
    );
    // buyOrder posts the contact form again for Ana: two submissions of hers, one of Ben's.
    expect(steps.sales).toMatchObject({
      views: 6,
      visitors: 4,
      contacts: 0,
      payments: 0,
      toNext: 3 / 4,
    });
    expect(steps.order).toMatchObject({ views: 3, visitors: 3, contacts: 3, payments: 2 });
    expect(steps.order?.paidRate).toBeCloseTo(2 / 3);
    expect(steps.order?.takeRate).toBe(1 / 2);
    expect(steps.order?.revenue).toEqual([
      { currency: 'usd', account: 'us', amount: 6800 + 4900, payments: 2 },
    ]);
    expect(steps.coaching).toMatchObject({ views: 2, visitors: 2, payments: 1, takeRate: 1 / 2 });
    expect(steps.coaching?.revenue).toEqual([
      { currency: 'usd', account: 'us', amount: 9900, payments: 1 },
    ]);
    expect(steps.templates).toMatchObject({ views: 1, visitors: 1, payments: 0, takeRate: 0 });
    expect(steps.thanks).toMatchObject({ views: 2, visitors: 2, toNext: null });

    const days = answer.body.days as Array<{ day: string; steps: StepRow[] }>;
    expect(days).toHaveLength(30);
    const today = clock().toISOString().slice(0, 10);
    expect(days.at(-1)?.day).toBe(today);
    expect(days.at(-1)?.steps.find((row) => row.step === 'sales')?.views).toBe(1);
    const salesViews = days.flatMap((day) => day.steps.filter((row) => row.step === 'sales'));
    expect(salesViews.reduce((sum, row) => sum + row.views, 0)).toBe(6);

    // A period that ends before the visits has none of them.
    const before = await shop().api(
      'GET',
      '/api/funnels/launch/stats?from=2020-01-01&to=2020-01-31',
    );
    expect(before.body.steps[0]).toMatchObject({ views: 0, visitors: 0, toNext: null });
  });

  it('names the field of a bad period and the funnel it does not know', async () => {
    const badDay = await shop().api('GET', '/api/funnels/launch/stats?from=2026-13-01');
    expect(badDay.status).toBe(400);
    expect(JSON.stringify(badDay.body)).toContain('query.from');
    const backwards = await shop().api(
      'GET',
      '/api/funnels/launch/stats?from=2026-02-01&to=2026-01-01',
    );
    expect(backwards.status).toBe(400);
    expect(JSON.stringify(backwards.body)).toContain('query.to');
    const tooLong = await shop().api(
      'GET',
      '/api/funnels/launch/stats?from=2024-01-01&to=2026-01-01',
    );
    expect(tooLong.status).toBe(400);
    const unknown = await shop().api('GET', '/api/funnels/nope/stats');
    expect(unknown.status).toBe(404);
  });
});

describeEachDatabase('funnel stats switched off (FUNNEL_STATS=off)', (database) => {
  const shop = launchShopForEachTest(database, emulator, { env: { FUNNEL_STATS: 'off' } });

  it('counts nothing and sets no visitor cookie', async () => {
    const page = await visitorOf(shop().testApp.app).get('/f/launch/sales');
    expect(page.statusCode).toBe(200);
    expect(page.cookies.map((cookie) => cookie.name)).not.toContain('sy_visitor');
    const answer = await shop().api('GET', '/api/funnels/launch/stats');
    expect(answer.body.steps[0]).toMatchObject({ step: 'sales', views: 0 });
  });
});
