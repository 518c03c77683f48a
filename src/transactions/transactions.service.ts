import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { csvDocument } from '../http/csv.js';
import {
  type FailureTally,
  type ReportKey,
  type ReportRange,
  tallyFailovers,
  tallyFailures,
  tallyPayments,
  tallyRefunds,
} from './accounts-report.repository.js';
import { routingReasonOf } from './routing-reason.js';
import {
  listTransactions,
  type Transaction,
  type TransactionKey,
} from './transactions.repository.js';
import type {
  AccountsReportQuery,
  TransactionFilters,
  TransactionQuery,
} from './transactions.schema.js';

/**
 * The transaction log (every attempt, charge and refund, with Stripe's codes, latency and why
 * the account was chosen) and the accounts report built from the same records. Test payments
 * (doctor's, in their own table) are not sales and appear in neither.
 */

/** An entry as the API and the CLI show it: the decision reduced to why the account took it. */
export interface TransactionView extends Omit<Transaction, 'decision'> {
  routing: RoutingReason | null;
}

export interface RoutingReason {
  outcome: string;
  level: string;
  ref: string | null;
  fallbackFrom: string | null;
  /** One line: `rule euro-sales`, `default (primary) → fallback from us (health_down)`. */
  reason: string;
}

export interface TransactionPage {
  transactions: TransactionView[];
  /** Pass as `cursor` for the next (older) page; null on the last. */
  nextCursor: string | null;
}

export interface ErrorCount {
  code: string | null;
  declineCode: string | null;
  count: number;
}

/** One account's figures for one day (UTC) and currency. */
export interface AccountDay extends ReportKey {
  /** Payments that succeeded on the account, on the day of their first paid charge. */
  payments: number;
  /** Their amounts, in minor units. */
  volume: number;
  refunds: { count: number; amount: number };
  /** Tries that ended without paying: declines, failed 3-D Secure, attempts Stripe refused. */
  failed: number;
  /** payments / (payments + failed), 4 decimals; null when nothing was tried. */
  successRate: number | null;
  /** Its attempts that failed, after which the payment went to another account. */
  failovers: number;
  /** The most frequent codes of the failed tries, at most three. */
  topErrors: ErrorCount[];
}

export interface AccountsReport {
  from: string | null;
  to: string | null;
  days: AccountDay[];
}

export interface TransactionsService {
  /** A page of the log, newest first; `cursor` is the last page's `nextCursor`. */
  listTransactions(workspaceId: string, query: TransactionQuery): Promise<TransactionPage>;
  /** Every entry the filters match, as CSV, newest first. */
  exportCsv(workspaceId: string, filters: TransactionFilters): Promise<string>;
  /** Per account, mode, day and currency: payments, volume, refunds, success, failovers, errors. */
  accountsReport(workspaceId: string, query: AccountsReportQuery): Promise<AccountsReport>;
}

export interface TransactionsDependencies {
  db: Kysely<Database>;
}

const defaultLimit = 50;
const csvPageSize = 500;
const topErrorCount = 3;

