import type { Kysely, Updateable } from 'kysely';
import type { AccountCredentialTable, AccountTable, Database } from '../db/schema.js';
import type { AccountCap } from '../routing/index.js';
import type { Mode } from './key-verification.js';

/** A connected account as stored; `AccountView` is what answers show of it. */
export interface Account {
  accountId: string;
  workspaceId: string;
  handle: string;
  label: string;
  purpose: string;
  role: 'primary' | 'secondary';
  priority: number;
  /** Lower-case ISO currency codes, or null for "any". */
  currencies: string[] | null;
  enabled: boolean;
  drain: boolean;
  connectedBy: 'api_keys' | 'oauth';
  stripeAccountId: string;
  country: string | null;
  defaultCurrency: string | null;
  chargesEnabled: boolean;
  disabledReason: string | null;
  /** What Stripe last told us: `healthy`, `restricted` (cannot charge) or `disconnected`. */
  status: 'healthy' | 'restricted' | 'disconnected';
  statusReason: string | null;
  verifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
  removedAt: string | null;
  /** Volume caps of new payments (issue 16); null: none. */
  caps: AccountCap[] | null;
}

/** What an update may change: everything but the account's identity. */
export type AccountPatch = Partial<
  Omit<Account, 'accountId' | 'workspaceId' | 'handle' | 'connectedBy' | 'createdAt'>
>;

/** The keys of one account and mode, secrets sealed by the vault. */
export interface Credential {
  accountId: string;
  mode: Mode;
  workspaceId: string;
  kind: 'secret_key' | 'restricted_key' | 'oauth';
  /** The secret key or OAuth access token. */
  sealedSecret: string;
  /** `sk_test_…abcd`: enough to recognise a key, never enough to use it. */
  maskedSecret: string;
  publishableKey: string;
  sealedRefreshToken: string | null;
  scope: string | null;
  createdAt: string;
}

/** The sealed secrets of one credential, as a master key rotation reseals them. */
export interface SealedSecrets {
  sealedSecret: string;
  sealedRefreshToken: string | null;
}

export async function insertAccount(db: Kysely<Database>, account: Account): Promise<void> {
  await db.insertInto('accounts').values(accountRowOf(account)).execute();
}

export async function updateAccount(
  db: Kysely<Database>,
  accountId: string,
  patch: AccountPatch,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set(accountPatchRowOf(patch))
    .where('account_id', '=', accountId)
    .execute();
}

export async function findLiveAccountByHandle(
  db: Kysely<Database>,
  workspaceId: string,
  handle: string,
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('handle', '=', handle)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row && accountOf(row);
}

export async function findLiveAccountByStripeId(
  db: Kysely<Database>,
  workspaceId: string,
  stripeAccountId: string,
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('stripe_account_id', '=', stripeAccountId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row && accountOf(row);
}

export async function listLiveAccounts(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<Account[]> {
  const rows = await db
    .selectFrom('accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('removed_at', 'is', null)
    .orderBy('role')
    .orderBy('priority')
    .orderBy('handle')
    .execute();
  return rows.map(accountOf);
}

export async function demotePrimaries(
  db: Kysely<Database>,
  workspaceId: string,
  updatedAt: string,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ role: 'secondary', updated_at: updatedAt })
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'primary')
    .where('removed_at', 'is', null)
    .execute();
}

export async function upsertCredential(
  db: Kysely<Database>,
  credential: Credential,
): Promise<void> {
  await db
    .deleteFrom('account_credentials')
    .where('account_id', '=', credential.accountId)
    .where('mode', '=', credential.mode)
    .execute();
  await db.insertInto('account_credentials').values(credentialRowOf(credential)).execute();
}

