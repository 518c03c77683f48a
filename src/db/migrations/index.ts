import type { Migration } from 'kysely';
import { workspaces } from './0001_workspaces.js';

/**
 * Every migration, in order. Names sort in the order they run; one list serves SQLite and
 * PostgreSQL, so a migration uses only what both support.
 */
export const migrations: Record<string, Migration> = {
  '0001_workspaces': workspaces,
};
