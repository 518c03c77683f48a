import type { Command } from 'commander';
import { z } from 'zod';
import { formatMoney } from '../catalog/money.js';
import {
  isUnsettledRefund,
  stripeFailureText,
  unsettledRefundSentences,
} from '../checkout/order-words.js';
import type {
  OrderDetail,
  OrderPage,
  OrderSummary,
  PaymentView,
} from '../checkout/orders.service.js';
import type { OrderStatus } from '../db/schema.js';
import { AppError, type FieldProblem, isAppError } from '../errors.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';
import { formatRows, printListing } from './table.js';
import { withServices } from './with-services.js';

interface ListOptions {
  account?: string;
  status?: string;
  funnel?: string;
  email?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

const orderStatuses = [
  'open',
  'paid',
  'partially_refunded',
  'refunded',
] as const satisfies readonly OrderStatus[];

/** A plain date means its first moment in UTC, so `--from 2026-11-01` reads as people mean it. */
const cliTime = z
  .string()
  .transform((value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value))
  .pipe(z.iso.datetime({ offset: true }))
  .transform((time) => new Date(time).toISOString());

/** Each flag of `orders list`: its check, and what to pass when the check fails. */
const listFlags = {
  account: { schema: z.string().regex(/^[a-z0-9-]{1,40}$/), needs: 'an account handle, e.g. us' },
  status: { schema: z.enum(orderStatuses), needs: `one of ${orderStatuses.join(', ')}` },
  funnel: { schema: z.string().regex(/^[a-z0-9-]{1,40}$/), needs: 'a funnel slug, e.g. launch' },
  email: {
    schema: z.string().trim().min(1).max(320),
    needs: "the buyer's email, e.g. ana@example.com",
  },
  from: { schema: cliTime, needs: 'an ISO 8601 time or date, e.g. 2026-11-01T00:00:00Z' },
  to: { schema: cliTime, needs: 'an ISO 8601 time or date, e.g. 2026-12-01' },
  limit: {
    schema: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(1).max(200)),
    needs: 'a whole number from 1 to 200',
  },
  cursor: { schema: z.string().min(1).max(500), needs: 'the cursor the last page printed' },
} as const;

type ListQuery = {
  [Flag in keyof typeof listFlags]?: z.output<(typeof listFlags)[Flag]['schema']>;
};

/** Checks every given flag, and names each bad one with what it got and what it needs. */
function parseListFlags(options: ListOptions): ListQuery {
  const query: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [flag, rule] of Object.entries(listFlags)) {
    const value = options[flag as keyof typeof listFlags];
    if (value === undefined) continue;
    const parsed = rule.schema.safeParse(value);
    if (parsed.success) query[flag] = parsed.data;
    else problems.push(`--${flag}: got "${value}", needs ${rule.needs}.`);
  }
  if (problems.length > 0) {
    throw new AppError('validation_failed', problems.join('\n'), {
      fields: Object.keys(listFlags)
        .filter((flag) => problems.some((problem) => problem.startsWith(`--${flag}:`)))
        .map((flag) => ({ field: `--${flag}`, message: listFlags[flag as keyof ListQuery].needs })),
    });
  }
  return query as ListQuery;
}

function problemFields(error: AppError): string[] {
  const fields = (error.details as { fields?: FieldProblem[] } | null)?.fields ?? [];
  return fields.map((problem) => problem.field);
}

function money(amount: number, currency: string | null): string {
  return currency ? formatMoney(amount, currency) : '-';
}

function orderRow(order: OrderSummary): string[] {
  const refunded = order.refunded > 0 ? ` (${money(order.refunded, order.currency)} refunded)` : '';
  return [
    order.id,
    order.createdAt,
    order.funnel,
    order.status,
    order.email,
    `${money(order.paid, order.currency)}${refunded}`,
    order.accounts.join(',') || '-',
  ];
}

