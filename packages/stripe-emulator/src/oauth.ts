import type { AccountRecord } from './accounts.js';
import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { oauthError } from './api-error.js';
import { parseForm } from './form.js';
import { escapeHtml, renderPage } from './html.js';

/*
 * Connect OAuth: the authorize page a merchant sees, and the token and deauthorize calls the
 * platform makes with its secret key. Errors use OAuth's `{error, error_description}` body,
 * which the SDK turns into its OAuth error classes.
 */

function readText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function requirePlatform(call: ApiCall, services: EmulatorServices): AccountRecord {
  const platform = services.accounts.findAccount(call.key.accountId);
  if (platform?.clientId == null || call.key.kind === 'publishable') {
    throw oauthError(
      'invalid_client',
      'The API key does not belong to a Connect platform. Use the platform secret key.',
      401,
    );
  }
  return platform;
}

function application(platform: AccountRecord): Record<string, unknown> {
  return { id: platform.clientId, object: 'application', name: platform.name };
}

export const oauthRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/oauth/token',
    handle: function exchangeToken(call, services): ResponseBody {
      const platform = requirePlatform(call, services);
      const grantType = readText(call.params.grant_type);
      if (grantType === 'refresh_token') {
        const token = readText(call.params.refresh_token) ?? '';
        const grant = services.accounts.findRefreshToken(token);
        const account =
          grant === undefined ? undefined : services.accounts.findAccount(grant.accountId);
        if (grant === undefined || account === undefined || grant.platformId !== platform.id) {
          throw oauthError('invalid_grant', `Refresh token does not exist: ${token}`);
        }
        const scope =
          services.accounts.findConnection(platform.id, account.id)?.scope ?? 'read_write';
        return services.accounts.grantAccess(platform, account, scope, grant.livemode);
      }
      if (grantType !== 'authorization_code') {
        throw oauthError(
          grantType === undefined ? 'invalid_request' : 'unsupported_grant_type',
          grantType === undefined
            ? 'No grant type specified'
            : `Unsupported grant type: ${grantType}`,
        );
      }
      const codeText = readText(call.params.code);
      if (codeText === undefined)
        throw oauthError('invalid_request', 'No authorization code provided');
      const code = services.accounts.takeAuthorizationCode(codeText);
      if (code === undefined) {
        throw oauthError('invalid_grant', `Authorization code does not exist: ${codeText}`);
      }
      if (code.clientId !== platform.clientId) {
        throw oauthError('invalid_grant', `Authorization code provided does not belong to you`);
      }
      const account = services.accounts.findAccount(code.accountId);
      if (account === undefined) {
        throw oauthError('invalid_grant', `Authorization code does not exist: ${codeText}`);
      }
      const grant = services.accounts.connect(platform, account, code.scope, call.livemode);
      services.publish(
        account.ledgers[call.livemode ? 'live' : 'test'],
        'account.application.authorized',
        application(platform),
        undefined,
        platform.id,
      );
      return grant;
    },
  },
  {
    method: 'POST',
    pattern: '/oauth/deauthorize',
    handle: function deauthorize(call, services): ResponseBody {
      const platform = requirePlatform(call, services);
      const clientId = readText(call.params.client_id);
      const accountId = readText(call.params.stripe_user_id) ?? '';
      if (clientId !== platform.clientId) {
        throw oauthError('invalid_client', `No such application: ${clientId ?? '(none)'}`);
      }
      const account = services.accounts.findAccount(accountId);
      if (account === undefined || !services.accounts.disconnect(platform.id, accountId)) {
        throw oauthError(
          'invalid_client',
          `This application is not connected to stripe account ${accountId}, or that account does not exist.`,
        );
      }
      services.publish(
        account.ledgers[call.livemode ? 'live' : 'test'],
        'account.application.deauthorized',
        application(platform),
        undefined,
        platform.id,
      );
      return { stripe_user_id: accountId };
    },
  },
];

