import type { Kysely } from 'kysely';
import type { Database, RoutingVersionTable } from '../db/schema.js';

export async function findActiveVersion(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<RoutingVersionTable | undefined> {
  return db
    .selectFrom('routing_active')
    .innerJoin('routing_versions', (join) =>
      join
        .onRef('routing_versions.workspace_id', '=', 'routing_active.workspace_id')
        .onRef('routing_versions.version', '=', 'routing_active.version'),
    )
    .selectAll('routing_versions')
    .where('routing_active.workspace_id', '=', workspaceId)
    .executeTakeFirst();
}

export async function findVersion(
  db: Kysely<Database>,
  workspaceId: string,
  version: number,
): Promise<RoutingVersionTable | undefined> {
  return db
    .selectFrom('routing_versions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('version', '=', version)
    .executeTakeFirst();
}

export async function listVersions(
  db: Kysely<Database>,
  workspaceId: string,
  limit: number,
): Promise<RoutingVersionTable[]> {
  return db
    .selectFrom('routing_versions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();
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

export async function insertVersion(
  db: Kysely<Database>,
  version: RoutingVersionTable,
): Promise<void> {
  await db.insertInto('routing_versions').values(version).execute();
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
