import type { Kysely } from 'kysely';
import type { Account } from '../../accounts/accounts.repository.js';
import type { HealthService, ModeHealth } from '../../accounts/health.service.js';
import type { Mode } from '../../accounts/key-verification.js';
import type { CatalogService } from '../../catalog/catalog.service.js';
import type { Database } from '../../db/schema.js';
import type { RoutingConfig, Target } from '../../routing/index.js';
import type { RoutingConfigService } from '../../routing-config/routing-config.service.js';
import type { DoctorCheck } from '../check.js';
import { type Finding, type FindingScope, fail, pass, warn } from '../finding.js';
import { findLatestPaidAt, findRateLimitedTries, listStuckPayments } from './state.repository.js';

export interface StateDependencies {
  db: Kysely<Database>;
  health: Pick<HealthService, 'showHealth'>;
  routingConfig: Pick<RoutingConfigService, 'showActive'>;
  catalog: Pick<CatalogService, 'listFunnels'>;
  /** `no_recent_payment` warns when a routed-to account took nothing for this long. */
  quietAccountHours: number;
}

const hourMs = 60 * 60 * 1000;
/** A payment unchanged this long in a stuck status is stuck (reconciliation asks after 2). */
const stuckAfterMinutes = 15;

/**
 * What our own records say of each account and mode: its circuit breaker, Stripe's 429s, its
 * payments. No Stripe call.
 */
export function accountStateChecks(deps: StateDependencies): DoctorCheck {
  const { db, health, routingConfig, catalog } = deps;
  return {
    name: 'account state',
    scope: 'account',
    codes: ['circuit_open', 'rate_limited_recently', 'no_recent_payment', 'orders_stuck'],
    callsStripe: false,
    async run({ workspaceId, now, account, mode }) {
      if (!account || !mode) return [];
      const scope: FindingScope = { account: account.handle, mode };
      const place = `${account.handle} (${mode})`;
      const modeHealth = (await health.showHealth(workspaceId, account.handle)).modes[mode];
      const since = new Date(now.getTime() - hourMs).toISOString();
      const limited = await findRateLimitedTries(db, { accountId: account.accountId, mode, since });
      const stuck = await listStuckPayments(db, {
        accountId: account.accountId,
        mode,
        before: new Date(now.getTime() - stuckAfterMinutes * 60_000).toISOString(),
      });
      return [
        checkCircuit(scope, place, modeHealth),
        limited.count === 0
          ? pass(
              'rate_limited_recently',
              scope,
              `Stripe rate-limited no request on ${place} in the last hour.`,
            )
          : warn(
              'rate_limited_recently',
              scope,
              `Stripe answered 429 (rate limited) to ${limited.count} request${limited.count === 1 ? '' : 's'} of payments on ${place} in the last hour, the latest at ${limited.latestAt}${limited.latestRequestId ? ` (${limited.latestRequestId})` : ''}.`,
              `Switchyard sends a rate-limited request again; if it keeps happening, move some sales off ${account.handle} with a routing rule or priority ("switchyard config apply"), or ask Stripe support to raise the account's rate limit.`,
            ),
        await checkQuiet({
          scope,
          place,
          account,
          mode,
          now,
          document: (await routingConfig.showActive(workspaceId)).document,
          funnelModes: (await catalog.listFunnels(workspaceId)).map((funnel) => funnel.mode),
          latestPaidAt: () => findLatestPaidAt(db, { accountId: account.accountId, mode }),
          quietHours: deps.quietAccountHours,
        }),
        stuck.length === 0
          ? pass(
              'orders_stuck',
              scope,
              `No payment on ${place} has sat unsettled for ${stuckAfterMinutes} minutes.`,
            )
          : fail(
              'orders_stuck',
              scope,
              `${stuck.length} payment${stuck.length === 1 ? '' : 's'} on ${place} ${stuck.length === 1 ? 'has' : 'have'} not moved for over ${stuckAfterMinutes} minutes: ${stuck
                .slice(0, 10)
                .map(
                  (payment) =>
                    `${payment.paymentId} (${payment.status} since ${payment.updatedAt})`,
                )
                .join(', ')}${stuck.length > 10 ? `, and ${stuck.length - 10} more` : ''}.`,
              `Reconciliation asks Stripe about them on its own every RECONCILE_INTERVAL_SECONDS; if they stay, check that the server's reconciliation runs (its log) and that ${account.handle} answers (stripe_unreachable), then look at each with "switchyard orders show <order id>".`,
            ),
      ];
    },
  };
}

