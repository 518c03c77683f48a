import type { Kysely, Selectable } from 'kysely';
import type { ConsoleSessionTable, Database } from '../db/schema.js';

/** A console session as stored: the SHA-256 of its token, never the token. */
export interface StoredSession {
  id: string;
  tokenHash: string;
  workspaceId: string;
  userId: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute expiry. */
  expiresAt: string;
  revokedAt: string | null;
}

function storedSessionOf(row: Selectable<ConsoleSessionTable>): StoredSession {
  return {
    id: row.session_id,
    tokenHash: row.token_hash,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export async function insertSession(db: Kysely<Database>, session: StoredSession): Promise<void> {
  await db
    .insertInto('console_sessions')
    .values({
      session_id: session.id,
      token_hash: session.tokenHash,
      workspace_id: session.workspaceId,
      user_id: session.userId,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      expires_at: session.expiresAt,
      revoked_at: session.revokedAt,
    })
    .execute();
}

export async function findSessionByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<StoredSession | undefined> {
  const row = await db
    .selectFrom('console_sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && storedSessionOf(row);
}

export async function touchSession(
  db: Kysely<Database>,
  sessionId: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ last_seen_at: at })
    .where('session_id', '=', sessionId)
    .execute();
}

export async function revokeSession(
  db: Kysely<Database>,
  sessionId: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ revoked_at: at })
    .where('session_id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Ends every live session of one user (sign out everywhere, a removed user, a new password). */
export async function revokeSessionsOfUser(
  db: Kysely<Database>,
  userId: string,
  at: string,
): Promise<number> {
  const result = await db
    .updateTable('console_sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Ends every live session of one user but the one they are using (a new password). */
export async function revokeOtherSessions(
  db: Kysely<Database>,
  userId: string,
  keepSessionId: string | null,
  at: string,
): Promise<void> {
  let query = db
    .updateTable('console_sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepSessionId) query = query.where('session_id', '!=', keepSessionId);
  await query.execute();
}
