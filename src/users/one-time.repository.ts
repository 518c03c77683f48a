import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, OneTimeCodeTable, UserInviteTable } from '../db/schema.js';

/** An invite as stored: the SHA-256 of its link's token, never the token. */
export interface StoredInvite {
  id: string;
  tokenHash: string;
  workspaceId: string;
  email: string;
  role: string;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

function storedInviteOf(row: Selectable<UserInviteTable>): StoredInvite {
  return {
    id: row.invite_id,
    tokenHash: row.token_hash,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role,
    invitedBy: row.invited_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    acceptedAt: row.accepted_at,
    revokedAt: row.revoked_at,
  };
}

export async function insertInvite(db: Kysely<Database>, invite: StoredInvite): Promise<void> {
  await db
    .insertInto('user_invites')
    .values({
      invite_id: invite.id,
      token_hash: invite.tokenHash,
      workspace_id: invite.workspaceId,
      email: invite.email,
      role: invite.role,
      invited_by: invite.invitedBy,
      created_at: invite.createdAt,
      expires_at: invite.expiresAt,
      accepted_at: invite.acceptedAt,
      revoked_at: invite.revokedAt,
    })
    .execute();
}

export async function findInviteByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<StoredInvite | undefined> {
  const row = await db
    .selectFrom('user_invites')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && storedInviteOf(row);
}

export async function findInviteById(
  db: Kysely<Database>,
  workspaceId: string,
  inviteId: string,
): Promise<StoredInvite | undefined> {
  const row = await db
    .selectFrom('user_invites')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('invite_id', '=', inviteId)
    .executeTakeFirst();
  return row && storedInviteOf(row);
}

/** Invites neither accepted nor revoked and not yet expired, newest first. */
export async function listPendingInvites(
  db: Kysely<Database>,
  workspaceId: string,
  now: string,
): Promise<StoredInvite[]> {
  const rows = await db
    .selectFrom('user_invites')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(storedInviteOf);
}

/** Revokes the pending invites of one email (a new invite replaces them). */
export async function revokeInvitesOfEmail(
  db: Kysely<Database>,
  workspaceId: string,
  email: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('user_invites')
    .set({ revoked_at: at })
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeInvite(db: Kysely<Database>, inviteId: string, at: string) {
  const result = await db
    .updateTable('user_invites')
    .set({ revoked_at: at })
    .where('invite_id', '=', inviteId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks an invite accepted, only if it still can be: true for the one caller that did it. */
export async function acceptInvite(
  db: Kysely<Database>,
  inviteId: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('user_invites')
    .set({ accepted_at: at })
    .where('invite_id', '=', inviteId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export type OneTimeCodePurpose = 'setup' | 'sign_in';

export async function insertOneTimeCode(
  db: Kysely<Database>,
  code: Omit<Selectable<OneTimeCodeTable>, 'used_at'>,
): Promise<void> {
  await db
    .insertInto('one_time_codes')
    .values({ ...code, used_at: null })
    .execute();
}

/** A code of that purpose that is neither used nor expired, or undefined. */
export async function findLiveCode(
  db: Kysely<Database>,
  codeHash: string,
  purpose: OneTimeCodePurpose,
  now: string,
): Promise<Selectable<OneTimeCodeTable> | undefined> {
  return db
    .selectFrom('one_time_codes')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Uses a code, only if it is still unused: true for the one caller that did it. */
export async function useCode(db: Kysely<Database>, codeHash: string, at: string) {
  const result = await db
    .updateTable('one_time_codes')
    .set({ used_at: at })
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Uses up every setup code of a workspace at once: the first owner exists. */
export async function useAllSetupCodes(db: Kysely<Database>, workspaceId: string, at: string) {
  await db
    .updateTable('one_time_codes')
    .set({ used_at: at })
    .where('workspace_id', '=', workspaceId)
    .where('purpose', '=', 'setup')
    .where('used_at', 'is', null)
    .execute();
}

/** The failures counted under a key in its current window, or undefined when none. */
export async function findThrottle(db: Kysely<Database>, key: string) {
  const row = await db
    .selectFrom('sign_in_throttle')
    .selectAll()
    .where('throttle_key', '=', key)
    .executeTakeFirst();
  return row && { windowStart: row.window_start, failures: Number(row.failures) };
}

/**
 * Counts one failure under a key in one statement, so instances sharing the database add up: a
 * window that began before `windowFrom` starts again at `now` with this failure.
 */
export async function countFailure(
  db: Kysely<Database>,
  key: string,
  now: string,
  windowFrom: string,
): Promise<void> {
  await db
    .insertInto('sign_in_throttle')
    .values({ throttle_key: key, window_start: now, failures: 1 })
    .onConflict((conflict) =>
      conflict.column('throttle_key').doUpdateSet({
        failures: sql<number>`case when sign_in_throttle.window_start <= ${windowFrom} then 1 else sign_in_throttle.failures + 1 end`,
        window_start: sql<string>`case when sign_in_throttle.window_start <= ${windowFrom} then ${now} else sign_in_throttle.window_start end`,
      }),
    )
    .execute();
}

export async function clearThrottle(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('throttle_key', '=', key).execute();
}
