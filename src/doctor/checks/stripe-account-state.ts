import type { Mode } from '../../accounts/key-verification.js';
import type { StripeGatewayError } from '../../stripe/errors.js';
import type { StripeAccountSummary } from '../../stripe/gateway.js';
import { type Finding, fail, pass, warn } from '../finding.js';

type Scope = { account: string; mode: Mode };

/** Stripe could not be reached, or answered 5xx or 429, reading the account. */
export function isUnreachable(error: StripeGatewayError): boolean {
  return (
    error.kind === 'connection' || error.kind === 'stripe_error' || error.kind === 'rate_limit'
  );
}

/** `stripe_unreachable` from how the account read failed (null: it was answered). */
export function connectionFinding(
  refusal: StripeGatewayError | null,
  scope: Scope,
  stripeAccountId: string,
): Finding {
  if (refusal?.kind === 'connection') {
    const cause = refusal.networkCause ?? refusal.message;
    return fail(
      'stripe_unreachable',
      scope,
      `Could not reach Stripe to read ${stripeAccountId}: ${cause}${refusal.timedOut ? ' (no answer within the timeout)' : ''}.`,
      "Check this server's DNS, outbound HTTPS to api.stripe.com (firewall, proxy) and its CA certificates and clock; https://status.stripe.com shows Stripe's own incidents. Then run `switchyard doctor` again.",
    );
  }
  if (refusal?.kind === 'stripe_error') {
    return fail(
      'stripe_unreachable',
      scope,
      `Stripe answered HTTP ${refusal.statusCode ?? '5xx'} reading ${stripeAccountId}: "${refusal.message}"${refusal.requestId ? ` (request ${refusal.requestId})` : ''}.`,
      'See https://status.stripe.com; run `switchyard doctor` again in a few minutes.',
    );
  }
  if (refusal?.kind === 'rate_limit') {
    return warn(
      'stripe_unreachable',
      scope,
      `Stripe answered 429 (too many requests) reading ${stripeAccountId}: "${refusal.message}".`,
      'Run `switchyard doctor` again in a minute; see rate_limited_recently if payments are limited too.',
    );
  }
  return pass('stripe_unreachable', scope, `Stripe answered for ${stripeAccountId}.`);
}

/** `charges_disabled`, `payouts_disabled` and `requirements_due`, in Stripe's own field names. */
export function accountStateFindings(
  state: StripeAccountSummary,
  scope: Scope,
  handle: string,
): Finding[] {
  const reason = state.disabledReason
    ? ` (requirements.disabled_reason: ${state.disabledReason})`
    : '';
  const dashboard = `Stripe's dashboard signed in to ${state.id}`;
  return [
    state.chargesEnabled
      ? pass('charges_disabled', scope, `Stripe has charges enabled on ${state.id}.`)
      : fail(
          'charges_disabled',
          scope,
          `Stripe has disabled charges on ${state.id}${reason}. New payments go to other accounts.`,
          `In ${dashboard}, provide what the banner on the home page asks for (see requirements_due); then run \`switchyard accounts verify ${handle}\`.`,
        ),
    state.payoutsEnabled
      ? pass('payouts_disabled', scope, `Stripe has payouts enabled on ${state.id}.`)
      : warn(
          'payouts_disabled',
          scope,
          `Stripe has disabled payouts on ${state.id}${reason}: payments still succeed, but the money stays in the Stripe balance.`,
          `In ${dashboard}, open Settings → Payouts: add or verify the bank account and provide what requirements_due lists.`,
        ),
    requirementsFinding(state, scope, dashboard),
  ];
}

function requirementsFinding(
  state: StripeAccountSummary,
  scope: Scope,
  dashboard: string,
): Finding {
  const { currentlyDue, pastDue, currentDeadline } = state.requirements;
  const deadline = currentDeadline ? `, current_deadline ${currentDeadline}` : '';
  const asked = [
    pastDue.length > 0 ? `past_due: ${pastDue.join(', ')}` : null,
    currentlyDue.length > 0 ? `currently_due: ${currentlyDue.join(', ')}` : null,
  ]
    .filter((part) => part !== null)
    .join('; ');
  const fix = `In ${dashboard}, provide them (the banner on the home page, or Settings → Business → Account details)${currentDeadline ? ` before ${currentDeadline}` : ''}.`;
  if (pastDue.length > 0) {
    return fail(
      'requirements_due',
      scope,
      `Stripe asks ${state.id} for information that is overdue: ${asked}${deadline}.`,
      fix,
    );
  }
  if (currentlyDue.length > 0) {
    return warn(
      'requirements_due',
      scope,
      `Stripe asks ${state.id} for: ${asked}${deadline}; unprovided, Stripe disables charges or payouts.`,
      fix,
    );
  }
  return pass(
    'requirements_due',
    scope,
    `Stripe asks ${state.id} for nothing now (currently_due and past_due are empty).`,
  );
}