function checkCircuit(
  scope: FindingScope,
  place: string,
  modeHealth: ModeHealth | undefined,
): Finding {
  if (!modeHealth || modeHealth.breaker === 'closed') {
    return pass('circuit_open', scope, `The circuit breaker of ${place} is closed.`);
  }
  const latest = modeHealth.recentFailures[0];
  const why = latest
    ? ` The latest failure, at ${latest.at}: ${[
        latest.httpStatus === null ? 'no answer' : `HTTP ${latest.httpStatus}`,
        latest.stripeCode ?? latest.kind,
        latest.requestId,
        latest.message,
      ]
        .filter((part) => part !== null && part !== '')
        .join(', ')}.`
    : '';
  const fix = `New sales go to other accounts meanwhile. Mend what the failures say (see stripe_unreachable and key_rejected for ${scope.account}; "switchyard accounts show ${scope.account}" lists them); after the cooldown one payment is let through as a trial, and its success closes the breaker.`;
  if (modeHealth.breaker === 'half_open') {
    return warn(
      'circuit_open',
      scope,
      `The circuit breaker of ${place} opened at ${modeHealth.openedAt} and is half-open since ${modeHealth.trialAt}: the next payment is its trial; success closes it, failure opens it again.${why}`,
      fix,
    );
  }
  return fail(
    'circuit_open',
    scope,
    `The circuit breaker of ${place} is open since ${modeHealth.openedAt}, after ${modeHealth.consecutiveFailures} failed call${modeHealth.consecutiveFailures === 1 ? '' : 's'} in a row; it refuses payments until ${modeHealth.trialAt}.${why}`,
    fix,
  );
}

/** Routing sends new payments to the account: the primary, or named by a rule or a pin (or its split). */
function routedTo(document: RoutingConfig, account: Account, mode: Mode): boolean {
  const entry = document.accounts.find((one) => one.handle === account.handle);
  if (!entry?.enabled || entry.drain || !entry.modes.includes(mode)) return false;
  if (entry.role === 'primary') return true;
  const pins = [document.products, document.steps, document.funnels].flatMap(Object.values);
  return [...document.rules, ...pins].some((reference) => sendsTo(reference.use, account.handle));
}

/** The target is the account, or a split that gives it a share (weight 0 gets only overflow). */
function sendsTo(use: Target, handle: string): boolean {
  return typeof use === 'string'
    ? use === handle
    : use.split.some((share) => share.account === handle && share.weight > 0);
}

async function checkQuiet(input: {
  scope: FindingScope;
  place: string;
  account: Account;
  mode: Mode;
  now: Date;
  document: RoutingConfig;
  funnelModes: readonly Mode[];
  latestPaidAt: () => Promise<string | null>;
  quietHours: number;
}): Promise<Finding> {
  const { scope, place, account, mode, now, quietHours } = input;
  if (!input.funnelModes.includes(mode)) {
    return pass(
      'no_recent_payment',
      scope,
      `No funnel sells in ${mode} mode, so ${place} is not expected to take payments.`,
    );
  }
  if (!routedTo(input.document, account, mode)) {
    return pass(
      'no_recent_payment',
      scope,
      `Routing sends ${place} new payments only when it falls back to it (not the primary, named by no rule or pin, or disabled or draining).`,
    );
  }
  const quietSince = new Date(now.getTime() - quietHours * hourMs).toISOString();
  const latest = await input.latestPaidAt();
  if (latest !== null && latest >= quietSince) {
    return pass('no_recent_payment', scope, `${place} took a payment at ${latest}.`);
  }
  if (account.createdAt >= quietSince) {
    return pass(
      'no_recent_payment',
      scope,
      `${place} was connected at ${account.createdAt}, less than ${quietHours} h (QUIET_ACCOUNT_HOURS) ago.`,
    );
  }
  return warn(
    'no_recent_payment',
    scope,
    `Routing sends payments to ${place}, but it has taken none in ${quietHours} h (QUIET_ACCOUNT_HOURS); the last was ${latest === null ? 'never' : `at ${latest}`}.`,
    `Check that buyers reach its funnels and can pay: run "switchyard test-payment ${account.handle} --mode ${mode}", and "switchyard orders list --account ${account.handle}" for payments that failed.`,
  );
}
