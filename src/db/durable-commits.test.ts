import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as settled } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWalSync, durableCommits, type WalFile, walFileAt } from './durable-commits.js';

interface Row {
  things: { name: string };
}

describe('durable commits (SQLite)', () => {
  let folder: string;
  let db: Kysely<Row>;
  let events: string[];
  let holding: boolean;
  let held: Array<() => void>;

  /** A WAL file whose syncs the test ends by hand while `holding`. */
  const file: WalFile = {
    datasync() {
      events.push('sync');
      if (!holding) return Promise.resolve();
      return new Promise((resolve) => held.push(resolve));
    },
    close: async () => {},
  };

  function endSyncs() {
    for (const resolve of held.splice(0)) resolve();
  }

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'switchyard-durable-'));
    events = [];
    holding = false;
    held = [];
    const connection = new SQLite(join(folder, 'test.db'));
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = NORMAL');
    db = new Kysely<Row>({
      dialect: durableCommits(new SqliteDialect({ database: connection }), createWalSync(file)),
    });
    await sql`create table things (name text not null)`.execute(db);
    events = [];
  });
  afterEach(async () => {
    endSyncs();
    await db.destroy();
    rmSync(folder, { recursive: true, force: true });
  });

  const insert = (executor: Kysely<Row>, name: string) =>
    executor.insertInto('things').values({ name }).execute();

  it('answers a transaction only after a sync of the WAL that began after its commit', async () => {
    holding = true;
    let answered = false;
    const committing = db
      .transaction()
      .execute((trx) => insert(trx, 'one'))
      .then(() => {
        answered = true;
      });
    await settled();
    expect(events).toEqual(['sync']);
    expect(answered).toBe(false);
    endSyncs();
    await committing;
    expect(answered).toBe(true);
  });

  it('syncs a write on its own, and neither a read nor a rolled back transaction', async () => {
    await insert(db, 'alone');
    expect(events).toEqual(['sync']);
    await db.selectFrom('things').selectAll().execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await insert(trx, 'undone');
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect(events).toEqual(['sync']);
  });

  it('lets others use the connection during a sync, and commits made meanwhile share the next', async () => {
    holding = true;
    const first = db.transaction().execute((trx) => insert(trx, 'first'));
    await settled();
    expect(events).toEqual(['sync']);
    let answered = 0;
    const meanwhile = ['a', 'b', 'c'].map((name) =>
      db
        .transaction()
        .execute((trx) => insert(trx, name))
        .then(() => {
          answered += 1;
        }),
    );
    await settled();
    // All three committed while the first sync ran; none is answered by it.
    const rows = await db.selectFrom('things').select('name').execute();
    expect(rows.map((row) => row.name).sort()).toEqual(['a', 'b', 'c', 'first']);
    endSyncs();
    await first;
    await settled();
    expect(answered).toBe(0);
    expect(events).toEqual(['sync', 'sync']);
    endSyncs();
    await Promise.all(meanwhile);
    expect(answered).toBe(3);
    expect(events).toEqual(['sync', 'sync']);
  });

  it('syncs the WAL file once there is one, opened once and closed with the store', async () => {
    const wal = walFileAt(join(folder, 'other.db-wal'));
    await wal.datasync();
    writeFileSync(join(folder, 'other.db-wal'), 'frames');
    await wal.datasync();
    await wal.datasync();
    await wal.close();
  });
});
