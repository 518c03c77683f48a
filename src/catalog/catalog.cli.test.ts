import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  createEmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { createScratchFolder, runInProcess } from '../cli/cli-in-process.test-helper.js';
import { coaching, course, ebook, launchFunnel } from './catalog.test-fixtures.js';

const emulator = useEmulator();
const scratch = createScratchFolder();
afterAll(() => scratch.remove());

const launchDocument = {
  products: [
    { ...course, pin: { use: 'us' } },
    { ...ebook, pin: { use: 'us', fallback: 'none' } },
    coaching,
  ],
  funnel: {
    ...launchFunnel,
    pin: { use: 'eu' },
    steps: launchFunnel.steps.map((step) =>
      step.slug === 'coaching' ? { ...step, pin: { use: 'eu', fallback: ['us'] } } : step,
    ),
  },
};

describeEachDatabase('switchyard funnels import, export and list', (database) => {
  let store: TestStore;
  let testApp: TestApp;

  async function connectAccounts(app: TestApp) {
    for (const handle of ['us', 'eu']) {
      await app.services.accounts.connectWithKeys(
        'default',
        { handle, credentials: keysOf(await createEmulatorAccount(emulator())) },
        'test',
      );
    }
  }

  async function useFreshStore() {
    store = await database.openMigrated();
    const env = {
      ...emulatorEnv(emulator()),
      SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    };
    testApp = await buildTestApp(store, { env, gateway: emulatorGateway(emulator()) });
    for (const [name, value] of Object.entries({ ...env, DATABASE_URL: store.url })) {
      vi.stubEnv(name, value);
    }
    await connectAccounts(testApp);
  }

  async function closeStore() {
    vi.unstubAllEnvs();
    await testApp.app.close();
    await store.dispose();
  }

  beforeEach(useFreshStore);
  afterEach(closeStore);

  it('imports a funnel with its products and pins, and a second import changes nothing', async () => {
    const file = scratch.write(`launch-${database.name}.json`, launchDocument);
    const imported = await runInProcess(['funnels', 'import', file]);
    expect([imported.code, imported.stderr]).toEqual([0, '']);
    expect(imported.stdout).toContain(`Imported ${file}: funnel launch created.`);
    expect(imported.stdout).toContain('products created: course, ebook, coaching');
    expect(imported.stdout).toContain('pins written as routing version 1');

    const routing = await testApp.services.routingConfig.showActive('default');
    expect(routing.document).toMatchObject({
      products: { course: { use: 'us' }, ebook: { use: 'us', fallback: 'none' } },
      funnels: { launch: { use: 'eu' } },
      steps: { 'launch/coaching': { use: 'eu', fallback: ['us'] } },
    });
    const auditBefore = await testApp.services.audit.list({ workspaceId: 'default', limit: 100 });

    const again = await runInProcess(['funnels', 'import', file]);
    expect([again.code, again.stdout.trim()]).toEqual([
      0,
      `No changes: ${file} matches funnel launch and its products. Nothing was stored.`,
    ]);
    expect((await testApp.services.routingConfig.showActive('default')).version).toBe(1);
    const auditAfter = await testApp.services.audit.list({ workspaceId: 'default', limit: 100 });
    expect(auditAfter).toHaveLength(auditBefore.length);

    const edited = scratch.write(`launch-edited-${database.name}.json`, {
      ...launchDocument,
      products: launchDocument.products.map((product) =>
        product.slug === 'ebook'
          ? { ...product, prices: [{ currency: 'usd', amount: 1200 }] }
          : product,
      ),
    });
    const update = await runInProcess(['funnels', 'import', edited]);
    expect(update.stdout).toContain('funnel launch unchanged.');
    expect(update.stdout).toContain('products updated: ebook');
    expect((await testApp.services.catalog.showProduct('default', 'ebook')).prices[0]?.amount).toBe(
      1200,
    );

    const products = await runInProcess(['products', 'list']);
    expect(products.stdout).toMatch(/^SLUG\s+PRICES\s+TAGS\s+PIN\s+NAME$/m);
    expect(products.stdout).toMatch(/^course\s+€45\.00, \$49\.00\s+courses\s+us\s+The Course$/m);
    expect(products.stdout).toMatch(/^coaching\s+¥29,800 \/ month, \$199\.00 \/ month\s+-\s+-/m);
    const funnels = await runInProcess(['funnels', 'list']);
    expect(funnels.stdout).toMatch(/^launch\s+test\s+4\s+eu\s+Launch$/m);
  });

  it('exports JSON and YAML that import into an empty workspace as the same funnel', async () => {
    await runInProcess([
      'funnels',
      'import',
      scratch.write(`source-${database.name}.json`, launchDocument),
    ]);
    const json = await runInProcess(['funnels', 'export', 'launch']);
    const yaml = await runInProcess(['funnels', 'export', 'launch', '--yaml']);
    expect([json.code, yaml.code]).toEqual([0, 0]);
    const exported = JSON.parse(json.stdout);
    expect(parseYaml(yaml.stdout)).toEqual(exported);
    expect(exported.products.map((product: { slug: string }) => product.slug)).toEqual([
      'course',
      'ebook',
      'coaching',
    ]);
    expect(exported.funnel.steps[2]).toMatchObject({
      slug: 'coaching',
      kind: 'upsell',
      product: 'coaching',
      pin: { use: 'eu', fallback: ['us'] },
      content: { trustBadges: false },
    });
    expect(yaml.stdout).toContain('slug: launch');

    for (const [format, text] of [
      ['json', json.stdout],
      ['yaml', yaml.stdout],
    ] as const) {
      await closeStore();
      await useFreshStore();
      const file = scratch.write(`exported-${database.name}.${format}`, text);
      const imported = await runInProcess(['funnels', 'import', file]);
      expect([format, imported.code, imported.stderr]).toEqual([format, 0, '']);
      const roundTrip = await runInProcess(['funnels', 'export', 'launch']);
      expect(JSON.parse(roundTrip.stdout)).toEqual(exported);
      expect((await runInProcess(['funnels', 'import', file])).stdout).toContain('No changes');
    }
  });

  it('round-trips split funnel and step pins through export and import, and lists the split', async () => {
    const half = {
      split: [
        { account: 'us', weight: 50 },
        { account: 'eu', weight: 50 },
      ],
    };
    const byOrder = {
      split: [
        { account: 'eu', weight: 80 },
        { account: 'us', weight: 20 },
      ],
      key: 'order',
    };
    const splitDocument = {
      ...launchDocument,
      funnel: {
        ...launchDocument.funnel,
        pin: { use: half },
        steps: launchDocument.funnel.steps.map((step) =>
          step.slug === 'coaching' ? { ...step, pin: { use: byOrder, fallback: 'none' } } : step,
        ),
      },
    };
    const first = await runInProcess([
      'funnels',
      'import',
      scratch.write(`split-${database.name}.json`, splitDocument),
    ]);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const funnels = await runInProcess(['funnels', 'list']);
    expect(funnels.stdout).toMatch(/^launch\s+test\s+4\s+split us 50 \/ eu 50\s+Launch$/m);

    const exported = JSON.parse((await runInProcess(['funnels', 'export', 'launch'])).stdout);
    expect(exported.funnel.pin).toEqual({ use: { ...half, key: 'customer' }, fallback: 'auto' });
    expect(exported.funnel.steps[2].pin).toEqual({ use: byOrder, fallback: 'none' });
    const routing = await testApp.services.routingConfig.showActive('default');
    expect(routing.document.funnels.launch?.use).toEqual({ ...half, key: 'customer' });
    expect(routing.document.steps['launch/coaching']?.use).toEqual(byOrder);

    await closeStore();
    await useFreshStore();
    const file = scratch.write(`split-exported-${database.name}.json`, exported);
    expect((await runInProcess(['funnels', 'import', file])).code).toBe(0);
    const roundTrip = await runInProcess(['funnels', 'export', 'launch']);
    expect(JSON.parse(roundTrip.stdout)).toEqual(exported);
    expect((await runInProcess(['funnels', 'import', file])).stdout).toContain('No changes');
  });

  it('exits 2 naming the file and each field path for bad input, and changes nothing', async () => {
    const invalid = scratch.write(
      `invalid-${database.name}.yaml`,
      [
        'products:',
        '  - slug: course',
        '    name: The Course',
        '    prices: [{currency: usd, amount: 49.5}]',
        'funnel:',
        '  slug: launch',
        '  name: Launch',
        '  mode: test',
        '  steps:',
        '    - {slug: order, kind: order}',
      ].join('\n'),
    );
    const refused = await runInProcess(['funnels', 'import', invalid]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${invalid} is not a valid funnel document`);
    expect(refused.stderr).toContain('products[0].prices[0].amount:');
    expect(refused.stderr).toContain('funnel.steps[0].product: required');

    const unknownProduct = scratch.write(`unknown-${database.name}.json`, {
      funnel: { ...launchFunnel, steps: [launchFunnel.steps[1]] },
    });
    const missing = await runInProcess(['funnels', 'import', unknownProduct]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('funnel.steps[0].product: there is no product "course"');

    const broken = scratch.write(`broken-${database.name}.yaml`, 'funnel: [1,\n  b: c:');
    const unreadable = await runInProcess(['funnels', 'import', broken]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(`The funnel file ${broken} is not valid YAML`);
    const absent = await runInProcess(['funnels', 'import', '/nonexistent/launch.json']);
    expect([absent.code, absent.stderr]).toEqual([
      2,
      'switchyard: Cannot read the funnel file /nonexistent/launch.json: there is no such file; check the path.\n',
    ]);

    const split = scratch.write(`split-${database.name}.json`, {
      ...launchDocument,
      products: [{ ...course, pin: { use: 'us' } }, { ...ebook, pin: { use: 'eu' } }, coaching],
    });
    const conflict = await runInProcess(['funnels', 'import', split]);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toContain(
      'product course is pinned to us and its order bump ebook to eu',
    );

    expect(await testApp.services.catalog.listProducts('default')).toEqual([]);
    expect((await runInProcess(['funnels', 'list'])).stdout).toContain('No funnels yet');
    const notFound = await runInProcess(['funnels', 'export', 'launch']);
    expect([notFound.code, notFound.stderr]).toEqual([
      4,
      'switchyard: There is no funnel "launch". Run "switchyard funnels list" to see them.\n',
    ]);
  });
});
