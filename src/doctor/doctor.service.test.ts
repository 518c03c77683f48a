import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import type { DoctorCheck } from './check.js';
import { createDoctorService } from './doctor.service.js';
import { fail, pass } from './finding.js';

const emulator = useEmulator();

describeEachDatabase('the doctor runner', (database) => {
  const shop = launchShopForEachTest(database, emulator);

  /** A group that asks Stripe for the account, as the keys checks do, and honours the signal. */
  function accountProbe(): DoctorCheck {
    const { services } = shop().testApp;
    return {
      name: 'probe',
      scope: 'account',
      codes: ['stripe_unreachable'],
      callsStripe: true,
      async run(target) {
        const scope = { account: target.account?.handle ?? null, mode: target.mode ?? null };
        const secretKey = await services.accounts.secretKeyOf(
          target.account?.accountId ?? '',
          target.mode ?? 'test',
        );
        const read = await services.gateway.retrieveAccount({
          credentials: { secretKey: secretKey ?? '' },
        });
        target.signal.throwIfAborted();
        return [pass('stripe_unreachable', scope, `Stripe answered for ${read.id}.`)];
      },
    };
  }

  function doctorWith(checks: DoctorCheck[], timeoutMs: number) {
    const { services } = shop().testApp;
    return createDoctorService({ db: shop().store.db, clock: services.clock, checks, timeoutMs });
  }

  it('answers for the other accounts while one account hangs, the hung one as a warning', async () => {
    const eu = await shop().api('GET', '/api/accounts/eu');
    await control(emulator(), 'POST', 'faults', {
      account: eu.body.account.stripeAccountId,
      fault: 'timeout',
    });

    const started = Date.now();
    const report = await doctorWith([accountProbe()], 300).run('default');
    const elapsed = Date.now() - started;

    expect(report.findings).toEqual([
      {
        status: 'warn',
        code: 'stripe_unreachable',
        account: 'eu',
        mode: 'test',
        detail:
          'Not checked: Stripe did not answer the probe checks for eu (test) within 0.3 s (DOCTOR_TIMEOUT_MS).',
        fix: 'Run "switchyard doctor --account eu" again; if it keeps timing out, see stripe_unreachable, or raise DOCTOR_TIMEOUT_MS.',
      },
      expect.objectContaining({ status: 'pass', code: 'stripe_unreachable', account: 'us' }),
    ]);
    expect(report).toMatchObject({ status: 'warn', counts: { pass: 1, warn: 1, fail: 0 } });
    // Measured, not asserted: the gateway's own timeout is 2 s, the doctor's 0.3 s.
    console.info(`doctor with one hung account answered in ${elapsed} ms`);

    await control(emulator(), 'DELETE', 'faults');
    const mended = await doctorWith([accountProbe()], 2_000).run('default');
    expect(mended.findings.map((finding) => [finding.account, finding.status])).toEqual([
      ['eu', 'pass'],
      ['us', 'pass'],
    ]);
    expect(mended).toMatchObject({ status: 'pass', counts: { pass: 2, warn: 0, fail: 0 } });
  });

  it('turns a group that throws into a failure per code, with the error and no secret', async () => {
    const broken: DoctorCheck = {
      name: 'broken',
      scope: 'workspace',
      codes: ['no_primary', 'routing_invalid'],
      callsStripe: false,
      async run() {
        throw new Error('Invalid API Key provided: sk_test_51Habcdefghijklmnop1234');
      },
    };
    const fine: DoctorCheck = {
      name: 'fine',
      scope: 'workspace',
      codes: ['public_url_local'],
      callsStripe: false,
      async run() {
        return [fail('public_url_local', { account: null, mode: null }, 'seen', 'mend it')];
      },
    };

    const report = await doctorWith([broken, fine], 1_000).run('default');

    expect(report.status).toBe('fail');
    expect(report.findings.map((finding) => [finding.code, finding.status])).toEqual([
      ['no_primary', 'fail'],
      ['public_url_local', 'fail'],
      ['routing_invalid', 'fail'],
    ]);
    const thrown = report.findings.find((finding) => finding.code === 'no_primary');
    expect(thrown?.detail).toBe(
      'Not checked: the broken checks failed: Invalid API Key provided: sk_test_…1234',
    );
    expect(thrown?.fix).toContain('switchyard doctor');
    expect(JSON.stringify(report)).not.toContain('51Habcdefghijklmnop');
  });

  it('runs only the named account, and refuses a handle no account has', async () => {
    const report = await doctorWith([accountProbe()], 2_000).run('default', { account: 'us' });
    expect(report.findings.map((finding) => finding.account)).toEqual(['us']);

    await expect(doctorWith([], 1_000).run('default', { account: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
      message: 'No account has the handle "nope".',
    });
  });
});
