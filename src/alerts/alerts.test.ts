import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { manualClock } from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, type EmulatorAccount, useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { loadConfig } from '../config.js';
import type { JobDefinition } from '../jobs/job.js';
import { type Received, useAlertReceivers } from './alert-receivers.test-helper.js';
import { alertJobs } from './alerts.jobs.js';

const emulator = useEmulator();
const workspaceId = 'default';

const receivers = useAlertReceivers();

describeEachDatabase('alerts', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let clock: ReturnType<typeof manualClock>;
  let jobs: JobDefinition[];

  beforeEach(async () => {
    clock = manualClock(new Date().toISOString());
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), { clock }));
    jobs = alertJobs({
      db: store.db,
      clock,
      config: loadConfig({ SWITCHYARD_MASTER_KEY: testApp.masterKey }),
      vault: testApp.services.vault,
      doctor: testApp.services.doctor,
    });
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  async function runJob(name: 'alerts' | 'key_age'): Promise<string | undefined> {
    const job = jobs.find((one) => one.name === name);
    if (!job) throw new Error(`no job ${name}`);
    return job.run({ workspaceId, slotStart: clock(), signal: new AbortController().signal });
  }

  /** Both channels set through the API, and a first run that starts the audit cursor. */
  async function bothChannels(): Promise<void> {
    const saved = await api('PUT', '/api/alerts', {
      slackWebhookUrl: receivers.slack.url,
      smtpUrl: receivers.mail.url,
      emailFrom: 'switchyard@example.com',
      emailTo: ['ops@example.com', 'founder@example.com'],
    });
    expect(saved.status).toBe(200);
    await runJob('alerts');
    receivers.slack.messages.length = 0;
    receivers.mail.messages.length = 0;
  }

  async function channelFinding() {
    const report = await testApp.services.doctor.run(workspaceId);
    return report.findings.find((finding) => finding.code === 'alert_channel_failing');
  }

  function subjects(messages: Received[]): string[] {
    return messages.map((message) => message.subject);
  }

  it('tells each channel once of a change to an account: who, what, before and after', async () => {
    await bothChannels();
    expect((await api('PATCH', '/api/accounts/eu', { drain: true, priority: 3 })).status).toBe(200);
    await runJob('alerts');
    for (const messages of [receivers.slack.messages, receivers.mail.messages]) {
      expect(messages).toHaveLength(1);
      const [change] = messages;
      expect(change?.subject).toContain('account.updated account:eu by token:test-suite');
      expect(change?.text).toContain('drain: false → true');
      expect(change?.text).toContain('priority: 0 → 3');
    }
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(1);
    expect(receivers.mail.messages).toHaveLength(1);
  });

  it('tells each channel once of a change to the routing, naming who and what', async () => {
    await bothChannels();
    const { document } = (await api('GET', '/api/routing')).body;
    const applied = await api('PUT', '/api/routing', {
      document: { ...document, rules: [{ name: 'euro', when: { currency: ['eur'] }, use: 'eu' }] },
      message: 'EUR to eu',
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    await runJob('alerts');
    for (const messages of [receivers.slack.messages, receivers.mail.messages]) {
      expect(messages).toHaveLength(1);
      expect(messages[0]?.subject).toContain('routing.applied routing by token:test-suite');
      expect(messages[0]?.text).toContain('message: (none) → "EUR to eu"');
      expect(messages[0]?.text).toMatch(/version: (null|\d+) → \d+/);
      expect(messages[0]?.text).not.toContain('restoredFrom');
      expect(messages[0]?.text).toContain('In the routing document:');
      expect(messages[0]?.text).toMatch(/\+ rule .*euro/);
    }
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(1);
  });

  it('a dead channel is retried with backoff, shown by doctor, and its failure is told once and its mending once', async () => {
    await bothChannels();
    expect((await channelFinding())?.status).toBe('pass');
    receivers.mail.down = true;
    await api('PATCH', '/api/accounts/eu', { drain: true });
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(1);
    expect(receivers.mail.offers).toBeGreaterThan(0);
    const offersAfterFirstTry = receivers.mail.offers;

    const failing = await channelFinding();
    expect(failing).toMatchObject({ status: 'fail', account: null, mode: null });
    expect(failing?.detail).toContain('email did not take 1 alert');
    expect(failing?.detail).toContain('Mailbox unavailable');
    expect(failing?.detail).toContain('retried with backoff');
    expect(failing?.fix).toContain('switchyard alerts set --stdin');
    expect(failing?.detail).not.toContain(receivers.mail.password);

    // The condition turns `fail`: Slack hears of it once; the mail server is not asked before
    // the failed message's backoff, only for the new one (and refuses it).
    clock.advance(20);
    await runJob('alerts');
    expect(subjects(receivers.slack.messages).slice(1)).toEqual([
      '*[Switchyard] Failing: alert_channel_failing on the workspace*',
    ]);
    expect(receivers.slack.messages[1]?.text).toContain('Fix: Check the mail server');
    expect(receivers.mail.offers).toBe(offersAfterFirstTry + 1);
    clock.advance(20);
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(2);
    expect(receivers.mail.offers).toBe(offersAfterFirstTry + 1);

    // Mended: after the backoff both waiting messages reach the mail server first, so doctor
    // passes in the same run and each channel hears once that it is resolved.
    receivers.mail.down = false;
    clock.advance(120);
    await runJob('alerts');
    expect(subjects(receivers.mail.messages)).toEqual([
      '[Switchyard] account.updated account:eu by token:test-suite',
      '[Switchyard] Failing: alert_channel_failing on the workspace',
      '[Switchyard] Resolved: alert_channel_failing on the workspace',
    ]);
    expect(subjects(receivers.slack.messages).slice(2)).toEqual([
      '*[Switchyard] Resolved: alert_channel_failing on the workspace*',
    ]);
    expect((await channelFinding())?.status).toBe('pass');
    clock.advance(60);
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(3);
    expect(receivers.mail.messages).toHaveLength(3);
  });

  it('a mended channel gets its waiting alerts at once; a removed one is no longer failing', async () => {
    await bothChannels();
    receivers.mail.down = true;
    await api('PATCH', '/api/accounts/eu', { drain: true });
    await runJob('alerts');
    expect((await channelFinding())?.status).toBe('fail');

    receivers.mail.down = false;
    const tested = await api('POST', '/api/alerts/test');
    expect(tested.body.results).toContainEqual({
      channel: 'email',
      delivered: true,
      detail: 'Delivered.',
    });
    await runJob('alerts');
    expect(subjects(receivers.mail.messages)).toEqual([
      '[Switchyard] Test alert',
      '[Switchyard] account.updated account:eu by token:test-suite',
    ]);
    expect((await channelFinding())?.status).toBe('pass');

    receivers.slack.down = true;
    await api('PATCH', '/api/accounts/eu', { drain: false });
    await runJob('alerts');
    expect((await channelFinding())?.detail).toContain('Slack webhook did not take');
    await api('PUT', '/api/alerts', { slackWebhookUrl: null });
    expect((await channelFinding())?.status).toBe('pass');
  });

  it('a key rolled at Stripe: each channel hears once that key_expired fails, then once that it is resolved', async () => {
    await bothChannels();
    const us = await testApp.services.accounts.showAccount(workspaceId, 'us');
    const rolled = await control<{ keys: EmulatorAccount['keys'] }>(
      emulator(),
      'POST',
      `accounts/${us.stripeAccountId}/roll_keys`,
    );
    await runJob('alerts');
    for (const messages of [receivers.slack.messages, receivers.mail.messages]) {
      expect(subjects(messages).map((subject) => subject.replaceAll('*', ''))).toEqual([
        '[Switchyard] Failing: key_expired on us (test)',
      ]);
      expect(messages[0]?.text).toContain('Expired API Key provided');
      expect(messages[0]?.text).toContain('Fix: ');
      expect(messages[0]?.text).toContain('switchyard accounts keys us');
      expect(messages[0]?.text).not.toContain(rolled.keys.test.secret);
    }
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(1);
    expect(receivers.mail.messages).toHaveLength(1);

    const replaced = await api('POST', '/api/accounts/us/keys', {
      credentials: {
        test: { secretKey: rolled.keys.test.secret, publishableKey: rolled.keys.test.publishable },
      },
    });
    expect(replaced.status).toBe(200);
    await runJob('alerts');
    for (const messages of [receivers.slack.messages, receivers.mail.messages]) {
      const told = subjects(messages.slice(1)).map((subject) => subject.replaceAll('*', ''));
      expect(told.filter((subject) => subject.includes('key_expired'))).toEqual([
        '[Switchyard] Resolved: key_expired on us (test)',
      ]);
      // The new keys are a change to the account, told as such.
      expect(told.filter((subject) => !subject.includes('key_expired'))).toEqual([
        '[Switchyard] account.keys_replaced account:us by token:test-suite',
      ]);
    }
    await runJob('alerts');
    expect(receivers.slack.messages).toHaveLength(3);
    expect(receivers.mail.messages).toHaveLength(3);
  });

  it('a finding that turns warn is told only when warnings are on, and then once', async () => {
    await bothChannels();
    clock.advance(91 * 86_400);
    const keyAge = (messages: Received[]) =>
      subjects(messages).filter((subject) => subject.includes(': key_age on '));
    await runJob('alerts');
    expect(keyAge(receivers.slack.messages)).toEqual([]);
    expect((await api('PUT', '/api/alerts', { warnings: true })).status).toBe(200);
    clock.advance(60);
    await runJob('alerts');
    expect(keyAge(receivers.mail.messages).sort()).toEqual([
      '[Switchyard] Warning: key_age on eu (test)',
      '[Switchyard] Warning: key_age on us (test)',
    ]);
    clock.advance(60);
    await runJob('alerts');
    expect(keyAge(receivers.mail.messages)).toHaveLength(2);
    expect(keyAge(receivers.slack.messages)).toHaveLength(2);
  });

  it('reminds once per key when it passes KEY_ROTATION_DAYS', async () => {
    await bothChannels();
    await runJob('key_age');
    expect(receivers.slack.messages).toEqual([]);
    clock.advance(91 * 86_400);
    await runJob('key_age');
    expect(subjects(receivers.mail.messages).sort()).toEqual([
      '[Switchyard] Time to roll the test key of eu: 91 days old',
      '[Switchyard] Time to roll the test key of us: 91 days old',
    ]);
    expect(receivers.slack.messages).toHaveLength(2);
    expect(receivers.mail.messages[0]?.text).toContain('switchyard accounts keys');
    expect(receivers.mail.messages[0]?.text).toMatch(/sk_test_…[A-Za-z0-9]{4}/);
    clock.advance(86_400);
    await runJob('key_age');
    expect(receivers.slack.messages).toHaveLength(2);
    expect(receivers.mail.messages).toHaveLength(2);
  });

  it('sends the day before in one digest, once a day, when the digest is on', async () => {
    await bothChannels();
    await api('PUT', '/api/alerts', { digest: true });
    await api('PATCH', '/api/accounts/us', { label: 'US LLC' });
    const tomorrow = new Date(clock());
    tomorrow.setUTCHours(24, 5, 0, 0);
    clock.advance((tomorrow.getTime() - clock().getTime()) / 1000);
    await runJob('alerts');
    const digests = receivers.slack.messages.filter((message) =>
      message.subject.includes('Daily digest'),
    );
    expect(digests).toHaveLength(1);
    expect(digests[0]?.text).toContain('account.updated account:us');
    clock.advance(3_600);
    await runJob('alerts');
    expect(
      receivers.slack.messages.filter((message) => message.subject.includes('Daily digest')),
    ).toHaveLength(1);
  });

  it('no secret reaches a channel: keys, signing secrets and channel credentials are masked', async () => {
    await bothChannels();
    const { data } = await control<{ data: EmulatorAccount[] }>(emulator(), 'GET', 'accounts');
    const secretKey = data[0]?.keys.test.secret ?? '';
    const endpoint = await store.db
      .selectFrom('webhook_endpoints')
      .select('secret_encrypted')
      .where('secret_encrypted', 'is not', null)
      .executeTakeFirstOrThrow();
    const signingSecret = testApp.services.vault.open(endpoint.secret_encrypted ?? '');
    expect(signingSecret).toMatch(/^whsec_/);
    // A careless audit entry and a dead Slack webhook whose errors could echo what they were sent.
    await testApp.services.audit.record(store.db, {
      workspaceId,
      actor: 'script',
      action: 'account.updated',
      subject: 'account:us',
      before: { note: `old key ${secretKey}` },
      after: {
        note: `signing secret ${signingSecret}, relay ${receivers.mail.url}, hook ${receivers.slack.url}`,
      },
    });
    receivers.slack.down = true;
    await runJob('alerts');
    clock.advance(30);
    await runJob('alerts');
    receivers.slack.down = false;
    clock.advance(3_600);
    await runJob('alerts');
    clock.advance(3_600);
    await runJob('alerts');
    expect(receivers.slack.messages.length).toBeGreaterThanOrEqual(3);
    expect(receivers.mail.messages.length).toBeGreaterThanOrEqual(3);
    const everything = [...receivers.slack.messages, ...receivers.mail.messages]
      .map((one) => one.text)
      .join('\n');
    expect(everything).toContain('signing secret whsec_…');
    for (const secret of [
      secretKey,
      signingSecret,
      receivers.mail.password,
      receivers.slack.url,
      receivers.mail.url,
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toMatch(/\b(sk|rk)_(test|live)_[A-Za-z0-9]{5}/);
    expect(everything).not.toContain('s3cretWebhookPath');

    const shown = JSON.stringify((await api('GET', '/api/alerts')).body);
    for (const secret of [receivers.mail.password, receivers.slack.url, 's3cretWebhookPath']) {
      expect(shown).not.toContain(secret);
    }
    const stored = JSON.stringify(
      await store.db.selectFrom('alert_settings').selectAll().execute(),
    );
    for (const secret of [receivers.mail.password, receivers.slack.url, 's3cretWebhookPath']) {
      expect(stored).not.toContain(secret);
    }
  });
});
