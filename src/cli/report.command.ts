import type { Command } from 'commander';
import { formatMoney } from '../catalog/money.js';
import { accountsReportQuery } from '../transactions/transactions.schema.js';
import type { AccountDay } from '../transactions/transactions.service.js';
import { parseOptions } from './options.js';
import { processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

interface ReportOptions {
  from?: string;
  to?: string;
  mode?: string;
  json?: boolean;
}

function accountDayRow(day: AccountDay): string[] {
  const refunds =
    day.refunds.count === 0
      ? '-'
      : `${day.refunds.count} (${formatMoney(day.refunds.amount, day.currency)})`;
  const errors = day.topErrors
    .map(
      (error) =>
        `${[error.code ?? '?', error.declineCode].filter(Boolean).join('/')} ×${error.count}`,
    )
    .join(', ');
  return [
    day.day,
    day.account,
    day.mode,
    day.currency,
    String(day.payments),
    formatMoney(day.volume, day.currency),
    refunds,
    day.successRate === null ? '-' : `${(day.successRate * 100).toFixed(1)}%`,
    String(day.failovers),
    errors || '-',
  ];
}

/** `switchyard report accounts`: how each Stripe account did, day by day. */
export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('reports on sales and accounts');

  report
    .command('accounts')
    .description(
      'per account, day (UTC) and currency: payments, volume, refunds, success rate, failovers away, top error codes',
    )
    .option('--from <day>', 'first day, YYYY-MM-DD (UTC), included')
    .option('--to <day>', 'last day, YYYY-MM-DD (UTC), included')
    .option('--mode <mode>', 'only this mode: test or live')
    .option('--json', 'print the report as JSON, for scripts')
    .action(
      runCommand(async function reportAccounts(options: ReportOptions) {
        const query = parseOptions(accountsReportQuery, { ...options });
        await withServices(async ({ services, workspaceId }) => {
          const answer = await services.transactions.accountsReport(workspaceId, query);
          if (options.json === true) {
            processOutput.out(JSON.stringify(answer, null, 2));
            return;
          }
          printListing(processOutput, {
            items: answer.days,
            json: false,
            empty: 'No payments, refunds or failed tries in these days.',
            header: [
              'DAY',
              'ACCOUNT',
              'MODE',
              'CURRENCY',
              'PAYMENTS',
              'VOLUME',
              'REFUNDS',
              'SUCCESS',
              'FAILOVERS',
              'TOP ERRORS',
            ],
            row: accountDayRow,
          });
        });
      }),
    );
}
