import type { Kysely } from 'kysely';
import type { ApiTokenTable, Database } from '../db/schema.js';

export async function insertToken(db: Kysely<Database>, token: ApiTokenTable): Promise<void> {
  await db.insertInto('api_tokens').values(token).execute();
}

export async function findLiveTokenByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<ApiTokenTable | undefined> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function touchToken(db: Kysely<Database>, tokenId: string, at: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: at })
    .where('token_id', '=', tokenId)
    .execute();
}

export async function listTokens(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<ApiTokenTable[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
}

export async function revokeToken(
  db: Kysely<Database>,
  query: { workspaceId: string; name: string; at: string },
): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: query.at })
    .where('workspace_id', '=', query.workspaceId)
    .where('name', '=', query.name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
