import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

const emulator = useEmulator();

const euroRouting = {
  accounts: [
    { handle: 'us', role: 'primary', currencies: ['usd'], label: 'US LLC' },
    { handle: 'eu', priority: 1, currencies: ['eur', 'gbp'], drain: false },
  ],
  rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu' }],
  products: { coaching: { use: 'us', fallback: ['eu'] } },
};

describeEachDatabase('the routing config of the live workspace', (database) => {
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

  it('needs a bearer token', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/routing' });
    expect(response.statusCode).toBe(401);
  });

  it('shows the accounts part from the accounts themselves before any version exists', async () => {
    const shown = await api('GET', '/api/routing');
    expect(shown.status).toBe(200);
    expect(shown.body.version).toBeNull();
    expect(shown.body.document).toMatchObject({
      accounts: [
        { handle: 'us', role: 'primary', modes: ['test'], enabled: true, drain: false },
        { handle: 'eu', role: 'secondary', modes: ['test'], priority: 0 },
      ],
      rules: [],
      products: {},
    });
    expect(JSON.stringify(shown.body)).not.toContain('sk_test');
  });

  it('stores a new version, applies the routing fields to the accounts and writes an audit entry', async () => {
    const applied = await api('PUT', '/api/routing', {
      document: euroRouting,
      message: 'Euro sales go to the EU entity',
    });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ version: 1, changed: true });
    expect(applied.body.accountChanges).toEqual([
      { handle: 'us', fields: ['currencies', 'label'] },
      { handle: 'eu', fields: ['priority', 'currencies'] },
    ]);

    const eu = (await api('GET', '/api/accounts/eu')).body.account;
    expect(eu).toMatchObject({ priority: 1, currencies: ['eur', 'gbp'] });
    expect(eu.modes.test.secretKey).toMatch(/^sk_test_…/);

    const shown = await api('GET', '/api/routing');
    expect(shown.body).toMatchObject({
      version: 1,
      message: 'Euro sales go to the EU entity',
      author: 'token:test-suite',
    });
    expect(shown.body.document.rules).toEqual([
      { name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu', fallback: 'auto' },
    ]);

    const audit = await testApp.services.audit.list({
      workspaceId: 'default',
      limit: 50,
      subject: 'routing',
    });
    expect(audit[0]).toMatchObject({ action: 'routing.applied', after: { version: 1 } });

    // The same document again changes nothing and stores nothing.
    const again = await api('PUT', '/api/routing', { document: euroRouting });
    expect(again.body).toMatchObject({ version: 1, changed: false });
  });

  it('refuses an invalid document with 400 or 422, naming the JSON path, and changes nothing', async () => {
    const malformed = await api('PUT', '/api/routing', {
      document: { rules: [{ name: 'x', when: { curency: ['eur'] }, use: 'eu' }] },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.fields).toContainEqual({
      field: 'document.rules[0].when.curency',
      message: 'unknown field: did you mean "currency"?',
    });

    const unknownHandle = await api('PUT', '/api/routing', {
      document: { ...euroRouting, rules: [{ name: 'x', when: {}, use: 'asia' }] },
    });
    expect(unknownHandle.status).toBe(422);
    expect(unknownHandle.body.error.code).toBe('routing_config_invalid');
    expect(unknownHandle.body.error.details.fields[0].field).toBe('document.rules[0].use');

    const notConnected = await api('PUT', '/api/routing', {
      document: { ...euroRouting, accounts: [...euroRouting.accounts, { handle: 'asia' }] },
    });
    expect(notConnected.status).toBe(422);
    expect(notConnected.body.error.details.fields).toEqual([
      {
        field: 'document.accounts[2].handle',
        message: expect.stringContaining('accounts are connected with their keys'),
      },
    ]);

    const twoPrimaries = await api('PUT', '/api/routing', {
      document: {
        accounts: [
          { handle: 'us', role: 'primary' },
          { handle: 'eu', role: 'primary' },
        ],
      },
    });
    expect(twoPrimaries.status).toBe(422);

    expect((await api('GET', '/api/routing')).body.version).toBeNull();
    expect((await api('GET', '/api/accounts/eu')).body.account.currencies).toBeNull();
  });

  it('lists versions and rolls back to an old one as a new version', async () => {
    await api('PUT', '/api/routing', { document: euroRouting, message: 'first' });
    const draining = {
      ...euroRouting,
      accounts: [euroRouting.accounts[0], { ...euroRouting.accounts[1], drain: true }],
      rules: [],
    };
    const second = await api('PUT', '/api/routing', {
      document: draining,
      message: 'drain eu',
      basedOn: 1,
    });
    expect(second.body).toMatchObject({
      version: 2,
      accountChanges: [{ handle: 'eu', fields: ['drain'] }],
    });
    expect((await api('GET', '/api/accounts/eu')).body.account.drain).toBe(true);

    const stale = await api('PUT', '/api/routing', { document: euroRouting, basedOn: 1 });
    expect([stale.status, stale.body.error.code]).toEqual([409, 'conflict']);

    const rolledBack = await api('POST', '/api/routing/rollback', { version: 1 });
    expect(rolledBack.body).toMatchObject({ version: 3, changed: true });
    expect((await api('GET', '/api/accounts/eu')).body.account.drain).toBe(false);
    expect((await api('GET', '/api/routing')).body.document.rules).toHaveLength(1);

    const versions = (await api('GET', '/api/routing/versions')).body.versions;
    expect(
      versions.map((v: { version: number; active: boolean }) => [v.version, v.active]),
    ).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
    expect(versions[0]).toMatchObject({
      restoredFrom: 1,
      message: 'Rollback to version 1',
      rules: 1,
      pins: 1,
    });

    const missing = await api('POST', '/api/routing/rollback', { version: 9 });
    expect(missing.status).toBe(404);
  });

  it('explains a payment with live health, which the caller can override', async () => {
    await api('PUT', '/api/routing', { document: euroRouting });
    const dollars = await api('POST', '/api/routing/explain', {
      context: { mode: 'test', currency: 'usd' },
    });
    expect(dollars.body).toMatchObject({
      version: 1,
      decision: { outcome: 'selected', account: 'us' },
    });

    const overridden = await api('POST', '/api/routing/explain', {
      context: { mode: 'test', currency: 'eur', health: { eu: 'down' } },
    });
    // us takes dollars only, so no account can take a euro payment while eu is down.
    expect(overridden.body.decision).toMatchObject({
      outcome: 'no_account',
      matched: { level: 'rule', ref: 'euro-sales' },
      candidates: [
        { account: 'eu', eligible: false, reasons: ['health_down'] },
        { account: 'us', eligible: false, reasons: ['currency_not_accepted'] },
      ],
    });

    const { accountId } = await testApp.services.health.showHealth('default', 'eu');
    for (let failure = 0; failure < 5; failure++) {
      await testApp.services.health.recordOutcome(
        { workspaceId: 'default', accountId, mode: 'test' },
        { ok: false, kind: 'stripe_error', httpStatus: 500 },
      );
    }
    const live = await api('POST', '/api/routing/explain', {
      context: { mode: 'test', currency: 'gbp' },
    });
    expect(live.body.health).toEqual({ eu: 'down' });
    expect(live.body.decision.explanation).toContain('eu is down.');

    const healthy = await api('POST', '/api/routing/explain', {
      context: { mode: 'test', currency: 'gbp', health: { eu: 'healthy' } },
    });
    expect(healthy.body.decision).toMatchObject({ outcome: 'fallback', account: 'eu' });

    const shown = await api('GET', '/api/accounts/eu/health');
    expect(shown.body.health.modes.test).toMatchObject({
      health: 'down',
      breaker: 'open',
      consecutiveFailures: 5,
    });
    expect(shown.body.health.modes.test.recentFailures).toHaveLength(5);

    const invalid = await api('POST', '/api/routing/explain', { context: { mode: 'test' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toContain('context.currency: required');
  });

  it('refuses to remove an account that rules, pins or fallback lists still name', async () => {
    await api('PUT', '/api/routing', { document: euroRouting });
    const refused = await api('DELETE', '/api/accounts/eu');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('account_in_use');
    expect(refused.body.error.details.references).toEqual([
      'rule "euro-sales"',
      'the fallback list of product "coaching"',
    ]);
    expect(refused.body.error.message).toContain('rule "euro-sales"');

    await api('PUT', '/api/routing', { document: { ...euroRouting, rules: [], products: {} } });
    expect((await api('DELETE', '/api/accounts/eu')).status).toBe(204);
  });

  it('refuses to remove an account that only a split names, naming the split', async () => {
    const half = {
      split: [
        { account: 'us', weight: 50 },
        { account: 'eu', weight: 50 },
      ],
    };
    const put = await api('PUT', '/api/routing', {
      document: {
        ...euroRouting,
        rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: half }],
        products: {},
        funnels: { launch: { use: half } },
      },
    });
    expect(put.status).toBe(200);
    const refused = await api('DELETE', '/api/accounts/eu');
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.references).toEqual([
      'rule "euro-sales" (split us 50 / eu 50)',
      'the pin of funnel "launch" (split us 50 / eu 50)',
    ]);
  });
});
