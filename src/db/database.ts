import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type DatabaseIntrospector,
  type Dialect,
  Kysely,
  PostgresDialect,
  SqliteDialect,
} from 'kysely';
import pg from 'pg';
import { AppError } from '../errors.js';
import { createWalSync, durableCommits, walFileAt } from './durable-commits.js';
import { immediateTransactions } from './immediate-transactions.js';
import { OwnSchemaIntrospector } from './postgres-introspector.js';
import type { Database } from './schema.js';
import type { CountingStatements } from './statement-counter.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where the data lives, without credentials: a file path or host/database. */
  readonly location: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL only: the schema to use (tests give each suite its own). */
  schema?: string;
  /** The benchmark and the checkout's budget test: counts every statement and commit. */
  counter?: CountingStatements;
}

/** Opens the one Kysely instance chosen by `DATABASE_URL`: `sqlite:<path>` or `postgres://…`. */
export function openStore(databaseUrl: string, options: StoreOptions = {}): Store {
  if (databaseUrl.startsWith('sqlite:'))
    return openSqlite(databaseUrl.slice('sqlite:'.length), options);
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgres(databaseUrl, options);
  throw new AppError(
    'config_invalid',
    `DATABASE_URL: got ${JSON.stringify(databaseUrl)}, needs sqlite:<file path> or postgres://…`,
  );
}

function openSqlite(path: string, options: StoreOptions): Store {
  const inMemory = path === ':memory:';
  const file = inMemory ? path : resolve(path);
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const connection = new SQLite(file);
  connection.pragma('journal_mode = WAL');
  // Every commit reaches the disk before its caller goes on (the next Stripe call, the answer):
  // a payment written before the call must survive a power loss too, not only a crash of the
  // process. SQLite commits without waiting for the disk (NORMAL), and each commit is answered
  // after a sync of the WAL that the commits of the moment share, off the event loop
  // (durable-commits.ts). A file in memory has nothing to sync.
  const wal = inMemory ? null : createWalSync(walFileAt(`${file}-wal`));
  connection.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const dialect = immediateTransactions(
    new SqliteDialect({ database: withStatementCache(connection) }),
  );
  const db = new Kysely<Database>({
    dialect: counted(wal ? durableCommits(dialect, wal) : dialect, options),
  });
  return {
    db,
    dialect: 'sqlite',
    location: file,
    async close() {
      await wal?.close();
      await db.destroy();
    },
  };
}

function counted(dialect: Dialect, options: StoreOptions): Dialect {
  return options.counter ? options.counter.observe(dialect) : dialect;
}

/** Enough for every distinct query the app makes; `in (…)` lists of other lengths add a few. */
const cachedStatements = 1000;

/**
 * Kysely prepares every query anew; SQLite's prepare costs more than running a small query, so
 * prepared statements are kept by their SQL text (oldest dropped first) and reused.
 */
function withStatementCache(connection: SQLite.Database) {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => connection.close(),
    prepare(sql: string): SQLite.Statement {
      const known = statements.get(sql);
      if (known) return known;
      const prepared = connection.prepare(sql);
      if (statements.size >= cachedStatements) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      statements.set(sql, prepared);
      return prepared;
    },
  };
}

// 64-bit integers (counts, large amounts) come back as numbers, as they do from SQLite.
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number.parseInt(value, 10)
      : pg.types.getTypeParser(oid, format),
};

/** PostgreSQL as Kysely speaks it, with migrations that look only at the store's own schema. */
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}

function openPostgres(url: string, options: StoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    types: pgTypes,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const dialect = new OwnSchemaPostgresDialect({ pool });
  const db = new Kysely<Database>({ dialect: counted(dialect, options) });
  const parsed = new URL(url);
  return {
    db,
    dialect: 'postgres',
    location: `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`,
    close: () => db.destroy(),
  };
}
