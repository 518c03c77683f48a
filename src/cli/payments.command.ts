import type { Command } from 'commander';
import { formatMoney } from '../catalog/money.js';
import type { RefundView } from '../checkout/orders.service.js';
import { AppError, type FieldProblem, isAppError } from '../errors.js';
import type { Services } from '../services.js';
import { processOutput, runCommand } from './run-command.js';
import { withServices } from './with-services.js';

interface RefundOptions {
  amount?: string;
  reason?: string;
  refund?: string;
  json?: boolean;
}

function parseRefundFlags(options: RefundOptions): { amount?: number; reason?: string } {
  const problems: string[] = [];
  let amount: number | undefined;
  if (options.amount !== undefined) {
    if (/^\d+$/.test(options.amount) && Number(options.amount) >= 1) {
      amount = Number(options.amount);
    } else {
      problems.push(
        `--amount: got "${options.amount}", needs a whole number of minor units, at least 1 (e.g. 1000 for $10.00).`,
      );
    }
  }
  const reason = options.reason?.trim();
  if (reason !== undefined && reason.length > 500) {
    problems.push(`--reason: got ${reason.length} characters, needs at most 500.`);
  }
  if (problems.length > 0) throw new AppError('validation_failed', problems.join('\n'));
  return {
    ...(amount === undefined ? {} : { amount }),
    ...(reason ? { reason } : {}),
  };
}

/** The service names API fields and API routes; here they are flags and commands. */
function inCliWords(error: unknown, paymentId: string): unknown {
  if (!isAppError(error)) return error;
  if (error.code === 'not_found') {
    return new AppError(
      'not_found',
      `Payment ${paymentId} does not exist. "switchyard orders show <order id>" lists an order's payments.`,
      null,
      { cause: error },
    );
  }
  const fields = (error.details as { fields?: FieldProblem[] } | null)?.fields;
  if (error.code === 'validation_failed' && fields) {
    return new AppError(
      'validation_failed',
      fields.map((problem) => `--${problem.field}: ${problem.message}.`).join('\n'),
      { fields: fields.map((problem) => ({ ...problem, field: `--${problem.field}` })) },
      { cause: error },
    );
  }
  return error;
}

/** What is left to refund on the payment, when its order can be read (payment ids start with it). */
async function leftToRefund(
  services: Services,
  workspaceId: string,
  paymentId: string,
): Promise<string | null> {
  const orderId = paymentId.split('.')[0] ?? '';
  const order = await services.orders.showOrder(workspaceId, orderId).catch(() => null);
  const payment = order?.payments.find((candidate) => candidate.id === paymentId);
  return payment ? formatMoney(payment.amount - payment.refunded, payment.currency) : null;
}

function describeRefund(refund: RefundView, paymentId: string, left: string | null): string {
  const lines = [
    `Refunded ${formatMoney(refund.amount, refund.currency)} of payment ${paymentId} on account ${refund.account}.`,
    `  Stripe refund: ${refund.stripeRefundId ?? '(none)'}, ${refund.status}`,
  ];
  if (refund.reason) lines.push(`  Reason:        ${refund.reason}`);
  if (left !== null) lines.push(`  Left to refund on this payment: ${left}`);
  return lines.join('\n');
}

/** `switchyard payments refund`: money back, always on the account that took the payment. */
export function registerPaymentsCommand(program: Command): void {
  const payments = program.command('payments').description('refund payments');

  payments
    .command('refund')
    .description('refund a payment, in full or in part, on the Stripe account that took it')
    .argument('<paymentId>', 'the payment, as "switchyard orders show" prints it')
    .option(
      '--amount <n>',
      'how much, in minor units (1000 is $10.00); without it, all that is left to refund',
    )
    .option('--reason <text>', 'why, kept with the refund (at most 500 characters)')
    .option(
      '--refund <id>',
      'send this unsure refund again (rfd_…, as "switchyard orders show" prints it): matched at Stripe, never made twice',
    )
    .option('--json', 'print {refund} as JSON, for scripts')
    .action(
      runCommand(async function refundPayment(paymentId: string, options: RefundOptions) {
        const flags = parseRefundFlags(options);
        await withServices(
          async ({ services, workspaceId, actor }) => {
            let refund: RefundView;
            try {
              refund = await services.orders.refundPayment({
                workspaceId,
                paymentId,
                amount: flags.amount,
                reason: flags.reason,
                refundId: options.refund,
                actor,
              });
            } catch (error) {
              throw inCliWords(error, paymentId);
            }
            if (options.json === true) {
              processOutput.out(JSON.stringify({ refund }, null, 2));
              return;
            }
            const left = await leftToRefund(services, workspaceId, paymentId);
            processOutput.out(describeRefund(refund, paymentId, left));
          },
          { callsStripe: true },
        );
      }),
    );
}
