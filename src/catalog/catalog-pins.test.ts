import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { funnelDocumentSchema, funnelSchema, parseInput } from './catalog.schema.js';
import { createCatalogService } from './catalog.service.js';
import { coaching, course, ebook, launchFunnel } from './catalog.test-fixtures.js';

const emulator = useEmulator();

describeEachDatabase('a catalog change and the pins it writes', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  /** The catalog over a routing config where someone else applies a version just before it does. */
  function catalogRacedBySomeoneElse() {
    const routing = testApp.services.routingConfig;
    const raced: Pick<RoutingConfigService, 'showActive' | 'applyDocument'> = {
      showActive: routing.showActive,
      async applyDocument(workspaceId, document, options) {
        const active = await routing.showActive(workspaceId);
        await routing.applyDocument(
          workspaceId,
          { ...active.document, products: { coaching: { use: 'eu' } } },
          { actor: 'someone else', message: 'Meanwhile' },
        );
        return routing.applyDocument(workspaceId, document, options);
      },
    };
    const { clock, audit } = testApp.services;
    return createCatalogService({ db: store.db, clock, audit, routing: raced });
  }

  async function expectOnlyTheOtherVersion() {
    const active = await testApp.services.routingConfig.showActive('default');
    expect([active.version, active.author]).toEqual([1, 'someone else']);
    expect([active.document.funnels, active.document.steps]).toEqual([{}, {}]);
    expect(active.document.products).toEqual({ coaching: { use: 'eu', fallback: 'auto' } });
  }

  it('leaves neither the funnel nor its pins when the routing version moved meanwhile', async () => {
    for (const product of [course, ebook, coaching]) {
      expect((await api('POST', '/api/products', product)).status).toBe(201);
    }
    const funnel = parseInput(funnelSchema, { ...launchFunnel, pin: { use: 'us' } });

    await expect(
      catalogRacedBySomeoneElse().createFunnel('default', funnel, 'test'),
    ).rejects.toMatchObject({ code: 'conflict' });

    expect((await api('GET', '/api/funnels/launch')).status).toBe(404);
    await expectOnlyTheOtherVersion();
    const audit = await testApp.services.audit.list({ workspaceId: 'default', limit: 50 });
    expect(audit.map((entry) => entry.action)).not.toContain('funnel.created');
  });

  it('leaves neither the products nor the funnel of an import when its pins conflict', async () => {
    const document = parseInput(funnelDocumentSchema, {
      products: [{ ...course, pin: { use: 'us' } }, ebook, coaching],
      funnel: launchFunnel,
    });

    await expect(
      catalogRacedBySomeoneElse().importFunnel('default', document, 'test'),
    ).rejects.toMatchObject({ code: 'conflict' });

    expect((await api('GET', '/api/products')).body.products).toEqual([]);
    expect((await api('GET', '/api/funnels/launch')).status).toBe(404);
    await expectOnlyTheOtherVersion();
  });

  it('leaves a product unchanged when the pin saved with the change conflicts', async () => {
    expect((await api('POST', '/api/products', course)).status).toBe(201);

    await expect(
      catalogRacedBySomeoneElse().updateProduct(
        'default',
        'course',
        { name: 'The Course, renamed', pin: { use: 'us', fallback: 'auto' } },
        'test',
      ),
    ).rejects.toMatchObject({ code: 'conflict' });

    const product = (await api('GET', '/api/products/course')).body.product;
    expect([product.name, product.pin]).toEqual(['The Course', null]);
    await expectOnlyTheOtherVersion();
  });
});