/** The same `orders list` with the same filters, one page further. */
function nextPageCommand(options: ListOptions, cursor: string): string {
  const flags = (['account', 'status', 'funnel', 'email', 'from', 'to', 'limit'] as const).flatMap(
    (flag) => (options[flag] === undefined ? [] : [`--${flag} ${options[flag]}`]),
  );
  return ['switchyard orders list', ...flags, `--cursor ${cursor}`].join(' ');
}

function paymentLines(payment: PaymentView): string[] {
  const refunded =
    payment.refunded > 0 ? `, ${formatMoney(payment.refunded, payment.currency)} refunded` : '';
  const lines = [
    `Payment ${payment.id}: ${payment.kind} on ${payment.account ?? '(no account yet)'}, ${payment.status}`,
    `  Amount:         ${formatMoney(payment.amount, payment.currency)}${refunded}`,
    `  Buys:           ${payment.lines.map((line) => `${line.name} ${line.price}${line.bump ? ' (bump)' : ''}`).join(', ') || '-'}`,
    `  Step:           ${payment.step}${payment.parent ? `, continues ${payment.parent}` : ''}`,
    `  PaymentIntent:  ${payment.paymentIntent ?? '(none yet)'}`,
  ];
  if (payment.subscription) lines.push(`  Subscription:   ${payment.subscription}`);
  if (payment.failureMessage) lines.push(`  Last failure:   ${payment.failureMessage}`);
  lines.push('  Routing:');
  const explanation = payment.decision?.explanation ?? [];
  if (explanation.length === 0) lines.push('    (no decision recorded yet)');
  for (const line of explanation) lines.push(`    ${line}`);
  lines.push('  Attempts (making the PaymentIntent on an account):');
  if (payment.attempts.length === 0) lines.push('    (none)');
  const attemptRows = payment.attempts.flatMap((attempt) => {
    const row = [
      `    #${attempt.number}`,
      attempt.account,
      attempt.status,
      attempt.paymentIntentId ?? '-',
      attempt.latencyMs === null ? '-' : `${attempt.latencyMs} ms`,
      attempt.status === 'failed' ? stripeFailureText(attempt) : '',
    ];
    // One request is the attempt itself; retries and resends are listed under it.
    if (attempt.tries.length <= 1) return [row];
    return [
      row,
      ...attempt.tries.map((tried) => [
        `      try ${tried.number}`,
        '',
        tried.outcome,
        '',
        `${tried.latencyMs} ms`,
        tried.outcome === 'failed' ? stripeFailureText(tried) : '',
      ]),
    ];
  });
  lines.push(...formatRows(attemptRows));
  lines.push('  Charges (what the card did):');
  if (payment.charges.length === 0) lines.push('    (none yet)');
  const chargeRows = payment.charges.map((charge) => [
    `    ${charge.outcome}`,
    charge.chargeId ?? '-',
    [charge.stripeCode, charge.declineCode, charge.message]
      .filter((part) => part !== null && part !== '')
      .join(', '),
  ]);
  lines.push(...formatRows(chargeRows));
  if (payment.refunds.length > 0) {
    lines.push('  Refunds:');
    const refundRows = payment.refunds.map((refund) => [
      `    ${refund.id}`,
      formatMoney(refund.amount, refund.currency),
      `on ${refund.account}`,
      refund.status,
      refund.stripeRefundId ?? '-',
      `by ${refund.actor}`,
      refund.createdAt,
      refund.reason ?? '',
    ]);
    lines.push(...formatRows(refundRows));
    for (const refund of payment.refunds.filter(isUnsettledRefund)) {
      lines.push(
        `    ${refund.id}: ${unsettledRefundSentences[0]}`,
        `      ${unsettledRefundSentences[1]}`,
        `      To settle it, run "switchyard payments refund ${payment.id} --refund ${refund.id}".`,
      );
    }
  }
  return lines;
}

