import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import {
  findLiveTokenByHash,
  insertToken,
  listTokens,
  revokeToken,
  touchToken,
} from './tokens.repository.js';

export interface TokenOwner {
  tokenId: string;
  name: string;
  workspaceId: string;
}

const tokenPrefix = 'syt_';

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Admin API tokens. A token is shown once, when created; only its SHA-256 is stored, so a copy of
 * the database does not grant access.
 */
export function createTokenService(deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {
  const { db, clock, audit } = deps;
  return {
    async createToken(input: { workspaceId: string; name: string; actor: string }) {
      const name = input.name.trim();
      if (!/^[\w .@-]{1,100}$/.test(name)) {
        throw AppError.validation([
          { field: 'name', message: 'use 1 to 100 letters, digits, spaces, ".", "@", "_" or "-"' },
        ]);
      }
      const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
      const row = {
        token_id: newId('tok'),
        workspace_id: input.workspaceId,
        name,
        token_hash: hashOf(token),
        created_at: clock().toISOString(),
        last_used_at: null,
        revoked_at: null,
      };
      await db.transaction().execute(async (trx) => {
        await insertToken(trx, row);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'token.created',
          subject: `token:${name}`,
          after: { id: row.token_id, name },
        });
      });
      return { id: row.token_id, name, token };
    },

    async authenticate(header: string | undefined): Promise<TokenOwner> {
      if (header === undefined || header === '') {
        throw new AppError(
          'unauthorized',
          'This API needs "Authorization: Bearer <token>". Create a token with "switchyard tokens create --name <who>".',
        );
      }
      // One form: the scheme in any case (RFC 7235), one space, the token, nothing else.
      const token = /^bearer (\S+)$/i.exec(header)?.[1];
      if (!token) {
        throw new AppError(
          'unauthorized',
          'The Authorization header must be "Bearer <token>": the word Bearer (in any case), one space, then the token and nothing after it.',
        );
      }
      const row = token.startsWith(tokenPrefix)
        ? await findLiveTokenByHash(db, hashOf(token))
        : undefined;
      if (!row) {
        throw new AppError(
          'unauthorized',
          'The API token is not valid (mistyped or revoked). Create a new one with "switchyard tokens create --name <who>".',
        );
      }
      await touchToken(db, row.token_id, clock().toISOString());
      return { tokenId: row.token_id, name: row.name, workspaceId: row.workspace_id };
    },

    async listTokens(workspaceId: string) {
      const rows = await listTokens(db, workspaceId);
      return rows.map((row) => ({
        id: row.token_id,
        name: row.name,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        revokedAt: row.revoked_at,
      }));
    },

    async revokeToken(input: { workspaceId: string; name: string; actor: string }) {
      const revoked = await db.transaction().execute(async (trx) => {
        const count = await revokeToken(trx, {
          workspaceId: input.workspaceId,
          name: input.name,
          at: clock().toISOString(),
        });
        if (count > 0) {
          await audit.record(trx, {
            workspaceId: input.workspaceId,
            actor: input.actor,
            action: 'token.revoked',
            subject: `token:${input.name}`,
          });
        }
        return count;
      });
      if (revoked === 0) {
        throw new AppError(
          'not_found',
          `No live token is named "${input.name}". "switchyard tokens list" shows them.`,
        );
      }
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
