import type { Kysely } from 'kysely';
import { listLiveAccounts } from '../../accounts/accounts.repository.js';
import { listConnectCallbackFailures } from '../../accounts/connect.repository.js';
import { maskSecret } from '../../accounts/vault.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { StripeGatewayError } from '../../stripe/errors.js';
import type { StripeGateway } from '../../stripe/gateway.js';
import type { DoctorCheck } from '../check.js';
import { fail, pass, warn, workspaceScope } from '../finding.js';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The Connect platform behind "Connect with Stripe": Stripe accepts its secret key and knows its
 * client id as that key's. Only when Connect is configured.
 */
export function connectPlatformCheck(deps: {
  config: Config;
  gateway: StripeGateway;
}): DoctorCheck {
  const { config, gateway } = deps;
  const timeoutMs = config.doctorTimeoutMs;
  const code = 'oauth_client_invalid';
  return {
    name: 'Connect platform',
    scope: 'workspace',
    codes: [code],
    callsStripe: true,
    async run({ signal }) {
      const connect = config.stripeConnect;
      if (!connect) {
        return [
          pass(
            code,
            workspaceScope,
            '"Connect with Stripe" is not configured (STRIPE_CONNECT_CLIENT_ID is unset): nothing to check.',
          ),
        ];
      }
      const masked = maskSecret(connect.secretKey);
      const restart = 'and restart Switchyard';
      try {
        const platform = await gateway.retrieveAccount({
          credentials: { secretKey: connect.secretKey },
          timeoutMs,
          signal,
        });
        const client = await gateway.checkOAuthClient({
          platformSecretKey: connect.secretKey,
          clientId: connect.clientId,
          timeoutMs,
          signal,
        });
        if (!client.known) {
          return [
            fail(
              code,
              workspaceScope,
              `Stripe refused the client id ${connect.clientId} with the platform ${platform.id}'s key: "${client.error}".`,
              `In Stripe's dashboard signed in to the platform ${platform.id}, copy the client id (Settings → Connect → Onboarding options → OAuth, ${masked.includes('_live_') ? 'live' : 'test'} mode), set STRIPE_CONNECT_CLIENT_ID to it ${restart}.`,
            ),
          ];
        }
        return [
          pass(
            code,
            workspaceScope,
            `Stripe accepts the Connect platform ${platform.id}'s key ${masked} and its client id ${connect.clientId}.`,
          ),
        ];
      } catch (error) {
        if (!(error instanceof StripeGatewayError)) throw error;
        if (error.kind === 'authentication' || error.kind === 'permission') {
          return [
            fail(
              code,
              workspaceScope,
              `Stripe refused the Connect platform's secret key ${masked} (STRIPE_CONNECT_SECRET_KEY): "${error.message}".`,
              `In Stripe's dashboard signed in to the platform, copy its secret key (Developers → API keys), set STRIPE_CONNECT_SECRET_KEY to it ${restart}.`,
            ),
          ];
        }
        return [
          warn(
            code,
            workspaceScope,
            `Not checked: asking Stripe about the Connect platform failed: ${error.networkCause ?? error.message}.`,
            'See stripe_unreachable; run `switchyard doctor` again.',
          ),
        ];
      }
    },
  };
}

/**
 * Failed "Connect with Stripe" returns of the last 24 h, with what the merchant was told; a
 * handle connected since its failure no longer counts.
 */
export function connectCallbacksCheck(deps: { db: Kysely<Database> }): DoctorCheck {
  const { db } = deps;
  const code = 'connect_callback_errors';
  return {
    name: 'Connect returns',
    scope: 'workspace',
    codes: [code],
    callsStripe: false,
    async run({ workspaceId, now }) {
      const [failures, accounts] = await Promise.all([
        listConnectCallbackFailures(db, {
          workspaceId,
          since: new Date(now.getTime() - dayMs).toISOString(),
        }),
        listLiveAccounts(db, workspaceId),
      ]);
      const open = failures.filter(
        (failure) =>
          !accounts.some(
            (account) =>
              account.handle === failure.handle && account.createdAt >= failure.occurredAt,
          ),
      );
      if (open.length === 0) {
        return [
          pass(
            code,
            workspaceScope,
            'No "Connect with Stripe" return failed in the last 24 h (or its handle is connected since).',
          ),
        ];
      }
      const shown = open
        .slice(0, 5)
        .map(
          (failure) =>
            `${failure.occurredAt} ${failure.handle ? `"${failure.handle}"` : '(no Switchyard link)'} ${failure.outcome}${failure.stripeError ? ` (Stripe: ${failure.stripeError})` : ''}: ${failure.message}`,
        );
      const more = open.length > shown.length ? ` …and ${open.length - shown.length} more.` : '';
      return [
        warn(
          code,
          workspaceScope,
          `${open.length} "Connect with Stripe" return(s) failed in the last 24 h: ${shown.join(' | ')}${more}`,
          'Run `switchyard accounts connect <handle>` again and finish within 10 minutes, signed in to the Stripe account, choosing Authorize. If Stripe refuses the code each time, see oauth_client_invalid.',
        ),
      ];
    },
  };
}
