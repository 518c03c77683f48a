import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { newId } from '../db/ids.js';
import type { AccountCredentialTable, AccountTable, Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { OAuthGrant, StripeAccountSummary, StripeGateway } from '../stripe/gateway.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import {
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
}

/** An account as every API answer and CLI table shows it: secrets masked, never whole. */
export interface AccountView {
  handle: string;
  label: string;
  purpose: string;
  role: 'primary' | 'secondary';
  priority: number;
  currencies: string[] | null;
  enabled: boolean;
  drain: boolean;
  stripeAccountId: string;
  country: string | null;
  defaultCurrency: string | null;
  chargesEnabled: boolean;
  disabledReason: string | null;
  health: 'healthy' | 'restricted' | 'disconnected';
  healthReason: string | null;
  connectedBy: 'api_keys' | 'oauth';
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
  verifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AccountResult {
  account: AccountView;
  warnings: string[];
}

export interface AccountsDependencies {
  db: Kysely<Database>;
  gateway: StripeGateway;
  vault: Vault;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** What still points at an account (routing pins, rules); filled in by the routing feature. */
  referencesTo?: (workspaceId: string, handle: string) => Promise<string[]>;
  webhooks: Pick<WebhooksService, 'registerEndpoint' | 'removeEndpoints'>;
  /** Revokes a Connect OAuth grant when its account is removed. */
  deauthorize?: (stripeAccountId: string) => Promise<void>;
}

const modes: readonly Mode[] = ['test', 'live'];

export function createAccountsService(deps: AccountsDependencies) {
  const { db, gateway, vault, audit, clock } = deps;

  function viewOf(row: AccountTable): Promise<AccountView> {
    return viewsOfIn(db, row);
  }

  /** `executor` is the transaction when called inside one (SQLite has a single connection). */
  async function viewsOf(
    rows: AccountTable[],
    executor: Kysely<Database> = db,
  ): Promise<AccountView[]> {
    const credentials = await listCredentials(
      executor,
      rows.map((row) => row.account_id),
    );
    const now = clock().getTime();
    return rows.map((row) => {
      const own = credentials.filter((credential) => credential.account_id === row.account_id);
      return {
        handle: row.handle,
        label: row.label,
        purpose: row.purpose,
        role: row.role,
        priority: row.priority,
        currencies: row.currencies === null ? null : (JSON.parse(row.currencies) as string[]),
        enabled: row.enabled === 1,
        drain: row.drain === 1,
        stripeAccountId: row.stripe_account_id,
        country: row.country,
        defaultCurrency: row.default_currency,
        chargesEnabled: row.charges_enabled === 1,
        disabledReason: row.disabled_reason,
        health: row.status,
        healthReason: row.status_reason,
        connectedBy: row.connected_by,
        modes: Object.fromEntries(
          own.map((credential) => [
            credential.mode,
            {
              keyType: credential.kind,
              secretKey: credential.secret_masked,
              publishableKey: credential.publishable_key,
              keyAddedAt: credential.created_at,
              keyAgeDays: Math.floor((now - Date.parse(credential.created_at)) / 86_400_000),
            },
          ]),
        ),
        verifiedAt: row.verified_at,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      };
    });
  }

  async function requireAccount(
    workspaceId: string,
    handle: string,
    executor: Kysely<Database> = db,
  ): Promise<AccountTable> {
    const row = await findLiveAccountByHandle(executor, workspaceId, handle);
    if (!row) {
      throw new AppError('not_found', `No account has the handle "${handle}".`, { handle });
    }
    return row;
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

  function credentialRows(
    accountId: string,
    workspaceId: string,
    credentials: Partial<Record<Mode, KeyPair>>,
    verified: VerifiedKeys[],
    createdAt: string,
  ): AccountCredentialTable[] {
    return verified.map(({ mode, kind }) => {
      const keys = credentials[mode];
      if (!keys) throw new Error(`verified ${mode} keys that were not given`);
      return {
        account_id: accountId,
        mode,
        workspace_id: workspaceId,
        kind,
        secret_encrypted: vault.seal(keys.secretKey.trim()),
        secret_masked: maskSecret(keys.secretKey.trim()),
        publishable_key: keys.publishableKey.trim(),
        refresh_token_encrypted: null,
        scope: null,
        created_at: createdAt,
      };
    });
  }

  function statusOf(account: StripeAccountSummary) {
    return account.chargesEnabled
      ? { status: 'healthy' as const, status_reason: null }
      : {
          status: 'restricted' as const,
          status_reason: `Stripe has disabled charges on this account${account.disabledReason ? ` (${account.disabledReason})` : ''}. Resolve it in the Stripe dashboard; until then new payments go to other accounts.`,
        };
  }

  function primaryRace(): AppError {
    return new AppError(
      'conflict',
      'Another change to the primary account happened at the same moment.',
      { next: 'accounts.list' },
    );
  }

  async function requireFreeHandle(workspaceId: string, handle: string): Promise<void> {
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
    credentials: AccountCredentialTable[];
    secretKeys: Array<{ mode: Mode; secretKey: string }>;
    actor: string;
  }): Promise<AccountResult> {
    const { workspaceId, accountId, stripeAccount, actor } = input;
    const fields = input.input;
    const existing = await findLiveAccountByStripeId(db, workspaceId, stripeAccount.id);
    if (existing) {
      throw new AppError(
        'duplicate_account',
        `Stripe account ${stripeAccount.id} is already connected as "${existing.handle}". Use that handle, or remove it first.`,
        { handle: existing.handle, stripeAccountId: stripeAccount.id },
      );
    }
    const now = clock().toISOString();
    const warnings: string[] = [];
    const row = await db
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
        const account: AccountTable = {
          account_id: accountId,
          workspace_id: workspaceId,
          handle: fields.handle,
          label: fields.label ?? stripeAccount.displayName?.slice(0, 200) ?? fields.handle,
          purpose: fields.purpose ?? '',
          role,
          priority: fields.priority ?? 0,
          currencies: fields.currencies ? JSON.stringify(fields.currencies) : null,
          enabled: 1,
          drain: 0,
          connected_by: input.connectedBy,
          stripe_account_id: stripeAccount.id,
          country: stripeAccount.country,
          default_currency: stripeAccount.defaultCurrency,
          charges_enabled: stripeAccount.chargesEnabled ? 1 : 0,
          disabled_reason: stripeAccount.disabledReason,
          ...statusOf(stripeAccount),
          verified_at: now,
          created_at: now,
          updated_at: now,
          removed_at: null,
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
        if (taken) {
          throw new AppError(
            'duplicate_account',
            `Stripe account ${stripeAccount.id} is already connected as "${taken.handle}". Use that handle, or remove it first.`,
            { handle: taken.handle, stripeAccountId: stripeAccount.id },
          );
        }
        throw primaryRace();
      });
    if (row.status === 'restricted' && row.status_reason) warnings.push(row.status_reason);
    for (const { mode, secretKey } of input.secretKeys) {
      const registered = await deps.webhooks.registerEndpoint({
        workspaceId,
        accountId,
        mode,
        secretKey,
      });
      warnings.push(...registered.warnings);
    }
    return { account: await viewOf(row), warnings };
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
      ...(changes.currencies !== undefined
        ? { currencies: changes.currencies === null ? null : JSON.stringify(changes.currencies) }
        : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled ? 1 : 0 } : {}),
      ...(changes.drain !== undefined ? { drain: changes.drain ? 1 : 0 } : {}),
      updated_at: clock().toISOString(),
    };
    await updateAccount(trx, before.account_id, patch);
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
      (row) => row.role === 'primary',
    );
    await demotePrimaries(trx, workspaceId, now);
    await updateAccount(trx, target.account_id, { role: 'primary', updated_at: now });
    await audit.record(trx, {
      workspaceId,
      actor,
      action: 'account.made_primary',
      subject: `account:${handle}`,
      before: { primary: previous?.handle ?? null },
      after: { primary: handle },
    });
  }

  return {
    viewsOf,

    async listAccounts(workspaceId: string): Promise<AccountView[]> {
      return viewsOf(await listLiveAccounts(db, workspaceId));
    },

    async showAccount(workspaceId: string, handle: string): Promise<AccountView> {
      return viewOf(await requireAccount(workspaceId, handle));
    },

    async connectWithKeys(
      workspaceId: string,
      input: NewAccount,
      actor: string,
    ): Promise<AccountResult> {
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
        credentials: credentialRows(accountId, workspaceId, input.credentials, verified, now),
        secretKeys: verified.flatMap(({ mode }) => {
          const secretKey = input.credentials[mode]?.secretKey.trim();
          return secretKey ? [{ mode, secretKey }] : [];
        }),
        actor,
      });
    },

    /** "Connect with Stripe": the OAuth grant is the account's credential for its mode. */
    async connectWithGrant(
      workspaceId: string,
      input: { handle: string; grant: OAuthGrant },
      actor: string,
    ): Promise<AccountResult> {
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
            account_id: accountId,
            mode,
            workspace_id: workspaceId,
            kind: 'oauth',
            secret_encrypted: vault.seal(grant.accessToken),
            secret_masked: maskSecret(grant.accessToken),
            publishable_key: grant.publishableKey,
            refresh_token_encrypted: grant.refreshToken ? vault.seal(grant.refreshToken) : null,
            scope: grant.scope,
            created_at: now,
          },
        ],
        secretKeys: [{ mode, secretKey: grant.accessToken }],
        actor,
      });
    },

    async updateAccount(
      workspaceId: string,
      handle: string,
      changes: AccountChanges,
      actor: string,
    ): Promise<AccountResult> {
      const warnings = await db
        .transaction()
        .execute((trx) => updateAccountIn(trx, workspaceId, handle, changes, actor));
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings };
    },

    async makePrimary(workspaceId: string, handle: string, actor: string): Promise<AccountResult> {
      await db
        .transaction()
        .execute((trx) => makePrimaryIn(trx, workspaceId, handle, actor))
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? primaryRace() : error;
        });
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings: [] };
    },

    /**
     * Applies a routing document's account fields inside the caller's transaction, so a routing
     * version and the account changes it makes stand or fall together.
     */
    async applyRoutingFields(
      executor: Kysely<Database>,
      workspaceId: string,
      changes: {
        primary: string | null;
        patches: Array<{ handle: string; patch: AccountChanges }>;
      },
      actor: string,
    ): Promise<void> {
      if (changes.primary) await makePrimaryIn(executor, workspaceId, changes.primary, actor);
      for (const { handle, patch } of changes.patches) {
        if (Object.keys(patch).length > 0) {
          await updateAccountIn(executor, workspaceId, handle, patch, actor);
        }
      }
    },

    async replaceKeys(
      workspaceId: string,
      handle: string,
      credentials: Partial<Record<Mode, KeyPair>>,
      actor: string,
    ): Promise<AccountResult> {
      const row = await requireAccount(workspaceId, handle);
      // The new keys are proven first; if they fail, the old ones stay in force untouched.
      const verified = await verifyAll(credentials);
      for (const { account } of verified) {
        if (account.id !== row.stripe_account_id) {
          throw new AppError(
            'keys_from_different_accounts',
            `These keys belong to Stripe account ${account.id}, but "${handle}" is ${row.stripe_account_id}. Use the keys of ${row.stripe_account_id}, or connect the other account under a new handle.`,
            { field: 'credentials', stripeAccountId: account.id },
          );
        }
      }
      const now = clock().toISOString();
      const account = verified[0]?.account;
      await db.transaction().execute(async (trx) => {
        const before = await viewsOfIn(trx, row);
        for (const credential of credentialRows(
          row.account_id,
          workspaceId,
          credentials,
          verified,
          now,
        )) {
          await upsertCredential(trx, credential);
        }
        if (account) {
          await updateAccount(trx, row.account_id, {
            ...statusOf(account),
            charges_enabled: account.chargesEnabled ? 1 : 0,
            disabled_reason: account.disabledReason,
            verified_at: now,
            updated_at: now,
          });
        }
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'account.keys_replaced',
          subject: `account:${handle}`,
          before: before.modes,
          after: (await viewsOfIn(trx, row)).modes,
        });
      });
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings: [] };
    },

    /** Reads the account from Stripe again and records what it says. */
    async verifyAccount(
      workspaceId: string,
      handle: string,
      actor: string,
    ): Promise<AccountResult> {
      const row = await requireAccount(workspaceId, handle);
      const credentials = await listCredentials(db, [row.account_id]);
      const now = clock().toISOString();
      const warnings: string[] = [];
      let patch: Partial<AccountTable> = { verified_at: now, updated_at: now };
      for (const credential of credentials) {
        try {
          const account = await gateway.retrieveAccount({
            credentials: { secretKey: vault.open(credential.secret_encrypted) },
          });
          patch = {
            ...patch,
            ...statusOf(account),
            charges_enabled: account.chargesEnabled ? 1 : 0,
            disabled_reason: account.disabledReason,
            country: account.country,
            default_currency: account.defaultCurrency,
          };
          if (!account.chargesEnabled && patch.status_reason) warnings.push(patch.status_reason);
        } catch (error) {
          // Only Stripe's answers are about the account; anything else (a vault error) is ours.
          if (!(error instanceof StripeGatewayError)) throw error;
          const kind = error.kind;
          if (kind === 'authentication' || kind === 'permission') {
            patch = {
              ...patch,
              status: 'disconnected',
              status_reason: `Stripe rejected the ${credential.mode} key (${kind === 'authentication' ? 'rolled, deleted or revoked' : 'missing permission'}). Replace it with a working key from Stripe's dashboard.`,
            };
            warnings.push(patch.status_reason ?? '');
          } else {
            throw new AppError(
              'stripe_unreachable',
              `Could not reach Stripe to verify "${handle}" (${error.message}). Nothing changed; try again in a minute.`,
            );
          }
        }
      }
      await db.transaction().execute(async (trx) => {
        await updateAccount(trx, row.account_id, patch);
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'account.verified',
          subject: `account:${handle}`,
          before: { health: row.status, chargesEnabled: row.charges_enabled === 1 },
          after: {
            health: patch.status ?? row.status,
            chargesEnabled: (patch.charges_enabled ?? row.charges_enabled) === 1,
          },
        });
      });
      return { account: await viewOf(await requireAccount(workspaceId, handle)), warnings };
    },

    async removeAccount(workspaceId: string, handle: string, actor: string): Promise<void> {
      const row = await requireAccount(workspaceId, handle);
      const references = (await deps.referencesTo?.(workspaceId, handle)) ?? [];
      if (references.length > 0) {
        throw new AppError(
          'account_in_use',
          `"${handle}" is still used by ${references.join(', ')}. Point them at another account, then remove it.`,
          { references },
        );
      }
      const others = (await listLiveAccounts(db, workspaceId)).filter(
        (other) => other.account_id !== row.account_id,
      );
      if (row.role === 'primary' && others.length > 0) {
        throw new AppError('conflict', `"${handle}" is the primary account.`, {
          handle,
          next: 'accounts.primary',
        });
      }
      const now = clock().toISOString();
      await db.transaction().execute(async (trx) => {
        const before = await viewsOfIn(trx, row);
        await updateAccount(trx, row.account_id, { removed_at: now, updated_at: now, enabled: 0 });
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'account.removed',
          subject: `account:${handle}`,
          before,
        });
      });
      await deps.webhooks.removeEndpoints({
        accountId: row.account_id,
        secretKeyOf: (mode) => secretKeyOf(row.account_id, mode),
      });
      if (row.connected_by === 'oauth') await deps.deauthorize?.(row.stripe_account_id);
    },

    /** Stripe said the account changed (`account.updated`): read it again and record its state. */
    async refreshAccount(accountId: string, actor: string): Promise<void> {
      const row = await findAccountById(db, accountId);
      if (!row || row.removed_at !== null) return;
      await this.verifyAccount(row.workspace_id, row.handle, actor);
    },

    /** Stripe said the platform lost access (`account.application.deauthorized`). */
    async markDisconnected(accountId: string, reason: string, actor: string): Promise<void> {
      const row = await findAccountById(db, accountId);
      if (!row || row.removed_at !== null || row.status === 'disconnected') return;
      const now = clock().toISOString();
      await db.transaction().execute(async (trx) => {
        await updateAccount(trx, accountId, {
          status: 'disconnected',
          status_reason: reason,
          updated_at: now,
        });
        await audit.record(trx, {
          workspaceId: row.workspace_id,
          actor,
          action: 'account.disconnected',
          subject: `account:${row.handle}`,
          before: { health: row.status },
          after: { health: 'disconnected', reason },
        });
      });
    },

    /** The decrypted secret key of an account's mode, for calls to Stripe; never shown. */
    secretKeyOf,

    /** The publishable key Stripe.js needs for PaymentIntents made on an account's mode. */
    async publishableKeyOf(accountId: string, mode: Mode): Promise<string | null> {
      const [credential] = (await listCredentials(db, [accountId])).filter((c) => c.mode === mode);
      return credential?.publishable_key ?? null;
    },
  };

  async function secretKeyOf(accountId: string, mode: Mode): Promise<string | null> {
    const [credential] = (await listCredentials(db, [accountId])).filter((c) => c.mode === mode);
    return credential ? vault.open(credential.secret_encrypted) : null;
  }

  async function viewsOfIn(executor: Kysely<Database>, row: AccountTable): Promise<AccountView> {
    const [view] = await viewsOf([row], executor);
    if (!view) throw new Error('viewsOf lost a row');
    return view;
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>;
