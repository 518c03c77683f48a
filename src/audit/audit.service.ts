import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { insertAuditEntry, listAuditEntries } from './audit.repository.js';

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
}

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
  record(db: Kysely<Database>, change: AuditRecord): Promise<void>;
  list(query: { workspaceId: string; limit: number; subject?: string }): Promise<AuditEntry[]>;
}

/** Every change to accounts, routing and tokens is written here: who, when, what, before, after. */
export function createAuditLog({ db, clock }: { db: Kysely<Database>; clock: Clock }): AuditLog {
  return {
    async record(executor, change) {
      await insertAuditEntry(executor, {
        audit_id: newId('aud'),
        workspace_id: change.workspaceId,
        at: clock().toISOString(),
        actor: change.actor,
        action: change.action,
        subject: change.subject,
        before: change.before === undefined ? null : JSON.stringify(change.before),
        after: change.after === undefined ? null : JSON.stringify(change.after),
      });
    },
    async list(query) {
      const rows = await listAuditEntries(db, query);
      return rows.map((row) => ({
        id: row.audit_id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        before: row.before === null ? null : JSON.parse(row.before),
        after: row.after === null ? null : JSON.parse(row.after),
      }));
    },
  };
}
