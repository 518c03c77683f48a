import type { Kysely, Updateable } from 'kysely';
import type { AccountCredentialTable, AccountTable, Database } from '../db/schema.js';

export async function insertAccount(db: Kysely<Database>, account: AccountTable): Promise<void> {
  await db.insertInto('accounts').values(account).execute();
}

export async function updateAccount(
  db: Kysely<Database>,
  accountId: string,
  patch: Updateable<AccountTable>,
): Promise<void> {
  await db.updateTable('accounts').set(patch).where('account_id', '=', accountId).execute();
}

export async function findLiveAccountByHandle(
  db: Kysely<Database>,
  workspaceId: string,
  handle: string,
): Promise<AccountTable | undefined> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('handle', '=', handle)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
}

export async function findLiveAccountByStripeId(
  db: Kysely<Database>,
  workspaceId: string,
  stripeAccountId: string,
): Promise<AccountTable | undefined> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('stripe_account_id', '=', stripeAccountId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
}

export async function listLiveAccounts(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<AccountTable[]> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('removed_at', 'is', null)
    .orderBy('role')
    .orderBy('priority')
    .orderBy('handle')
    .execute();
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
  credential: AccountCredentialTable,
): Promise<void> {
  await db
    .deleteFrom('account_credentials')
    .where('account_id', '=', credential.account_id)
    .where('mode', '=', credential.mode)
    .execute();
  await db.insertInto('account_credentials').values(credential).execute();
}

export async function listCredentials(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<AccountCredentialTable[]> {
  if (accountIds.length === 0) return [];
  return db
    .selectFrom('account_credentials')
    .selectAll()
    .where('account_id', 'in', accountIds)
    .orderBy('mode')
    .execute();
}

export async function listAllSealedSecrets(db: Kysely<Database>) {
  return db
    .selectFrom('account_credentials')
    .select(['account_id', 'mode', 'secret_encrypted', 'refresh_token_encrypted'])
    .execute();
}

export async function findAccountById(
  db: Kysely<Database>,
  accountId: string,
): Promise<AccountTable | undefined> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export async function updateCredentialSecrets(
  db: Kysely<Database>,
  key: { accountId: string; mode: 'test' | 'live' },
  sealed: { secret_encrypted: string; refresh_token_encrypted: string | null },
): Promise<void> {
  await db
    .updateTable('account_credentials')
    .set(sealed)
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .execute();
}
