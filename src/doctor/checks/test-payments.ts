import { formatMoney } from '../../catalog/money.js';
import type { UnrecordedPayments } from '../../checkout/unrecorded-payments.js';
import type { TestPayments } from '../../operations/test-payments.js';
import type { DoctorCheck } from '../check.js';
import { type Finding, fail, pass, warn } from '../finding.js';

/** A test payment older than this says nothing of the account today. */
const staleAfterMs = 48 * 60 * 60 * 1000;
/** The unrecorded payments one finding names; the rest are counted. */
const namedAtMost = 10;

/**
 * Maintenance, from what Switchyard keeps (no Stripe call): the latest test payment of each
 * account and mode, how old it is, and the PaymentIntents at Stripe with our metadata that no
 * payment here holds.
 */
export function createTestPaymentChecks(deps: {
  testPayments: Pick<TestPayments, 'latest'>;
  unrecordedPayments: Pick<UnrecordedPayments, 'list'>;
  testPaymentMinutes: number;
}): DoctorCheck {
  return {
    name: 'test payments',
    scope: 'account',
    codes: ['test_payment_failed', 'test_payment_stale', 'unrecorded_payments'],
    callsStripe: false,
    async run({ workspaceId, now, account, mode }) {
      if (!account || !mode) return [];
      const scope = { account: account.handle, mode };
      const again = `switchyard test-payment ${account.handle} --mode ${mode}`;
      const findings: Finding[] = [];

      const latest = await deps.testPayments.latest(account.accountId, mode);
      if (latest?.outcome === 'failed') {
        findings.push(
          fail(
            'test_payment_failed',
            scope,
            `The latest test payment (${latest.id}, ${latest.startedAt}) failed: ${latest.errorCode ?? 'error'}: ${latest.errorMessage ?? ''}${latest.requestId ? ` (Stripe request ${latest.requestId})` : ''}`,
            `Mend what Stripe says (a rejected or expired key: \`switchyard accounts keys ${account.handle}\`; a missing permission: add it to the restricted key in Stripe's dashboard, Developers > API keys), then run \`${again}\`.`,
          ),
        );
      } else {
        findings.push(
          pass(
            'test_payment_failed',
            scope,
            latest
              ? `The latest test payment (${latest.id}, ${latest.startedAt}) succeeded in ${latest.latencyMs ?? 0} ms.`
              : 'No test payment has run yet (see test_payment_stale).',
          ),
        );
      }

      if (!account.enabled) {
        findings.push(
          pass(
            'test_payment_stale',
            scope,
            'The account is disabled: it takes no payments, and the test_payments job leaves it out.',
          ),
        );
      } else if (!latest || now.getTime() - Date.parse(latest.startedAt) > staleAfterMs) {
        findings.push(
          warn(
            'test_payment_stale',
            scope,
            latest
              ? `No test payment in the last 48 h: the latest ran at ${latest.startedAt}.`
              : 'No test payment has run on this account and mode yet.',
            `Run \`${again}\`. The test_payments job makes one every JOB_TEST_PAYMENT_MINUTES (now ${deps.testPaymentMinutes}) in an instance where JOBS is on.`,
          ),
        );
      } else {
        findings.push(
          pass('test_payment_stale', scope, `The latest test payment ran at ${latest.startedAt}.`),
        );
      }

      const open = await deps.unrecordedPayments.list(workspaceId, {
        state: 'open',
        accountId: account.accountId,
        mode,
      });
      if (open.length === 0) {
        findings.push(
          pass(
            'unrecorded_payments',
            scope,
            "Every PaymentIntent found at Stripe with Switchyard's metadata is recorded here.",
          ),
        );
      } else {
        const named = open
          .slice(0, namedAtMost)
          .map(
            (one) =>
              `${one.paymentIntentId} ${formatMoney(one.amount, one.currency)} (${one.stripeStatus}): ${one.reason}`,
          );
        const more = open.length > namedAtMost ? ` And ${open.length - namedAtMost} more.` : '';
        findings.push(
          fail(
            'unrecorded_payments',
            scope,
            `${open.length} PaymentIntent${open.length === 1 ? '' : 's'} at Stripe with Switchyard's metadata and no payment here: ${named.join('; ')}.${more}`,
            'Open each in Stripe\'s dashboard (Payments); refund or cancel it there if it should not stand, then record why with `switchyard unrecorded explain <PaymentIntent id> --note "…"`. `switchyard unrecorded list` shows them all.',
          ),
        );
      }
      return findings;
    },
  };
}
