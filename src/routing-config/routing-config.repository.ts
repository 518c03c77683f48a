import type { Kysely } from 'kysely';
import type { Database, RoutingVersionTable } from '../db/schema.js';
import type { RoutingConfig } from '../routing/index.js';

/** One immutable, numbered routing version of a workspace. */
export interface RoutingVersion {
  workspaceId: string;
  version: number;
  /** The routing document as applied: accounts part, rules, funnels, steps, products. */
  document: RoutingConfig;
  author: string;
  message: string;
  /** Set when this version is a rollback: the version it copies. */
  restoredFrom: number | null;
  createdAt: string;
}

export async function findActiveVersion(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<RoutingVersion | undefined> {
  const row = await db
    .selectFrom('routing_active')
    .innerJoin('routing_versions', (join) =>
      join
        .onRef('routing_versions.workspace_id', '=', 'routing_active.workspace_id')
        .onRef('routing_versions.version', '=', 'routing_active.version'),
    )
    .selectAll('routing_versions')
    .where('routing_active.workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row && routingVersionOf(row);
}

export async function findVersion(
  db: Kysely<Database>,
  workspaceId: string,
  version: number,
): Promise<RoutingVersion | undefined> {
  const row = await db
    .selectFrom('routing_versions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && routingVersionOf(row);
}

export async function listVersions(
  db: Kysely<Database>,
  workspaceId: string,
  limit: number,
): Promise<RoutingVersion[]> {
  const rows = await db
    .selectFrom('routing_versions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();
  return rows.map(routingVersionOf);
}

export async function findLatestVersionNumber(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<number> {
  const row = await db
    .selectFrom('routing_versions')
    .select((eb) => eb.fn.max('version').as('latest'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return Number(row?.latest ?? 0);
}

export async function insertVersion(db: Kysely<Database>, version: RoutingVersion): Promise<void> {
  await db
    .insertInto('routing_versions')
    .values({
      workspace_id: version.workspaceId,
      version: version.version,
      document: JSON.stringify(version.document),
      author: version.author,
      message: version.message,
      restored_from: version.restoredFrom,
      created_at: version.createdAt,
    })
    .execute();
}

export async function activateVersion(
  db: Kysely<Database>,
  workspaceId: string,
  version: number,
  activatedAt: string,
): Promise<void> {
  await db
    .insertInto('routing_active')
    .values({ workspace_id: workspaceId, version, activated_at: activatedAt })
    .onConflict((conflict) =>
      conflict.column('workspace_id').doUpdateSet({ version, activated_at: activatedAt }),
    )
    .execute();
}

function routingVersionOf(row: RoutingVersionTable): RoutingVersion {
  return {
    workspaceId: row.workspace_id,
    version: row.version,
    document: JSON.parse(row.document) as RoutingConfig,
    author: row.author,
    message: row.message,
    restoredFrom: row.restored_from,
    createdAt: row.created_at,
  };
}
