import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { scrubSecrets } from '../alerts/scrub.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError, isAppError } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { OAuthGrant, StripeGateway } from '../stripe/gateway.js';
import {
  type AccountsService,
  type AccountView,
  refuseReservedHandle,
} from './accounts.service.js';
import {
  findOAuthState,
  insertConnectCallbackFailure,
  insertOAuthState,
  type OAuthState,
  useOAuthState,
} from './connect.repository.js';
import type { Vault } from './vault.js';

/** What a callback revealed on its way, for the record of a failed one. */
interface CallbackSeen {
  state?: OAuthState | undefined;
  stripeError?: string;
}

/** How long an authorize link stays good. */
const stateLifetimeMs = 10 * 60 * 1000;

export type ConnectOutcome =
  | 'connected'
  | 'denied'
  | 'state_invalid'
  | 'state_expired'
  | 'state_replayed'
  | 'code_rejected'
  | 'failed';

export interface ConnectResult {
  outcome: ConnectOutcome;
  /** What the page says, in the merchant's words. */
  message: string;
  account: AccountView | null;
  warnings: string[];
}

/** The callback's query: Stripe sends a code, or an error such as access_denied. */
export interface ConnectCallback {
  state?: string | undefined;
  code?: string | undefined;
  error?: string | undefined;
  errorDescription?: string | undefined;
}

/** "Connect with Stripe" (OAuth) for accounts connected without pasting keys. */
export interface ConnectService {
  /** Where Stripe sends the merchant back. */
  callbackUrl: string;
  /** The Stripe authorize URL to send the merchant to. */
  startConnect(input: { workspaceId: string; handle: string; actor: string }): Promise<string>;
  /** Stripe sent the merchant back: the outcome says in words what became of the account. */
  completeConnect(query: ConnectCallback): Promise<ConnectResult>;
}

export interface ConnectDependencies {
  db: Kysely<Database>;
  gateway: StripeGateway;
  vault: Vault;
  clock: Clock;
  logger: Logger;
  accounts: AccountsService;
  connect: Config['stripeConnect'];
  publicUrl: string;
}

/**
 * "Connect with Stripe" (OAuth): a signed, single-use state that expires in ten minutes carries
 * the handle from the start of the flow to Stripe's callback.
 */
