import { newId } from '../db/ids.js';
import { AppError } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type {
  CallLimit,
  StripeAccountSummary,
  StripeCredentials,
  StripeGateway,
} from '../stripe/gateway.js';

export type Mode = 'test' | 'live';

/**
 * What Switchyard does on a Stripe account, as restricted-key permissions. README lists them for
 * merchants who create a restricted key.
 */
export const requiredPermissions = [
  'account:read',
  'balance:read',
  'charges:read',
  'customers:write',
  'events:read',
  'invoices:read',
  'payment_intents:write',
  'payment_methods:write',
  'prices:write',
  'products:write',
  'refunds:write',
  'subscriptions:write',
  'webhook_endpoints:write',
] as const;

export interface KeyPair {
  secretKey: string;
  publishableKey: string;
}

export interface VerifiedKeys {
  mode: Mode;
  kind: 'secret_key' | 'restricted_key';
  account: StripeAccountSummary;
}

/** Which slot a problem is in, for `details.field`. */
function slot(mode: Mode, key: 'secretKey' | 'publishableKey'): string {
  return `credentials.${mode}.${key}`;
}

/** What a key's prefix says it is: its type and mode, or nulls when it is no Stripe key. */
export function keyShape(key: string): {
  type: 'secret' | 'restricted' | 'publishable' | null;
  mode: Mode | null;
} {
  const match = /^(sk|rk|pk)_(test|live)_[A-Za-z0-9]+$/.exec(key.trim());
  if (!match) return { type: null, mode: null };
  const type = match[1] === 'sk' ? 'secret' : match[1] === 'rk' ? 'restricted' : 'publishable';
  return { type, mode: match[2] === 'test' ? 'test' : 'live' };
}

/** Checks what can be checked without Stripe: each key is the right kind for its slot and mode. */
export function checkKeyShapes(mode: Mode, keys: KeyPair): void {
  const secret = keyShape(keys.secretKey);
  const publishable = keyShape(keys.publishableKey);
  if (secret.type === 'publishable') {
    throw new AppError(
      'wrong_key_type',
      `The ${mode} secret key slot holds a publishable key (pk_…). Paste the secret key (sk_${mode}_…) or a restricted key (rk_${mode}_…) from Stripe's API keys page.`,
      { field: slot(mode, 'secretKey') },
    );
  }
  if (secret.type === null) {
    throw new AppError(
      'wrong_key_type',
      `The ${mode} secret key is not a Stripe key. It should start with sk_${mode}_ or rk_${mode}_; copy it again from Stripe's API keys page.`,
      { field: slot(mode, 'secretKey') },
    );
  }
  if (publishable.type === 'secret' || publishable.type === 'restricted') {
    throw new AppError(
      'wrong_key_type',
      `The ${mode} publishable key slot holds a secret key. Put the publishable key (pk_${mode}_…) there, and never paste a secret key into a public field.`,
      { field: slot(mode, 'publishableKey') },
    );
  }
  if (publishable.type === null) {
    throw new AppError(
      'wrong_key_type',
      `The ${mode} publishable key is not a Stripe publishable key. It should start with pk_${mode}_.`,
      { field: slot(mode, 'publishableKey') },
    );
  }
  for (const [key, shape] of [
    ['secretKey', secret],
    ['publishableKey', publishable],
  ] as const) {
    if (shape.mode !== mode) {
      throw new AppError(
        'mode_mismatch',
        `The ${mode} ${key === 'secretKey' ? 'secret' : 'publishable'} key is a ${shape.mode} key. Put ${shape.mode} keys under credentials.${shape.mode} and ${mode} keys under credentials.${mode}.`,
        { field: slot(mode, key) },
      );
    }
  }
}

function stripeProblem(error: StripeGatewayError, mode: Mode): AppError {
  if (error.kind === 'authentication') {
    if (error.stripeCode === 'api_key_expired') {
      return new AppError(
        'api_key_expired',
        `Stripe says the ${mode} secret key has expired. Create a new key in Stripe's dashboard and connect it in its place.`,
        { field: slot(mode, 'secretKey') },
      );
    }
    return new AppError(
      'invalid_api_key',
      `Stripe rejected the ${mode} secret key: it is mistyped, deleted or was rolled. Copy the current key from Stripe's API keys page.`,
      { field: slot(mode, 'secretKey'), stripeRequestId: error.requestId },
    );
  }
  if (error.kind === 'connection' || error.kind === 'stripe_error' || error.kind === 'rate_limit') {
    return new AppError(
      'stripe_unreachable',
      `Could not reach Stripe to check the ${mode} keys (${error.kind === 'connection' ? 'no answer' : `HTTP ${error.statusCode ?? '?'}`}). Nothing was saved; try again in a minute.`,
      { stripeRequestId: error.requestId },
    );
  }
  return new AppError('unprocessable', `Stripe refused the ${mode} key check: ${error.message}`, {
    stripeRequestId: error.requestId,
    stripeCode: error.stripeCode,
  });
}

async function withStripe<T>(mode: Mode, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StripeGatewayError) throw stripeProblem(error, mode);
    throw error;
  }
}

/**
 * Proves a key pair works before anything is saved: the secret key reads the account, a restricted
 * key holds every permission Switchyard needs, and the publishable key belongs to the same account
 * (a PaymentIntent made with the secret key is read back with the publishable key, then cancelled).
 */
