import type { Kysely } from 'kysely';
import type { Account, Credential } from '../../accounts/accounts.repository.js';
import {
  checkPublishableKey,
  keyShape,
  type Mode,
  missingPermissions,
  type PublishableKeyCheck,
} from '../../accounts/key-verification.js';
import type { Vault } from '../../accounts/vault.js';
import { maskSecret } from '../../accounts/vault.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { StripeGatewayError } from '../../stripe/errors.js';
import type { StripeAccountSummary, StripeGateway } from '../../stripe/gateway.js';
import { findNewestEventOfType, type StoredEvent } from '../../webhooks/webhooks.repository.js';
import type { CheckTarget, DoctorCheck } from '../check.js';
import { type Finding, type FindingCode, fail, pass, warn } from '../finding.js';
import { accountStateFindings, connectionFinding, isUnreachable } from './stripe-account-state.js';

export const stripeAccountCodes = [
  'stripe_unreachable',
  'oauth_revoked',
  'key_rejected',
  'key_expired',
  'key_missing_permissions',
  'key_mode_mismatch',
  'keys_from_different_accounts',
  'publishable_key_invalid',
  'key_age',
  'charges_disabled',
  'payouts_disabled',
  'requirements_due',
] as const satisfies readonly FindingCode[];

type Code = (typeof stripeAccountCodes)[number];
const codes = stripeAccountCodes;

/** A Stripe call's answer or its failure, so one failure does not hide what the others saw. */
type Answer<T> = { ok: true; value: T } | { ok: false; error: StripeGatewayError };

async function answerOf<T>(work: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof StripeGatewayError) return { ok: false, error };
    throw error;
  }
}

/** Everything one account and mode's checks are derived from: read once, then judged. */
interface Seen {
  account: Account;
  mode: Mode;
  credential: Credential;
  now: Date;
  secretKey: string;
  /** The key the merchant recognises: `sk_live_…4242`. */
  masked: string;
  read: Answer<StripeAccountSummary>;
  /** Null for keys that are not restricted (they hold every permission). */
  missing: Answer<string[]> | null;
  /** Null when the probe could not run; `skipped` says why. */
  probe: Answer<PublishableKeyCheck> | null;
  deauthorized: StoredEvent | undefined;
  aborted: boolean;
}

/**
 * What Stripe says of each account and mode: the key and publishable key work, belong to the
 * account connected, hold the permissions Switchyard needs and are not due for rolling; the OAuth
 * grant stands; the account can take charges and payouts and owes Stripe nothing.
 */
export function stripeAccountCheck(deps: {
  db: Kysely<Database>;
  config: Config;
  gateway: StripeGateway;
  vault: Vault;
}): DoctorCheck {
  const { db, config, gateway, vault } = deps;
  const timeoutMs = config.doctorTimeoutMs;

  async function see(target: CheckTarget): Promise<Seen | string> {
    const { account, mode, credential, signal, now } = target;
    if (!account || !mode || !credential) throw new Error('an account check needs an account');
    let secretKey: string;
    try {
      secretKey = vault.open(credential.sealedSecret);
    } catch {
      return `the stored ${mode} key cannot be unsealed with this server's master key (see master_key_unreadable)`;
    }
    const credentials = { secretKey };
    const restricted = credential.kind === 'restricted_key' || secretKey.startsWith('rk_');
    const [read, missing, deauthorized] = await Promise.all([
      answerOf(() => gateway.retrieveAccount({ credentials, timeoutMs, signal })),
      restricted
        ? answerOf(() => missingPermissions(gateway, credentials, { timeoutMs, signal }))
        : null,
      findNewestEventOfType(db, {
        accountId: account.accountId,
        type: 'account.application.deauthorized',
      }),
    ]);
    const probeMayRun =
      read.ok &&
      !signal.aborted &&
      modeMismatches(mode, secretKey, credential.publishableKey).length === 0 &&
      keyShape(credential.publishableKey).type === 'publishable' &&
      !(missing?.ok && missing.value.includes('payment_intents:write'));
    const probe = probeMayRun
      ? await answerOf(() =>
          checkPublishableKey(gateway, {
            credentials,
            publishableKey: credential.publishableKey,
            currency: read.value.defaultCurrency ?? account.defaultCurrency ?? 'usd',
            // Doctor runs every few minutes (alerts): read back a PaymentIntent, make none.
            reuseNewest: true,
            timeoutMs,
            signal,
          }),
        )
      : null;
    return {
      account,
      mode,
      credential,
      now,
      secretKey,
      masked: credential.maskedSecret || maskSecret(secretKey),
      read,
      missing,
      probe,
      deauthorized,
      aborted: signal.aborted,
    };
  }

  return {
    name: 'Stripe account',
    scope: 'account',
    codes,
    callsStripe: true,
    async run(target) {
      const seen = await see(target);
      const scope = { account: target.account?.handle ?? null, mode: target.mode ?? null };
      if (typeof seen === 'string') {
        return codes.map((code) =>
          warn(
            code,
            scope,
            `Not checked: ${seen}.`,
            'Mend master_key_unreadable first: it says which master key opens the stored secrets.',
          ),
        );
      }
      return judge(seen, config.keyRotationDays);
    },
  };
}

