import type { Kysely } from 'kysely';
import { prepareQuery } from './prepared-query.js';
import type { Database } from './schema.js';

/**
 * The revision of the shop's setup (accounts, keys, routing, catalog), which triggers move on
 * in the same transaction as every change to it (migration 0008). What an instance caches of the
 * setup is good for as long as this number stays; reading it is one small query.
 */
export interface SetupRevisions {
  /**
   * The revision now. Calls made before the read goes out share it: it is sent after all of them,
   * so none gets an answer older than its call.
   */
  current(): Promise<number>;
}

const revisionRow = prepareQuery<Record<string, never>, { revision: number }>((db) =>
  db.selectFrom('setup_revision').select('revision'),
);

export async function readSetupRevision(db: Kysely<Database>): Promise<number> {
  const [row] = (await revisionRow.execute(db, {})).rows;
  if (!row) throw new Error('setup_revision has no row: run the migrations');
  return row.revision;
}

export function createSetupRevisions(db: Kysely<Database>): SetupRevisions {
  let next: Promise<number> | null = null;
  return {
    current() {
      next ??= Promise.resolve().then(function readRevision() {
        next = null;
        return readSetupRevision(db);
      });
      return next;
    },
  };
}
