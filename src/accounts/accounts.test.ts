import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { requiredPermissions } from './key-verification.js';

const emulator = useEmulator();

function sdkFor(secretKey: string): Stripe {
  return new Stripe(secretKey, { host: emulator().host, port: emulator().port, protocol: 'http' });
}

describeEachDatabase('connecting and managing Stripe accounts', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let token: string;
  /** Every response body and error this suite saw, for the secret-leak search. */
  const seen: string[] = [];

  async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    const response = await testApp.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    seen.push(response.body);
    return { status: response.statusCode, body: response.body ? response.json() : null };
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    testApp = await buildTestApp(store, {
      env: emulatorEnv(emulator()),
      gateway: emulatorGateway(emulator()),
    });
    ({ token } = await testApp.services.tokens.createToken({
      workspaceId: 'default',
      name: 'test-suite',
      actor: 'test',
    }));
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  it('needs a bearer token for the admin API', async () => {
    const missing = await testApp.app.inject({ method: 'GET', url: '/api/accounts' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.message).toContain('switchyard tokens create');
    const wrong = await testApp.app.inject({
      method: 'GET',
      url: '/api/accounts',
      headers: { authorization: 'Bearer syt_not-a-real-token' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('connects an account by keys, verified first, with secrets masked in every answer', async () => {
    const stripeAccount = await createEmulatorAccount(emulator(), {
      country: 'US',
      default_currency: 'usd',
    });
    const created = await api('POST', '/api/accounts', {
      handle: 'us',
      label: 'US LLC',
      purpose: 'North American sales',
      currencies: ['USD', 'cad'],
      credentials: keysOf(stripeAccount),
    });
    expect(created.status).toBe(201);
    const account = created.body.account;
    expect(account).toMatchObject({
      handle: 'us',
      role: 'primary',
      stripeAccountId: stripeAccount.id,
      country: 'US',
      defaultCurrency: 'usd',
      currencies: ['usd', 'cad'],
      chargesEnabled: true,
      health: 'healthy',
      connectedBy: 'api_keys',
    });
    expect(account.modes.test.secretKey).toBe(
      `sk_test_…${stripeAccount.keys.test.secret.slice(-4)}`,
    );
    expect(account.modes.test.keyType).toBe('secret_key');
    expect(JSON.stringify(created.body)).not.toContain(stripeAccount.keys.test.secret);

    const shown = await api('GET', '/api/accounts/us');
    expect(shown.body.account.modes.test.keyAgeDays).toBe(0);
    const listed = await api('GET', '/api/accounts');
    expect(listed.body.accounts.map((a: { handle: string }) => a.handle)).toEqual(['us']);
  });

  it('answers each key problem with its own code and a message that says what to do', async () => {
    const first = await createEmulatorAccount(emulator());
    const second = await createEmulatorAccount(emulator());
    const attempt = (credentials: unknown) =>
      api('POST', '/api/accounts', { handle: 'shop', credentials });

    const invalid = await attempt({
      test: {
        secretKey: 'sk_test_51NotARealKeyAtAll0000',
        publishableKey: first.keys.test.publishable,
      },
    });
    expect([invalid.status, invalid.body.error.code]).toEqual([422, 'invalid_api_key']);
    expect(invalid.body.error.message).toContain(
      "Copy the current key from Stripe's API keys page",
    );

    const swapped = await attempt({
      test: { secretKey: first.keys.test.publishable, publishableKey: first.keys.test.secret },
    });
    expect([swapped.status, swapped.body.error.code]).toEqual([422, 'wrong_key_type']);
    expect(swapped.body.error.details.field).toBe('credentials.test.secretKey');

    const secretInPublicSlot = await attempt({
      test: { secretKey: first.keys.test.secret, publishableKey: second.keys.test.secret },
    });
    expect(secretInPublicSlot.body.error).toMatchObject({
      code: 'wrong_key_type',
      details: { field: 'credentials.test.publishableKey' },
    });

    const notStripe = await attempt({
      test: { secretKey: 'hello-world', publishableKey: first.keys.test.publishable },
    });
    expect(notStripe.body.error.code).toBe('wrong_key_type');

    const liveInTest = await attempt({
      test: { secretKey: first.keys.live.secret, publishableKey: first.keys.live.publishable },
    });
    expect([liveInTest.status, liveInTest.body.error.code]).toEqual([422, 'mode_mismatch']);

    const mixed = await attempt({
      test: { secretKey: first.keys.test.secret, publishableKey: second.keys.test.publishable },
    });
    expect([mixed.status, mixed.body.error.code]).toEqual([422, 'keys_from_different_accounts']);
    // The key check leaves nothing behind: its PaymentIntent is cancelled.
    const intents = await sdkFor(first.keys.test.secret).paymentIntents.list({ limit: 10 });
    expect(intents.data.every((intent) => intent.status === 'canceled')).toBe(true);

    const testAndLiveOfTwoAccounts = await attempt({
      ...keysOf(first, 'test'),
      ...keysOf(second, 'live'),
    });
    expect(testAndLiveOfTwoAccounts.body.error.code).toBe('keys_from_different_accounts');

    const empty = await attempt({});
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.fields[0].field).toBe('credentials');

    expect((await api('GET', '/api/accounts')).body.accounts).toEqual([]);
  });

  it('says a rolled key has expired, and keeps the old keys when new ones fail', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    expect(
      (await api('POST', '/api/accounts', { handle: 'us', credentials: keysOf(stripeAccount) }))
        .status,
    ).toBe(201);
    const rolled = await control<{ keys: EmulatorAccount['keys'] }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/roll_keys`,
    );

    const verify = await api('POST', '/api/accounts/us/verify');
    expect(verify.body.account.health).toBe('disconnected');
    expect(verify.body.warnings.join(' ')).toContain('Replace it with a working key');
    expect(verify.body.warnings.join(' ')).not.toContain('switchyard');

    const stale = await api('POST', '/api/accounts/us/keys', {
      credentials: keysOf(stripeAccount),
    });
    expect([stale.status, stale.body.error.code]).toEqual([422, 'api_key_expired']);
    const unchanged = await api('GET', '/api/accounts/us');
    expect(unchanged.body.account.modes.test.secretKey).toBe(
      `sk_test_…${stripeAccount.keys.test.secret.slice(-4)}`,
    );

    const other = await createEmulatorAccount(emulator());
    const foreign = await api('POST', '/api/accounts/us/keys', { credentials: keysOf(other) });
    expect(foreign.body.error.code).toBe('keys_from_different_accounts');

    const replaced = await api('POST', '/api/accounts/us/keys', {
      credentials: {
        test: { secretKey: rolled.keys.test.secret, publishableKey: rolled.keys.test.publishable },
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.account.health).toBe('healthy');
    expect(replaced.body.account.modes.test.secretKey).toBe(
      `sk_test_…${rolled.keys.test.secret.slice(-4)}`,
    );
  });

  it('accepts a restricted key with every permission and names each one a weaker key lacks', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    const weak = await control<{ secret: string }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/restricted_keys`,
      {
        mode: 'test',
        permissions: ['payment_intents:write', 'account:read', 'customers:read'],
      },
    );
    const refused = await api('POST', '/api/accounts', {
      handle: 'eu',
      credentials: {
        test: { secretKey: weak.secret, publishableKey: stripeAccount.keys.test.publishable },
      },
    });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'missing_permissions']);
    expect(refused.body.error.details.missing).toContain('customers:write');
    expect(refused.body.error.details.missing).not.toContain('payment_intents:write');
    expect(refused.body.error.message).toContain('customers:write');

    const strong = await control<{ secret: string }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/restricted_keys`,
      {
        mode: 'test',
        permissions: [...requiredPermissions],
      },
    );
    const accepted = await api('POST', '/api/accounts', {
      handle: 'eu',
      credentials: {
        test: { secretKey: strong.secret, publishableKey: stripeAccount.keys.test.publishable },
      },
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.account.modes.test).toMatchObject({
      keyType: 'restricted_key',
      secretKey: `rk_test_…${strong.secret.slice(-4)}`,
    });
  });

  it('warns that Stripe cannot reach a local PUBLIC_URL for live webhooks', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    const live = await api('POST', '/api/accounts', {
      handle: 'us',
      credentials: { ...keysOf(stripeAccount, 'test'), ...keysOf(stripeAccount, 'live') },
    });
    expect(live.status).toBe(201);
    expect(Object.keys(live.body.account.modes).sort()).toEqual(['live', 'test']);
    expect(live.body.warnings).toEqual([
      expect.stringContaining('PUBLIC_URL is http://127.0.0.1:3000, which Stripe cannot reach'),
    ]);
  });

  it('saves an account whose charges are disabled as restricted, with a warning that says why', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    await control(emulator(), 'POST', `accounts/${stripeAccount.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'requirements.past_due',
    });
    const created = await api('POST', '/api/accounts', {
      handle: 'us',
      credentials: keysOf(stripeAccount),
    });
    expect(created.status).toBe(201);
    expect(created.body.account).toMatchObject({
      health: 'restricted',
      chargesEnabled: false,
      disabledReason: 'requirements.past_due',
    });
    expect(created.body.warnings.join(' ')).toContain('requirements.past_due');
  });

  it('refuses a second handle for one Stripe account and a taken handle', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    await api('POST', '/api/accounts', { handle: 'us', credentials: keysOf(stripeAccount) });
    const again = await api('POST', '/api/accounts', {
      handle: 'us-2',
      credentials: keysOf(stripeAccount),
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'duplicate_account']);
    expect(again.body.error.details.handle).toBe('us');

    const other = await createEmulatorAccount(emulator());
    const taken = await api('POST', '/api/accounts', { handle: 'us', credentials: keysOf(other) });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'duplicate_handle']);
    // The console's own pages sit at /admin/accounts/new and /admin/accounts/connect.
    const reserved = await api('POST', '/api/accounts', {
      handle: 'new',
      credentials: keysOf(other),
    });
    expect([reserved.status, reserved.body.error.code]).toEqual([409, 'duplicate_handle']);
    expect(reserved.body.error.message).toContain("kept for Switchyard's own pages");
  });

  it('says Stripe is unreachable when it does not answer, and saves nothing', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    await control(emulator(), 'POST', 'faults', {
      account: stripeAccount.id,
      fault: 'connection_reset',
      times: 5,
    });
    try {
      const result = await api('POST', '/api/accounts', {
        handle: 'us',
        credentials: keysOf(stripeAccount),
      });
      expect([result.status, result.body.error.code]).toEqual([502, 'stripe_unreachable']);
      expect(result.body.error.message).toContain('try again');
    } finally {
      await control(emulator(), 'DELETE', 'faults');
    }
    expect((await api('GET', '/api/accounts')).body.accounts).toEqual([]);
  });

  it('keeps exactly one primary', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createEmulatorAccount(emulator())));
    if (!a || !b || !c) throw new Error('three accounts expected');
    const first = await api('POST', '/api/accounts', {
      handle: 'a',
      role: 'secondary',
      credentials: keysOf(a),
    });
    expect(first.body.account.role).toBe('primary');
    expect(first.body.warnings.join(' ')).toContain('first account');
    await api('POST', '/api/accounts', { handle: 'b', priority: 2, credentials: keysOf(b) });
    await api('POST', '/api/accounts', { handle: 'c', role: 'primary', credentials: keysOf(c) });
    const primaries = async () =>
      (await api('GET', '/api/accounts')).body.accounts
        .filter((account: { role: string }) => account.role === 'primary')
        .map((account: { handle: string }) => account.handle);
    expect(await primaries()).toEqual(['c']);
    expect((await api('POST', '/api/accounts/b/primary')).status).toBe(200);
    expect(await primaries()).toEqual(['b']);

    const patched = await api('PATCH', '/api/accounts/a', {
      drain: true,
      priority: 5,
      purpose: 'Backup',
    });
    expect(patched.body.account).toMatchObject({
      drain: true,
      priority: 5,
      purpose: 'Backup',
      enabled: true,
    });
    const bad = await api('PATCH', '/api/accounts/a', { priority: -1, colour: 'red' });
    expect(bad.status).toBe(400);
  });

  it('keeps one primary when two requests change it at the same moment', async () => {
    const made = await Promise.all([1, 2, 3].map(() => createEmulatorAccount(emulator())));
    for (const [index, account] of made.entries()) {
      await api('POST', '/api/accounts', { handle: `acct-${index}`, credentials: keysOf(account) });
    }
    for (let round = 0; round < 4; round += 1) {
      await api('POST', '/api/accounts/acct-0/primary');
      const answers = await Promise.all([
        api('POST', '/api/accounts/acct-1/primary'),
        api('POST', '/api/accounts/acct-2/primary'),
      ]);
      for (const answer of answers) expect([200, 409]).toContain(answer.status);
      const primaries = (await api('GET', '/api/accounts')).body.accounts.filter(
        (account: { role: string }) => account.role === 'primary',
      );
      expect(primaries).toHaveLength(1);
    }
  });

  it('refuses to remove the primary while others exist; a removed account leaves lists but not history', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => createEmulatorAccount(emulator())));
    if (!a || !b) throw new Error('two accounts expected');
    await api('POST', '/api/accounts', { handle: 'a', credentials: keysOf(a) });
    await api('POST', '/api/accounts', { handle: 'b', credentials: keysOf(b) });
    const sdk = sdkFor(b.keys.test.secret);
    expect((await sdk.webhookEndpoints.list()).data).toHaveLength(1);

    const refused = await api('DELETE', '/api/accounts/a');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'conflict']);
    expect(refused.body.error.message).toBe(
      '"a" is the primary account. Make another account primary first (POST /api/accounts/{handle}/primary), then remove it.',
    );

    expect((await api('DELETE', '/api/accounts/b')).status).toBe(204);
    expect(
      (await api('GET', '/api/accounts')).body.accounts.map((x: { handle: string }) => x.handle),
    ).toEqual(['a']);
    expect((await api('GET', '/api/accounts/b')).status).toBe(404);
    expect((await sdk.webhookEndpoints.list()).data).toHaveLength(0);
    const kept = await store.db
      .selectFrom('accounts')
      .select(['handle', 'removed_at'])
      .where('handle', '=', 'b')
      .execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]?.removed_at).not.toBeNull();

    // The handle is free again for a new account.
    expect(
      (await api('POST', '/api/accounts', { handle: 'b', credentials: keysOf(b) })).status,
    ).toBe(201);
  });

  it('writes every change to the audit log with secrets masked', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    await api('POST', '/api/accounts', { handle: 'us', credentials: keysOf(stripeAccount) });
    await api('PATCH', '/api/accounts/us', { purpose: 'US sales' });
    const audit = await api('GET', '/api/audit');
    const actions = audit.body.entries.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['account.connected', 'account.updated']));
    const updated = audit.body.entries.find(
      (entry: { action: string }) => entry.action === 'account.updated',
    );
    expect(updated).toMatchObject({
      actor: 'token:test-suite',
      subject: 'account:us',
      before: { purpose: '' },
      after: { purpose: 'US sales' },
    });
    expect(JSON.stringify(audit.body)).not.toContain(stripeAccount.keys.test.secret);
  });

  it('never lets a secret reach a log line, an answer or the database in plain text', async () => {
    const stripeAccount = await createEmulatorAccount(emulator());
    const restricted = await control<{ secret: string }>(
      emulator(),
      'POST',
      `accounts/${stripeAccount.id}/restricted_keys`,
      {
        mode: 'live',
        permissions: [...requiredPermissions],
      },
    );
    const secrets = [stripeAccount.keys.test.secret, restricted.secret, testApp.masterKey, token];
    await api('POST', '/api/accounts', {
      handle: 'us',
      credentials: {
        ...keysOf(stripeAccount),
        live: { secretKey: restricted.secret, publishableKey: stripeAccount.keys.live.publishable },
      },
    });
    await api('POST', '/api/accounts', { handle: 'dup', credentials: keysOf(stripeAccount) });
    await api('POST', '/api/accounts', {
      handle: 'bad',
      credentials: {
        test: {
          secretKey: stripeAccount.keys.test.secret,
          publishableKey: stripeAccount.keys.test.secret,
        },
      },
    });
    await api('POST', '/api/accounts/us/verify');
    await api('GET', '/api/accounts/us');
    await api('GET', '/api/audit');

    const endpoints = await store.db
      .selectFrom('webhook_endpoints')
      .select('secret_encrypted')
      .execute();
    for (const endpoint of endpoints) {
      if (endpoint.secret_encrypted)
        secrets.push(testApp.services.vault.open(endpoint.secret_encrypted));
    }
    expect(secrets.filter((secret) => secret.startsWith('whsec_')).length).toBeGreaterThan(0);
    const tables = [
      'accounts',
      'account_credentials',
      'audit_log',
      'api_tokens',
      'webhook_endpoints',
      'webhook_events',
    ] as const;
    const dump: string[] = [];
    for (const table of tables)
      dump.push(JSON.stringify(await store.db.selectFrom(table).selectAll().execute()));
    const logs = JSON.stringify(testApp.logLines());
    const endpointSecrets = (
      await sdkFor(stripeAccount.keys.test.secret).webhookEndpoints.list()
    ).data.map((endpoint) => endpoint.id);
    expect(endpointSecrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const [where, text] of [
        ['database', dump.join('\n')],
        ['logs', logs],
        ['responses', seen.join('\n')],
      ] as const) {
        expect(text.includes(secret), `${where} contains a secret`).toBe(false);
      }
    }
    // Encrypted at rest: the stored value is sealed and opens to the key.
    const stored = await store.db
      .selectFrom('account_credentials')
      .select('secret_encrypted')
      .execute();
    for (const row of stored) expect(row.secret_encrypted).toMatch(/^v1:/);
  });
});
