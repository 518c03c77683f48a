import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { AccountCap } from '../routing/index.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { OAuthGrant, StripeAccountSummary, StripeGateway } from '../stripe/gateway.js';
import type { EndpointUpkeep } from '../webhooks/endpoint-upkeep.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import {
  type Account,
  type AccountPatch,
  type Credential,
  demotePrimaries,
  findAccountById,
  findLiveAccountByHandle,
  findLiveAccountByStripeId,
  insertAccount,
  listCredentials,
  listLiveAccounts,
  updateAccount,
  upsertCredential,
} from './accounts.repository.js';
import { type KeyPair, type Mode, type VerifiedKeys, verifyKeyPair } from './key-verification.js';
import type { LiveAccountsCache } from './live-accounts.js';
import { maskSecret, type Vault } from './vault.js';

export interface NewAccount {
  handle: string;
  label?: string | undefined;
  purpose?: string | undefined;
  role?: 'primary' | 'secondary' | undefined;
  priority?: number | undefined;
  currencies?: string[] | undefined;
  credentials: Partial<Record<Mode, KeyPair>>;
}

export interface AccountChanges {
  label?: string | undefined;
  purpose?: string | undefined;
  priority?: number | undefined;
  currencies?: string[] | null | undefined;
  enabled?: boolean | undefined;
  drain?: boolean | undefined;
  /** Volume caps of new payments; null or [] removes them. */
  caps?: AccountCap[] | null | undefined;
}

/** An account as every API answer and CLI table shows it: secrets masked, never whole. */
export interface AccountView
  extends Pick<
    Account,
    | 'handle'
    | 'label'
    | 'purpose'
    | 'role'
    | 'priority'
    | 'currencies'
    | 'caps'
    | 'enabled'
    | 'drain'
    | 'stripeAccountId'
    | 'country'
    | 'defaultCurrency'
    | 'chargesEnabled'
    | 'disabledReason'
    | 'connectedBy'
    | 'verifiedAt'
    | 'createdAt'
    | 'updatedAt'
  > {
  health: Account['status'];
  healthReason: string | null;
  modes: Partial<
    Record<
      Mode,
      {
        keyType: string;
        secretKey: string;
        publishableKey: string;
        keyAddedAt: string;
        keyAgeDays: number;
      }
    >
  >;
}

