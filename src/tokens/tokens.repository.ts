import type { Kysely } from 'kysely';
import type { ApiTokenTable, Database } from '../db/schema.js';

/** An admin API token as stored: its SHA-256, never the token itself. */
export interface ApiToken {
  id: string;
  workspaceId: string;
  name: string;
  tokenHash: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export async function insertToken(db: Kysely<Database>, token: ApiToken): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      token_id: token.id,
      workspace_id: token.workspaceId,
      name: token.name,
      token_hash: token.tokenHash,
      created_at: token.createdAt,
      last_used_at: token.lastUsedAt,
      revoked_at: token.revokedAt,
    })
    .execute();
}

export async function findLiveTokenByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row && apiTokenOf(row);
}

export async function touchToken(db: Kysely<Database>, tokenId: string, at: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: at })
    .where('token_id', '=', tokenId)
    .execute();
}

export async function listTokens(db: Kysely<Database>, workspaceId: string): Promise<ApiToken[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
  return rows.map(apiTokenOf);
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

function apiTokenOf(row: ApiTokenTable): ApiToken {
  return {
    id: row.token_id,
    workspaceId: row.workspace_id,
    name: row.name,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
