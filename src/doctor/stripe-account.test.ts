import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  createEmulatorPlatform,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { upsertCredential } from '../accounts/accounts.repository.js';
import { requiredPermissions } from '../accounts/key-verification.js';
import { maskSecret } from '../accounts/vault.js';
import { loadConfig } from '../config.js';
import { createStripeGateway } from '../stripe/stripe-gateway.js';
import { stripeAccountCheck, stripeAccountCodes } from './checks/stripe-account.js';
import { createDoctorService, type DoctorReport } from './doctor.service.js';
import type { Finding, FindingCode } from './finding.js';

const emulator = useEmulator();

const accountCodes = stripeAccountCodes;

describeEachDatabase('doctor: what Stripe says of each account', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let now: number;
  let stripeAccount: EmulatorAccount;

  async function openApp(env: Record<string, string> = {}) {
    const opened = await buildTestApp(store, {
      env: { ...emulatorEnv(emulator()), ...env },
      gateway: emulatorGateway(emulator()),
      clock: () => new Date(now),
    });
    return { opened, admin: await adminClient(opened) };
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    now = Date.now();
    ({ opened: testApp, admin: api } = await openApp());
    stripeAccount = await createEmulatorAccount(emulator(), { name: 'US LLC' });
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await testApp.app.close();
    await store.dispose();
  });

  async function connect(handle: string, credentials: unknown) {
    const created = await api('POST', '/api/accounts', { handle, credentials });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }

  async function replaceKeys(handle: string, credentials: unknown) {
    const replaced = await api('POST', `/api/accounts/${handle}/keys`, { credentials });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
  }

  async function doctor(handle = 'us'): Promise<DoctorReport> {
    return testApp.services.doctor.run('default', { account: handle });
  }

  function finding(report: DoctorReport, code: FindingCode, mode = 'test'): Finding {
    const found = report.findings.find((one) => one.code === code && one.mode === mode);
    if (!found) throw new Error(`no ${code} finding in ${mode}`);
    return found;
  }

  function statusOf(report: DoctorReport, mode = 'test') {
    return Object.fromEntries(
      accountCodes.map((code) => [code, finding(report, code, mode).status]),
    );
  }

  function allPass() {
    return Object.fromEntries(accountCodes.map((code) => [code, 'pass']));
  }

  it('passes every Stripe check of a working account, each saying what it saw', async () => {
    await connect('us', keysOf(stripeAccount));
    const posts = async () =>
      (
        await control<{ data: Array<{ method: string; path: string }> }>(
          emulator(),
          'GET',
          `requests?account=${stripeAccount.id}`,
        )
      ).data.filter((entry) => entry.method === 'POST' && entry.path === '/v1/payment_intents');
    const madeBefore = (await posts()).length;
    expect(madeBefore).toBe(1); // the key check when it was connected
    const report = await doctor();
    // The publishable key reads back the account's newest PaymentIntent: doctor makes none.
    expect((await posts()).length).toBe(madeBefore);
    expect(statusOf(report)).toEqual(allPass());
    expect(finding(report, 'keys_from_different_accounts').detail).toContain(stripeAccount.id);
    expect(finding(report, 'key_rejected').detail).toContain(
      maskSecret(stripeAccount.keys.test.secret),
    );
    expect(finding(report, 'key_age').detail).toContain('added 0 days ago');
    for (const code of accountCodes) expect(finding(report, code).fix).toBeNull();
    // No secret in what doctor answers.
    expect(JSON.stringify(report)).not.toContain(stripeAccount.keys.test.secret);
  });

  it('key_expired: a rolled key whose expiry passed, until the new keys are in', async () => {
    await connect('us', keysOf(stripeAccount));
    const rolled = await control<{ keys: EmulatorAccount['keys'] }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
    );
    const report = await doctor();
    const expired = finding(report, 'key_expired');
    expect(expired.status).toBe('fail');
    expect(expired.detail).toContain('401 api_key_expired');
    expect(expired.detail).toContain('Expired API Key provided');
    expect(expired.fix).toContain(
      'switchyard accounts keys us --test-secret-key <key> --test-publishable-key <key>',
    );
    expect(finding(report, 'key_rejected').status).toBe('pass');
    expect(finding(report, 'charges_disabled')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('see key_expired'),
    });
    expect(JSON.stringify(report)).not.toContain(stripeAccount.keys.test.secret);

    await replaceKeys('us', {
      test: { secretKey: rolled.keys.test.secret, publishableKey: rolled.keys.test.publishable },
    });
    expect(statusOf(await doctor())).toEqual(allPass());
  });

  it('key_rejected and key_missing_permissions: a restricted key edited, then deleted, at Stripe', async () => {
    const restrictedKey = async () =>
      (
        await control<{ secret: string }>(
          emulator(),
          'POST',
          `accounts/${stripeAccount.id}/restricted_keys`,
          { mode: 'test', permissions: requiredPermissions },
        )
      ).secret;
    const secret = await restrictedKey();
    await connect('us', {
      test: { secretKey: secret, publishableKey: stripeAccount.keys.test.publishable },
    });
    expect(statusOf(await doctor())).toEqual(allPass());

    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/restricted_keys/${secret}`, {
      permissions: requiredPermissions.filter(
        (permission) => permission !== 'refunds:write' && permission !== 'webhook_endpoints:write',
      ),
    });
    const narrowed = finding(await doctor(), 'key_missing_permissions');
    expect(narrowed.status).toBe('fail');
    expect(narrowed.detail).toContain('lacks 2 permission(s)');
    expect(narrowed.detail).toContain('refunds:write, webhook_endpoints:write');
    expect(narrowed.fix).toContain('grant refunds:write, webhook_endpoints:write');
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/restricted_keys/${secret}`, {
      permissions: requiredPermissions,
    });
    expect(finding(await doctor(), 'key_missing_permissions').status).toBe('pass');

    await control(emulator(), 'DELETE', `accounts/${stripeAccount.id}/restricted_keys/${secret}`);
    const report = await doctor();
    const rejected = finding(report, 'key_rejected');
    expect(rejected.status).toBe('fail');
    expect(rejected.detail).toContain(`restricted key ${maskSecret(secret)}`);
    expect(rejected.detail).toContain('Invalid API Key provided');
    expect(rejected.fix).toContain('switchyard accounts keys us');
    expect(finding(report, 'key_expired').status).toBe('pass');
    expect(finding(report, 'key_missing_permissions').status).toBe('warn');

    await replaceKeys('us', {
      test: {
        secretKey: await restrictedKey(),
        publishableKey: stripeAccount.keys.test.publishable,
      },
    });
    expect(statusOf(await doctor())).toEqual(allPass());
  });

  it('key_mode_mismatch: test keys stored in the live slot', async () => {
    await connect('us', { ...keysOf(stripeAccount), ...keysOf(stripeAccount, 'live') });
    // As an older Switchyard or a hand-edited database could have left them.
    const [credential] = await store.db
      .selectFrom('account_credentials')
      .select(['account_id', 'created_at'])
      .where('mode', '=', 'live')
      .execute();
    if (!credential) throw new Error('no live credential');
    await upsertCredential(store.db, {
      accountId: credential.account_id,
      mode: 'live',
      workspaceId: 'default',
      kind: 'secret_key',
      sealedSecret: testApp.services.vault.seal(stripeAccount.keys.test.secret),
      maskedSecret: maskSecret(stripeAccount.keys.test.secret),
      publishableKey: stripeAccount.keys.test.publishable,
      sealedRefreshToken: null,
      scope: null,
      createdAt: credential.created_at,
    });
    const report = await doctor();
    const mismatch = finding(report, 'key_mode_mismatch', 'live');
    expect(mismatch.status).toBe('fail');
    expect(mismatch.detail).toContain('The live slot holds a test secret key (sk_test_…');
    expect(mismatch.detail).toContain('and a test publishable key (pk_test_');
    expect(mismatch.fix).toContain('--live-secret-key <key> --live-publishable-key <key>');
    expect(finding(report, 'key_mode_mismatch', 'test').status).toBe('pass');

    await replaceKeys('us', keysOf(stripeAccount, 'live'));
    expect(statusOf(await doctor(), 'live')).toEqual(allPass());
  });

  it('keys_from_different_accounts: a secret or a publishable key of another Stripe account', async () => {
    await connect('us', keysOf(stripeAccount));
    const other = await createEmulatorAccount(emulator(), { name: 'Other Ltd' });
    const [credential] = await store.db
      .selectFrom('account_credentials')
      .select(['account_id', 'created_at'])
      .execute();
    if (!credential) throw new Error('no credential');
    const storeKeys = async (secretKey: string, publishableKey: string) =>
      upsertCredential(store.db, {
        accountId: credential.account_id,
        mode: 'test',
        workspaceId: 'default',
        kind: 'secret_key',
        sealedSecret: testApp.services.vault.seal(secretKey),
        maskedSecret: maskSecret(secretKey),
        publishableKey,
        sealedRefreshToken: null,
        scope: null,
        createdAt: credential.created_at,
      });

    await storeKeys(other.keys.test.secret, other.keys.test.publishable);
    const foreignSecret = finding(await doctor(), 'keys_from_different_accounts');
    expect(foreignSecret.status).toBe('fail');
    expect(foreignSecret.detail).toContain(
      `belongs to Stripe account ${other.id}, but "us" is connected to ${stripeAccount.id}`,
    );
    expect(foreignSecret.fix).toContain(`signed in to ${stripeAccount.id}`);

    await storeKeys(stripeAccount.keys.test.secret, other.keys.test.publishable);
    const report = await doctor();
    const foreignPublishable = finding(report, 'keys_from_different_accounts');
    expect(foreignPublishable.status).toBe('fail');
    expect(foreignPublishable.detail).toContain('cannot read a PaymentIntent its secret key made');
    expect(foreignPublishable.detail).toContain('No such payment_intent');
    expect(finding(report, 'publishable_key_invalid').status).toBe('pass');

    await replaceKeys('us', keysOf(stripeAccount));
    expect(statusOf(await doctor())).toEqual(allPass());
  });

  it('publishable_key_invalid: only the secret key was replaced after a roll, and the old publishable key expired', async () => {
    await connect('us', keysOf(stripeAccount));
    const rolled = await control<{ keys: EmulatorAccount['keys'] }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
      { expires_in_seconds: 3600 },
    );
    await replaceKeys('us', {
      test: {
        secretKey: rolled.keys.test.secret,
        publishableKey: stripeAccount.keys.test.publishable,
      },
    });
    expect(finding(await doctor(), 'publishable_key_invalid').status).toBe('pass');
    await control(emulator(), 'POST', 'clock/advance', { seconds: 3600 });

    const report = await doctor();
    const invalid = finding(report, 'publishable_key_invalid');
    expect(invalid.status).toBe('fail');
    expect(invalid.detail).toContain('Expired API Key provided: pk_test_');
    expect(invalid.detail).toContain('Stripe.js cannot show the card form');
    expect(invalid.fix).toContain('switchyard accounts keys us');
    expect(finding(report, 'key_expired').status).toBe('pass');

    await replaceKeys('us', keysOf({ ...stripeAccount, keys: rolled.keys }));
    expect(statusOf(await doctor())).toEqual(allPass());
  });

  it('key_age: a key older than KEY_ROTATION_DAYS, until it is rolled and replaced', async () => {
    await connect('us', keysOf(stripeAccount));
    now += 91 * 86_400_000;
    const old = finding(await doctor(), 'key_age');
    expect(old.status).toBe('warn');
    expect(old.detail).toContain('added 91 days ago');
    expect(old.detail).toContain('KEY_ROTATION_DAYS is 90');
    expect(old.fix).toContain('Roll key');
    expect(old.fix).toContain('switchyard accounts keys us');

    const rolled = await control<{ keys: EmulatorAccount['keys'] }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
    );
    await replaceKeys('us', keysOf({ ...stripeAccount, keys: rolled.keys }));
    expect(finding(await doctor(), 'key_age')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('added 0 days ago'),
    });
  });

  it('charges_disabled, payouts_disabled and requirements_due: what Stripe asks for and by when', async () => {
    await connect('us', keysOf(stripeAccount));
    const deadline = Math.floor(now / 1000) + 7 * 86_400;
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: false,
      payouts_enabled: false,
      disabled_reason: 'requirements.past_due',
      requirements: {
        currently_due: ['individual.verification.document'],
        past_due: ['external_account'],
        current_deadline: deadline,
      },
    });
    const report = await doctor();
    expect(finding(report, 'charges_disabled')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('(requirements.disabled_reason: requirements.past_due)'),
      fix: expect.stringContaining(`signed in to ${stripeAccount.id}`),
    });
    expect(finding(report, 'payouts_disabled')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('requirements.past_due'),
      fix: expect.stringContaining('Settings → Payouts'),
    });
    const due = finding(report, 'requirements_due');
    expect(due.status).toBe('fail');
    expect(due.detail).toContain('past_due: external_account');
    expect(due.detail).toContain('currently_due: individual.verification.document');
    expect(due.detail).toContain(new Date(deadline * 1000).toISOString());

    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: true,
      payouts_enabled: true,
      requirements: {
        currently_due: ['company.tax_id'],
        past_due: [],
        current_deadline: deadline,
      },
    });
    const soon = await doctor();
    expect(finding(soon, 'charges_disabled').status).toBe('pass');
    expect(finding(soon, 'requirements_due')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('currently_due: company.tax_id'),
      fix: expect.stringContaining(`before ${new Date(deadline * 1000).toISOString()}`),
    });

    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      requirements: null,
    });
    expect(statusOf(await doctor())).toEqual(allPass());
  });

  it('stripe_unreachable: a reset connection, and a closed port, in the network’s own words', async () => {
    await connect('us', keysOf(stripeAccount));
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount.id,
      fault: 'connection_reset',
    });
    const report = await doctor();
    const reset = finding(report, 'stripe_unreachable');
    expect(reset.status).toBe('fail');
    expect(reset.detail).toContain(`Could not reach Stripe to read ${stripeAccount.id}`);
    expect(reset.detail).toMatch(/reset|ECONNRESET|socket hang up/);
    expect(reset.fix).toContain('api.stripe.com');
    expect(finding(report, 'key_rejected')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('see stripe_unreachable'),
    });
    await control(emulator(), 'DELETE', 'faults');
    expect(statusOf(await doctor())).toEqual(allPass());

    // A Stripe that is not there at all: the same checks over a gateway pointed at a closed port.
    const closed = createDoctorService({
      db: store.db,
      clock: () => new Date(now),
      timeoutMs: 5_000,
      checks: [
        stripeAccountCheck({
          db: store.db,
          config: loadConfig({ SWITCHYARD_MASTER_KEY: testApp.masterKey }),
          vault: testApp.services.vault,
          gateway: createStripeGateway({
            endpoint: { host: '127.0.0.1', port: 9, protocol: 'http' },
            timeoutMs: 2_000,
            maxNetworkRetries: 0,
          }),
        }),
      ],
    });
    const refused = finding(await closed.run('default'), 'stripe_unreachable');
    expect(refused.status).toBe('fail');
    expect(refused.detail).toContain('ECONNREFUSED 127.0.0.1:9');
  });

  it('oauth_revoked: the account deauthorized Switchyard, seen in its event and in the refused token', async () => {
    const platform = await createEmulatorPlatform(emulator(), 'Switchyard platform');
    const gateway = emulatorGateway(emulator());
    const { code } = await control<{ code: string }>(emulator(), 'POST', 'oauth/codes', {
      client_id: platform.client_id,
      account: stripeAccount.id,
    });
    const grant = await gateway.exchangeOAuthCode({
      platformSecretKey: platform.keys.test.secret,
      code,
    });
    await testApp.services.accounts.connectWithGrant('default', { handle: 'us', grant }, 'test');
    expect(statusOf(await doctor())).toEqual(allPass());

    // Stripe's event, as the account's endpoint receives it, says so while the token still works.
    const endpoint = await store.db
      .selectFrom('webhook_endpoints')
      .select(['endpoint_id', 'secret_encrypted'])
      .executeTakeFirstOrThrow();
    const payload = JSON.stringify({
      id: 'evt_deauthorized_1',
      object: 'event',
      type: 'account.application.deauthorized',
      created: Math.floor(now / 1000),
      livemode: false,
      data: { object: { id: platform.client_id, object: 'application' } },
    });
    await testApp.services.webhooks.receive({
      endpointId: endpoint.endpoint_id,
      rawBody: Buffer.from(payload),
      signature: Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: testApp.services.vault.open(endpoint.secret_encrypted ?? ''),
      }),
    });
    const seen = finding(await doctor(), 'oauth_revoked');
    expect(seen.status).toBe('fail');
    expect(seen.detail).toContain(
      `Stripe sent account.application.deauthorized (evt_deauthorized_1) at ${new Date(Math.floor(now / 1000) * 1000).toISOString()}`,
    );
    expect(seen.fix).toContain('switchyard accounts connect <new-handle>');

    await gateway.deauthorizeAccount({
      platformSecretKey: platform.keys.test.secret,
      clientId: platform.client_id,
      stripeUserId: stripeAccount.id,
    });
    const refused = finding(await doctor(), 'oauth_revoked');
    expect(refused.status).toBe('fail');
    expect(refused.detail).toContain('Stripe refused the OAuth access token');
    expect(refused.detail).toContain('Platform access may have been revoked');
    expect(refused.detail).toContain(
      'it sent account.application.deauthorized (evt_deauthorized_1)',
    );
    expect(refused.fix).toContain('switchyard accounts connect <new-handle>');
    expect(refused.fix).toContain('switchyard accounts keys us');

    now += 1_000;
    await replaceKeys('us', keysOf(stripeAccount));
    expect(statusOf(await doctor())).toEqual(allPass());
  });
});
