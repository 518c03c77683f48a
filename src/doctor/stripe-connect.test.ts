import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  createEmulatorPlatform,
  type EmulatorPlatform,
  emulatorEnv,
  emulatorGateway,
  useEmulator,
} from '../../test/emulator.js';
import type { DoctorReport } from './doctor.service.js';
import type { Finding, FindingCode } from './finding.js';

const emulator = useEmulator();

let platform: EmulatorPlatform;
let otherPlatform: EmulatorPlatform;
beforeAll(async () => {
  platform = await createEmulatorPlatform(emulator(), 'Switchyard');
  otherPlatform = await createEmulatorPlatform(emulator(), 'Other');
});

describeEachDatabase(
  'doctor: the Connect platform and "Connect with Stripe" returns',
  (database) => {
    let store: TestStore;
    let now: number;
    const opened: TestApp[] = [];

    beforeEach(async () => {
      store = await database.openMigrated();
      now = Date.now();
    });
    afterEach(async () => {
      for (const testApp of opened.splice(0)) await testApp.app.close();
      await store.dispose();
    });

    async function appWith(connect: { clientId: string; secretKey: string } | null) {
      const testApp = await buildTestApp(store, {
        env: {
          ...emulatorEnv(emulator()),
          ...(connect
            ? {
                STRIPE_CONNECT_CLIENT_ID: connect.clientId,
                STRIPE_CONNECT_SECRET_KEY: connect.secretKey,
                STRIPE_CONNECT_AUTHORIZE_URL: `${emulator().url}/oauth/authorize`,
              }
            : {}),
        },
        gateway: emulatorGateway(emulator()),
        clock: () => new Date(now),
      });
      opened.push(testApp);
      return testApp;
    }

    function workspaceFinding(report: DoctorReport, code: FindingCode): Finding {
      const found = report.findings.find((one) => one.code === code && one.account === null);
      if (!found) throw new Error(`no ${code} finding`);
      return found;
    }

    async function clientFinding(testApp: TestApp) {
      return workspaceFinding(await testApp.services.doctor.run('default'), 'oauth_client_invalid');
    }

    it('oauth_client_invalid: a client id Stripe does not know as the key’s, and a rolled platform key', async () => {
      expect(await clientFinding(await appWith(null))).toMatchObject({
        status: 'pass',
        detail: expect.stringContaining('not configured'),
      });

      const wrongClient = await clientFinding(
        await appWith({ clientId: otherPlatform.client_id, secretKey: platform.keys.test.secret }),
      );
      expect(wrongClient.status).toBe('fail');
      expect(wrongClient.detail).toContain(
        `Stripe refused the client id ${otherPlatform.client_id}`,
      );
      expect(wrongClient.detail).toContain('No such application');
      expect(wrongClient.fix).toContain('STRIPE_CONNECT_CLIENT_ID');
      expect(wrongClient.fix).toContain(`signed in to the platform ${platform.id}`);

      const rolledPlatform = await createEmulatorPlatform(emulator(), 'Rolled platform');
      await control(emulator(), 'POST', `accounts/${rolledPlatform.id}/roll_keys`);
      const rolledKey = await clientFinding(
        await appWith({
          clientId: rolledPlatform.client_id,
          secretKey: rolledPlatform.keys.test.secret,
        }),
      );
      expect(rolledKey.status).toBe('fail');
      expect(rolledKey.detail).toContain('STRIPE_CONNECT_SECRET_KEY');
      expect(rolledKey.detail).toContain('Expired API Key provided');
      expect(rolledKey.detail).not.toContain(rolledPlatform.keys.test.secret);
      expect(rolledKey.fix).toContain('set STRIPE_CONNECT_SECRET_KEY');

      expect(
        await clientFinding(
          await appWith({ clientId: platform.client_id, secretKey: platform.keys.test.secret }),
        ),
      ).toMatchObject({
        status: 'pass',
        detail: expect.stringContaining(`client id ${platform.client_id}`),
      });
    });

    it('connect_callback_errors: failed returns of the last 24 h with their reasons, until connected or a day old', async () => {
      const testApp = await appWith({
        clientId: platform.client_id,
        secretKey: platform.keys.test.secret,
      });
      const connect = testApp.services.connect;
      const callbacks = async () =>
        workspaceFinding(await testApp.services.doctor.run('default'), 'connect_callback_errors');
      expect((await callbacks()).status).toBe('pass');

      const stateOf = async (handle: string) =>
        new URL(
          await connect.startConnect({ workspaceId: 'default', handle, actor: 'test' }),
        ).searchParams.get('state') ?? '';
      const denied = await connect.completeConnect({
        state: await stateOf('eu'),
        error: 'access_denied',
        errorDescription: 'The user denied your request',
      });
      expect(denied.outcome).toBe('denied');
      const forged = await connect.completeConnect({ state: 'ost_forged.signature', code: 'ac_x' });
      expect(forged.outcome).toBe('state_invalid');
      const refused = await connect.completeConnect({
        state: await stateOf('eu'),
        code: 'ac_unknown',
      });
      expect(refused.outcome).toBe('code_rejected');

      const failed = await callbacks();
      expect(failed.status).toBe('warn');
      expect(failed.detail).toContain('3 "Connect with Stripe" return(s) failed in the last 24 h');
      expect(failed.detail).toContain(
        '"eu" denied (Stripe: access_denied: The user denied your request)',
      );
      expect(failed.detail).toContain('(no Switchyard link) state_invalid');
      expect(failed.detail).toContain(
        '"eu" code_rejected (Stripe: Authorization code does not exist',
      );
      expect(failed.fix).toContain('switchyard accounts connect <handle>');
      // No authorization code is kept, nor shown, though Stripe's refusal quotes it.
      expect(refused.message).not.toContain('ac_unknown');
      expect(failed.detail).not.toContain('ac_unknown');
      const rows = await store.db.selectFrom('connect_callback_failures').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain('ac_x');
      expect(JSON.stringify(rows)).not.toContain('ac_unknown');

      // Connecting "eu" mends its failures; the forged link's fades after a day.
      now += 1_000;
      const merchant = await createEmulatorAccount(emulator(), { name: 'EU GmbH' });
      const { code } = await control<{ code: string }>(emulator(), 'POST', 'oauth/codes', {
        client_id: platform.client_id,
        account: merchant.id,
      });
      expect((await connect.completeConnect({ state: await stateOf('eu'), code })).outcome).toBe(
        'connected',
      );
      const remaining = await callbacks();
      expect(remaining.detail).toContain('1 "Connect with Stripe" return(s) failed');
      expect(remaining.detail).toContain('state_invalid');
      now += 24 * 60 * 60 * 1000;
      expect((await callbacks()).status).toBe('pass');
    });
  },
);
