import { expect, it } from 'vitest';
import { adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import { newMasterKey } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import {
  control,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  useEmulator,
} from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { findLiveAccountByHandle, updateAccount } from '../accounts/accounts.repository.js';
import {
  activateVersion,
  findLatestVersionNumber,
  insertVersion,
} from '../routing-config/routing-config.repository.js';
import type { DoctorReport } from './doctor.service.js';
import type { Finding, FindingCode } from './finding.js';

const emulator = useEmulator();

/** The workspace finding of `code` in a report. */
function workspaceFinding(report: DoctorReport, code: FindingCode): Finding {
  const found = report.findings.find(
    (finding) => finding.code === code && finding.account === null,
  );
  if (!found) throw new Error(`the report has no workspace finding ${code}`);
  return found;
}

describeEachDatabase('doctor: configuration', (database) => {
  const shop = launchShopForEachTest(database, emulator);
  const doctor = (testApp: TestApp = shop().testApp) => testApp.services.doctor.run('default');
  const finding = async (code: FindingCode, testApp?: TestApp) =>
    workspaceFinding(await doctor(testApp), code);

  /** The same store served again with another environment, as after a restart. */
  async function restartedWith(env: Record<string, string>): Promise<TestApp> {
    return buildTestApp(shop().store, {
      env: { ...emulatorEnv(emulator()), SWITCHYARD_MASTER_KEY: shop().testApp.masterKey, ...env },
      gateway: emulatorGateway(emulator()),
    });
  }

  async function withRestarted<T>(env: Record<string, string>, work: (app: TestApp) => Promise<T>) {
    const restarted = await restartedWith(env);
    try {
      return await work(restarted);
    } finally {
      await restarted.app.close();
    }
  }

  /** The emulator's live keys of the account connected as `handle`. */
  async function liveKeysOf(handle: string) {
    const account = await shop().api('GET', `/api/accounts/${handle}`);
    const { data } = await control<{ data: EmulatorAccount[] }>(emulator(), 'GET', 'accounts');
    const keys = data.find((one) => one.id === account.body.account.stripeAccountId)?.keys.live;
    return { secretKey: keys?.secret ?? '', publishableKey: keys?.publishable ?? '' };
  }

  it('passes every configuration code on a sound test-mode shop', async () => {
    const report = await doctor();
    const configuration = report.findings.filter((one) => one.account === null);
    expect(configuration.map((one) => [one.code, one.status])).toEqual(
      expect.arrayContaining([
        ['no_primary', 'pass'],
        ['routing_invalid', 'pass'],
        ['routing_warning', 'pass'],
        ['currency_unserved', 'pass'],
        ['live_funnel_without_live_account', 'pass'],
        ['offers_split_across_accounts', 'pass'],
        ['public_url_local', 'pass'],
        ['stripe_js_not_stripe', 'pass'],
        ['master_key_unreadable', 'pass'],
      ]),
    );
    expect(configuration.every((one) => one.fix === null)).toBe(true);
  });

  it('no_primary: fails with no account connected, and when no account is the primary', async () => {
    const empty = await database.openMigrated();
    const bare = await buildTestApp(empty, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
    });
    try {
      const none = await finding('no_primary', bare);
      expect(none).toMatchObject({ status: 'fail', detail: expect.stringContaining('No Stripe') });
      expect(none.fix).toContain('switchyard accounts add');
      const api = await adminClient(bare);
      const made = await control<EmulatorAccount>(emulator(), 'POST', 'accounts', {});
      await api('POST', '/api/accounts', {
        handle: 'main',
        credentials: {
          test: { secretKey: made.keys.test.secret, publishableKey: made.keys.test.publishable },
        },
      });
      expect(await finding('no_primary', bare)).toMatchObject({
        status: 'pass',
        detail: 'main is the primary account.',
      });
    } finally {
      await bare.app.close();
      await empty.dispose();
    }

    // Written behind the service's back (a restore, another tool): the primary lost its role.
    const us = await findLiveAccountByHandle(shop().store.db, 'default', 'us');
    await updateAccount(shop().store.db, us?.accountId ?? '', { role: 'secondary' });
    const lost = await finding('no_primary');
    expect(lost).toMatchObject({ status: 'fail', detail: expect.stringContaining('(eu, us)') });
    expect(lost.fix).toBe('Make one the primary: "switchyard accounts primary <handle>".');
    await shop().api('POST', '/api/accounts/eu/primary');
    expect(await finding('no_primary')).toMatchObject({ status: 'pass' });
  });

  it('routing_invalid: fails when a rule names an account that is gone', async () => {
    const applied = await shop().api('PUT', '/api/routing', {
      document: { rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu' }] },
    });
    expect(applied.status).toBe(200);
    // eu removed behind routing's back (removal through Switchyard refuses while a rule names it).
    const eu = await findLiveAccountByHandle(shop().store.db, 'default', 'eu');
    await updateAccount(shop().store.db, eu?.accountId ?? '', {
      removedAt: new Date().toISOString(),
    });

    const broken = await finding('routing_invalid');
    expect(broken.status).toBe('fail');
    expect(broken.detail).toContain('rules[0].use: unknown account "eu" in rule euro-sales');
    expect(broken.fix).toContain('switchyard config apply routing.json');

    await shop().api('PUT', '/api/routing', {
      document: { rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: 'us' }] },
    });
    expect(await finding('routing_invalid')).toMatchObject({ status: 'pass', fix: null });
  });

  it('routing_warning: warns with every warning the validator gives', async () => {
    await shop().api('PUT', '/api/routing', {
      document: {
        rules: [
          { name: 'everything', when: {}, use: 'us' },
          { name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu', fallback: ['eu'] },
        ],
      },
    });

    const warned = await finding('routing_warning');
    expect(warned.status).toBe('warn');
    expect(warned.detail).toContain('2 warnings');
    expect(warned.detail).toContain('rules[1]: rule "euro-sales" can never match');
    expect(warned.detail).toContain('rules[1].fallback[0]: the fallback list of rule euro-sales');
    expect(warned.fix).toContain('switchyard config export');

    await shop().api('PUT', '/api/routing', {
      document: { rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu' }] },
    });
    expect(await finding('routing_warning')).toMatchObject({ status: 'pass' });
  });

  it('currency_unserved: fails for a price whose currency no account takes', async () => {
    await shop().api('PATCH', '/api/accounts/us', { currencies: ['usd'] });
    await shop().api('PATCH', '/api/accounts/eu', { currencies: ['usd'] });

    const unserved = await finding('currency_unserved');
    expect(unserved.status).toBe('fail');
    expect(unserved.detail).toContain('EUR for course at launch/order (test)');
    expect(unserved.detail).not.toContain('USD for');
    expect(unserved.fix).toContain('switchyard accounts update <handle> --currencies');

    await shop().api('PATCH', '/api/accounts/eu', { currencies: ['eur'] });
    expect(await finding('currency_unserved')).toMatchObject({ status: 'pass' });
  });

  it('currency_unserved: a split funnel pin is served when any of its accounts takes the currency', async () => {
    await shop().api('PATCH', '/api/accounts/us', { currencies: ['usd'] });
    await shop().api('PATCH', '/api/accounts/eu', { currencies: ['eur'] });
    const half = {
      split: [
        { account: 'us', weight: 50 },
        { account: 'eu', weight: 50 },
      ],
    };
    const put = await shop().api('PUT', '/api/routing', {
      document: { funnels: { launch: { use: half, fallback: 'none' } } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // Whoever a buyer is bucketed to, the split hands a currency its pick refuses to the other.
    expect(await finding('currency_unserved')).toMatchObject({ status: 'pass' });

    await shop().api('PATCH', '/api/accounts/eu', { currencies: ['usd'] });
    const unserved = await finding('currency_unserved');
    expect(unserved.status).toBe('fail');
    expect(unserved.detail).toContain(
      'EUR for course at launch/order (test) (us: currency_not_accepted; eu: currency_not_accepted)',
    );
  });

  it('live_funnel_without_live_account: fails until an account has live keys', async () => {
    expect((await shop().api('PATCH', '/api/funnels/launch', { mode: 'live' })).status).toBe(200);

    const stranded = await finding('live_funnel_without_live_account');
    expect(stranded).toMatchObject({
      status: 'fail',
      detail: 'Funnel launch is live, but no account has live keys: no buyer can pay.',
    });
    expect(stranded.fix).toContain('switchyard accounts keys <handle> --live-secret-key');

    const keys = await shop().api('POST', '/api/accounts/us/keys', {
      credentials: { live: await liveKeysOf('us') },
    });
    expect(keys.status).toBe(200);
    expect(await finding('live_funnel_without_live_account')).toMatchObject({ status: 'pass' });
  });

  it('offers_split_across_accounts: fails when an offer and its bump are pinned apart', async () => {
    // Written as another instance or an older version could have: Switchyard refuses it now.
    const refused = await shop().api('PUT', '/api/routing', {
      document: { products: { course: { use: 'us' }, checklist: { use: 'eu' } } },
    });
    expect(refused.status).toBe(409);
    const { db } = shop().store;
    const version = (await findLatestVersionNumber(db, 'default')) + 1;
    const now = new Date().toISOString();
    await insertVersion(db, {
      workspaceId: 'default',
      version,
      document: {
        accounts: [],
        rules: [],
        funnels: {},
        steps: {},
        products: {
          course: { use: 'us', fallback: 'auto' },
          checklist: { use: 'eu', fallback: 'auto' },
        },
      },
      author: 'test',
      message: 'split',
      restoredFrom: null,
      createdAt: now,
    });
    await activateVersion(db, 'default', version, now);

    const split = await finding('offers_split_across_accounts');
    expect(split.status).toBe('fail');
    expect(split.detail).toContain('Step launch/order would route its offers to two accounts');
    expect(split.fix).toContain('pin both products to the same account');

    await shop().api('PUT', '/api/routing', {
      document: { products: { course: { use: 'us' }, checklist: { use: 'us' } } },
    });
    expect(await finding('offers_split_across_accounts')).toMatchObject({ status: 'pass' });
  });

  it('public_url_local and stripe_js_not_stripe: fail once an account has live keys', async () => {
    // Before live keys, a local URL and the emulator's Stripe.js are what a test setup wants.
    expect(await finding('public_url_local')).toMatchObject({ status: 'pass' });
    expect(await finding('stripe_js_not_stripe')).toMatchObject({ status: 'pass' });
    await shop().api('POST', '/api/accounts/eu/keys', {
      credentials: { live: await liveKeysOf('eu') },
    });

    const local = await finding('public_url_local');
    expect(local.status).toBe('fail');
    expect(local.detail).toBe(
      'Accounts with live keys (eu) take real payments, but PUBLIC_URL http://127.0.0.1:3000 is not https (Stripe sends live webhooks only to https, and buyers’ card pages need it).',
    );
    expect(local.fix).toContain('Set PUBLIC_URL');
    const notStripe = await finding('stripe_js_not_stripe');
    expect(notStripe.status).toBe('fail');
    expect(notStripe.detail).toContain(`loads Stripe.js from ${emulator().url}/v3/`);
    expect(notStripe.fix).toContain('Unset STRIPE_JS_URL');

    await withRestarted({ PUBLIC_URL: 'https://192.168.1.20' }, async (restarted) => {
      expect((await finding('public_url_local', restarted)).detail).toContain(
        'names a local or private host',
      );
    });
    await withRestarted(
      { PUBLIC_URL: 'https://pay.example.com', STRIPE_JS_URL: 'https://js.stripe.com/v3/' },
      async (restarted) => {
        expect(await finding('public_url_local', restarted)).toMatchObject({ status: 'pass' });
        expect(await finding('stripe_js_not_stripe', restarted)).toMatchObject({ status: 'pass' });
      },
    );
  });

  it('master_key_unreadable: fails when the server starts with another master key', async () => {
    const report = await withRestarted({ SWITCHYARD_MASTER_KEY: newMasterKey() }, doctor);

    const unreadable = workspaceFinding(report, 'master_key_unreadable');
    expect(unreadable.status).toBe('fail');
    expect(unreadable.detail).toContain('cannot open');
    expect(unreadable.detail).toContain('the test key of us (test)');
    expect(unreadable.detail).toContain('the test key of eu (test)');
    expect(unreadable.fix).toContain('master key the secrets were saved under');
    const { data } = await control<{ data: EmulatorAccount[] }>(emulator(), 'GET', 'accounts');
    const text = JSON.stringify(report);
    for (const account of data) expect(text).not.toContain(account.keys.test.secret);

    const mended = await withRestarted({}, doctor);
    expect(workspaceFinding(mended, 'master_key_unreadable')).toMatchObject({ status: 'pass' });
  });
});
