import type { Dialect } from 'kysely';
import { watchedDialect } from './watched-driver.js';

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

  return {
    count: () => ({ reads, writes, commits }),
    log: () => logged,
    reset() {
      reads = 0;
      writes = 0;
      commits = 0;
      logged = [];
    },
    observe: (dialect) =>
      watchedDialect(dialect, {
        statement(sql, kind, inTransaction) {
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
        },
        committed() {
          commits += 1;
          note('commit');
        },
      }),
  };
}
