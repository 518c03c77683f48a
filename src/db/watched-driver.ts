import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/**
 * What a dialect wrapped by `watchedDialect` tells its watcher: each statement, each commit, and
 * each connection going back to the pool, after which the caller may still be made to wait.
 */
export interface DriverWatch {
  /** Before a statement runs (transaction control aside). */
  statement?(sql: string, kind: 'read' | 'write', inTransaction: boolean): void;
  /** After a transaction committed. */
  committed?(): void;
  /**
   * After the connection was handed back; `committed`: whether anything was committed while the
   * caller held it (a transaction, or a write run on its own). The caller waits for the promise.
   */
  released?(committed: boolean): Promise<void> | undefined;
}

export type StatementKind = 'read' | 'write' | 'control';

const controlWords = new Set(['begin', 'start', 'commit', 'rollback', 'savepoint', 'release']);

/** What a statement does, by its first word: reads, writes, or controls a transaction. */
export function statementKind(sql: string): StatementKind {
  const word = /^\s*\(?\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
  if (controlWords.has(word)) return 'control';
  if (word === 'select') return 'read';
  if (word === 'with' && !/\b(insert|update|delete)\b/i.test(sql)) return 'read';
  return 'write';
}

/** `dialect`, with `watch` told of what its driver runs. */
export function watchedDialect(dialect: Dialect, watch: DriverWatch): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new WatchedDriver(dialect.createDriver(), watch),
  };
}

/** A connection that knows whether its transaction is open and whether it committed anything. */
class WatchedConnection implements DatabaseConnection {
  inTransaction = false;
  committed = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly watch: DriverWatch,
  ) {}

  private see(sql: string) {
    // Inside a transaction only its commit counts, unless the watcher looks at each statement.
    if (this.inTransaction && !this.watch.statement) return;
    const kind = statementKind(sql);
    if (kind === 'control') return;
    this.watch.statement?.(sql, kind, this.inTransaction);
    if (kind === 'write' && !this.inTransaction) this.committed = true;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.see(query.sql);
    return this.inner.executeQuery(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.see(query.sql);
    return this.inner.streamQuery(query, chunkSize);
  }
}

function watchedOf(connection: DatabaseConnection): WatchedConnection {
  if (connection instanceof WatchedConnection) return connection;
  throw new Error('a connection the watched driver did not hand out');
}

class WatchedDriver implements Driver {
  readonly #connections = new WeakMap<DatabaseConnection, WatchedConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly watch: DriverWatch,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let watched = this.#connections.get(connection);
    if (!watched) {
      watched = new WatchedConnection(connection, this.watch);
      this.#connections.set(connection, watched);
    }
    return watched;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const watched = watchedOf(connection);
    await this.inner.beginTransaction(watched.inner, settings);
    watched.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection) {
    const watched = watchedOf(connection);
    watched.inTransaction = false;
    await this.inner.commitTransaction(watched.inner);
    watched.committed = true;
    this.watch.committed?.();
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    const watched = watchedOf(connection);
    watched.inTransaction = false;
    await this.inner.rollbackTransaction(watched.inner);
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.savepoint?.(watchedOf(connection).inner, name, compile);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.rollbackToSavepoint?.(watchedOf(connection).inner, name, compile);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.inner.releaseSavepoint?.(watchedOf(connection).inner, name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const watched = watchedOf(connection);
    const committed = watched.committed;
    watched.committed = false;
    await this.inner.releaseConnection(watched.inner);
    // The connection is free for others meanwhile: only this caller waits.
    await this.watch.released?.(committed);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
