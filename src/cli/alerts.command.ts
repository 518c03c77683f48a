import { type Command, Option } from 'commander';
import {
  type AlertSettingsChanges,
  type AlertSettingsView,
  alertSettingsChangesSchema,
} from '../alerts/alert-settings.js';
import { AppError, fieldPath, isAppError } from '../errors.js';
import { processOutput, runCommand } from './run-command.js';
import { readStdinJson } from './stdin.js';
import { formatRows } from './table.js';
import { withServices } from './with-services.js';

/** How the user gives each field here, so a problem is reported in the words they typed. */
const optionOf: Record<string, string> = {
  slackWebhookUrl: 'slackWebhookUrl (by --stdin)',
  smtpUrl: 'smtpUrl (by --stdin)',
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

/**
 * Options that would carry a secret, refused because a command line stays in shell history and
 * shows in `ps`; declared (hidden) so the refusal can say where the secret goes instead.
 */
const secretOptions = [
  {
    option: '--slack-url',
    name: 'slackUrl',
    field: 'slackWebhookUrl',
    what: 'the webhook URL',
    variable: 'ALERT_SLACK_WEBHOOK_URL',
    example: 'https://hooks.slack.com/services/…',
  },
  {
    option: '--smtp-url',
    name: 'smtpUrl',
    field: 'smtpUrl',
    what: 'the mail password',
    variable: 'ALERT_SMTP_URL',
    example: 'smtp://user:password@host:587',
  },
] as const;

const stdinExample =
  '{"slackWebhookUrl": "https://hooks.slack.com/services/…", "smtpUrl": "smtp://user:password@host:587", "emailFrom": "switchyard@example.com", "emailTo": ["ops@example.com"], "warnings": true, "digest": false}';

interface SetOptions {
  slackUrl?: string;
  smtpUrl?: string;
  emailFrom?: string;
  emailTo?: string;
  warnings?: string;
  digest?: string;
  clear?: string;
  stdin?: boolean;
  json?: boolean;
}

function refuseSecretOptions(options: SetOptions): void {
  const given = secretOptions.filter(({ name }) => options[name] !== undefined);
  if (given.length === 0) return;
  const problems = given.map(({ option, what }) => ({
    field: option,
    message: `is not taken: on the command line ${what} stays in shell history and shows in ps`,
  }));
  const example = given.map(({ field, example }) => `"${field}": "${example}"`).join(', ');
  const variables = given.map(({ variable }) => variable).join(' and ');
  throw new AppError(
    'validation_failed',
    `${AppError.validation(problems).message}. Nothing was changed. Send ${given.length > 1 ? 'them' : 'it'} on standard input instead, "switchyard alerts set --stdin < alerts.json" with {${example}} in alerts.json, or set ${variables} in the environment. Remove that line from your shell history, and rotate the secret if others can read it.`,
    { fields: problems },
  );
}

/** Names options, not API fields, in a validation error; fields sent by --stdin keep their JSON path. */
function inOptionWords(error: unknown, fromStdin: ReadonlySet<string>): unknown {
  if (!isAppError(error) || error.code !== 'validation_failed') return error;
  const fields = (error.details as { fields?: { field: string; message: string }[] } | null)
    ?.fields;
  if (!fields) return error;
  return AppError.validation(
    fields.map(({ field, message }) => {
      const root = field.split(/[.[]/)[0] ?? '';
      return { field: fromStdin.has(root) ? field : (optionOf[root] ?? field), message };
    }),
  );
}

function onOff(option: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw AppError.validation([{ field: option, message: `got "${value}", needs on or off` }]);
}

function changesFrom(options: SetOptions): Record<string, unknown> {
  const changes: Record<string, unknown> = {
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
  return changes;
}

/** The settings sent on standard input, as one JSON object; a field also given as an option is refused. */
async function stdinChanges(
  optionChanges: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const sent = await readStdinJson(`one JSON object of settings such as ${stdinExample}`);
  if (typeof sent !== 'object' || sent === null || Array.isArray(sent)) {
    throw AppError.validation([
      { field: '--stdin', message: `needs one JSON object of settings such as ${stdinExample}` },
    ]);
  }
  const twice = Object.keys(sent).filter((field) => field in optionChanges);
  if (twice.length > 0) {
    throw AppError.validation(
      twice.map((field) => ({
        field,
        message: 'is given both by --stdin and by an option (or --clear); give it once',
      })),
    );
  }
  return sent as Record<string, unknown>;
}

function parseChanges(changes: Record<string, unknown>): AlertSettingsChanges {
  const parsed = alertSettingsChangesSchema.safeParse(changes);
  if (parsed.success) return parsed.data;
  throw AppError.validation(
    parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            field: key,
            message: `is not a setting; the settings are ${Object.keys(optionOf).join(', ')}`,
          }))
        : [
            {
              field: fieldPath(issue.path),
              message: issue.message.replace(/^Invalid input: /, ''),
            },
          ],
    ),
  );
}

async function setAlerts(options: SetOptions): Promise<void> {
  refuseSecretOptions(options);
  const optionChanges = changesFrom(options);
  const sent = options.stdin ? await stdinChanges(optionChanges) : {};
  const fromStdin = new Set(Object.keys(sent));
  const changes = { ...optionChanges, ...sent };
  if (Object.keys(changes).length === 0) {
    throw new AppError(
      'validation_failed',
      'Nothing to change: give --stdin (with the Slack webhook URL or the SMTP URL), --email-from, --email-to, --warnings, --digest or --clear.',
    );
  }
  try {
    const parsed = parseChanges(changes);
    await withServices(async ({ services, workspaceId, actor }) => {
      printSettings(await services.alerts.updateSettings(workspaceId, parsed, actor), options.json);
    });
  } catch (error) {
    throw inOptionWords(error, fromStdin);
  }
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
      '\nNo channel is set, so nobody hears of failures. Set one with "switchyard alerts set --stdin" (see its --help): the Slack webhook URL, or the SMTP URL with --email-from and --email-to.',
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

  const set = alerts
    .command('set')
    .description(
      'store alert channels (secrets sealed, sent by --stdin); --clear falls back to the environment',
    )
    .option(
      '--stdin',
      'read settings as one JSON object from standard input: {"slackWebhookUrl", "smtpUrl", "emailFrom", "emailTo": [...], "warnings", "digest"}, null clears',
    )
    .option('--email-from <address>', 'the sender of alert emails')
    .option('--email-to <list>', 'recipients, comma separated')
    .option('--warnings <on|off>', 'send warnings too, not only failures')
    .option('--digest <on|off>', "one message a day with the day's changes and findings")
    .option('--clear <fields>', `stored values to remove: ${Object.keys(clearable).join(', ')}`)
    .option('--json', 'print JSON for scripts');
  for (const { option } of secretOptions) {
    set.addOption(new Option(`${option} <url>`).hideHelp());
  }
  set
    .addHelpText(
      'after',
      `
Secrets (the Slack webhook URL, the SMTP URL with its password) are not taken as options, which
would leave them in shell history and in ps: send them with --stdin, or set
ALERT_SLACK_WEBHOOK_URL and ALERT_SMTP_URL in the environment (used while nothing is stored).

Example:
  switchyard alerts set --stdin --email-from switchyard@example.com --email-to ops@example.com < alerts.json
  with alerts.json holding {"slackWebhookUrl": "https://hooks.slack.com/services/…",
                            "smtpUrl": "smtp://alerts:password@mail.example.com:587"}`,
    )
    .action(runCommand(setAlerts));

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
