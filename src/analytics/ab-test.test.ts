import { beforeEach, expect, it } from 'vitest';
import { type Visitor, visitorOf } from '../../test/checkout.js';
import { consoleUser } from '../../test/console.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { funnelDocumentSchema, parseInput } from '../catalog/catalog.schema.js';
import { csrfTokenOf, sessionCookie } from '../console/session-cookie.js';
import { stepValuesOf } from '../console/step-form.js';
import { launchFunnel } from '../demo/launch-funnel.js';
import { twoProportionZ } from './ab-test.js';

const emulator = useEmulator();
const headlineB = 'Your launch, planned in a weekend';

function headlineOf(html: string): string {
  return /<h1[^>]*>([^<]*)<\/h1>/.exec(html)?.[1] ?? '';
}

it('computes the two-proportion z statistic', () => {
  // 20 of 100 against 30 of 100: pooled 0.25, z = 0.1 / sqrt(0.25 * 0.75 * 0.02) = 1.633.
  expect(
    twoProportionZ(
      { variant: 'a', visitors: 100, converted: 20 },
      { variant: 'b', visitors: 100, converted: 30 },
    ),
  ).toBeCloseTo(1.633, 3);
  expect(
    twoProportionZ(
      { variant: 'a', visitors: 0, converted: 0 },
      { variant: 'b', visitors: 5, converted: 1 },
    ),
  ).toBeNull();
});

describeEachDatabase('an A/B test on a step', (database) => {
  const shop = launchShopForEachTest(database, emulator);
  beforeEach(async () => {
    const document = structuredClone(launchFunnel);
    const sales = document.funnel.steps[0];
    if (!sales?.content) throw new Error('the demo funnel starts with its sales page');
    sales.content.variants = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1, headline: headlineB },
    ];
    await shop().testApp.services.catalog.importFunnel(
      'default',
      parseInput(funnelDocumentSchema, document),
      'test',
    );
  });

  it('keeps each visitor on their variant, counts each, and ends with the winner', async () => {
    const seen: Record<'a' | 'b', Visitor[]> = { a: [], b: [] };
    for (let count = 0; count < 100; count++) {
      const visitor = visitorOf(shop().testApp.app);
      const first = headlineOf((await visitor.get('/f/launch/sales')).body);
      const again = headlineOf((await visitor.get('/f/launch/sales')).body);
      expect(again).toBe(first);
      seen[first === headlineB ? 'b' : 'a'].push(visitor);
    }
    expect(seen.a.length).toBeGreaterThan(0);
    expect(seen.b.length).toBeGreaterThan(0);
    // All of b's visitors go on to the order form; one in five of a's.
    for (const visitor of seen.b) await visitor.get('/f/launch/order');
    const goOn = seen.a.filter((_visitor, index) => index % 5 === 0);
    for (const visitor of goOn) await visitor.get('/f/launch/order');

    const { body } = await shop().api('GET', '/api/funnels/launch/stats');
    const test = body.steps[0].test;
    expect(test.goal).toBe('next_step');
    expect(test.variants).toEqual([
      {
        variant: 'a',
        weight: 1,
        visitors: seen.a.length,
        converted: goOn.length,
        rate: goOn.length / seen.a.length,
      },
      { variant: 'b', weight: 1, visitors: seen.b.length, converted: seen.b.length, rate: 1 },
    ]);
    const [comparison] = test.comparisons;
    if (seen.a.length >= 30 && seen.b.length >= 30) {
      expect(comparison).toMatchObject({ variant: 'b', significant: true });
      expect(comparison.note).toContain('b converts better than a');
    } else {
      expect(comparison.note).toContain('Too few visitors to tell yet');
    }

    // The merchant ends the test with b: its headline is the step's own, for everyone.
    const unknown = await shop().api('POST', '/api/funnels/launch/steps/sales/winner', {
      variant: 'c',
    });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('variant');
    const ended = await shop().api('POST', '/api/funnels/launch/steps/sales/winner', {
      variant: 'b',
    });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const step = ended.body.funnel.steps[0];
    expect(step.content.headline).toBe(headlineB);
    expect(step.content.variants).toBeUndefined();
    expect(headlineOf((await seen.a[0]?.get('/f/launch/sales'))?.body ?? '')).toBe(headlineB);
    const again = await shop().api('POST', '/api/funnels/launch/steps/sales/winner', {
      variant: 'b',
    });
    expect(again.status).toBe(409);
  });

  it('keeps the test when the step is saved in the console editor, which has no A/B fields', async () => {
    const { testApp } = shop();
    const admin = await consoleUser(testApp, 'admin');
    const { token } = await testApp.services.users.startSession(admin);
    const funnel = await testApp.services.catalog.showFunnel('default', 'launch');
    const sales = funnel.steps[0];
    if (!sales) throw new Error('the demo funnel starts with its sales page');
    const form = { ...stepValuesOf(sales), 'content.headline': 'A new first headline' };
    const saved = await testApp.app.inject({
      method: 'POST',
      url: '/admin/funnels/launch/steps/sales',
      headers: {
        cookie: `${sessionCookie}=${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        ...form,
        intent: 'save',
        _csrf: csrfTokenOf(token),
      }).toString(),
    });
    expect(saved.statusCode, saved.body).toBe(303);
    const after = await testApp.services.catalog.showFunnel('default', 'launch');
    expect(after.steps[0]?.content.headline).toBe('A new first headline');
    expect(after.steps[0]?.content.variants?.map((variant) => variant.name)).toEqual(['a', 'b']);
  });
});
