import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './database.js';
import { migrateToLatest } from './migrate.js';

describe('SQLite transactions beside another process on the same file', () => {
  let folder: string | undefined;
  let store: Store | undefined;
  let other: SQLite.Database | undefined;
  afterEach(async () => {
    other?.close();
    await store?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('a transaction that reads then writes commits, and the other writer is the one held back', async () => {
    folder = mkdtempSync(join(tmpdir(), 'switchyard-immediate-'));
    const file = join(folder, 'switchyard.db');
    store = openStore(`sqlite:${file}`);
    await migrateToLatest(store);
    // The other process (a CLI command beside `switchyard serve`); it does not wait, so what it
    // meets shows at once instead of after the busy timeout.
    other = new SQLite(file);
    other.pragma('busy_timeout = 0');
    const otherWrite = () =>
      other?.prepare(
        "insert into workspaces (workspace_id, name, created_at) values (?, 'Other', ?)",
      );

    let otherRefused: unknown = null;
    await store.db.transaction().execute(async (trx) => {
      await trx.selectFrom('workspaces').select('workspace_id').execute();
      try {
        otherWrite()?.run('other', new Date().toISOString());
      } catch (error) {
        otherRefused = error;
      }
      await trx
        .insertInto('workspaces')
        .values({ workspace_id: 'mine', name: 'Mine', created_at: new Date().toISOString() })
        .execute();
    });

    expect(otherRefused).toMatchObject({ code: 'SQLITE_BUSY' });
    const ids = (await store.db.selectFrom('workspaces').select('workspace_id').execute()).map(
      (r) => r.workspace_id,
    );
    expect(ids).toContain('mine');
    // Once the transaction is over the other process writes as usual.
    otherWrite()?.run('other', new Date().toISOString());
  });
});
