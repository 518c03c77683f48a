import type { Command } from 'commander';
import { formatMoney } from '../catalog/money.js';
import type { UnrecordedPayment } from '../checkout/unrecorded-payments.js';
import { AppError } from '../errors.js';
import { processOutput, runCommand } from './run-command.js';
import { withServices } from './with-services.js';

const states = ['open', 'adopted', 'explained'] as const;

function describeUnrecorded(one: UnrecordedPayment): string {
  return [
    `${one.paymentIntentId}  ${one.account} (${one.mode})  ${formatMoney(one.amount, one.currency)}  ${one.stripeStatus} at Stripe  ${one.state}`,
    `  made ${one.stripeCreatedAt}, found ${one.foundAt}${one.orderId ? `, order ${one.orderId}` : ''}`,
    `  ${one.reason}${one.resolvedBy ? ` (${one.resolvedBy}, ${one.resolvedAt})` : ''}`,
  ].join('\n');
}

/** `switchyard unrecorded`: PaymentIntents at Stripe with our metadata and no payment here. */
export function registerUnrecordedCommand(program: Command): void {
  const unrecorded = program
    .command('unrecorded')
    .description(
      "PaymentIntents at Stripe with Switchyard's metadata and no payment here (found hourly by reconcile_unrecorded)",
    );

  unrecorded
    .command('list')
    .description('the open ones, or those in --state')
    .option('--state <state>', 'open (default), adopted or explained')
    .option('--json', 'print {unrecordedPayments} as JSON, for scripts')
    .action(
      runCommand(async function listUnrecorded(options: { state?: string; json?: boolean }) {
        const state = options.state ?? 'open';
        if (!(states as readonly string[]).includes(state)) {
          throw new AppError(
            'validation_failed',
            `--state: got "${state}", needs open, adopted or explained.`,
          );
        }
        await withServices(async ({ services, workspaceId }) => {
          const found = await services.unrecordedPayments.list(workspaceId, {
            state: state as UnrecordedPayment['state'],
          });
          if (options.json === true) {
            processOutput.out(JSON.stringify({ unrecordedPayments: found }, null, 2));
            return;
          }
          processOutput.out(
            found.length === 0
              ? `No ${state} unrecorded payments.`
              : found.map(describeUnrecorded).join('\n'),
          );
        });
      }),
    );

  unrecorded
    .command('explain')
    .description('close one that cannot be adopted, with why it stands (kept with it)')
    .argument(
      '<paymentIntentId>',
      'the PaymentIntent (pi_…), as "switchyard unrecorded list" shows it',
    )
    .requiredOption('--note <text>', 'why, e.g. "refunded by hand in the dashboard"')
    .action(
      runCommand(async function explainUnrecorded(
        paymentIntentId: string,
        options: { note: string },
      ) {
        const note = options.note.trim();
        if (note.length === 0 || note.length > 1000) {
          throw new AppError(
            'validation_failed',
            `--note: got ${note.length} characters, needs 1 to 1000 saying why it stands.`,
          );
        }
        await withServices(async ({ services, workspaceId, actor }) => {
          const explained = await services.unrecordedPayments.explain({
            workspaceId,
            paymentIntentId,
            note,
            actor,
          });
          processOutput.out(describeUnrecorded(explained));
        });
      }),
    );
}
