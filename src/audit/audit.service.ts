import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { type AuditEntry, insertAuditEntry, listAuditEntries } from './audit.repository.js';

export type { AuditEntry };

export interface AuditRecord {
  workspaceId: string;
  actor: string;
  action: string;
  subject: string;
  /** Already masked: callers pass the public view of what changed, never a secret. */
  before?: unknown;
  after?: unknown;
}

export interface AuditLog {
  /** Writes one change inside the caller's transaction, so it is logged if and only if it holds. */
  record(db: Kysely<Database>, change: AuditRecord): Promise<void>;
  /** The newest entries first, of one subject (`account:us`) when given, older than `before`. */
  list(query: {
    workspaceId: string;
    limit: number;
    subject?: string;
    before?: { at: string; id: string };
  }): Promise<AuditEntry[]>;
}

/** Every change to accounts, routing and tokens is written here: who, when, what, before, after. */
export function createAuditLog({ db, clock }: { db: Kysely<Database>; clock: Clock }): AuditLog {
  return {
    async record(executor, change) {
      await insertAuditEntry(executor, {
        id: newId('aud'),
        workspaceId: change.workspaceId,
        at: clock().toISOString(),
        actor: change.actor,
        action: change.action,
        subject: change.subject,
        before: change.before,
        after: change.after,
      });
    },
    list: (query) => listAuditEntries(db, query),
  };
}
