import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runInProcess } from '../src/cli/cli-in-process.test-helper.js';
import { describeEachDatabase, type TestStore } from './databases.js';
import { control, type EmulatorAccount, emulatorEnv, useEmulator } from './emulator.js';
import { runCli } from './run-cli.js';

const emulator = useEmulator();

/** The README's walkthrough: a merchant connects two accounts with the CLI alone. */
describeEachDatabase('connecting accounts from the command line', (database) => {
  let store: TestStore;
  let env: Record<string, string>;
  beforeEach(async () => {
    store = await database.openEmpty();
    env = {
      ...emulatorEnv(emulator()),
      DATABASE_URL: store.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'switchyard-cli-')),
    };
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('adds two accounts (keys from flags and from stdin), lists, updates and shows them', async () => {
    const us = await control<EmulatorAccount>(emulator(), 'POST', 'accounts', {
      name: 'US LLC',
      country: 'US',
      default_currency: 'usd',
    });
    const eu = await control<EmulatorAccount>(emulator(), 'POST', 'accounts', {
      name: 'EU GmbH',
      country: 'DE',
      default_currency: 'eur',
    });

    const addUs = await runInProcess(
      [
        'accounts',
        'add',
        'us',
        '--label',
        'US LLC',
        '--purpose',
        'North American sales',
        '--currencies',
        'usd,cad',
      ],
      {
        ...env,
        STRIPE_TEST_SECRET_KEY: us.keys.test.secret,
        STRIPE_TEST_PUBLISHABLE_KEY: us.keys.test.publishable,
      },
    );
    expect(addUs.stderr).toMatch(
      /^switchyard: warning: generated a new master key .*back this file up/,
    );
    expect(addUs.code).toBe(0);
    expect(addUs.stdout).toContain('Connected "us".');
    expect(addUs.stdout).toContain(`sk_test_…${us.keys.test.secret.slice(-4)}`);
    expect(addUs.stdout).not.toContain(us.keys.test.secret);

    // Through the binary: keys on standard input, as the README shows.
    const addEu = await runCli(
      ['accounts', 'add', 'eu', '--currencies', 'eur,gbp', '--priority', '1', '--stdin', '--json'],
      env,
      JSON.stringify({
        test: { secretKey: eu.keys.test.secret, publishableKey: eu.keys.test.publishable },
      }),
    );
    expect(addEu.code).toBe(0);
    expect(JSON.parse(addEu.stdout).account).toMatchObject({
      handle: 'eu',
      role: 'secondary',
      priority: 1,
      currencies: ['eur', 'gbp'],
    });

    const list = await runInProcess(['accounts', 'list'], env);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^HANDLE\s+ROLE\s+PRI\s+STRIPE ACCOUNT/);
    expect(lines[1]).toMatch(
      new RegExp(`^us\\s+primary\\s+0\\s+${us.id}\\s+test\\s+usd,cad\\s+enabled\\s+healthy`),
    );
    expect(lines[2]).toMatch(new RegExp(`^eu\\s+secondary\\s+1\\s+${eu.id}`));

    const drained = await runInProcess(
      ['accounts', 'update', 'eu', '--drain', '--purpose', 'EU GmbH, winding down'],
      env,
    );
    expect(drained.stdout).toContain('draining (no new payments)');
    const primary = await runInProcess(['accounts', 'primary', 'eu'], env);
    expect(primary.stdout).toContain('"eu" is now the primary account.');
    const shown = await runInProcess(['accounts', 'show', 'us', '--json'], env);
    expect(JSON.parse(shown.stdout).role).toBe('secondary');

    // Refusals point a CLI user at commands, never at the HTTP API.
    const removePrimary = await runInProcess(['accounts', 'remove', 'eu'], env);
    expect([removePrimary.code, removePrimary.stderr.trim()]).toEqual([
      5,
      'switchyard: "eu" is the primary account. Make another account primary first ("switchyard accounts primary <handle>"), then remove it.',
    ]);
    // Volume caps (issue 16): set from the CLI, shown in money, carried into the routing document.
    const capped = await runInProcess(
      ['accounts', 'update', 'us', '--caps', 'usd:day:5000000,usd:month:100000000'],
      env,
    );
    expect(capped.code).toBe(0);
    expect(capped.stdout).toContain(
      'Caps:           $50,000.00 a UTC day; $1,000,000.00 a UTC month',
    );
    const exported = await runInProcess(['config', 'export'], env);
    expect(JSON.parse(exported.stdout).accounts[1]).toMatchObject({
      handle: 'us',
      caps: [
        { currency: 'usd', period: 'day', amount: 5_000_000 },
        { currency: 'usd', period: 'month', amount: 100_000_000 },
      ],
    });
    const badCap = await runInProcess(['accounts', 'update', 'us', '--caps', 'usd:week:100'], env);
    expect(badCap.code).not.toBe(0);
    expect(badCap.stderr).toContain('caps[0].period');
    const uncapped = await runInProcess(['accounts', 'update', 'us', '--caps', 'none'], env);
    expect(uncapped.stdout).toContain('Caps:           none');

    const unknown = await runInProcess(['accounts', 'show', 'uk'], env);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      4,
      'switchyard: No account has the handle "uk". Run "switchyard accounts list" to see the handles.',
    ]);
  });

  it('says what is wrong, with the exit code for it, and keeps keys out of its output', async () => {
    const us = await control<EmulatorAccount>(emulator(), 'POST', 'accounts', { name: 'US LLC' });
    const wrongSlot = await runInProcess(
      [
        'accounts',
        'add',
        'us',
        '--test-secret-key',
        us.keys.test.publishable,
        '--test-publishable-key',
        us.keys.test.secret,
      ],
      env,
    );
    expect(wrongSlot.code).toBe(5);
    expect(wrongSlot.stderr).toContain(
      'switchyard: The test secret key slot holds a publishable key',
    );
    expect(wrongSlot.stderr + wrongSlot.stdout).not.toContain(us.keys.test.secret);

    const badHandle = await runInProcess(
      [
        'accounts',
        'add',
        'US Shop',
        '--test-secret-key',
        us.keys.test.secret,
        '--test-publishable-key',
        us.keys.test.publishable,
      ],
      env,
    );
    expect(badHandle.code).toBe(2);
    expect(badHandle.stderr).toContain('handle: use 1 to 40 lowercase letters');

    const noKeys = await runInProcess(['accounts', 'add', 'us'], env);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('credentials: give the keys of at least one mode');

    const badPriority = await runInProcess(['accounts', 'update', 'us', '--priority', 'abc'], env);
    expect(badPriority.code).toBe(2);
    expect(badPriority.stderr).toContain("option '--priority <n>' argument 'abc' is invalid");
    expect(badPriority.stderr).not.toMatch(/\n\s+at /);

    const missing = await runInProcess(['accounts', 'show', 'nope'], env);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('switchyard accounts list');
  });

  it('creates an admin token once and rotates the master key without losing a secret', async () => {
    const token = await runInProcess(['tokens', 'create', '--name', 'ops-laptop'], env);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^syt_[A-Za-z0-9_-]{43}\n/);
    const tokens = await runInProcess(['tokens', 'list'], env);
    expect(tokens.stdout).toContain('ops-laptop');
    expect(tokens.stdout).not.toContain(token.stdout.split('\n')[0]);

    const us = await control<EmulatorAccount>(emulator(), 'POST', 'accounts', { name: 'US LLC' });
    await runInProcess(['accounts', 'add', 'us'], {
      ...env,
      STRIPE_TEST_SECRET_KEY: us.keys.test.secret,
      STRIPE_TEST_PUBLISHABLE_KEY: us.keys.test.publishable,
    });
    const keyFile = join(env.DATA_DIR ?? '', 'master.key');
    const before = readFileSync(keyFile, 'utf8');
    const rotated = await runInProcess(['vault', 'rotate'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/Resealed 2 secret\(s\)/);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(before);
    // The account still works under the new key: verification opens its secret and asks Stripe.
    const verified = await runInProcess(['accounts', 'verify', 'us'], env);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('Health:         healthy');
  });
});