function encodeCursor(key: TransactionKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

function decodeCursor(cursor: string): TransactionKey {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) {
      return { at, id };
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw AppError.validation([
    {
      field: 'cursor',
      message: "a cursor this log gave out: the last page's nextCursor",
    },
  ]);
}

function viewOf({ decision, ...transaction }: Transaction): TransactionView {
  return {
    ...transaction,
    routing: decision && {
      outcome: decision.outcome,
      level: decision.matched.level,
      ref: decision.matched.ref,
      fallbackFrom: decision.fallbackFrom,
      reason: routingReasonOf(decision),
    },
  };
}

const csvHeader = [
  'time',
  'entry',
  'kind',
  'order_id',
  'payment_id',
  'account',
  'mode',
  'amount',
  'currency',
  'outcome',
  'stripe_id',
  'request_id',
  'error_code',
  'decline_code',
  'http_status',
  'latency_ms',
  'funnel',
  'routing',
  'message',
];

function csvRowOf(entry: TransactionView): string[] {
  const text = (value: string | number | null) => (value === null ? '' : String(value));
  return [
    entry.at,
    entry.entry,
    entry.kind,
    entry.order,
    entry.payment,
    text(entry.account),
    entry.mode,
    String(entry.amount),
    entry.currency,
    entry.outcome,
    text(entry.stripeId),
    text(entry.requestId),
    text(entry.errorCode),
    text(entry.declineCode),
    text(entry.httpStatus),
    text(entry.latencyMs),
    entry.funnel,
    text(entry.routing?.reason ?? null),
    text(entry.message),
  ];
}

function keyText(key: ReportKey): string {
  return [key.day, key.account, key.mode, key.currency].join('\u0000');
}

/** The report's range as times: its days, both included. */
function rangeOf(query: AccountsReportQuery): ReportRange {
  const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
  return {
    from: query.from === undefined ? undefined : `${query.from}T00:00:00.000Z`,
    to: query.to === undefined ? undefined : nextDay(query.to).toISOString(),
    mode: query.mode,
  };
}

export function createTransactionsService(deps: TransactionsDependencies): TransactionsService {
  const { db } = deps;

  return {
    async listTransactions(workspaceId, query) {
      const { cursor, limit = defaultLimit, ...filters } = query;
      const rows = await listTransactions(db, workspaceId, {
        ...filters,
        before: cursor === undefined ? undefined : decodeCursor(cursor),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        transactions: page.map(viewOf),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },

    async exportCsv(workspaceId, filters) {
      const rows: string[][] = [csvHeader];
      let before: TransactionKey | undefined;
      for (;;) {
        const page = await listTransactions(db, workspaceId, {
          ...filters,
          before,
          limit: csvPageSize,
        });
        for (const entry of page) rows.push(csvRowOf(viewOf(entry)));
        const last = page.at(-1);
        if (page.length < csvPageSize || !last) break;
        before = last;
      }
      return csvDocument(rows);
    },

    async accountsReport(workspaceId, query) {
      const range = rangeOf(query);
      const [payments, refunds, failures, failovers] = await Promise.all([
        tallyPayments(db, workspaceId, range),
        tallyRefunds(db, workspaceId, range),
        tallyFailures(db, workspaceId, range),
        tallyFailovers(db, workspaceId, range),
      ]);
      const days = new Map<string, AccountDay & { errors: Map<string, ErrorCount> }>();
      function dayFor(key: ReportKey) {
        const text = keyText(key);
        let found = days.get(text);
        if (!found) {
          found = {
            account: key.account,
            mode: key.mode,
            day: key.day,
            currency: key.currency,
            payments: 0,
            volume: 0,
            refunds: { count: 0, amount: 0 },
            failed: 0,
            successRate: null,
            failovers: 0,
            topErrors: [],
            errors: new Map(),
          };
          days.set(text, found);
        }
        return found;
      }
      for (const tally of payments) {
        const found = dayFor(tally);
        found.payments += tally.count;
        found.volume += tally.amount;
      }
      for (const tally of refunds) {
        const found = dayFor(tally);
        found.refunds.count += tally.count;
        found.refunds.amount += tally.amount;
      }
      for (const tally of failovers) dayFor(tally).failovers += tally.count;
      for (const failure of failures) addFailure(dayFor(failure), failure);
      const report = [...days.values()].map(({ errors, ...day }): AccountDay => {
        const tried = day.payments + day.failed;
        return {
          ...day,
          successRate: tried === 0 ? null : Math.round((day.payments / tried) * 10_000) / 10_000,
          topErrors: [...errors.values()]
            .sort(
              (a, b) =>
                b.count - a.count ||
                (a.code ?? '').localeCompare(b.code ?? '') ||
                (a.declineCode ?? '').localeCompare(b.declineCode ?? ''),
            )
            .slice(0, topErrorCount),
        };
      });
      report.sort(
        (a, b) =>
          a.day.localeCompare(b.day) ||
          a.account.localeCompare(b.account) ||
          a.mode.localeCompare(b.mode) ||
          a.currency.localeCompare(b.currency),
      );
      return { from: query.from ?? null, to: query.to ?? null, days: report };
    },
  };
}

function addFailure(
  day: AccountDay & { errors: Map<string, ErrorCount> },
  failure: FailureTally,
): void {
  day.failed += failure.count;
  const key = `${failure.code ?? ''}\u0000${failure.declineCode ?? ''}`;
  const known = day.errors.get(key);
  if (known) known.count += failure.count;
  else
    day.errors.set(key, {
      code: failure.code,
      declineCode: failure.declineCode,
      count: failure.count,
    });
}
