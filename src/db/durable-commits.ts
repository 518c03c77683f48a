import { type FileHandle, open } from 'node:fs/promises';
import type { Dialect } from 'kysely';
import { watchedDialect } from './watched-driver.js';

/**
 * Durable SQLite commits that several callers share, without the event loop waiting on the disk.
 *
 * SQLite runs with `synchronous = NORMAL` in WAL mode: a commit appends to the WAL file but does
 * not wait for the disk. A caller's commit (a transaction, or a write on its own) is answered only
 * once an fdatasync of the WAL file that began after that commit has finished: what it committed
 * is then on disk, as `synchronous = FULL` would have it. The fdatasync runs on libuv's thread
 * pool while the connection serves others; commits made meanwhile wait for the next one, so a
 * crowd of commits shares one sync (group commit). Whatever is read before it is on disk is only
 * ever acted upon after the reader's own commit, whose sync covers everything before it in the
 * WAL ("write before you call out").
 */
export interface WalSync {
  /** Resolves once an fdatasync of the WAL that began after this call has finished. */
  sync(): Promise<void>;
  /** Waits for the syncs under way and lets go of the file. */
  close(): Promise<void>;
}

/** The WAL file as the syncs see it; tests pass one that records the calls. */
export interface WalFile {
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export function createWalSync(file: WalFile): WalSync {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  function begin(): Promise<void> {
    const current: Promise<void> = file.datasync().finally(() => {
      if (running === current) running = null;
    });
    running = current;
    return current;
  }

  return {
    sync() {
      if (!running) return begin();
      // The one under way may have begun before this caller's commit: wait for the next.
      next ??= running
        .catch(() => {})
        .then(() => {
          next = null;
          return begin();
        });
      return next;
    },
    async close() {
      await Promise.allSettled([running, next]);
      await file.close();
    },
  };
}

/** `dialect` whose every commit is answered only after the WAL reached the disk. */
export function durableCommits(dialect: Dialect, wal: Pick<WalSync, 'sync'>): Dialect {
  return watchedDialect(dialect, {
    released: (committed) => (committed ? wal.sync() : undefined),
  });
}

/**
 * The WAL file at `path`, opened once: SQLite keeps that file (resetting it in place after a
 * checkpoint) as long as a connection of its database is open, as the store's is until it closes.
 */
export function walFileAt(path: string): WalFile {
  let handle: Promise<FileHandle | null> | null = null;
  return {
    async datasync() {
      // No WAL file (yet): nothing was committed to it.
      handle ??= open(path, 'r').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      const opened = await handle.catch((error: unknown) => {
        handle = null;
        throw error;
      });
      if (opened === null) handle = null;
      await opened?.datasync();
    },
    async close() {
      const closing = handle;
      handle = null;
      await (await closing)?.close();
    },
  };
}