export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function htmlPage(status: number, title: string, body: string): PageResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: renderPage(title, body),
  };
}

function redirectTo(redirectUri: string, query: Record<string, string | undefined>): PageResponse {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return { status: 302, headers: { Location: url.toString() }, body: '' };
}

function readRedirectUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `GET /oauth/authorize`: pick an account and Authorize, or Deny. */
export function renderAuthorizePage(
  services: EmulatorServices,
  query: URLSearchParams,
): PageResponse {
  const clientId = query.get('client_id') ?? '';
  const platform = services.accounts.findPlatformByClientId(clientId);
  if (platform === undefined) {
    return htmlPage(
      400,
      'Unknown application',
      `<h1>Unknown application</h1><p>No Connect platform has the client_id <code>${escapeHtml(clientId)}</code>.</p>`,
    );
  }
  const redirectUri = readRedirectUri(query.get('redirect_uri') ?? undefined);
  if (redirectUri === undefined) {
    return htmlPage(
      400,
      'Missing redirect_uri',
      '<h1>Missing redirect_uri</h1><p>Pass an http(s) <code>redirect_uri</code> to return to.</p>',
    );
  }
  const accounts = [...services.accounts.accounts.values()].filter(
    (account) => account.clientId === null,
  );
  const choices = accounts
    .map(
      (account, index) =>
        `<label><input type="radio" name="account" value="${escapeHtml(account.id)}"${index === 0 ? ' checked' : ''}> ${escapeHtml(account.name ?? 'Unnamed account')} <span class="note">${escapeHtml(account.id)}</span></label>`,
    )
    .join('\n');
  const hidden = ['client_id', 'redirect_uri', 'state', 'scope']
    .map((name) => {
      const value = name === 'redirect_uri' ? redirectUri : query.get(name);
      return value === null
        ? ''
        : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
    })
    .join('\n');
  const platformName = escapeHtml(platform.name ?? 'A Connect platform');
  return htmlPage(
    200,
    `Connect to ${platform.name ?? 'platform'}`,
    `<h1>${platformName} would like to connect to your Stripe account</h1>
<form method="post" action="/oauth/authorize">
${hidden}
<fieldset>
<legend>Choose the account to connect</legend>
${choices}
<label><input type="radio" name="account" value="new"${accounts.length === 0 ? ' checked' : ''}> A new account named <input type="text" name="new_account_name" value="New account" aria-label="New account name"></label>
</fieldset>
<button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
<p class="note">Stripe emulator: no real Stripe account is involved.</p>`,
  );
}

/** The page's form: redirect back with a code, or with `error=access_denied`. */
export function answerAuthorizePage(services: EmulatorServices, body: string): PageResponse {
  const form = parseForm(body);
  const clientId = readText(form.client_id) ?? '';
  const platform = services.accounts.findPlatformByClientId(clientId);
  const redirectUri = readRedirectUri(readText(form.redirect_uri));
  if (platform === undefined || redirectUri === undefined) {
    return htmlPage(
      400,
      'Invalid request',
      '<h1>Invalid request</h1><p>Unknown client_id or redirect_uri.</p>',
    );
  }
  const state = readText(form.state);
  if (form.decision !== 'authorize') {
    return redirectTo(redirectUri, {
      error: 'access_denied',
      error_description: 'The user denied your request',
      state,
    });
  }
  const chosen = readText(form.account);
  const account =
    chosen === 'new' || chosen === undefined
      ? services.accounts.createAccount({ name: readText(form.new_account_name) ?? null })
      : services.accounts.findAccount(chosen);
  if (account === undefined) {
    return htmlPage(400, 'Unknown account', '<h1>Unknown account</h1>');
  }
  const scope = readText(form.scope) ?? 'read_write';
  const code = services.accounts.createAuthorizationCode(platform, account, scope);
  return redirectTo(redirectUri, { code, scope, state });
}
