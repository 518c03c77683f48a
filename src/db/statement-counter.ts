import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/** What some stretch of work asked of the database. */
export interface StatementCount {
  /** Statements that read (select). */
  readonly reads: number;
  /** Statements that write (insert, update, delete, anything else but transaction control). */
  readonly writes: number;
  /** Commits that reach the disk: each transaction's, and each write run outside one. */
  readonly commits: number;
}

/**
 * Counts the statements and durable commits a store runs, for the benchmark and the test that
 * keeps the checkout within its budget. A store opened without one runs no counting code at all.
 */
export interface StatementCounter {
  /** The count since the counter was made or last reset. */
  count(): StatementCount;
  /** The SQL of each statement since the last reset, in order, with `commit` for each commit. */
  log(): readonly string[];
  reset(): void;
}

export interface CountingStatements extends StatementCounter {
  /** The store's dialect, with every statement and commit counted. */
  observe(dialect: Dialect): Dialect;
}

/** How many SQL texts the log keeps: enough for a few orders, bounded for a long benchmark. */
const loggedStatements = 500;

export function createStatementCounter(): CountingStatements {
  let reads = 0;
  let writes = 0;
  let commits = 0;
  let logged: string[] = [];

  function note(entry: string) {
    if (logged.length < loggedStatements) logged.push(entry);
  }

  function statement(sql: string, inTransaction: boolean) {
    const kind = kindOf(sql);
    if (kind === 'control') return;
    note(sql);
    if (kind === 'read') {
      reads += 1;
      return;
    }
    writes += 1;
    if (!inTransaction) {
      commits += 1;
      note('commit');
    }
  }

  function commit() {
    commits += 1;
    note('commit');
  }

  return {
    count: () => ({ reads, writes, commits }),
    log: () => logged,
    reset() {
      reads = 0;
      writes = 0;
      commits = 0;
      logged = [];
    },
    observe: (dialect) => countedDialect(dialect, { statement, commit }),
  };
}

type StatementKind = 'read' | 'write' | 'control';

const controlWords = new Set(['begin', 'start', 'commit', 'rollback', 'savepoint', 'release']);

function kindOf(sql: string): StatementKind {
  const word = /^\s*\(?\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
  if (controlWords.has(word)) return 'control';
  if (word === 'select') return 'read';
  if (word === 'with' && !/\b(insert|update|delete)\b/i.test(sql)) return 'read';
  return 'write';
}

interface Tally {
  statement(sql: string, inTransaction: boolean): void;
  commit(): void;
}

function countedDialect(dialect: Dialect, tally: Tally): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new CountedDriver(dialect.createDriver(), tally),
  };
}

/** A connection that reports each statement, knowing whether its transaction is open. */
class CountedConnection implements DatabaseConnection {
  inTransaction = false;
  constructor(
    readonly inner: DatabaseConnection,
    private readonly tally: Tally,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.tally.statement(query.sql, this.inTransaction);
    return this.inner.executeQuery(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.tally.statement(query.sql, this.inTransaction);
    return this.inner.streamQuery(query, chunkSize);
  }
}

function countedOf(connection: DatabaseConnection): CountedConnection {
  if (connection instanceof CountedConnection) return connection;
  throw new Error('a connection the counting driver did not hand out');
}

class CountedDriver implements Driver {
  readonly #connections = new WeakMap<DatabaseConnection, CountedConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly tally: Tally,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let counted = this.#connections.get(connection);
    if (!counted) {
      counted = new CountedConnection(connection, this.tally);
      this.#connections.set(connection, counted);
    }
    return counted;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const counted = countedOf(connection);
    await this.inner.beginTransaction(counted.inner, settings);
    counted.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection) {
    const counted = countedOf(connection);
    counted.inTransaction = false;
    await this.inner.commitTransaction(counted.inner);
    this.tally.commit();
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    const counted = countedOf(connection);
    counted.inTransaction = false;
    await this.inner.rollbackTransaction(counted.inner);
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.savepoint?.(countedOf(connection).inner, name, compile);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.rollbackToSavepoint?.(countedOf(connection).inner, name, compile);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.releaseSavepoint?.(countedOf(connection).inner, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(countedOf(connection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
