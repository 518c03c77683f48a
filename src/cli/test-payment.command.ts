import type { Command } from 'commander';
import { AppError, type FieldProblem, isAppError } from '../errors.js';
import type { TestPayment } from '../operations/test-payments.js';
import { processOutput, runCommand } from './run-command.js';
import { withServices } from './with-services.js';

interface TestPaymentOptions {
  mode?: string;
  json?: boolean;
}

function parseMode(options: TestPaymentOptions): 'test' | 'live' {
  const mode = options.mode ?? 'test';
  if (mode === 'test' || mode === 'live') return mode;
  throw new AppError('validation_failed', `--mode: got "${mode}", needs test or live.`, {
    fields: [{ field: '--mode', message: 'test or live' }],
  });
}

function parseHandle(handle: string): string {
  if (/^[a-z0-9-]{1,40}$/.test(handle)) return handle;
  throw new AppError(
    'validation_failed',
    `<handle>: got "${handle.slice(0, 60)}", needs an account's handle: 1 to 40 lowercase letters, digits or "-" (e.g. us).`,
    { fields: [{ field: '<handle>', message: 'an account handle' }] },
  );
}

/** The service names API fields; here they are flags. */
function inCliWords(error: unknown): unknown {
  const fields = isAppError(error)
    ? (error.details as { fields?: FieldProblem[] } | null)?.fields
    : undefined;
  if (!isAppError(error) || error.code !== 'validation_failed' || !fields) return error;
  return new AppError(
    'validation_failed',
    fields.map((problem) => `--${problem.field}: ${problem.message}.`).join('\n'),
    { fields: fields.map((problem) => ({ ...problem, field: `--${problem.field}` })) },
    { cause: error },
  );
}

export function describeTestPayment(run: TestPayment): string {
  const took = run.latencyMs === null ? '' : ` in ${run.latencyMs} ms`;
  const lines = [`Test payment ${run.id} on ${run.account} (${run.mode}): ${run.outcome}${took}.`];
  if (run.paymentIntentId) {
    const what =
      run.mode === 'live'
        ? 'created and canceled, never confirmed: nothing was charged'
        : run.refundId
          ? `charged with Stripe's test card and refunded (${run.refundId})`
          : "charged with Stripe's test card";
    lines.push(`  PaymentIntent:  ${run.paymentIntentId}, ${what}`);
  }
  if (run.outcome === 'failed') {
    lines.push(`  Stripe said:    ${run.errorCode ?? 'error'}: ${run.errorMessage ?? ''}`);
  }
  if (run.requestId) lines.push(`  Stripe request: ${run.requestId}`);
  return lines.join('\n');
}

/** `switchyard test-payment <handle>`: one test payment now, kept with the scheduled ones. */
export function registerTestPaymentCommand(program: Command): void {
  program
    .command('test-payment')
    .description(
      "make a test payment on an account: test mode charges Stripe's test card and refunds it; live mode creates a PaymentIntent and cancels it, never charging",
    )
    .argument('<handle>', 'the account, as "switchyard accounts list" shows it')
    .option('--mode <mode>', 'test or live (default: test)')
    .option('--json', 'print {testPayment} as JSON, for scripts')
    .action(
      runCommand(async function runTestPayment(handle: string, options: TestPaymentOptions) {
        const mode = parseMode(options);
        parseHandle(handle);
        await withServices(
          async ({ services, workspaceId, actor }) => {
            let testPayment: TestPayment;
            try {
              testPayment = await services.testPayments.run({ workspaceId, handle, mode, actor });
            } catch (error) {
              throw inCliWords(error);
            }
            processOutput.out(
              options.json === true
                ? JSON.stringify({ testPayment }, null, 2)
                : describeTestPayment(testPayment),
            );
            // A failed test payment is a finding: scripts and cron see it in the exit code.
            if (testPayment.outcome !== 'succeeded') process.exitCode = 1;
          },
          { callsStripe: true },
        );
      }),
    );
}