export async function listCredentials(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<Credential[]> {
  if (accountIds.length === 0) return [];
  const rows = await db
    .selectFrom('account_credentials')
    .selectAll()
    .where('account_id', 'in', accountIds)
    .orderBy('mode')
    .execute();
  return rows.map(credentialOf);
}

export async function listAllSealedSecrets(
  db: Kysely<Database>,
): Promise<Array<SealedSecrets & { accountId: string; mode: Mode }>> {
  const rows = await db
    .selectFrom('account_credentials')
    .select(['account_id', 'mode', 'secret_encrypted', 'refresh_token_encrypted'])
    .execute();
  return rows.map((row) => ({
    accountId: row.account_id,
    mode: row.mode,
    sealedSecret: row.secret_encrypted,
    sealedRefreshToken: row.refresh_token_encrypted,
  }));
}

export async function findAccountById(
  db: Kysely<Database>,
  accountId: string,
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row && accountOf(row);
}

export async function updateCredentialSecrets(
  db: Kysely<Database>,
  key: { accountId: string; mode: Mode },
  sealed: SealedSecrets,
): Promise<void> {
  await db
    .updateTable('account_credentials')
    .set({
      secret_encrypted: sealed.sealedSecret,
      refresh_token_encrypted: sealed.sealedRefreshToken,
    })
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .execute();
}

function accountOf(row: AccountTable): Account {
  return {
    accountId: row.account_id,
    workspaceId: row.workspace_id,
    handle: row.handle,
    label: row.label,
    purpose: row.purpose,
    role: row.role,
    priority: row.priority,
    currencies: row.currencies === null ? null : (JSON.parse(row.currencies) as string[]),
    enabled: row.enabled === 1,
    drain: row.drain === 1,
    connectedBy: row.connected_by,
    stripeAccountId: row.stripe_account_id,
    country: row.country,
    defaultCurrency: row.default_currency,
    chargesEnabled: row.charges_enabled === 1,
    disabledReason: row.disabled_reason,
    status: row.status,
    statusReason: row.status_reason,
    verifiedAt: row.verified_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    removedAt: row.removed_at,
    caps: row.caps === null ? null : (JSON.parse(row.caps) as AccountCap[]),
  };
}

function accountRowOf(account: Account): AccountTable {
  return {
    account_id: account.accountId,
    workspace_id: account.workspaceId,
    handle: account.handle,
    connected_by: account.connectedBy,
    created_at: account.createdAt,
    label: account.label,
    purpose: account.purpose,
    role: account.role,
    priority: account.priority,
    currencies: currenciesColumn(account.currencies),
    enabled: flag(account.enabled),
    drain: flag(account.drain),
    stripe_account_id: account.stripeAccountId,
    country: account.country,
    default_currency: account.defaultCurrency,
    charges_enabled: flag(account.chargesEnabled),
    disabled_reason: account.disabledReason,
    status: account.status,
    status_reason: account.statusReason,
    verified_at: account.verifiedAt,
    updated_at: account.updatedAt,
    removed_at: account.removedAt,
    caps: capsColumn(account.caps),
  };
}

function accountPatchRowOf(patch: AccountPatch): Updateable<AccountTable> {
  const row: Updateable<AccountTable> = {};
  if (patch.label !== undefined) row.label = patch.label;
  if (patch.purpose !== undefined) row.purpose = patch.purpose;
  if (patch.role !== undefined) row.role = patch.role;
  if (patch.priority !== undefined) row.priority = patch.priority;
  if (patch.currencies !== undefined) row.currencies = currenciesColumn(patch.currencies);
  if (patch.enabled !== undefined) row.enabled = flag(patch.enabled);
  if (patch.drain !== undefined) row.drain = flag(patch.drain);
  if (patch.stripeAccountId !== undefined) row.stripe_account_id = patch.stripeAccountId;
  if (patch.country !== undefined) row.country = patch.country;
  if (patch.defaultCurrency !== undefined) row.default_currency = patch.defaultCurrency;
  if (patch.chargesEnabled !== undefined) row.charges_enabled = flag(patch.chargesEnabled);
  if (patch.disabledReason !== undefined) row.disabled_reason = patch.disabledReason;
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.statusReason !== undefined) row.status_reason = patch.statusReason;
  if (patch.verifiedAt !== undefined) row.verified_at = patch.verifiedAt;
  if (patch.updatedAt !== undefined) row.updated_at = patch.updatedAt;
  if (patch.removedAt !== undefined) row.removed_at = patch.removedAt;
  if (patch.caps !== undefined) row.caps = capsColumn(patch.caps);
  return row;
}

function capsColumn(caps: AccountCap[] | null): string | null {
  return caps === null || caps.length === 0 ? null : JSON.stringify(caps);
}

function credentialOf(row: AccountCredentialTable): Credential {
  return {
    accountId: row.account_id,
    mode: row.mode,
    workspaceId: row.workspace_id,
    kind: row.kind,
    sealedSecret: row.secret_encrypted,
    maskedSecret: row.secret_masked,
    publishableKey: row.publishable_key,
    sealedRefreshToken: row.refresh_token_encrypted,
    scope: row.scope,
    createdAt: row.created_at,
  };
}

function credentialRowOf(credential: Credential): AccountCredentialTable {
  return {
    account_id: credential.accountId,
    mode: credential.mode,
    workspace_id: credential.workspaceId,
    kind: credential.kind,
    secret_encrypted: credential.sealedSecret,
    secret_masked: credential.maskedSecret,
    publishable_key: credential.publishableKey,
    refresh_token_encrypted: credential.sealedRefreshToken,
    scope: credential.scope,
    created_at: credential.createdAt,
  };
}

function currenciesColumn(currencies: string[] | null): string | null {
  return currencies === null ? null : JSON.stringify(currencies);
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}
