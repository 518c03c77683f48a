import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';
import { useAlertReceivers } from './alert-receivers.test-helper.js';

const receivers = useAlertReceivers();

describeEachDatabase('alert channels through the API and the CLI', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let dataDir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    store = await database.openMigrated();
    testApp = await buildTestApp(store);
    api = await adminClient(testApp);
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-alerts-cli-'));
    env = { DATABASE_URL: store.url, DATA_DIR: dataDir, SWITCHYARD_MASTER_KEY: testApp.masterKey };
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('bad input is a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ slackWebhookUrl: 'hooks.slack.com/x' }, 'slackWebhookUrl'],
      [{ smtpUrl: 'mail.example.com:25' }, 'smtpUrl'],
      [{ emailTo: ['ops@example.com', 'not-an-address'] }, 'emailTo[1]'],
      [{ warnings: 'yes' }, 'warnings'],
      [{ channel: 'pager' }, 'channel'],
    ];
    for (const [body, field] of cases) {
      const answer = await api('PUT', '/api/alerts', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.details.fields[0].field, JSON.stringify(body)).toBe(field);
    }
    const incomplete = await api('PUT', '/api/alerts', { smtpUrl: receivers.mail.url });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.error.message).toContain('emailFrom');
    expect(incomplete.body.error.message).toContain('emailTo');
    expect(JSON.stringify(incomplete.body)).not.toContain(receivers.mail.password);
  });

  it('stores the channels sealed, shows them masked, and tests each channel saying what happened', async () => {
    const none = await api('POST', '/api/alerts/test');
    expect(none.status).toBe(422);
    expect(none.body.error.message).toContain('PUT /api/alerts');

    const saved = await api('PUT', '/api/alerts', {
      slackWebhookUrl: receivers.slack.url,
      smtpUrl: receivers.mail.url,
      emailFrom: 'switchyard@example.com',
      emailTo: ['ops@example.com'],
      warnings: true,
    });
    expect(saved.status).toBe(200);
    expect(saved.body.alerts).toMatchObject({
      slack: {
        webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…th42$/),
        source: 'stored',
      },
      email: {
        smtpUrl: expect.stringMatching(/^smtp:\/\/alerts:…@127\.0\.0\.1:\d+$/),
        from: 'switchyard@example.com',
        to: ['ops@example.com'],
        source: 'stored',
        missing: [],
      },
      warnings: true,
      digest: false,
      updatedBy: 'token:test-suite',
    });
    const shown = JSON.stringify((await api('GET', '/api/alerts')).body);
    expect(shown).not.toContain(receivers.mail.password);
    expect(shown).not.toContain('s3cretWebhookPath');

    receivers.mail.down = true;
    const tested = await api('POST', '/api/alerts/test');
    expect(tested.status).toBe(200);
    expect(tested.body.results).toEqual([
      { channel: 'slack', delivered: true, detail: 'Delivered.' },
      {
        channel: 'email',
        delivered: false,
        detail: expect.stringContaining('Mailbox unavailable'),
      },
    ]);
    expect(receivers.slack.messages.at(-1)?.text).toContain('token:test-suite sent this test');

    // null falls back to the environment, which has no Slack URL here.
    const cleared = await api('PUT', '/api/alerts', { slackWebhookUrl: null });
    expect(cleared.body.alerts.slack).toEqual({ webhookUrl: null, source: null });
  });

  it('channels set in the environment are shown masked, used, and stored values win over them', async () => {
    const fromEnvironment = await buildTestApp(store, {
      env: {
        ALERT_SLACK_WEBHOOK_URL: receivers.slack.url,
        ALERT_SMTP_URL: receivers.mail.url,
        ALERT_EMAIL_FROM: 'switchyard@example.com',
        ALERT_EMAIL_TO: 'ops@example.com,founder@example.com',
        ALERT_WARNINGS: 'on',
      },
    });
    try {
      const admin = await adminClient(fromEnvironment);
      const shown = await admin('GET', '/api/alerts');
      expect(shown.body.alerts).toMatchObject({
        slack: { source: 'environment' },
        email: { source: 'environment', to: ['ops@example.com', 'founder@example.com'] },
        warnings: true,
      });
      expect(JSON.stringify(shown.body)).not.toContain(receivers.mail.password);
      expect(JSON.stringify(shown.body)).not.toContain('s3cretWebhookPath');
      expect((await admin('POST', '/api/alerts/test')).body.results).toHaveLength(2);
      const stored = await admin('PUT', '/api/alerts', { warnings: false });
      expect(stored.body.alerts).toMatchObject({
        warnings: false,
        slack: { source: 'environment' },
      });
    } finally {
      await fromEnvironment.app.close();
    }
  });

  it('switchyard alerts set, show and test; a bad option is exit 2 naming it', async () => {
    for (const [args, option] of [
      [['--warnings', 'maybe'], '--warnings'],
      [['--email-to', 'ops@example.com,broken'], '--email-to'],
      [['--clear', 'pager'], '--clear'],
    ] as const) {
      const result = await runInProcess(['alerts', 'set', ...args], env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(option);
    }
    const nothing = await runInProcess(['alerts', 'set'], env);
    expect(nothing.code).toBe(2);
    const empty = await runInProcess(['alerts', 'show'], env);
    expect(empty.stdout).toContain('No channel is set');

    const none = await runInProcess(['alerts', 'test'], env);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('switchyard alerts set --stdin');
    expect(none.stderr).not.toContain('/api/');

    // The secrets on standard input, the rest as options.
    const set = await runInProcess(
      [
        '--as',
        'ana',
        'alerts',
        'set',
        '--stdin',
        '--email-from',
        'switchyard@example.com',
        '--email-to',
        'ops@example.com, founder@example.com',
        '--digest',
        'on',
      ],
      env,
      JSON.stringify({ slackWebhookUrl: receivers.slack.url, smtpUrl: receivers.mail.url }),
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const show = await runInProcess(['alerts', 'show'], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/slack +http:\/\/127\.0\.0\.1:\d+\/…th42 \(stored\)/);
    expect(show.stdout).toContain(
      'from switchyard@example.com to ops@example.com, founder@example.com',
    );
    expect(show.stdout).toContain('digest    on');
    for (const output of [set.stdout, show.stdout]) {
      expect(output).not.toContain(receivers.mail.password);
      expect(output).not.toContain('s3cretWebhookPath');
    }

    const tested = await runInProcess(['alerts', 'test'], env);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/slack +delivered/);
    expect(tested.stdout).toMatch(/email +delivered/);
    expect(receivers.mail.messages.at(-1)?.text).toContain('cli:');

    receivers.slack.down = true;
    const failing = await runInProcess(['alerts', 'test', '--json'], env);
    expect(failing.code).toBe(7);
    expect(JSON.parse(failing.stdout)).toContainEqual({
      channel: 'slack',
      delivered: false,
      detail: 'The webhook answered HTTP 500: channel_is_archived',
    });
    expect(failing.stderr).toContain('slack did not take the test message');
  });

  it('switchyard alerts set takes secrets only by --stdin: the options that would carry one are refused', async () => {
    const help = await runInProcess(['alerts', 'set', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--stdin');
    expect(help.stdout).toContain('not taken as options');
    expect(help.stdout).toContain('ALERT_SMTP_URL');
    expect(help.stdout).not.toContain('--smtp-url <url>');

    for (const [option, secret, variable] of [
      ['--slack-url', receivers.slack.url, 'ALERT_SLACK_WEBHOOK_URL'],
      ['--smtp-url', receivers.mail.url, 'ALERT_SMTP_URL'],
    ] as const) {
      const refused = await runInProcess(
        ['alerts', 'set', option, secret, '--email-from', 'switchyard@example.com'],
        env,
      );
      expect(refused.code, option).toBe(2);
      expect(refused.stderr).toContain(`${option}: is not taken`);
      expect(refused.stderr).toContain('switchyard alerts set --stdin < alerts.json');
      expect(refused.stderr).toContain(variable);
      expect(refused.stderr).not.toContain('s3cretWebhookPath');
      expect(refused.stderr).not.toContain(receivers.mail.password);
    }
    // Nothing was stored by the refused commands, not even their other options.
    expect(
      JSON.parse((await runInProcess(['alerts', 'show', '--json'], env)).stdout),
    ).toMatchObject({ slack: { source: null }, email: { source: null, from: null } });

    for (const [input, args, field] of [
      [`{"slackWebhookUrl": "${receivers.slack.url}"`, [], '--stdin'],
      ['', [], '--stdin'],
      [JSON.stringify([receivers.slack.url]), [], '--stdin'],
      [
        JSON.stringify({ slackWebhookUrl: 'hooks.slack.com/s3cretWebhookPath42' }),
        [],
        'slackWebhookUrl',
      ],
      [JSON.stringify({ emailTo: ['ops@example.com', 'broken'] }), [], 'emailTo[1]'],
      [JSON.stringify({ warnings: 'yes' }), [], 'warnings'],
      [JSON.stringify({ channel: 'pager' }), [], 'channel'],
      [JSON.stringify({ smtpUrl: receivers.mail.url }), [], '--email-from'],
      [JSON.stringify({ digest: false }), ['--digest', 'on'], 'digest'],
      [JSON.stringify({}), [], '--stdin'],
    ] as const) {
      const result = await runInProcess(['alerts', 'set', '--stdin', ...args], env, input);
      expect(result.code, input).toBe(2);
      expect(result.stderr, input).toContain(`${field}`);
      expect(result.stderr, input).not.toContain('s3cretWebhookPath');
      expect(result.stderr, input).not.toContain(receivers.mail.password);
    }

    // Mended: the same secrets by --stdin are stored, sealed and shown masked.
    const stored = await runInProcess(
      ['alerts', 'set', '--stdin', '--json'],
      env,
      JSON.stringify({
        slackWebhookUrl: receivers.slack.url,
        smtpUrl: receivers.mail.url,
        emailFrom: 'switchyard@example.com',
        emailTo: ['ops@example.com'],
        warnings: true,
      }),
    );
    expect(stored.stderr).toBe('');
    expect(stored.code).toBe(0);
    expect(JSON.parse(stored.stdout)).toMatchObject({
      slack: { source: 'stored' },
      email: { source: 'stored', from: 'switchyard@example.com', missing: [] },
      warnings: true,
    });
    expect(stored.stdout).not.toContain('s3cretWebhookPath');
    expect(stored.stdout).not.toContain(receivers.mail.password);
    const cleared = await runInProcess(
      ['alerts', 'set', '--stdin'],
      env,
      '{"slackWebhookUrl": null}',
    );
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/slack +not set/);
  });
});