export async function verifyKeyPair(
  gateway: StripeGateway,
  mode: Mode,
  keys: KeyPair,
): Promise<VerifiedKeys> {
  checkKeyShapes(mode, keys);
  const secretKey = keys.secretKey.trim();
  const publishableKey = keys.publishableKey.trim();
  const credentials = { secretKey };
  const restricted = secretKey.startsWith('rk_');

  if (restricted) {
    const missing = await withStripe(mode, () => missingPermissions(gateway, credentials));
    if (missing.length > 0) {
      throw new AppError(
        'missing_permissions',
        `The ${mode} restricted key lacks ${missing.length} permission(s) Switchyard needs: ${missing.join(', ')}. Edit the key in Stripe's dashboard to grant them, or use a key that has them.`,
        { field: slot(mode, 'secretKey'), missing },
      );
    }
  }

  const account = await withStripe(mode, () => gateway.retrieveAccount({ credentials }));
  await withStripe(mode, () =>
    proveSameAccount(gateway, mode, credentials, publishableKey, account),
  );
  return { mode, kind: restricted ? 'restricted_key' : 'secret_key', account };
}

/** The permissions Switchyard needs that a restricted key lacks, asked of Stripe one by one. */
export async function missingPermissions(
  gateway: StripeGateway,
  credentials: StripeCredentials,
  limit: CallLimit = {},
): Promise<string[]> {
  const checks = await Promise.all(
    requiredPermissions.map(async (permission) => ({
      permission,
      state: await gateway.checkPermission({ credentials, permission, ...limit }),
    })),
  );
  return checks.filter((check) => check.state === 'missing').map((check) => check.permission);
}

/** How a publishable key fared reading a PaymentIntent its secret key made. */
export type PublishableKeyCheck =
  | { outcome: 'same_account' }
  /** Stripe refused the publishable key itself (401: mistyped, rolled). */
  | { outcome: 'rejected'; error: StripeGatewayError }
  /** The key works but cannot see the PaymentIntent: it is another account's (or mode's). */
  | { outcome: 'other_account'; error: StripeGatewayError };

/**
 * A PaymentIntent of the secret key's account is read back with the publishable key, as Stripe.js
 * would. With `reuseNewest` (doctor, run every few minutes) it is the account's newest one, so
 * nothing is made; otherwise, or when the account has none, one is made and cancelled: it is
 * never confirmed, so nothing is charged.
 */
export async function checkPublishableKey(
  gateway: StripeGateway,
  input: {
    credentials: StripeCredentials;
    publishableKey: string;
    currency: string;
    reuseNewest?: boolean;
  } & CallLimit,
): Promise<PublishableKeyCheck> {
  const { credentials, timeoutMs, signal } = input;
  const newest = input.reuseNewest
    ? await gateway.newestPaymentIntent({ credentials, timeoutMs, signal })
    : null;
  if (newest?.clientSecret) {
    return readBackAsClient(gateway, credentials, input.publishableKey, newest.clientSecret);
  }
  const probe = await gateway.createPaymentIntent({
    credentials,
    idempotencyKey: newId('verify'),
    amount: 100,
    currency: input.currency,
    description: 'Switchyard key check (cancelled at once, never charged)',
    metadata: { switchyard: 'key_check' },
  });
  try {
    if (!probe.clientSecret) throw new Error('Stripe returned no client secret for the key check.');
    return await readBackAsClient(gateway, credentials, input.publishableKey, probe.clientSecret);
  } finally {
    await gateway
      .cancelPaymentIntent({
        credentials,
        id: probe.id,
        idempotencyKey: `${probe.id}-cancel`,
        // Not the signal: a probe made is cancelled even when its caller stopped waiting.
        timeoutMs,
      })
      .catch(() => {});
  }
}

async function readBackAsClient(
  gateway: StripeGateway,
  credentials: StripeCredentials,
  publishableKey: string,
  clientSecret: string,
): Promise<PublishableKeyCheck> {
  try {
    await gateway.retrievePaymentIntentAsClient({
      publishableKey,
      stripeAccount: credentials.stripeAccount,
      clientSecret,
    });
    return { outcome: 'same_account' };
  } catch (error) {
    if (error instanceof StripeGatewayError && error.kind === 'authentication') {
      return { outcome: 'rejected', error };
    }
    if (error instanceof StripeGatewayError && error.kind === 'invalid_request') {
      return { outcome: 'other_account', error };
    }
    throw error;
  }
}

async function proveSameAccount(
  gateway: StripeGateway,
  mode: Mode,
  credentials: { secretKey: string },
  publishableKey: string,
  account: StripeAccountSummary,
): Promise<void> {
  const check = await checkPublishableKey(gateway, {
    credentials,
    publishableKey,
    currency: account.defaultCurrency ?? 'usd',
  });
  if (check.outcome !== 'same_account') {
    throw new AppError(
      'keys_from_different_accounts',
      `The ${mode} publishable key belongs to a different Stripe account than the secret key (${account.id}). Copy both keys from the same account's API keys page.`,
      { field: slot(mode, 'publishableKey'), stripeAccountId: account.id },
    );
  }
}
