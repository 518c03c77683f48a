import type { Kysely } from 'kysely';
import type { AuditLogTable, Database } from '../db/schema.js';

/** One change as the log keeps it: who, when, what, and the public views before and after. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  /** Null when there was nothing before (a creation) or after (a removal). */
  before: unknown;
  after: unknown;
}

export async function insertAuditEntry(
  db: Kysely<Database>,
  entry: AuditEntry & { workspaceId: string },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      audit_id: entry.id,
      workspace_id: entry.workspaceId,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      before: jsonColumn(entry.before),
      after: jsonColumn(entry.after),
    })
    .execute();
}

export async function listAuditEntries(
  db: Kysely<Database>,
  query: {
    workspaceId: string;
    limit: number;
    subject?: string | undefined;
    /** Newest first: entries strictly older than this one (for the next page). */
    before?: { at: string; id: string } | undefined;
  },
): Promise<AuditEntry[]> {
  let select = db
    .selectFrom('audit_log')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .orderBy('at', 'desc')
    .orderBy('audit_id', 'desc')
    .limit(query.limit);
  if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
  const before = query.before;
  if (before) {
    select = select.where((eb) =>
      eb.or([
        eb('at', '<', before.at),
        eb.and([eb('at', '=', before.at), eb('audit_id', '<', before.id)]),
      ]),
    );
  }
  return (await select.execute()).map(auditEntryOf);
}

/** The entries from `since` (inclusive) to `until` (exclusive), oldest first. */
export async function listAuditEntriesBetween(
  db: Kysely<Database>,
  query: { workspaceId: string; since: string; until?: string; limit: number },
): Promise<AuditEntry[]> {
  let select = db
    .selectFrom('audit_log')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .where('at', '>=', query.since)
    .orderBy('at')
    .orderBy('audit_id')
    .limit(query.limit);
  if (query.until !== undefined) select = select.where('at', '<', query.until);
  return (await select.execute()).map(auditEntryOf);
}

function auditEntryOf(row: AuditLogTable): AuditEntry {
  return {
    id: row.audit_id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}

function jsonColumn(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
