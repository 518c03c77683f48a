import { type Command, InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import {
  accountChangesSchema,
  credentialsSchema,
  newAccountSchema,
} from '../accounts/accounts.routes.js';
import type { AccountView } from '../accounts/accounts.service.js';
import { formatMoney } from '../catalog/money.js';
import { AppError, fieldPath } from '../errors.js';
import { registerAccountsRampCommand } from './accounts-ramp.command.js';
import { processOutput, runCommand } from './run-command.js';
import { readStdinJson } from './stdin.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

interface KeyOptions {
  testSecretKey?: string;
  testPublishableKey?: string;
  liveSecretKey?: string;
  livePublishableKey?: string;
  stdin?: boolean;
}

/** Environment variables read when a key flag is not given, so keys stay out of shell history. */
const keyVariables = {
  testSecretKey: 'STRIPE_TEST_SECRET_KEY',
  testPublishableKey: 'STRIPE_TEST_PUBLISHABLE_KEY',
  liveSecretKey: 'STRIPE_LIVE_SECRET_KEY',
  livePublishableKey: 'STRIPE_LIVE_PUBLISHABLE_KEY',
} as const;

function addKeyOptions(command: Command): Command {
  return command
    .option(
      '--test-secret-key <key>',
      `test secret or restricted key (or env ${keyVariables.testSecretKey})`,
    )
    .option(
      '--test-publishable-key <key>',
      `test publishable key (or env ${keyVariables.testPublishableKey})`,
    )
    .option(
      '--live-secret-key <key>',
      `live secret or restricted key (or env ${keyVariables.liveSecretKey})`,
    )
    .option(
      '--live-publishable-key <key>',
      `live publishable key (or env ${keyVariables.livePublishableKey})`,
    )
    .option(
      '--stdin',
      'read the keys as JSON from standard input: {"test": {"secretKey", "publishableKey"}, "live": {…}}',
    );
}

async function credentialsFrom(options: KeyOptions): Promise<unknown> {
  if (options.stdin) {
    return readStdinJson('{"test": {"secretKey": "sk_test_…", "publishableKey": "pk_test_…"}}');
  }
  const value = (name: keyof typeof keyVariables) =>
    options[name] ?? process.env[keyVariables[name]];
  const pair = (secretKey: string | undefined, publishableKey: string | undefined) =>
    secretKey === undefined && publishableKey === undefined
      ? undefined
      : { secretKey: secretKey ?? '', publishableKey: publishableKey ?? '' };
  return {
    ...(pair(value('testSecretKey'), value('testPublishableKey'))
      ? { test: pair(value('testSecretKey'), value('testPublishableKey')) }
      : {}),
    ...(pair(value('liveSecretKey'), value('livePublishableKey'))
      ? { live: pair(value('liveSecretKey'), value('livePublishableKey')) }
      : {}),
  };
}

/** Validates CLI input with the same schema as the API, naming fields as the API does. */
function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw AppError.validation(
      parsed.error.issues.map((issue) => ({
        field: fieldPath(issue.path),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Commander reports this as a usage error (exit 2) naming the option, without a stack trace. */
function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('needs a whole number, e.g. 1.');
  return Number(value);
}

const accountColumns = [
  'HANDLE',
  'ROLE',
  'PRI',
  'STRIPE ACCOUNT',
  'MODES',
  'CURRENCIES',
  'STATE',
  'HEALTH',
  'PURPOSE',
];

function accountRow(account: AccountView): string[] {
  return [
    account.handle,
    account.role,
    String(account.priority),
    account.stripeAccountId,
    Object.keys(account.modes).join('+'),
    account.currencies?.join(',') ?? 'any',
    !account.enabled ? 'disabled' : account.drain ? 'draining' : 'enabled',
    account.health,
    account.purpose,
  ];
}

/** "usd:day:5000000,eur:month:100000000" as caps for the schema; "none" removes them. */
function capsOf(text: string): unknown[] | null {
  if (text.trim() === 'none') return null;
  return list(text).map((item) => {
    const [currency, period, amount, ...rest] = item.split(':');
    if (rest.length > 0 || amount === undefined || !/^\d+$/.test(amount)) {
      throw new AppError(
        'bad_request',
        `--caps: "${item}" is not currency:period:amount, e.g. usd:day:5000000 (5,000,000 cents = $50,000.00 a UTC day), or "none".`,
      );
    }
    return { currency, period, amount: Number(amount) };
  });
}

function describeCaps(account: AccountView): string {
  if (account.caps === null || account.caps.length === 0) return 'none';
  return account.caps
    .map((cap) => `${formatMoney(cap.amount, cap.currency)} a UTC ${cap.period}`)
    .join('; ');
}

function details(account: AccountView): string {
  const lines = [
    `${account.handle} (${account.label}), ${account.role}${account.role === 'secondary' ? `, priority ${account.priority}` : ''}`,
    `  Stripe account: ${account.stripeAccountId} (${account.country ?? '?'}, ${account.defaultCurrency ?? '?'}), connected by ${account.connectedBy === 'oauth' ? 'Connect OAuth' : 'API keys'}`,
    `  Purpose:        ${account.purpose || '(none given)'}`,
    `  Currencies:     ${account.currencies?.join(', ') ?? 'any'}`,
    `  Caps:           ${describeCaps(account)}`,
    `  State:          ${account.enabled ? 'enabled' : 'disabled'}${account.drain ? ', draining (no new payments)' : ''}`,
    `  Health:         ${account.health}${account.healthReason ? ` - ${account.healthReason}` : ''}`,
    `  Charges:        ${account.chargesEnabled ? 'enabled' : `disabled${account.disabledReason ? ` (${account.disabledReason})` : ''}`}`,
  ];
  for (const [mode, keys] of Object.entries(account.modes)) {
    lines.push(
      `  ${mode.padEnd(4)} keys:      ${keys.secretKey} / ${keys.publishableKey} (${keys.keyType.replace('_', ' ')}, ${keys.keyAgeDays} days old)`,
    );
  }
  return lines.join('\n');
}

function printResult(
  result: { account: AccountView; warnings: string[] },
  json: boolean | undefined,
  headline: string,
) {
  if (json) return processOutput.out(JSON.stringify(result, null, 2));
  processOutput.out(`${headline}\n${details(result.account)}`);
  for (const warning of result.warnings) processOutput.err(`warning: ${warning}`);
}

/** Commands that ask Stripe (keys checked, account read) need it reachable, the demo's too. */
const stripeCall = { callsStripe: true };

export function registerAccountsCommand(program: Command): void {
  const accounts = program.command('accounts').description('connect and manage Stripe accounts');

  accounts
    .command('list')
    .description('list connected accounts')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function listAccounts(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          printListing(processOutput, {
            items: await services.accounts.listAccounts(workspaceId),
            json: options.json,
            empty: 'No accounts yet. Connect one with "switchyard accounts add <handle>".',
            header: accountColumns,
            row: accountRow,
          });
        });
      }),
    );

  addKeyOptions(
    accounts
      .command('add')
      .description('connect a Stripe account by API keys (verified with Stripe before saving)')
      .argument('<handle>', 'short name: lowercase letters, digits, "-" (e.g. us, eu-ltd)')
      .option('--label <label>', 'display name')
      .option('--purpose <text>', 'why this account exists')
      .option('--role <role>', 'primary or secondary')
      .option('--priority <n>', 'order among secondaries (lower first)', integer)
      .option('--currencies <list>', 'currencies it accepts, comma separated (default: any)', list)
      .option('--json', 'print JSON for scripts'),
  ).action(
    runCommand(async function addAccount(
      handle: string,
      options: KeyOptions & {
        label?: string;
        purpose?: string;
        role?: string;
        priority?: number;
        currencies?: string[];
        json?: boolean;
      },
    ) {
      const input = parse(newAccountSchema, {
        handle,
        label: options.label,
        purpose: options.purpose,
        role: options.role,
        priority: options.priority,
        currencies: options.currencies,
        credentials: await credentialsFrom(options),
      });
      await withServices(async ({ services, workspaceId, actor }) => {
        const result = await services.accounts.connectWithKeys(workspaceId, input, actor);
        printResult(result, options.json, `Connected "${handle}".`);
      }, stripeCall);
    }),
  );

  accounts
    .command('connect')
    .description(
      'print a "Connect with Stripe" link that connects an account by OAuth (valid 10 minutes, once)',
    )
    .argument('<handle>', 'the handle the connected account will get')
    .action(
      runCommand(async function connectAccount(handle: string) {
        const parsedHandle = parse(newAccountSchema.shape.handle, handle);
        await withServices(async ({ services, workspaceId, actor }) => {
          const url = await services.connect.startConnect({
            workspaceId,
            handle: parsedHandle,
            actor,
          });
          processOutput.out(url);
          processOutput.err(
            'Open this link in a browser signed in to the Stripe account, choose Authorize, and Switchyard shows the result. It works once, for 10 minutes.',
          );
        });
      }),
    );

  accounts
    .command('show')
    .description('show one account')
    .argument('<handle>')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function showAccount(handle: string, options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const account = await services.accounts.showAccount(workspaceId, handle);
          processOutput.out(options.json ? JSON.stringify(account, null, 2) : details(account));
        });
      }),
    );

  accounts
    .command('update')
    .description('change label, purpose, priority, currencies, caps, enabled or drain')
    .argument('<handle>')
    .option('--label <label>')
    .option('--purpose <text>')
    .option('--priority <n>', 'order among secondaries', integer)
    .option('--currencies <list>', 'comma separated, or "any"')
    .option(
      '--caps <list>',
      'volume caps of new payments, currency:day|month:amount in minor units, comma separated (e.g. usd:day:5000000), or "none"',
    )
    .option('--enable', 'take payments again')
    .option('--disable', 'take no payments at all')
    .option('--drain', 'take no new payments; still serve upsells, renewals and refunds')
    .option('--undrain', 'take new payments again')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function updateAccount(
        handle: string,
        options: {
          label?: string;
          purpose?: string;
          priority?: number;
          currencies?: string;
          caps?: string;
          enable?: boolean;
          disable?: boolean;
          drain?: boolean;
          undrain?: boolean;
          json?: boolean;
        },
      ) {
        if ((options.enable && options.disable) || (options.drain && options.undrain)) {
          throw new AppError(
            'bad_request',
            'Give --enable or --disable, --drain or --undrain, not both of a pair.',
          );
        }
        const changes = parse(accountChangesSchema, {
          label: options.label,
          purpose: options.purpose,
          priority: options.priority,
          currencies:
            options.currencies === undefined
              ? undefined
              : options.currencies === 'any'
                ? null
                : list(options.currencies),
          enabled: options.enable ? true : options.disable ? false : undefined,
          drain: options.drain ? true : options.undrain ? false : undefined,
          caps: options.caps === undefined ? undefined : capsOf(options.caps),
        });
        await withServices(async ({ services, workspaceId, actor }) => {
          printResult(
            await services.accounts.updateAccount(workspaceId, handle, changes, actor),
            options.json,
            `Updated "${handle}".`,
          );
        });
      }),
    );

  accounts
    .command('primary')
    .description('make this account the primary (the old primary becomes a secondary)')
    .argument('<handle>')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function makePrimary(handle: string, options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId, actor }) => {
          printResult(
            await services.accounts.makePrimary(workspaceId, handle, actor),
            options.json,
            `"${handle}" is now the primary account.`,
          );
        });
      }),
    );

  addKeyOptions(
    accounts
      .command('keys')
      .description('replace keys (after rolling them); the old keys stay if the new ones fail')
      .argument('<handle>')
      .option('--json', 'print JSON for scripts'),
  ).action(
    runCommand(async function replaceKeys(
      handle: string,
      options: KeyOptions & { json?: boolean },
    ) {
      const credentials = parse(credentialsSchema, await credentialsFrom(options));
      await withServices(async ({ services, workspaceId, actor }) => {
        printResult(
          await services.accounts.replaceKeys(workspaceId, handle, credentials, actor),
          options.json,
          `Replaced the keys of "${handle}".`,
        );
      }, stripeCall);
    }),
  );

  accounts
    .command('verify')
    .description('ask Stripe about the account again and update its health')
    .argument('<handle>')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function verifyAccount(handle: string, options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId, actor }) => {
          printResult(
            await services.accounts.verifyAccount(workspaceId, handle, actor),
            options.json,
            `Verified "${handle}".`,
          );
        }, stripeCall);
      }),
    );

  accounts
    .command('remove')
    .description('remove an account (its past payments keep it)')
    .argument('<handle>')
    .action(
      runCommand(async function removeAccount(handle: string) {
        await withServices(async ({ services, workspaceId, actor }) => {
          await services.accounts.removeAccount(workspaceId, handle, actor);
          processOutput.out(`Removed "${handle}". Its past payments keep it.`);
        });
      }),
    );
  registerAccountsRampCommand(accounts);
}