/** How a verification runs when a job, not a person, asks for it. */
export interface VerifyOptions {
  auditOnlyChanges?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AccountResult {
  account: AccountView;
  warnings: string[];
}

/** Connected Stripe accounts: their keys, routing fields and what Stripe last said of them. */
export interface AccountsService {
  listAccounts(workspaceId: string): Promise<AccountView[]>;
  showAccount(workspaceId: string, handle: string): Promise<AccountView>;
  /** Verifies the keys of each mode given, saves the account and registers its webhooks. */
  connectWithKeys(workspaceId: string, input: NewAccount, actor: string): Promise<AccountResult>;
  /** "Connect with Stripe": the OAuth grant is the account's credential for its mode. */
  connectWithGrant(
    workspaceId: string,
    input: { handle: string; grant: OAuthGrant },
    actor: string,
  ): Promise<AccountResult>;
  updateAccount(
    workspaceId: string,
    handle: string,
    changes: AccountChanges,
    actor: string,
  ): Promise<AccountResult>;
  /** Makes the account the one primary; the previous primary becomes a secondary. */
  makePrimary(workspaceId: string, handle: string, actor: string): Promise<AccountResult>;
  /**
   * Applies a routing document's account fields inside the caller's transaction, so a routing
   * version and the account changes it makes stand or fall together.
   */
  applyRoutingFields(
    executor: Kysely<Database>,
    workspaceId: string,
    changes: { primary: string | null; patches: Array<{ handle: string; patch: AccountChanges }> },
    actor: string,
  ): Promise<void>;
  /** New keys of the same Stripe account; the old ones stay in force if the new ones fail. */
  replaceKeys(
    workspaceId: string,
    handle: string,
    credentials: Partial<Record<Mode, KeyPair>>,
    actor: string,
  ): Promise<AccountResult>;
  /**
   * Reads the account from Stripe again and records what it says, and mends its webhook
   * endpoints (registered, enabled, pointed here, all events, a secret we hold). The audit log
   * gets a row each time, or with `auditOnlyChanges` (the scheduled `verify` job) only when
   * health or charges moved; that job leaves the endpoints to the webhook watchdog.
   * The job also bounds each call to Stripe (`timeoutMs`) and stops between modes when aborted.
   */
  verifyAccount(
    workspaceId: string,
    handle: string,
    actor: string,
    options?: VerifyOptions,
  ): Promise<AccountResult>;
  /** Refused while routing names it or while it is the primary of other accounts. */
  removeAccount(workspaceId: string, handle: string, actor: string): Promise<void>;
  /** Stripe said the account changed (`account.updated`): read it again and record its state. */
  refreshAccount(accountId: string, actor: string): Promise<void>;
  /** Stripe said the platform lost access (`account.application.deauthorized`). */
  markDisconnected(accountId: string, reason: string, actor: string): Promise<void>;
  /** The decrypted secret key of an account's mode, for calls to Stripe; never shown. */
  /** `revision`: the setup revision the caller's request has read already (see live-accounts.ts). */
  secretKeyOf(accountId: string, mode: Mode, revision?: number): Promise<string | null>;
  /** The publishable key Stripe.js needs for PaymentIntents made on an account's mode. */
  publishableKeyOf(accountId: string, mode: Mode, revision?: number): Promise<string | null>;
}

export interface AccountsDependencies {
  db: Kysely<Database>;
  /** The accounts and keys payments read, kept until the setup changes. */
  liveAccounts: LiveAccountsCache;
  gateway: StripeGateway;
  vault: Vault;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** What still points at an account (routing pins, rules); filled in by the routing feature. */
  referencesTo?: (workspaceId: string, handle: string) => Promise<string[]>;
  webhooks: Pick<WebhooksService, 'registerEndpoint' | 'removeEndpoints'>;
  /** Mends the account's webhook endpoints when an operator verifies it. */
  endpoints?: Pick<EndpointUpkeep, 'repair'>;
  /** Revokes a Connect OAuth grant when its account is removed. */
  deauthorize?: (stripeAccountId: string) => Promise<void>;
}

const modes: readonly Mode[] = ['test', 'live'];

export function createAccountsService(deps: AccountsDependencies): AccountsService {
  const { db, gateway, vault, audit, clock, liveAccounts } = deps;

  function viewOf(account: Account): Promise<AccountView> {
    return viewsOfIn(db, account);
  }

  /** `executor` is the transaction when called inside one (SQLite has a single connection). */
  async function viewsOf(
    accounts: Account[],
    executor: Kysely<Database> = db,
  ): Promise<AccountView[]> {
    const credentials = await listCredentials(
      executor,
      accounts.map((account) => account.accountId),
    );
    return viewsWith(accounts, credentials);
  }

  function viewsWith(
    accounts: readonly Account[],
    credentials: readonly Credential[],
  ): AccountView[] {
    const now = clock().getTime();
    return accounts.map((account) => {
      const own = credentials.filter((credential) => credential.accountId === account.accountId);
      return {
        handle: account.handle,
        label: account.label,
        purpose: account.purpose,
        role: account.role,
        priority: account.priority,
        currencies: account.currencies,
        caps: account.caps,
        enabled: account.enabled,
        drain: account.drain,
        stripeAccountId: account.stripeAccountId,
        country: account.country,
        defaultCurrency: account.defaultCurrency,
        chargesEnabled: account.chargesEnabled,
        disabledReason: account.disabledReason,
        health: account.status,
        healthReason: account.statusReason,
        connectedBy: account.connectedBy,
        modes: Object.fromEntries(
          own.map((credential) => [
            credential.mode,
            {
              keyType: credential.kind,
              secretKey: credential.maskedSecret,
              publishableKey: credential.publishableKey,
              keyAddedAt: credential.createdAt,
              keyAgeDays: Math.floor((now - Date.parse(credential.createdAt)) / 86_400_000),
            },
          ]),
        ),
        verifiedAt: account.verifiedAt,
        createdAt: account.createdAt,
        updatedAt: account.updatedAt,
      };
    });
  }

  async function viewsOfIn(executor: Kysely<Database>, account: Account): Promise<AccountView> {
    const [view] = await viewsOf([account], executor);
    if (!view) throw new Error('viewsOf lost an account');
    return view;
  }

  async function requireAccount(
    workspaceId: string,
    handle: string,
    executor: Kysely<Database> = db,
  ): Promise<Account> {
    const account = await findLiveAccountByHandle(executor, workspaceId, handle);
    if (!account) {
      throw new AppError('not_found', `No account has the handle "${handle}".`, { handle });
    }
    return account;
  }

  /** Verifies each mode's keys, and that test and live keys are of one Stripe account. */
  async function verifyAll(credentials: Partial<Record<Mode, KeyPair>>): Promise<VerifiedKeys[]> {
    const given = modes.filter((mode) => credentials[mode] !== undefined);
    if (given.length === 0) {
      throw AppError.validation([
        { field: 'credentials', message: 'give the keys of at least one mode: test or live' },
      ]);
    }
    const verified: VerifiedKeys[] = [];
    for (const mode of given) {
      const keys = credentials[mode];
      if (keys) verified.push(await verifyKeyPair(gateway, mode, keys));
    }
    const [first, second] = verified;
    if (first && second && first.account.id !== second.account.id) {
      throw new AppError(
        'keys_from_different_accounts',
        `The test keys belong to Stripe account ${first.account.id} and the live keys to ${second.account.id}. Connect each Stripe account under its own handle.`,
        { field: 'credentials' },
      );
    }
    return verified;
  }

  function keyCredentials(
    accountId: string,
    workspaceId: string,
    credentials: Partial<Record<Mode, KeyPair>>,
    verified: VerifiedKeys[],
    createdAt: string,
  ): Credential[] {
    return verified.map(({ mode, kind }) => {
      const keys = credentials[mode];
      if (!keys) throw new Error(`verified ${mode} keys that were not given`);
      return {
        accountId,
        mode,
        workspaceId,
        kind,
        sealedSecret: vault.seal(keys.secretKey.trim()),
        maskedSecret: maskSecret(keys.secretKey.trim()),
        publishableKey: keys.publishableKey.trim(),
        sealedRefreshToken: null,
        scope: null,
        createdAt,
      };
    });
  }

  /** What Stripe's answer about an account says of it, in the account's fields. */
  function stateOf(account: StripeAccountSummary) {
    return {
      chargesEnabled: account.chargesEnabled,
      disabledReason: account.disabledReason,
      ...(account.chargesEnabled
        ? { status: 'healthy' as const, statusReason: null }
        : {
            status: 'restricted' as const,
            statusReason: `Stripe has disabled charges on this account${account.disabledReason ? ` (${account.disabledReason})` : ''}. Resolve it in the Stripe dashboard; until then new payments go to other accounts.`,
          }),
    };
  }

  function primaryRace(): AppError {
    return new AppError(
      'conflict',
      'Another change to the primary account happened at the same moment.',
      { next: 'accounts.list' },
    );
  }

  function alreadyConnected(stripeAccountId: string, handle: string): AppError {
    return new AppError(
      'duplicate_account',
      `Stripe account ${stripeAccountId} is already connected as "${handle}". Use that handle, or remove it first.`,
      { handle, stripeAccountId },
    );
  }

  async function requireFreeHandle(workspaceId: string, handle: string): Promise<void> {
    refuseReservedHandle(handle);
    if (await findLiveAccountByHandle(db, workspaceId, handle)) {
      throw new AppError(
        'duplicate_handle',
        `The handle "${handle}" is taken. Pick another handle, or update that account instead.`,
        { field: 'handle', handle },
      );
    }
  }

  /** Saves a verified account, keeping exactly one primary, then registers its webhooks. */
  async function saveNewAccount(input: {
    workspaceId: string;
    accountId: string;
    input: NewAccount;
    stripeAccount: StripeAccountSummary;
    connectedBy: 'api_keys' | 'oauth';
    credentials: Credential[];
    secretKeys: Array<{ mode: Mode; secretKey: string }>;
    actor: string;
  }): Promise<AccountResult> {
    const { workspaceId, accountId, stripeAccount, actor } = input;
    const fields = input.input;
    const existing = await findLiveAccountByStripeId(db, workspaceId, stripeAccount.id);
    if (existing) throw alreadyConnected(stripeAccount.id, existing.handle);
    const now = clock().toISOString();
    const warnings: string[] = [];
    const saved = await db
      .transaction()
      .execute(async (trx) => {
        const others = await listLiveAccounts(trx, workspaceId);
        const role = others.length === 0 ? 'primary' : (fields.role ?? 'secondary');
        if (others.length === 0 && fields.role === 'secondary') {
          warnings.push(
            'This is the first account, so it is the primary: there is always one primary.',
          );
        }
        if (role === 'primary') await demotePrimaries(trx, workspaceId, now);
        const account: Account = {
          accountId,
          workspaceId,
          handle: fields.handle,
          label: fields.label ?? stripeAccount.displayName?.slice(0, 200) ?? fields.handle,
          purpose: fields.purpose ?? '',
          role,
          priority: fields.priority ?? 0,
          currencies: fields.currencies ?? null,
          caps: null,
          enabled: true,
          drain: false,
          connectedBy: input.connectedBy,
          stripeAccountId: stripeAccount.id,
          country: stripeAccount.country,
          defaultCurrency: stripeAccount.defaultCurrency,
          ...stateOf(stripeAccount),
          verifiedAt: now,
          createdAt: now,
          updatedAt: now,
          removedAt: null,
        };
        await insertAccount(trx, account);
        for (const credential of input.credentials) await upsertCredential(trx, credential);
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'account.connected',
          subject: `account:${fields.handle}`,
          after: await viewsOfIn(trx, account),
        });
        return account;
      })
      .catch(async (error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
        // Another request saved the same handle, Stripe account or first primary just now.
        await requireFreeHandle(workspaceId, fields.handle);
        const taken = await findLiveAccountByStripeId(db, workspaceId, stripeAccount.id);
        if (taken) throw alreadyConnected(stripeAccount.id, taken.handle);
        throw primaryRace();
      });
    if (saved.status === 'restricted' && saved.statusReason) warnings.push(saved.statusReason);
    for (const { mode, secretKey } of input.secretKeys) {
      const registered = await deps.webhooks.registerEndpoint({
        workspaceId,
        accountId,
        mode,
        secretKey,
      });
      warnings.push(...registered.warnings);
    }
    return { account: await viewOf(saved), warnings };
  }

  async function updateAccountIn(
    trx: Kysely<Database>,
    workspaceId: string,
    handle: string,
    changes: AccountChanges,
    actor: string,
  ): Promise<string[]> {
    const before = await requireAccount(workspaceId, handle, trx);
    const patch = {
      ...(changes.label !== undefined ? { label: changes.label } : {}),
      ...(changes.purpose !== undefined ? { purpose: changes.purpose } : {}),
      ...(changes.priority !== undefined ? { priority: changes.priority } : {}),
      ...(changes.currencies !== undefined ? { currencies: changes.currencies } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      ...(changes.drain !== undefined ? { drain: changes.drain } : {}),
      ...(changes.caps !== undefined
        ? { caps: changes.caps === null || changes.caps.length === 0 ? null : changes.caps }
        : {}),
      updatedAt: clock().toISOString(),
    } satisfies AccountPatch;
    await updateAccount(trx, before.accountId, patch);
    await audit.record(trx, {
      workspaceId,
      actor,
      action: 'account.updated',
      subject: `account:${handle}`,
      before: await viewsOfIn(trx, before),
      after: await viewsOfIn(trx, { ...before, ...patch }),
    });
    return changes.enabled === false && before.role === 'primary'
      ? [
          'The primary account is disabled: new payments with no other target fall back to secondaries.',
        ]
      : [];
  }

  async function makePrimaryIn(
    trx: Kysely<Database>,
    workspaceId: string,
    handle: string,
    actor: string,
  ): Promise<void> {
    const target = await requireAccount(workspaceId, handle, trx);
    if (target.role === 'primary') return;
    const now = clock().toISOString();
    const previous = (await listLiveAccounts(trx, workspaceId)).find(
      (account) => account.role === 'primary',
    );
    await demotePrimaries(trx, workspaceId, now);
    await updateAccount(trx, target.accountId, { role: 'primary', updatedAt: now });
    await audit.record(trx, {
      workspaceId,
      actor,
      action: 'account.made_primary',
      subject: `account:${handle}`,
      before: { primary: previous?.handle ?? null },
      after: { primary: handle },
    });
  }

  async function secretKeyOf(
    accountId: string,
    mode: Mode,
    revision?: number,
  ): Promise<string | null> {
    const credential = await liveAccounts.credentialOf(accountId, mode, revision);
    return credential ? vault.open(credential.sealedSecret) : null;
  }

  async function verifyAccount(
    workspaceId: string,
    handle: string,
    actor: string,
    options: VerifyOptions = {},
  ): Promise<AccountResult> {
    const account = await requireAccount(workspaceId, handle);
    const credentials = await listCredentials(db, [account.accountId]);
    const now = clock().toISOString();
    const warnings: string[] = [];
    let patch: AccountPatch = { verifiedAt: now, updatedAt: now };
    for (const credential of credentials) {
      try {
        options.signal?.throwIfAborted();
        const read = await gateway.retrieveAccount({
          credentials: { secretKey: vault.open(credential.sealedSecret) },
          timeoutMs: options.timeoutMs,
        });
        patch = {
          ...patch,
          ...stateOf(read),
          country: read.country,
          defaultCurrency: read.defaultCurrency,
        };
        if (!read.chargesEnabled && patch.statusReason) warnings.push(patch.statusReason);
      } catch (error) {
        // Only Stripe's answers are about the account; anything else (a vault error) is ours.
        if (!(error instanceof StripeGatewayError)) throw error;
        const kind = error.kind;
        if (kind === 'authentication' || kind === 'permission') {
          patch = {
            ...patch,
            status: 'disconnected',
            statusReason: `Stripe rejected the ${credential.mode} key (${kind === 'authentication' ? 'rolled, deleted or revoked' : 'missing permission'}). Replace it with a working key from Stripe's dashboard.`,
          };
          warnings.push(patch.statusReason ?? '');
        } else {
          throw new AppError(
            'stripe_unreachable',
            `Could not reach Stripe to verify "${handle}" (${error.message}). Nothing changed; try again in a minute.`,
          );
        }
      }
    }
    const before = { health: account.status, chargesEnabled: account.chargesEnabled };
    const after = {
      health: patch.status ?? account.status,
      chargesEnabled: patch.chargesEnabled ?? account.chargesEnabled,
    };
    const changed =
      before.health !== after.health || before.chargesEnabled !== after.chargesEnabled;
    await db.transaction().execute(async (trx) => {
      await updateAccount(trx, account.accountId, patch);
      if (!changed && options.auditOnlyChanges === true) return;
      await audit.record(trx, {
        workspaceId,
        actor,
        action: 'account.verified',
        subject: `account:${handle}`,
        before,
        after,
      });
    });
    return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings };
  }

  /** An operator's verify mends the endpoints too; what it did is said with the warnings. */
  async function repairEndpoints(workspaceId: string, handle: string): Promise<string[]> {
    const endpoints = deps.endpoints;
    if (!endpoints) return [];
    const account = await requireAccount(workspaceId, handle);
    const said: string[] = [];
    for (const credential of await listCredentials(db, [account.accountId])) {
      try {
        const repaired = await endpoints.repair({
          workspaceId,
          accountId: account.accountId,
          mode: credential.mode,
          secretKey: vault.open(credential.sealedSecret),
          operator: true,
        });
        said.push(...repaired.repairs, ...repaired.left);
      } catch (error) {
        if (!(error instanceof StripeGatewayError)) throw error;
        said.push(
          `Could not check the ${credential.mode} webhook endpoint at Stripe (${error.message}).`,
        );
      }
    }
    return said;
  }

  return {
    async listAccounts(workspaceId) {
      const live = await liveAccounts.of(workspaceId);
      return viewsWith(live.accounts, live.credentials);
    },

    async showAccount(workspaceId, handle) {
      return viewOf(await requireAccount(workspaceId, handle));
    },

    async connectWithKeys(workspaceId, input, actor) {
      await requireFreeHandle(workspaceId, input.handle);
      const verified = await verifyAll(input.credentials);
      const stripeAccount = verified[0]?.account;
      if (!stripeAccount) throw new Error('verifyAll returned no account');
      const accountId = newId('acc');
      const now = clock().toISOString();
      return saveNewAccount({
        workspaceId,
        accountId,
        input,
        stripeAccount,
        connectedBy: 'api_keys',
        credentials: keyCredentials(accountId, workspaceId, input.credentials, verified, now),
        secretKeys: verified.flatMap(({ mode }) => {
          const secretKey = input.credentials[mode]?.secretKey.trim();
          return secretKey ? [{ mode, secretKey }] : [];
        }),
        actor,
      });
    },

    async connectWithGrant(workspaceId, input, actor) {
      await requireFreeHandle(workspaceId, input.handle);
      const { grant } = input;
      const mode: Mode = grant.livemode ? 'live' : 'test';
      const stripeAccount = await gateway
        .retrieveAccount({ credentials: { secretKey: grant.accessToken } })
        .catch((error: unknown) => {
          throw new AppError(
            'stripe_unreachable',
            `Stripe granted access but the account could not be read (${(error as Error).message}). Try connecting again.`,
          );
        });
      const accountId = newId('acc');
      const now = clock().toISOString();
      return saveNewAccount({
        workspaceId,
        accountId,
        input: { handle: input.handle, credentials: {} },
        stripeAccount,
        connectedBy: 'oauth',
        credentials: [
          {
            accountId,
            mode,
            workspaceId,
            kind: 'oauth',
            sealedSecret: vault.seal(grant.accessToken),
            maskedSecret: maskSecret(grant.accessToken),
            publishableKey: grant.publishableKey,
            sealedRefreshToken: grant.refreshToken ? vault.seal(grant.refreshToken) : null,
            scope: grant.scope,
            createdAt: now,
          },
        ],
        secretKeys: [{ mode, secretKey: grant.accessToken }],
        actor,
      });
    },

    async updateAccount(workspaceId, handle, changes, actor) {
      const warnings = await db
        .transaction()
        .execute((trx) => updateAccountIn(trx, workspaceId, handle, changes, actor));
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings };
    },

    async makePrimary(workspaceId, handle, actor) {
      await db
        .transaction()
        .execute((trx) => makePrimaryIn(trx, workspaceId, handle, actor))
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? primaryRace() : error;
        });
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings: [] };
    },

    async applyRoutingFields(executor, workspaceId, changes, actor) {
      if (changes.primary) await makePrimaryIn(executor, workspaceId, changes.primary, actor);
      for (const { handle, patch } of changes.patches) {
        if (Object.keys(patch).length > 0) {
          await updateAccountIn(executor, workspaceId, handle, patch, actor);
        }
      }
    },

    async replaceKeys(workspaceId, handle, credentials, actor) {
      const account = await requireAccount(workspaceId, handle);
      // The new keys are proven first; if they fail, the old ones stay in force untouched.
      const verified = await verifyAll(credentials);
      for (const { account: read } of verified) {
        if (read.id !== account.stripeAccountId) {
          throw new AppError(
            'keys_from_different_accounts',
            `These keys belong to Stripe account ${read.id}, but "${handle}" is ${account.stripeAccountId}. Use the keys of ${account.stripeAccountId}, or connect the other account under a new handle.`,
            { field: 'credentials', stripeAccountId: read.id },
          );
        }
      }
      const now = clock().toISOString();
      const read = verified[0]?.account;
      await db.transaction().execute(async (trx) => {
        const before = await viewsOfIn(trx, account);
        for (const credential of keyCredentials(
          account.accountId,
          workspaceId,
          credentials,
          verified,
          now,
        )) {
          await upsertCredential(trx, credential);
        }
        if (read) {
          await updateAccount(trx, account.accountId, {
            ...stateOf(read),
            verifiedAt: now,
            updatedAt: now,
          });
        }
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'account.keys_replaced',
          subject: `account:${handle}`,
          before: before.modes,
          after: (await viewsOfIn(trx, account)).modes,
        });
      });
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings: [] };
    },

    async verifyAccount(workspaceId, handle, actor, options = {}) {
      const verified = await verifyAccount(workspaceId, handle, actor, options);
      if (options.auditOnlyChanges) return verified;
      const repaired = await repairEndpoints(workspaceId, handle);
      return { ...verified, warnings: [...verified.warnings, ...repaired] };
    },

    async removeAccount(workspaceId, handle, actor) {
      const account = await requireAccount(workspaceId, handle);
      const references = (await deps.referencesTo?.(workspaceId, handle)) ?? [];
      if (references.length > 0) {
        throw new AppError(
          'account_in_use',
          `"${handle}" is still used by ${references.join(', ')}. Point them at another account, then remove it.`,
          { references },
        );
      }
      const others = (await listLiveAccounts(db, workspaceId)).filter(
        (other) => other.accountId !== account.accountId,
      );
      if (account.role === 'primary' && others.length > 0) {
        throw new AppError('conflict', `"${handle}" is the primary account.`, {
          handle,
          next: 'accounts.primary',
        });
      }
      const now = clock().toISOString();
      await db.transaction().execute(async (trx) => {
        const before = await viewsOfIn(trx, account);
        await updateAccount(trx, account.accountId, {
          removedAt: now,
          updatedAt: now,
          enabled: false,
        });
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'account.removed',
          subject: `account:${handle}`,
          before,
        });
      });
      await deps.webhooks.removeEndpoints({
        accountId: account.accountId,
        secretKeyOf: (mode) => secretKeyOf(account.accountId, mode),
      });
      if (account.connectedBy === 'oauth') await deps.deauthorize?.(account.stripeAccountId);
    },

    async refreshAccount(accountId, actor) {
      const account = await findAccountById(db, accountId);
      if (!account || account.removedAt !== null) return;
      await verifyAccount(account.workspaceId, account.handle, actor);
    },

    async markDisconnected(accountId, reason, actor) {
      const account = await findAccountById(db, accountId);
      if (!account || account.removedAt !== null || account.status === 'disconnected') return;
      const now = clock().toISOString();
      await db.transaction().execute(async (trx) => {
        await updateAccount(trx, accountId, {
          status: 'disconnected',
          statusReason: reason,
          updatedAt: now,
        });
        await audit.record(trx, {
          workspaceId: account.workspaceId,
          actor,
          action: 'account.disconnected',
          subject: `account:${account.handle}`,
          before: { health: account.status },
          after: { health: 'disconnected', reason },
        });
      });
    },

    secretKeyOf,

    async publishableKeyOf(accountId, mode, revision) {
      return (await liveAccounts.credentialOf(accountId, mode, revision))?.publishableKey ?? null;
    },
  };
}

/** Words the console's own pages use after /admin/accounts/; an account cannot be named so. */
const reservedHandles = new Set(['new', 'connect']);

/** Refuses a handle the console could not tell from one of its own pages. */
export function refuseReservedHandle(handle: string): void {
  if (reservedHandles.has(handle)) {
    throw new AppError(
      'duplicate_handle',
      `The handle "${handle}" is kept for Switchyard's own pages. Pick another handle, e.g. "${handle}-account".`,
      { field: 'handle', handle },
    );
  }
}
