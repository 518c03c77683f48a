import type { Kysely } from 'kysely';
import type { AuditLogTable, Database } from '../db/schema.js';

export async function insertAuditEntry(db: Kysely<Database>, entry: AuditLogTable): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}

export async function listAuditEntries(
  db: Kysely<Database>,
  query: { workspaceId: string; limit: number; subject?: string | undefined },
): Promise<AuditLogTable[]> {
  let select = db
    .selectFrom('audit_log')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .orderBy('at', 'desc')
    .orderBy('audit_id', 'desc')
    .limit(query.limit);
  if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
  return select.execute();
}
