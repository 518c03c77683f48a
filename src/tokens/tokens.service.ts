import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import {
  type ApiToken,
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

/** A token as lists show it: never the token, nor its hash. */
export interface TokenSummary {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Admin API tokens: made, checked on every admin request, listed and revoked. */
export interface TokenService {
  /** The only time the token itself is shown. */
  createToken(input: {
    workspaceId: string;
    name: string;
    actor: string;
  }): Promise<{ id: string; name: string; token: string }>;
  /** Who a token belongs to; refused when it is unknown or revoked. */
  authenticate(token: string): Promise<TokenOwner>;
  listTokens(workspaceId: string): Promise<TokenSummary[]>;
  /** Revokes the live token of that name; refused when there is none. */
  revokeToken(input: { workspaceId: string; name: string; actor: string }): Promise<void>;
}

const tokenPrefix = 'syt_';

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Admin API tokens. A token is shown once, when created; only its SHA-256 is stored, so a copy of
 * the database does not grant access.
 */
export function createTokenService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
}): TokenService {
  const { db, clock, audit } = deps;
  return {
    async createToken(input) {
      const name = input.name.trim();
      if (!/^[\w .@-]{1,100}$/.test(name)) {
        throw AppError.validation([
          { field: 'name', message: 'use 1 to 100 letters, digits, spaces, ".", "@", "_" or "-"' },
        ]);
      }
      const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
      const stored: ApiToken = {
        id: newId('tok'),
        workspaceId: input.workspaceId,
        name,
        tokenHash: hashOf(token),
        createdAt: clock().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      };
      await db.transaction().execute(async (trx) => {
        await insertToken(trx, stored);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'token.created',
          subject: `token:${name}`,
          after: { id: stored.id, name },
        });
      });
      return { id: stored.id, name, token };
    },

    async authenticate(token) {
      const stored = token.startsWith(tokenPrefix)
        ? await findLiveTokenByHash(db, hashOf(token))
        : undefined;
      if (!stored) {
        throw new AppError('unauthorized', 'The API token is not valid (mistyped or revoked).', {
          next: 'tokens.create',
        });
      }
      await touchToken(db, stored.id, clock().toISOString());
      return { tokenId: stored.id, name: stored.name, workspaceId: stored.workspaceId };
    },

    async listTokens(workspaceId) {
      return (await listTokens(db, workspaceId)).map((stored) => ({
        id: stored.id,
        name: stored.name,
        createdAt: stored.createdAt,
        lastUsedAt: stored.lastUsedAt,
        revokedAt: stored.revokedAt,
      }));
    },

    async revokeToken(input) {
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
        throw new AppError('not_found', `No live token is named "${input.name}".`, {
          token: input.name,
        });
      }
    },
  };
}
