import type { Command } from 'commander';
import { type AlertSettingsView, alertSettingsChangesSchema } from '../alerts/alert-settings.js';
import { AppError, fieldPath, isAppError } from '../errors.js';
import { processOutput, runCommand } from './run-command.js';
import { formatRows } from './table.js';
import { withServices } from './with-services.js';

/** The option that sets each field, so a bad value is reported by the name the user typed. */
const optionOf: Record<string, string> = {
  slackWebhookUrl: '--slack-url',
  smtpUrl: '--smtp-url',
  emailFrom: '--email-from',
  emailTo: '--email-to',
  warnings: '--warnings',
  digest: '--digest',
};

const clearable: Record<string, string> = {
  'slack-url': 'slackWebhookUrl',
  'smtp-url': 'smtpUrl',
  'email-from': 'emailFrom',
  'email-to': 'emailTo',
  warnings: 'warnings',
  digest: 'digest',
};

interface SetOptions {
  slackUrl?: string;
  smtpUrl?: string;
  emailFrom?: string;
  emailTo?: string;
  warnings?: string;
  digest?: string;
  clear?: string;
  json?: boolean;
}

/** Names options, not API fields, in a validation error. */
function inOptionWords(error: unknown): unknown {
  if (!isAppError(error) || error.code !== 'validation_failed') return error;
  const fields = (error.details as { fields?: { field: string; message: string }[] } | null)
    ?.fields;
  if (!fields) return error;
  return AppError.validation(
    fields.map(({ field, message }) => ({
      field: optionOf[field.split(/[.[]/)[0] ?? ''] ?? field,
      message,
    })),
  );
}

function onOff(option: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw AppError.validation([{ field: option, message: `got "${value}", needs on or off` }]);
}

function changesFrom(options: SetOptions): Record<string, unknown> {
  const changes: Record<string, unknown> = {
    ...(options.slackUrl !== undefined ? { slackWebhookUrl: options.slackUrl } : {}),
    ...(options.smtpUrl !== undefined ? { smtpUrl: options.smtpUrl } : {}),
    ...(options.emailFrom !== undefined ? { emailFrom: options.emailFrom } : {}),
    ...(options.emailTo !== undefined
      ? {
          emailTo: options.emailTo
            .split(',')
            .map((one) => one.trim())
            .filter(Boolean),
        }
      : {}),
  };
  const warnings = onOff('--warnings', options.warnings);
  const digest = onOff('--digest', options.digest);
  if (warnings !== undefined) changes.warnings = warnings;
  if (digest !== undefined) changes.digest = digest;
  for (const name of (options.clear ?? '')
    .split(',')
    .map((one) => one.trim())
    .filter(Boolean)) {
    const field = clearable[name];
    if (!field) {
      throw AppError.validation([
        {
          field: '--clear',
          message: `got "${name}", needs a comma-separated list of ${Object.keys(clearable).join(', ')}`,
        },
      ]);
    }
    if (field in changes) {
      throw AppError.validation([
        { field: '--clear', message: `"${name}" is both set and cleared; give one of them` },
      ]);
    }
    changes[field] = null;
  }
  if (Object.keys(changes).length === 0) {
    throw new AppError(
      'validation_failed',
      'Nothing to change: give --slack-url, --smtp-url, --email-from, --email-to, --warnings, --digest or --clear.',
    );
  }
  return changes;
}

function printSettings(view: AlertSettingsView, json: boolean | undefined): void {
  if (json) {
    processOutput.out(JSON.stringify(view, null, 2));
    return;
  }
  const from = (source: string | null) => (source ? ` (${source})` : '');
  const emailState =
    view.email.source === null
      ? 'not set'
      : view.email.missing.length > 0
        ? `incomplete, needs ${view.email.missing.map((field) => optionOf[field]).join(', ')}`
        : `${view.email.smtpUrl}, from ${view.email.from} to ${view.email.to.join(', ')}`;
  const rows = [
    ['slack', `${view.slack.webhookUrl ?? 'not set'}${from(view.slack.source)}`],
    ['email', `${emailState}${from(view.email.source)}`],
    ['warnings', view.warnings ? 'on: warnings are sent too' : 'off: only failures are sent'],
    ['digest', view.digest ? 'on: one message a day' : 'off'],
  ];
  processOutput.out(formatRows(rows).join('\n'));
  if (view.slack.source === null && view.email.source === null) {
    processOutput.out(
      '\nNo channel is set, so nobody hears of failures. Set one with "switchyard alerts set --slack-url <url>", or --smtp-url, --email-from and --email-to.',
    );
  }
}

export function registerAlertsCommand(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('where alerts go (Slack webhook, email) and a test message');

  alerts
    .command('show')
    .description('the alert channels, secrets masked, and where each comes from')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function showAlerts(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          printSettings(await services.alerts.showSettings(workspaceId), options.json);
        });
      }),
    );

  alerts
    .command('set')
    .description('store alert channels (secrets sealed); --clear falls back to the environment')
    .option('--slack-url <url>', 'a Slack-compatible incoming webhook URL')
    .option('--smtp-url <url>', 'smtp://user:password@host:port (or smtps://…)')
    .option('--email-from <address>', 'the sender of alert emails')
    .option('--email-to <list>', 'recipients, comma separated')
    .option('--warnings <on|off>', 'send warnings too, not only failures')
    .option('--digest <on|off>', "one message a day with the day's changes and findings")
    .option('--clear <fields>', `stored values to remove: ${Object.keys(clearable).join(', ')}`)
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function setAlerts(options: SetOptions) {
        try {
          const parsed = alertSettingsChangesSchema.safeParse(changesFrom(options));
          if (!parsed.success) {
            throw AppError.validation(
              parsed.error.issues.map((issue) => ({
                field: fieldPath(issue.path),
                message: issue.message,
              })),
            );
          }
          await withServices(async ({ services, workspaceId, actor }) => {
            printSettings(
              await services.alerts.updateSettings(workspaceId, parsed.data, actor),
              options.json,
            );
          });
        } catch (error) {
          throw inOptionWords(error);
        }
      }),
    );

  alerts
    .command('test')
    .description('send a test message to every channel now and say what each answered')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function testAlerts(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId, actor }) => {
          const results = await services.alerts.sendTest(workspaceId, actor);
          if (options.json) processOutput.out(JSON.stringify(results, null, 2));
          else {
            processOutput.out(
              formatRows(
                results.map((result) => [
                  result.channel,
                  result.delivered ? 'delivered' : 'FAILED',
                  result.detail,
                ]),
              ).join('\n'),
            );
          }
          const failed = results.filter((result) => !result.delivered);
          if (failed.length > 0) {
            throw new AppError(
              'upstream_unavailable',
              `${failed.map((result) => result.channel).join(' and ')} did not take the test message: check the settings with "switchyard alerts show".`,
            );
          }
        });
      }),
    );
}
