import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { createSetupCache } from '../db/setup-cache.js';
import type { SetupRevisions } from '../db/setup-revision.js';
import {
  type Account,
  type Credential,
  listCredentials,
  listLiveAccounts,
} from './accounts.repository.js';
import type { Mode } from './key-verification.js';

/** A workspace's live accounts and their keys, as one setup revision has them. */
export interface LiveAccounts {
  readonly accounts: readonly Account[];
  readonly credentials: readonly Credential[];
}

/**
 * The accounts and keys every payment reads, kept in the process until the setup changes
 * (any instance's change moves the setup revision; see db/setup-revision.ts).
 */
export interface LiveAccountsCache {
  /** The workspace's live accounts and keys; `revision`: one the caller has already read. */
  of(workspaceId: string, revision?: number): Promise<LiveAccounts>;
  /** One account's keys in one mode, whatever its workspace. */
  credentialOf(accountId: string, mode: Mode, revision?: number): Promise<Credential | undefined>;
}

export function createLiveAccountsCache(deps: {
  db: Kysely<Database>;
  revisions: SetupRevisions;
}): LiveAccountsCache {
  const { db, revisions } = deps;
  const byWorkspace = createSetupCache<LiveAccounts>({
    revisions,
    async load(workspaceId) {
      const accounts = await listLiveAccounts(db, workspaceId);
      const credentials = await listCredentials(
        db,
        accounts.map((account) => account.accountId),
      );
      return { accounts, credentials };
    },
  });
  const byAccount = createSetupCache<Credential[]>({
    revisions,
    load: (accountId) => listCredentials(db, [accountId]),
  });
  return {
    of: (workspaceId, revision) => byWorkspace.get(workspaceId, revision),
    async credentialOf(accountId, mode, revision) {
      const credentials = await byAccount.get(accountId, revision);
      return credentials.find((credential) => credential.mode === mode);
    },
  };
}
