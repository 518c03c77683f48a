import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { coaching, course, ebook, launchFunnel } from './catalog.test-fixtures.js';

const emulator = useEmulator();

describeEachDatabase('products and funnels through the admin API', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;

  async function createCatalog() {
    for (const product of [course, ebook, coaching]) {
      expect((await api('POST', '/api/products', product)).status).toBe(201);
    }
    const created = await api('POST', '/api/funnels', launchFunnel);
    expect(created.status).toBe(201);
    return created.body.funnel;
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('needs a bearer token', async () => {
    for (const url of ['/api/products', '/api/funnels']) {
      expect((await testApp.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
  });

  it('creates, lists, shows, changes and deletes a product with prices per currency', async () => {
    const created = await api('POST', '/api/products', course);
    expect(created.status).toBe(201);
    expect(created.body.product).toMatchObject({
      slug: 'course',
      name: 'The Course',
      image: 'https://cdn.example.com/course.png',
      tags: ['courses'],
      pin: null,
      prices: [
        { currency: 'eur', amount: 4500, type: 'one_time', interval: null, display: '€45.00' },
        { currency: 'usd', amount: 4900, type: 'one_time', display: '$49.00' },
      ],
    });
    expect((await api('POST', '/api/products', coaching)).body.product.prices).toMatchObject([
      { currency: 'jpy', display: '¥29,800 / month', intervalCount: 1 },
      { currency: 'usd', display: '$199.00 / month' },
    ]);
    const again = await api('POST', '/api/products', course);
    expect([again.status, again.body.error.code]).toEqual([409, 'conflict']);

    const listed = await api('GET', '/api/products');
    expect(listed.body.products.map((p: { slug: string }) => p.slug)).toEqual([
      'coaching',
      'course',
    ]);
    const changed = await api('PATCH', '/api/products/course', {
      name: 'The Course, 2nd edition',
      prices: [{ currency: 'usd', amount: 5900 }],
      image: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.product).toMatchObject({
      name: 'The Course, 2nd edition',
      description: course.description,
      image: null,
      prices: [{ currency: 'usd', amount: 5900, display: '$59.00' }],
    });
    expect((await api('GET', '/api/products/course')).body.product.name).toBe(
      'The Course, 2nd edition',
    );
    const audit = await testApp.services.audit.list({ workspaceId: 'default', limit: 20 });
    expect(audit.map((entry) => entry.action)).toContain('product.updated');

    expect((await api('DELETE', '/api/products/course')).status).toBe(204);
    const gone = await api('GET', '/api/products/course');
    expect([gone.status, gone.body.error.code]).toEqual([404, 'not_found']);
  });

  it('refuses invalid products and funnels with 400 naming each field path', async () => {
    const product = await api('POST', '/api/products', {
      slug: 'Bad Slug',
      name: 'x',
      prices: [
        { currency: 'usd', amount: 49.5 },
        { currency: 'xyz', amount: 100 },
        { currency: 'usd', amount: 100, type: 'recurring' },
      ],
      colour: 'red',
    });
    expect(product.status).toBe(400);
    const fields = Object.fromEntries(
      product.body.error.details.fields.map((f: { field: string; message: string }) => [
        f.field,
        f.message,
      ]),
    );
    expect(fields).toMatchObject({
      slug: expect.stringContaining('lowercase letters'),
      'prices[0].amount': expect.stringContaining('whole number of minor units'),
      'prices[1].currency': 'not an ISO 4217 currency code',
      'prices[2].interval': expect.stringContaining('required for a recurring price'),
      colour: expect.stringContaining('unknown field'),
    });
    expect(product.body.error.message).toContain('prices[0].amount');

    const missing = await api('POST', '/api/products', { slug: 'x', prices: [] });
    expect(missing.body.error.details.fields).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'required' },
        { field: 'prices', message: expect.stringContaining('at least one price') },
      ]),
    );

    await api('POST', '/api/products', course);
    const funnel = await api('POST', '/api/funnels', {
      slug: 'launch',
      name: 'Launch',
      mode: 'staging',
      steps: [
        { slug: 'order', kind: 'order', content: {} },
        { slug: 'order', kind: 'upsell', product: 'course', bump: 'course', content: {} },
        { slug: 'more', kind: 'downsell', product: 'nothing', content: { video: 'ftp://x' } },
        { slug: 'thanks', kind: 'thank-you' },
      ],
    });
    expect(funnel.status).toBe(400);
    expect(funnel.body.error.details.fields).toEqual(
      expect.arrayContaining([
        { field: 'mode', message: 'a mode is "test" or "live"' },
        { field: 'steps[0].product', message: 'required: an order step offers a product' },
        { field: 'steps[1].bump', message: 'only an order step has an order bump' },
        { field: 'steps[2].content.video', message: expect.stringContaining('http(s)') },
        { field: 'steps[3].kind', message: expect.stringContaining('a step kind is') },
      ]),
    );

    const twice = await api('POST', '/api/funnels', {
      slug: 'launch',
      name: 'Launch',
      mode: 'test',
      steps: [launchFunnel.steps[3], launchFunnel.steps[3]],
    });
    expect(twice.body.error.details.fields).toEqual([
      {
        field: 'steps[1].slug',
        message: 'a second step "thanks": step slugs are unique in a funnel',
      },
    ]);

    const unknown = await api('POST', '/api/funnels', {
      slug: 'launch',
      name: 'Launch',
      mode: 'test',
      steps: [{ slug: 'order', kind: 'order', product: 'course', bump: 'nothing' }],
    });
    expect([unknown.status, unknown.body.error.details.fields]).toEqual([
      400,
      [{ field: 'steps[0].bump', message: expect.stringContaining('no product "nothing"') }],
    ]);
    const badPin = await api('PATCH', '/api/products/course', { pin: { use: 'asia' } });
    expect(badPin.body.error.details.fields).toEqual([
      { field: 'pin.use', message: 'no account "asia" (connected: us, eu)' },
    ]);
  });

  it('creates a funnel with ordered steps and content blocks, then replaces and changes it', async () => {
    const funnel = await createCatalog();
    expect(funnel).toMatchObject({ slug: 'launch', mode: 'test', pin: null });
    expect(funnel.steps.map((step: { slug: string }) => step.slug)).toEqual([
      'sales',
      'order',
      'coaching',
      'thanks',
    ]);
    expect(funnel.steps[0].content).toMatchObject({
      headline: 'Learn it in eight weeks',
      body: '## What you get\n\n- lessons',
      guarantee: { days: 30 },
      trustBadges: true,
    });
    expect(funnel.steps[1]).toMatchObject({ kind: 'order', product: 'course', bump: 'ebook' });
    expect(funnel.steps[2].content.trustBadges).toBe(false);
    expect((await api('POST', '/api/funnels', launchFunnel)).status).toBe(409);

    const replaced = await api('PUT', '/api/funnels/launch', {
      ...launchFunnel,
      slug: undefined,
      mode: 'live',
      steps: [launchFunnel.steps[1], launchFunnel.steps[3]],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.funnel.mode).toBe('live');
    expect(replaced.body.funnel.steps.map((step: { slug: string }) => step.slug)).toEqual([
      'order',
      'thanks',
    ]);
    const createdByPut = await api('PUT', '/api/funnels/webinar', {
      name: 'Webinar',
      mode: 'test',
      steps: [],
    });
    expect(createdByPut.status).toBe(201);
    const patched = await api('PATCH', '/api/funnels/launch', { name: 'Launch 2' });
    expect(patched.body.funnel).toMatchObject({ name: 'Launch 2', mode: 'live' });
    expect(patched.body.funnel.steps).toHaveLength(2);

    const listed = await api('GET', '/api/funnels');
    expect(listed.body.funnels).toEqual([
      { slug: 'launch', name: 'Launch 2', mode: 'live', steps: 2, pin: null },
      { slug: 'webinar', name: 'Webinar', mode: 'test', steps: 0, pin: null },
    ]);
    expect((await api('DELETE', '/api/funnels/webinar')).status).toBe(204);
    expect((await api('GET', '/api/funnels/webinar')).status).toBe(404);
  });

  it('keeps pins in the routing document: saved through the catalog, visible in both', async () => {
    await createCatalog();
    const pinned = await api('PATCH', '/api/products/coaching', {
      pin: { use: 'eu', fallback: ['us'] },
    });
    expect(pinned.body.product.pin).toEqual({ use: 'eu', fallback: ['us'] });
    const funnel = await api('PATCH', '/api/funnels/launch', {
      pin: { use: 'us' },
      steps: launchFunnel.steps.map((step) =>
        step.slug === 'order' ? { ...step, pin: { use: 'eu', fallback: 'none' } } : step,
      ),
    });
    expect(funnel.body.funnel.pin).toEqual({ use: 'us', fallback: 'auto' });
    expect(funnel.body.funnel.steps[1].pin).toEqual({ use: 'eu', fallback: 'none' });

    const routing = await api('GET', '/api/routing');
    expect(routing.body.version).toBe(2);
    expect(routing.body.document).toMatchObject({
      products: { coaching: { use: 'eu', fallback: ['us'] } },
      funnels: { launch: { use: 'us', fallback: 'auto' } },
      steps: { 'launch/order': { use: 'eu', fallback: 'none' } },
    });
    const explained = await api('POST', '/api/routing/explain', {
      context: { mode: 'test', currency: 'usd', funnel: 'launch', products: ['coaching'] },
    });
    expect(explained.body.decision).toMatchObject({
      account: 'eu',
      matched: { level: 'product', ref: 'coaching' },
    });
    const audit = await testApp.services.audit.list({ workspaceId: 'default', limit: 50 });
    expect(
      audit.filter((entry) => entry.action === 'routing.applied').map((entry) => entry.after),
    ).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: 'Pin of product coaching' })]),
    );

    // A pin applied as config shows on the product; saving without `pin` leaves it alone.
    const document = routing.body.document;
    await api('PUT', '/api/routing', {
      document: { ...document, products: { ...document.products, ebook: { use: 'us' } } },
    });
    expect((await api('GET', '/api/products/ebook')).body.product.pin).toEqual({
      use: 'us',
      fallback: 'auto',
    });
    await api('PATCH', '/api/products/ebook', { name: 'The Ebook, revised' });
    expect((await api('GET', '/api/products/ebook')).body.product.pin?.use).toBe('us');

    const unpinned = await api('PATCH', '/api/products/coaching', { pin: null });
    expect(unpinned.body.product.pin).toBeNull();
    expect((await api('PATCH', '/api/products/coaching', { pin: null })).status).toBe(200);
    const replaced = await api('PUT', '/api/funnels/launch', {
      ...launchFunnel,
      steps: launchFunnel.steps.filter((step) => step.slug !== 'order'),
    });
    expect(replaced.status).toBe(200);
    const after = (await api('GET', '/api/routing')).body;
    expect(after.document.products).toEqual({ ebook: { use: 'us', fallback: 'auto' } });
    expect(after.document.steps).toEqual({});
    expect(after.document.funnels).toEqual({ launch: { use: 'us', fallback: 'auto' } });
    expect((await api('DELETE', '/api/funnels/launch')).status).toBe(204);
    expect((await api('GET', '/api/routing')).body.document.funnels).toEqual({});
  });

  it('refuses an order step whose main offer and bump would route to two accounts', async () => {
    await api('POST', '/api/products', { ...course, pin: { use: 'us' } });
    await api('POST', '/api/products', { ...ebook, pin: { use: 'eu' } });
    await api('POST', '/api/products', coaching);
    const refused = await api('POST', '/api/funnels', launchFunnel);
    expect([refused.status, refused.body.error.code]).toEqual([
      409,
      'offers_split_across_accounts',
    ]);
    expect(refused.body.error.message).toContain(
      'Step launch/order would route its offers to two accounts: product course is pinned to us and its order bump ebook to eu.',
    );
    expect((await api('GET', '/api/funnels/launch')).status).toBe(404);

    await api('PATCH', '/api/products/ebook', { pin: { use: 'us' } });
    expect((await api('POST', '/api/funnels', launchFunnel)).status).toBe(201);
  });

  it('refuses pinning a product so that an existing order step would split', async () => {
    await createCatalog();
    await api('PATCH', '/api/products/course', { pin: { use: 'us' } });
    const refused = await api('PATCH', '/api/products/ebook', { pin: { use: 'eu' } });
    expect([refused.status, refused.body.error.code]).toEqual([
      409,
      'offers_split_across_accounts',
    ]);
    for (const name of ['course', 'ebook', ' us', ' eu', 'launch/order']) {
      expect(refused.body.error.message).toContain(name);
    }
    expect((await api('GET', '/api/products/ebook')).body.product.pin).toBeNull();
    // The same account is fine, and so is a pin on a product no order step shares.
    expect((await api('PATCH', '/api/products/ebook', { pin: { use: 'us' } })).status).toBe(200);
    expect((await api('PATCH', '/api/products/coaching', { pin: { use: 'eu' } })).status).toBe(200);
  });

  it('refuses the same split when the pins come from a routing config applied directly', async () => {
    await createCatalog();
    const routing = (await api('GET', '/api/routing')).body;
    const refused = await api('PUT', '/api/routing', {
      document: {
        ...routing.document,
        products: { course: { use: 'us' }, ebook: { use: 'eu' } },
      },
    });
    expect([refused.status, refused.body.error.code]).toEqual([
      409,
      'offers_split_across_accounts',
    ]);
    expect(refused.body.error.message).toContain('launch/order');
    expect((await api('GET', '/api/products/ebook')).body.product.pin).toBeNull();
  });

  it('refuses to delete a product a funnel offers, naming the funnels', async () => {
    await createCatalog();
    const refused = await api('DELETE', '/api/products/ebook');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'product_in_use']);
    expect(refused.body.error.message).toContain('offered by funnel launch (step launch/order)');
    expect(refused.body.error.details).toEqual({ funnels: ['launch'], steps: ['launch/order'] });
    expect((await api('GET', '/api/products/ebook')).status).toBe(200);

    await api('PATCH', '/api/funnels/launch', {
      steps: launchFunnel.steps.map((step) =>
        step.slug === 'order' ? { slug: 'order', kind: 'order', product: 'course' } : step,
      ),
    });
    expect((await api('DELETE', '/api/products/ebook')).status).toBe(204);
  });
});