export function createConnectService(deps: ConnectDependencies): ConnectService {
  const { db, gateway, vault, clock, accounts, publicUrl } = deps;

  function requireConfigured() {
    if (!deps.connect) {
      throw new AppError(
        'not_found',
        '"Connect with Stripe" is not configured. Set STRIPE_CONNECT_CLIENT_ID and STRIPE_CONNECT_SECRET_KEY (your Connect platform), or connect accounts with API keys.',
      );
    }
    return deps.connect;
  }

  function signedState(stateId: string): string {
    return `${stateId}.${vault.sign('oauth-state', stateId)}`;
  }

  function stateIdOf(state: string): string | null {
    const [stateId, signature] = state.split('.');
    if (!stateId || !signature) return null;
    const expected = Buffer.from(vault.sign('oauth-state', stateId));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given) ? stateId : null;
  }

  /** The callback's outcome; `seen` gathers the state and Stripe's error for the record. */
  async function finishConnect(query: ConnectCallback, seen: CallbackSeen): Promise<ConnectResult> {
    const connect = requireConfigured();
    const result = (outcome: ConnectOutcome, message: string): ConnectResult => ({
      outcome,
      message,
      account: null,
      warnings: [],
    });
    const stateId = query.state ? stateIdOf(query.state) : null;
    const state = stateId ? await findOAuthState(db, stateId) : undefined;
    seen.state = state;
    if (!stateId || !state) {
      return result(
        'state_invalid',
        'This link did not come from Switchyard, or was altered. Start connecting again from Switchyard.',
      );
    }
    if (state.usedAt !== null) {
      return result(
        'state_replayed',
        'This link was already used. If the account is not connected yet, start connecting again.',
      );
    }
    if (Date.parse(state.expiresAt) < clock().getTime()) {
      await useOAuthState(db, stateId, clock().toISOString());
      return result(
        'state_expired',
        'This link expired (links last 10 minutes). Start connecting again from Switchyard.',
      );
    }
    if (!(await useOAuthState(db, stateId, clock().toISOString()))) {
      return result(
        'state_replayed',
        'This link was already used. If the account is not connected yet, start connecting again.',
      );
    }
    if (query.error) {
      seen.stripeError = query.errorDescription
        ? `${query.error}: ${query.errorDescription}`
        : query.error;
      return result(
        'denied',
        query.error === 'access_denied'
          ? `Stripe says access was denied, so nothing was connected for "${state.handle}". Start again and choose Authorize to connect it.`
          : `Stripe answered "${query.error}"${query.errorDescription ? ` (${query.errorDescription})` : ''}; nothing was connected.`,
      );
    }
    if (!query.code) {
      return result(
        'code_rejected',
        'Stripe sent no authorization code back. Start connecting again.',
      );
    }
    let grant: OAuthGrant;
    try {
      grant = await gateway.exchangeOAuthCode({
        platformSecretKey: connect.secretKey,
        code: query.code,
      });
    } catch (error) {
      if (error instanceof StripeGatewayError) seen.stripeError = error.message;
      if (
        error instanceof StripeGatewayError &&
        (error.kind === 'oauth' || error.kind === 'invalid_request')
      ) {
        return result(
          'code_rejected',
          `Stripe rejected the authorization code (${error.message}). Codes work once and expire quickly: start connecting again.`,
        );
      }
      deps.logger.warn({ err: (error as Error).message }, 'OAuth code exchange failed');
      return result(
        'failed',
        'Stripe could not be reached to finish connecting. Start connecting again in a minute.',
      );
    }
    try {
      const saved = await accounts.connectWithGrant(
        state.workspaceId,
        { handle: state.handle, grant },
        state.actor,
      );
      return {
        outcome: 'connected',
        message: `Connected Stripe account ${saved.account.stripeAccountId} as "${state.handle}".`,
        account: saved.account,
        warnings: saved.warnings,
      };
    } catch (error) {
      if (isAppError(error)) return result('failed', error.message);
      throw error;
    }
  }

  const callbackUrl = `${publicUrl}/connect/stripe/callback`;

  return {
    callbackUrl,

    async startConnect(input) {
      const connect = requireConfigured();
      refuseReservedHandle(input.handle);
      const existing = await accounts.listAccounts(input.workspaceId);
      if (existing.some((account) => account.handle === input.handle)) {
        throw new AppError(
          'duplicate_handle',
          `The handle "${input.handle}" is taken. Pick another handle.`,
          {
            field: 'handle',
            handle: input.handle,
          },
        );
      }
      const now = clock();
      const stateId = newId('ost');
      await insertOAuthState(db, {
        stateId,
        workspaceId: input.workspaceId,
        handle: input.handle,
        actor: input.actor,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + stateLifetimeMs).toISOString(),
        usedAt: null,
      });
      const url = new URL(connect.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', connect.clientId);
      url.searchParams.set('scope', 'read_write');
      url.searchParams.set('redirect_uri', callbackUrl);
      url.searchParams.set('state', signedState(stateId));
      return url.toString();
    },

    async completeConnect(query) {
      const seen: CallbackSeen = {};
      const finished = await finishConnect(query, seen);
      // Stripe's refusal quotes the authorization code back ("…does not exist: ac_…"): a code
      // is a credential, so neither the page nor the record keeps it.
      const hidden = (text: string) => scrubSecrets(text, query.code ? [query.code] : []);
      const result = { ...finished, message: hidden(finished.message) };
      if (seen.stripeError !== undefined) seen.stripeError = hidden(seen.stripeError);
      if (result.outcome !== 'connected') {
        // The merchant sees the page either way; the record is for doctor, never worth a 500.
        await insertConnectCallbackFailure(db, {
          failureId: newId('ccf'),
          workspaceId: seen.state?.workspaceId ?? null,
          handle: seen.state?.handle ?? null,
          outcome: result.outcome,
          stripeError: seen.stripeError ?? null,
          message: result.message,
          occurredAt: clock().toISOString(),
        }).catch((error: unknown) => {
          deps.logger.warn({ err: (error as Error).message }, 'could not record a failed connect');
        });
      }
      return result;
    },
  };
}

/**
 * Revokes the platform's access to an account being removed; best effort. Apart from the
 * service, since removing an account needs it and connecting one needs the accounts.
 */
export function createGrantRevoker(
  deps: Pick<ConnectDependencies, 'gateway' | 'logger' | 'connect'>,
): (stripeUserId: string) => Promise<void> {
  return async function deauthorize(stripeUserId) {
    if (!deps.connect) return;
    try {
      await deps.gateway.deauthorizeAccount({
        platformSecretKey: deps.connect.secretKey,
        clientId: deps.connect.clientId,
        stripeUserId,
      });
    } catch (error) {
      deps.logger.warn(
        { account: stripeUserId, err: (error as Error).message },
        'could not deauthorize the OAuth grant at Stripe; revoke it in the dashboard',
      );
    }
  };
}
