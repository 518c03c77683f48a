import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/databases.js';
import { emulatorEnv, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';

const emulator = useEmulator();

describeEachDatabase('doctor over HTTP and on the command line', (database) => {
  const shop = launchShopForEachTest(database, emulator);
  let dataDir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-doctor-cli-'));
    env = {
      ...emulatorEnv(emulator()),
      DATABASE_URL: shop().store.url,
      DATA_DIR: dataDir,
      SWITCHYARD_MASTER_KEY: shop().testApp.masterKey,
    };
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Makes the configuration fail for real: no account takes euros, which the funnel sells in. */
  async function refuseEuros() {
    await shop().api('PATCH', '/api/accounts/us', { currencies: ['usd'] });
    await shop().api('PATCH', '/api/accounts/eu', { currencies: ['usd'] });
  }

  it('GET /api/doctor answers 200 with the report, whatever its status', async () => {
    const fine = await shop().api('GET', '/api/doctor');
    expect(fine.status).toBe(200);
    expect(Object.keys(fine.body)).toEqual(['generatedAt', 'status', 'counts', 'findings']);
    expect(fine.body.counts.fail).toBe(0);

    await refuseEuros();
    const failing = await shop().api('GET', '/api/doctor');
    expect(failing.status).toBe(200);
    expect(failing.body.status).toBe('fail');
    expect(failing.body.findings[0]).toMatchObject({
      status: 'fail',
      code: 'currency_unserved',
      account: null,
      mode: null,
    });
    expect(failing.body.counts.fail).toBeGreaterThan(0);

    const one = await shop().api('GET', '/api/doctor?account=us');
    expect(one.status).toBe(200);
    expect(
      one.body.findings.every((finding: { account: string }) => finding.account === 'us'),
    ).toBe(true);
  });

  it('GET /api/doctor names an unknown account (404) and an unknown or bad field (400)', async () => {
    const unknown = await shop().api('GET', '/api/doctor?account=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(
      'No account has the handle "nope". GET /api/accounts lists the handles.',
    );

    const extra = await shop().api('GET', '/api/doctor?acount=us');
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields).toEqual([
      { field: 'query.acount', message: 'unknown field: remove it, or check the spelling' },
    ]);
    const bad = await shop().api('GET', '/api/doctor?account=US%20LLC');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].field).toBe('query.account');

    const anonymous = await shop().testApp.app.inject({ method: 'GET', url: '/api/doctor' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('switchyard doctor prints a table per place, fails first, and exits 1 on a failure', async () => {
    const fine = await runInProcess(['doctor'], env);
    expect(fine.stderr).toBe('');
    expect(fine.code).toBe(0);
    expect(fine.stdout.split('\n')[0]).toBe('workspace');
    expect(fine.stdout).toMatch(/^ {2}status +code +mode +detail +fix$/m);
    expect(fine.stdout).toMatch(/^0 failed, \d+ warned, \d+ passed: /m);

    await refuseEuros();
    const failing = await runInProcess(['doctor'], env);
    expect(failing.code).toBe(1);
    const lines = failing.stdout.split('\n');
    expect(lines[0]).toBe('workspace');
    expect(lines[2]).toMatch(
      /^ {2}fail +currency_unserved +- +No account would take 3 prices: EUR for course at launch\/order \(test\) \(us: currency_not_accepted; eu: currency_not_accepted\); /,
    );
    expect(lines[2]).toContain('switchyard accounts update <handle> --currencies');
    expect(failing.stdout).toMatch(/^[1-9]\d* failed, \d+ warned, \d+ passed: mend the failures/m);

    const json = await runInProcess(['doctor', '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ status: 'fail', counts: { fail: expect.any(Number) } });
    expect(report.findings[0].code).toBe('currency_unserved');
  });

  it('switchyard doctor names a bad option (exit 2) and an unknown account (exit 4)', async () => {
    const bad = await runInProcess(['doctor', '--account', 'US LLC'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--account: got "US LLC", needs an account handle');

    const unknownOption = await runInProcess(['doctor', '--acount', 'us'], env);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--acount'");

    const unknown = await runInProcess(['doctor', '--account', 'nope'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(
      'No account has the handle "nope". Run "switchyard accounts list" to see the handles.',
    );
  });
});
