import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAccountsCommand } from './accounts.command.js';
import { registerAlertsCommand } from './alerts.command.js';
import { registerConfigCommand } from './config.command.js';
import { registerCouponsCommand } from './coupons.command.js';
import { registerDoctorCommand } from './doctor.command.js';
import { registerEmulatorCommand } from './emulator.command.js';
import { registerFunnelsCommand } from './funnels.command.js';
import { registerJobsCommand } from './jobs.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerOrdersCommand } from './orders.command.js';
import { registerPaymentsCommand } from './payments.command.js';
import { registerProductsCommand } from './products.command.js';
import { registerReportCommand } from './report.command.js';
import { registerRouteCommand } from './route.command.js';
import { exitCodeFor, processOutput } from './run-command.js';
import { registerServeCommand } from './serve.command.js';
import { registerTestPaymentCommand } from './test-payment.command.js';
import { registerTokensCommand } from './tokens.command.js';
import { registerTransactionsCommand } from './transactions.command.js';
import { registerUnrecordedCommand } from './unrecorded.command.js';
import { registerUsersCommand } from './users.command.js';
import { registerVaultCommand } from './vault.command.js';
import { actAs } from './with-services.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Each command lives in its own file and registers itself here. */
const commands: Array<(program: Command) => void> = [
  registerServeCommand,
  registerMigrateCommand,
  registerRouteCommand,
  registerConfigCommand,
  registerAccountsCommand,
  registerTokensCommand,
  registerVaultCommand,
  registerEmulatorCommand,
  registerProductsCommand,
  registerFunnelsCommand,
  registerOrdersCommand,
  registerPaymentsCommand,
  registerTransactionsCommand,
  registerReportCommand,
  registerTestPaymentCommand,
  registerAlertsCommand,
  registerDoctorCommand,
  registerJobsCommand,
  registerUnrecordedCommand,
  registerUsersCommand,
  registerCouponsCommand,
];

export function createProgram(): Command {
  const program = new Command('switchyard')
    .description('Sales funnels and checkout that route each payment to the right Stripe account.')
    .version(packageJson.version, '-v, --version', 'print the version')
    .option(
      '--as <name>',
      'who the audit log names for changes made by this command (default: your OS user)',
    )
    .showHelpAfterError('(run "switchyard --help" for the commands)')
    // A mistyped command or option is invalid input: exit code 2, as the README's table says.
    .exitOverride(function exitOnUsageError(error) {
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  program.hook('preAction', function readActor(_program, action) {
    try {
      actAs(action.optsWithGlobals<{ as?: string }>().as);
    } catch (error) {
      process.exit(exitCodeFor(error, processOutput));
    }
  });
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
