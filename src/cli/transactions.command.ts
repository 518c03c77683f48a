import type { Command } from 'commander';
import { formatMoney } from '../catalog/money.js';
import { AppError, isAppError } from '../errors.js';
import {
  transactionKinds,
  transactionOutcomes,
  transactionQuery,
} from '../transactions/transactions.schema.js';
import type { TransactionView } from '../transactions/transactions.service.js';
import { parseOptions } from './options.js';
import { processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

interface ListOptions {
  account?: string;
  outcome?: string;
  kind?: string;
  error?: string;
  funnel?: string;
  mode?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

const filterFlags = [
  'account',
  'outcome',
  'kind',
  'error',
  'funnel',
  'mode',
  'from',
  'to',
] as const;

function codeOf(entry: TransactionView): string {
  return [entry.errorCode, entry.declineCode].filter((code) => code !== null).join('/') || '-';
}

function transactionRow(entry: TransactionView): string[] {
  return [
    entry.at,
    entry.entry,
    entry.kind,
    entry.account ?? '-',
    formatMoney(entry.amount, entry.currency),
    entry.outcome,
    codeOf(entry),
    entry.latencyMs === null ? '-' : `${entry.latencyMs} ms`,
    entry.requestId ?? '-',
    entry.payment,
    entry.routing?.reason ?? '-',
  ];
}

/** The same `transactions list` with the same filters, one page further. */
function nextPageCommand(options: ListOptions, cursor: string): string {
  const flags = [...filterFlags, 'limit' as const].flatMap((flag) =>
    options[flag] === undefined ? [] : [`--${flag} ${options[flag]}`],
  );
  return ['switchyard transactions list', ...flags, `--cursor ${cursor}`].join(' ');
}

/** `switchyard transactions list`: every attempt, charge and refund, what Stripe said, and why. */
export function registerTransactionsCommand(program: Command): void {
  const transactions = program
    .command('transactions')
    .description('the transaction log: every payment attempt, card charge and refund');

  transactions
    .command('list')
    .description('list attempts, charges and refunds, newest first, a page at a time')
    .option('--account <handle>', 'only on this account')
    .option('--outcome <outcome>', `only with this outcome: ${transactionOutcomes.join(', ')}`)
    .option('--kind <kind>', `only of this kind: ${transactionKinds.join(', ')}`)
    .option('--error <code>', 'only with this Stripe error or decline code (e.g. card_declined)')
    .option('--funnel <slug>', 'only from this funnel')
    .option('--mode <mode>', 'only in this mode: test or live')
    .option('--from <time>', 'only at or after this ISO time or day (UTC)')
    .option('--to <time>', 'only before this ISO time or day (UTC)')
    .option('--limit <n>', 'entries per page, 1 to 200 (default 50)')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print {transactions, nextCursor} as JSON, for scripts')
    .action(
      runCommand(async function listTransactions(options: ListOptions) {
        const query = parseOptions(transactionQuery, { ...options });
        await withServices(async ({ services, workspaceId }) => {
          const page = await services.transactions
            .listTransactions(workspaceId, query)
            .catch((error: unknown) => {
              if (isAppError(error) && error.code === 'validation_failed') {
                throw new AppError(
                  'validation_failed',
                  `--cursor: got "${options.cursor}", needs the cursor the last page printed.`,
                  { fields: [{ field: '--cursor', message: 'the cursor the last page printed' }] },
                  { cause: error },
                );
              }
              throw error;
            });
          if (options.json === true) {
            processOutput.out(JSON.stringify(page, null, 2));
            return;
          }
          const filtered = [...filterFlags, 'cursor' as const].some(
            (flag) => options[flag] !== undefined,
          );
          printListing(processOutput, {
            items: page.transactions,
            json: false,
            empty: filtered
              ? 'No transactions match these filters.'
              : 'No transactions yet. The first appears when a buyer reaches the card form of a funnel (/f/<funnel>).',
            header: [
              'TIME',
              'ENTRY',
              'KIND',
              'ACCOUNT',
              'AMOUNT',
              'OUTCOME',
              'CODE',
              'LATENCY',
              'REQUEST',
              'PAYMENT',
              'ROUTED BY',
            ],
            row: transactionRow,
          });
          if (page.nextCursor) {
            processOutput.out(`\nMore: ${nextPageCommand(options, page.nextCursor)}`);
          }
        });
      }),
    );
}