function modeMismatches(mode: Mode, secretKey: string, publishableKey: string): string[] {
  return [
    ['secret', keyShape(secretKey).mode],
    ['publishable', keyShape(publishableKey).mode],
  ].flatMap(([slot, keyMode]) => (keyMode !== null && keyMode !== mode ? [`${slot}`] : []));
}

function shortKey(key: string): string {
  return /^pk_(test|live)_/.test(key) ? `${key.slice(0, 8)}…${key.slice(-4)}` : maskSecret(key);
}

/** Turns what was seen into one finding per code. */
function judge(seen: Seen, keyRotationDays: number): Finding[] {
  const { account, mode, credential, read } = seen;
  const scope = { account: account.handle, mode };
  const handle = account.handle;
  const oauth = credential.kind === 'oauth';
  const keyWord = oauth ? 'OAuth access token' : `${mode} ${credential.kind.replace('_', ' ')}`;
  const replaceKeys = `\`switchyard accounts keys ${handle} --${mode}-secret-key <key> --${mode}-publishable-key <key>\``;
  const apiKeysPage = `Stripe's dashboard (signed in to ${account.stripeAccountId}, ${mode === 'test' ? 'test mode on' : 'test mode off'}): Developers → API keys`;
  const refusal = read.ok ? null : read.error;
  const findings = new Map<Code, Finding>();
  const put = (finding: Finding) => findings.set(finding.code as Code, finding);

  /** Why a code that needs the account read could not be judged. */
  const notChecked = (code: Code, because?: string) =>
    warn(
      code,
      scope,
      `Not checked: ${because ?? readFailure()}.`,
      `Mend what the detail names, then run \`switchyard doctor --account ${handle}\` again.`,
    );
  function readFailure(): string {
    if (seen.aborted) return "the doctor's time ran out";
    if (!refusal) return 'the account was not read';
    if (isUnreachable(refusal)) return 'Stripe could not be reached (see stripe_unreachable)';
    if (refusal.kind === 'authentication') {
      return oauth
        ? 'Stripe refused the OAuth access token (see oauth_revoked)'
        : `Stripe refused the ${mode} key (see ${refusal.stripeCode === 'api_key_expired' ? 'key_expired' : 'key_rejected'})`;
    }
    if (refusal.kind === 'permission') {
      return `the key may not read the account: "${refusal.message}" (see key_missing_permissions)`;
    }
    return `Stripe answered "${refusal.message}"`;
  }

  // Connection.
  put(connectionFinding(refusal, scope, account.stripeAccountId));

  // Authorization.
  const deauthorizedAt = seen.deauthorized ? seen.deauthorized.stripeCreated * 1000 : null;
  const deauthorizedSinceGrant =
    // Stripe's `created` is in whole seconds: an event of the grant's own second counts.
    deauthorizedAt !== null &&
    deauthorizedAt >= Math.floor(Date.parse(credential.createdAt) / 1000) * 1000;
  const reconnect = `The owner of ${account.stripeAccountId} must grant access again: run \`switchyard accounts connect <new-handle>\`, open the link signed in to that account, choose Authorize, point routing at the new handle and \`switchyard accounts remove ${handle}\`; or give "${handle}" API keys with ${replaceKeys}.`;
  if (!oauth) {
    put(pass('oauth_revoked', scope, 'Connected with API keys: there is no OAuth grant.'));
  } else if (refusal && (refusal.kind === 'authentication' || refusal.kind === 'permission')) {
    put(
      fail(
        'oauth_revoked',
        scope,
        `Stripe refused the OAuth access token ${seen.masked}: "${refusal.message}"${deauthorizedSinceGrant && seen.deauthorized ? `; it sent account.application.deauthorized (${seen.deauthorized.stripeEventId})` : ''}.`,
        reconnect,
      ),
    );
  } else if (deauthorizedSinceGrant && seen.deauthorized && deauthorizedAt !== null) {
    put(
      fail(
        'oauth_revoked',
        scope,
        `Stripe sent account.application.deauthorized (${seen.deauthorized.stripeEventId}) at ${new Date(deauthorizedAt).toISOString()}: ${account.stripeAccountId} revoked Switchyard's access.`,
        reconnect,
      ),
    );
  } else if (refusal) {
    put(notChecked('oauth_revoked'));
  } else {
    put(pass('oauth_revoked', scope, `Stripe accepts the OAuth access token ${seen.masked}.`));
  }

  // Keys: refused by Stripe.
  const rolledHint = `Copy the key that replaced it (or roll it) in ${apiKeysPage}, then run ${replaceKeys}.`;
  for (const [code, expired] of [
    ['key_rejected', false],
    ['key_expired', true],
  ] as const) {
    const refused =
      refusal?.kind === 'authentication' && (refusal.stripeCode === 'api_key_expired') === expired;
    if (oauth) {
      put(pass(code, scope, 'Connected by Connect OAuth: a refused token is oauth_revoked.'));
    } else if (refused && refusal) {
      put(
        fail(
          code,
          scope,
          `Stripe answered ${refusal.statusCode ?? 401}${refusal.stripeCode ? ` ${refusal.stripeCode}` : ''} to the ${keyWord} ${seen.masked}: "${refusal.message}".`,
          expired
            ? `The key was rolled and its expiry has passed. ${rolledHint}`
            : `The key is mistyped, deleted or was rolled. ${rolledHint}`,
        ),
      );
    } else if (refusal && isUnreachable(refusal)) {
      put(notChecked(code));
    } else {
      put(pass(code, scope, `Stripe accepts the ${keyWord} ${seen.masked}.`));
    }
  }

  // Keys: permissions.
  if (oauth) {
    put(
      credential.scope && credential.scope !== 'read_write'
        ? fail(
            'key_missing_permissions',
            scope,
            `The OAuth grant has scope ${credential.scope}; Switchyard needs read_write.`,
            reconnect,
          )
        : pass(
            'key_missing_permissions',
            scope,
            `The OAuth grant has scope ${credential.scope ?? 'read_write'}.`,
          ),
    );
  } else if (seen.missing === null) {
    put(
      pass(
        'key_missing_permissions',
        scope,
        `The ${keyWord} ${seen.masked} holds every permission.`,
      ),
    );
  } else if (!seen.missing.ok) {
    put(notChecked('key_missing_permissions', readFailureOf(seen.missing.error)));
  } else if (seen.missing.value.length > 0) {
    const missing = seen.missing.value;
    put(
      fail(
        'key_missing_permissions',
        scope,
        `The ${keyWord} ${seen.masked} lacks ${missing.length} permission(s) Switchyard needs: ${missing.join(', ')} (Stripe answers 403 to them).`,
        `In ${apiKeysPage}, edit the restricted key and grant ${missing.join(', ')} (Write includes Read); or run ${replaceKeys} with a key that has them.`,
      ),
    );
  } else {
    put(
      pass(
        'key_missing_permissions',
        scope,
        `The ${keyWord} ${seen.masked} holds every permission Switchyard needs.`,
      ),
    );
  }

  // Keys: which mode and which account.
  const mismatches = modeMismatches(mode, seen.secretKey, credential.publishableKey);
  const publishableShape = keyShape(credential.publishableKey);
  put(
    mismatches.length > 0
      ? fail(
          'key_mode_mismatch',
          scope,
          `The ${mode} slot holds ${mismatches.map((slot) => `a ${mode === 'live' ? 'test' : 'live'} ${slot} key (${shortKey(slot === 'secret' ? seen.secretKey : credential.publishableKey)})`).join(' and ')}.`,
          `Copy the ${mode} keys from ${apiKeysPage} and run ${replaceKeys}.`,
        )
      : pass('key_mode_mismatch', scope, `Both keys are ${mode} keys.`),
  );

  const probe = seen.probe;
  const sameAccountFix = `Copy both keys from ${apiKeysPage} and run ${replaceKeys}.`;
  if (read.ok && read.value.id !== account.stripeAccountId) {
    put(
      fail(
        'keys_from_different_accounts',
        scope,
        `The ${keyWord} ${seen.masked} belongs to Stripe account ${read.value.id}, but "${handle}" is connected to ${account.stripeAccountId}.`,
        sameAccountFix,
      ),
    );
  } else if (probe?.ok && probe.value.outcome === 'other_account') {
    put(
      fail(
        'keys_from_different_accounts',
        scope,
        `The publishable key ${shortKey(credential.publishableKey)} cannot read a PaymentIntent its secret key made on ${account.stripeAccountId} (Stripe: "${probe.value.error.message}"): it is another account's.`,
        sameAccountFix,
      ),
    );
  } else if (read.ok && probe?.ok) {
    put(
      pass(
        'keys_from_different_accounts',
        scope,
        `Both keys belong to ${account.stripeAccountId}, the account "${handle}" is connected to.`,
      ),
    );
  } else {
    put(notChecked('keys_from_different_accounts', probeFailure()));
  }

  if (publishableShape.type !== 'publishable') {
    put(
      fail(
        'publishable_key_invalid',
        scope,
        `The ${mode} publishable key is not a Stripe publishable key (it should start with pk_${mode}_).`,
        `Copy the publishable key from ${apiKeysPage} and run ${replaceKeys}.`,
      ),
    );
  } else if (probe?.ok && probe.value.outcome === 'rejected') {
    put(
      fail(
        'publishable_key_invalid',
        scope,
        `Stripe refused the publishable key ${shortKey(credential.publishableKey)}: "${probe.value.error.message}". Stripe.js cannot show the card form.`,
        `Copy the current publishable key from ${apiKeysPage} and run ${replaceKeys}.`,
      ),
    );
  } else if (probe?.ok) {
    put(
      pass(
        'publishable_key_invalid',
        scope,
        `Stripe accepts the publishable key ${shortKey(credential.publishableKey)}.`,
      ),
    );
  } else {
    put(notChecked('publishable_key_invalid', probeFailure()));
  }

  function probeFailure(): string {
    if (mismatches.length > 0) return 'the keys are of the wrong mode (see key_mode_mismatch)';
    if (publishableShape.type !== 'publishable') {
      return 'the publishable key is not one (see publishable_key_invalid)';
    }
    if (probe && !probe.ok) return readFailureOf(probe.error);
    if (seen.missing?.ok && seen.missing.value.includes('payment_intents:write')) {
      return 'the key may not make the PaymentIntent the check reads back (see key_missing_permissions)';
    }
    return readFailure();
  }

  function readFailureOf(error: StripeGatewayError): string {
    return isUnreachable(error)
      ? 'Stripe could not be reached (see stripe_unreachable)'
      : `Stripe answered "${error.message}"`;
  }

  // Keys: age.
  const ageDays = Math.floor((seen.now.getTime() - Date.parse(credential.createdAt)) / 86_400_000);
  const added = credential.createdAt.slice(0, 10);
  put(
    oauth
      ? pass(
          'key_age',
          scope,
          'OAuth access tokens are not rolled; they last until access is revoked.',
        )
      : ageDays > keyRotationDays
        ? warn(
            'key_age',
            scope,
            `The ${keyWord} ${seen.masked} was added ${ageDays} days ago (${added}); KEY_ROTATION_DAYS is ${keyRotationDays}.`,
            `In ${apiKeysPage}, roll the key (⋯ → Roll key…, with an expiry that leaves time to switch), then run ${replaceKeys} with the new keys before the old one expires.`,
          )
        : pass(
            'key_age',
            scope,
            `The ${keyWord} ${seen.masked} was added ${ageDays} days ago (${added}); rolling is due after ${keyRotationDays}.`,
          ),
  );

  // Account state.
  if (read.ok) {
    for (const finding of accountStateFindings(read.value, scope, handle)) put(finding);
  } else {
    for (const code of ['charges_disabled', 'payouts_disabled', 'requirements_due'] as const) {
      put(notChecked(code));
    }
  }

  return codes.map((code) => {
    const finding = findings.get(code);
    if (!finding) throw new Error(`the Stripe account check answered no ${code}`);
    return finding;
  });
}
