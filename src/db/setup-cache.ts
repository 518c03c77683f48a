import type { SetupRevisions } from './setup-revision.js';

/**
 * Something read of the shop's setup, kept per key (a workspace, an account) until the setup
 * revision moves on. Nothing expires by time: a change anywhere, by any instance, moves the
 * revision, and the next request that reads it loads the value again.
 */
export interface SetupCache<T> {
  /**
   * The value for `key` as the setup is now: at `revision` when the caller has read it already
   * in this request (a later one is as good), else at the revision read now.
   */
  get(key: string, revision?: number): Promise<T>;
}

export interface SetupCacheOptions<T> {
  revisions: SetupRevisions;
  load(key: string): Promise<T>;
  /** How many keys it keeps, oldest dropped first. */
  maxKeys?: number;
}

interface Entry<T> {
  revision: number;
  value: Promise<T>;
}

export function createSetupCache<T>(options: SetupCacheOptions<T>): SetupCache<T> {
  const { revisions, load } = options;
  const maxKeys = options.maxKeys ?? 1000;
  const entries = new Map<string, Entry<T>>();

  function at(key: string, revision: number): Promise<T> {
    const known = entries.get(key);
    // Loaded at this revision or a later one: what a later revision holds is never older.
    if (known && known.revision >= revision) return known.value;
    // Loaded after the revision was read, so never older than it; a failure is not kept.
    const entry: Entry<T> = { revision, value: load(key).then(frozen) };
    entry.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > maxKeys) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    return entry.value;
  }

  return {
    async get(key, revision) {
      return at(key, revision ?? (await revisions.current()));
    },
  };
}

/** Shared by every request that reads it: nobody may change it in place. */
function frozen<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const item of Object.values(value)) frozen(item);
  return Object.freeze(value);
}
