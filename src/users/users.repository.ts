import type { Kysely, Selectable } from 'kysely';
import type { Database, UserTable } from '../db/schema.js';
import { isRole, type Role } from './roles.js';

/** A user as the service sees it; the password hash stays with the stored row. */
export interface StoredUser {
  id: string;
  workspaceId: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
}

function storedUserOf(row: Selectable<UserTable>): StoredUser {
  return {
    id: row.user_id,
    workspaceId: row.workspace_id,
    email: row.email,
    name: row.name,
    role: isRole(row.role) ? row.role : 'viewer',
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertUser(db: Kysely<Database>, user: StoredUser): Promise<void> {
  await db
    .insertInto('users')
    .values({
      user_id: user.id,
      workspace_id: user.workspaceId,
      email: user.email,
      name: user.name,
      role: user.role,
      password_hash: user.passwordHash,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    })
    .execute();
}

export async function findUserByEmail(
  db: Kysely<Database>,
  workspaceId: string,
  email: string,
): Promise<StoredUser | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email)
    .executeTakeFirst();
  return row && storedUserOf(row);
}

export async function findUserById(
  db: Kysely<Database>,
  userId: string,
): Promise<StoredUser | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row && storedUserOf(row);
}

export async function listUsers(db: Kysely<Database>, workspaceId: string): Promise<StoredUser[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('email')
    .execute();
  return rows.map(storedUserOf);
}

export async function countUsers(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function countOwners(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function updateUser(
  db: Kysely<Database>,
  userId: string,
  change: { role?: Role; passwordHash?: string; updatedAt: string },
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      ...(change.role ? { role: change.role } : {}),
      ...(change.passwordHash ? { password_hash: change.passwordHash } : {}),
      updated_at: change.updatedAt,
    })
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('users').where('user_id', '=', userId).execute();
}