function orderDetails(order: OrderDetail): string {
  const refunded = order.refunded > 0 ? `, ${money(order.refunded, order.currency)} refunded` : '';
  const lines = [
    `Order ${order.id}: ${order.status}, ${money(order.paid, order.currency)} paid${refunded}`,
    `  Funnel:   ${order.funnel} (${order.mode} mode)`,
    `  Buyer:    ${order.name ? `${order.name} <${order.email}>` : order.email}, ${order.country}`,
    `  Created:  ${order.createdAt}`,
    `  Accounts: ${order.accounts.join(', ') || '(none yet)'}`,
  ];
  if (order.payments.length === 0)
    lines.push('', 'No payments yet: the buyer has not reached the card form.');
  for (const payment of order.payments) lines.push('', ...paymentLines(payment));
  return lines.join('\n');
}

async function showOrderWith(output: CommandOutput, id: string, json: boolean): Promise<void> {
  await withServices(async ({ services, workspaceId }) => {
    let order: OrderDetail;
    try {
      order = await services.orders.showOrder(workspaceId, id);
    } catch (error) {
      if (isAppError(error) && error.code === 'not_found') {
        throw new AppError(
          'not_found',
          `Order ${id} does not exist. "switchyard orders list" shows the orders.`,
          null,
          { cause: error },
        );
      }
      throw error;
    }
    output.out(json ? JSON.stringify({ order }, null, 2) : orderDetails(order));
  });
}

/** `switchyard orders …`: what buyers ordered, each payment's account, and why it was chosen. */
export function registerOrdersCommand(program: Command): void {
  const orders = program
    .command('orders')
    .description('list orders and show their payments, attempts, routing decisions and refunds');

  orders
    .command('list')
    .description('list orders, newest first, a page at a time')
    .option('--account <handle>', 'only orders with a payment on this account')
    .option('--status <status>', `only orders in this status: ${orderStatuses.join(', ')}`)
    .option('--funnel <slug>', 'only orders from this funnel')
    .option('--email <email>', 'only orders of the buyer with this email')
    .option('--from <time>', 'only orders made at or after this ISO time or date')
    .option('--to <time>', 'only orders made before this ISO time or date')
    .option('--limit <n>', 'orders per page, 1 to 200 (default 50)')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print {orders, nextCursor} as JSON, for scripts')
    .action(
      runCommand(async function listOrders(options: ListOptions) {
        const query = parseListFlags(options);
        await withServices(async ({ services, workspaceId }) => {
          let page: OrderPage;
          try {
            page = await services.orders.listOrders(workspaceId, query);
          } catch (error) {
            if (isAppError(error) && problemFields(error).includes('cursor')) {
              throw new AppError(
                'validation_failed',
                `--cursor: got "${options.cursor}", needs the cursor the last page printed.`,
                null,
                { cause: error },
              );
            }
            throw error;
          }
          if (options.json === true) {
            processOutput.out(JSON.stringify(page, null, 2));
            return;
          }
          const filtered = ['account', 'status', 'funnel', 'email', 'from', 'to', 'cursor'].some(
            (flag) => options[flag as keyof ListOptions] !== undefined,
          );
          printListing(processOutput, {
            items: page.orders,
            json: false,
            empty: filtered
              ? 'No orders match these filters.'
              : 'No orders yet. An order starts when a buyer sends the contact form of a funnel (/f/<funnel>).',
            header: ['ID', 'CREATED', 'FUNNEL', 'STATUS', 'EMAIL', 'PAID', 'ACCOUNTS'],
            row: orderRow,
          });
          if (page.nextCursor) {
            processOutput.out(`\nMore orders: ${nextPageCommand(options, page.nextCursor)}`);
          }
        });
      }),
    );

  orders
    .command('show')
    .description(
      'show an order: each payment, its account, the routing explanation, every attempt and refund',
    )
    .argument('<id>', 'the order id (ord_…)')
    .option('--json', 'print the order as JSON')
    .action(
      runCommand(async function showOrder(id: string, options: { json?: boolean }) {
        await showOrderWith(processOutput, id, options.json === true);
      }),
    );
}
