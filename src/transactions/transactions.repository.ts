import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Mode, RoutingDecision } from '../routing/index.js';
import type {
  TransactionFilters,
  TransactionKind,
  TransactionOutcome,
} from './transactions.schema.js';

/**
 * The transaction log: one entry per thing that happened with money at Stripe, read from the
 * attempts (making the PaymentIntent on an account), the charges (what the card did on it) and
 * the refunds. One query, the three as a UNION ALL, so filters and paging see a single list.
 */

/** `attempt`: making the PaymentIntent on an account; `charge`: what the card did; `refund`. */
export type TransactionEntry = 'attempt' | 'charge' | 'refund';

export interface Transaction {
  id: string;
  entry: TransactionEntry;
  /** When it started (an attempt), or when Stripe's answer was recorded (a charge, a refund). */
  at: string;
  order: string;
  payment: string;
  kind: TransactionKind;
  /** Null only for a charge of a payment no account has taken yet (it does not happen). */
  account: string | null;
  mode: Mode;
  amount: number;
  currency: string;
  outcome: TransactionOutcome;
  /** The PaymentIntent (attempt), charge (charge) or Stripe refund it concerns. */
  stripeId: string | null;
  /** Stripe's request id, where Stripe answered with an error. */
  requestId: string | null;
  /** Stripe's error code, or, when Stripe gave none, ours (`connection`, `stripe_error`, …). */
  errorCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  /** Stripe's own words about a failure (or a refund's reason). */
  message: string | null;
  latencyMs: number | null;
  funnel: string;
  /** The routing decision that put it on its account. */
  decision: RoutingDecision | null;
}

/** Newest first: entries strictly older than this (at, id). */
export interface TransactionKey {
  at: string;
  id: string;
}

export interface TransactionListing extends TransactionFilters {
  before?: TransactionKey | undefined;
  limit: number;
}

const nullText = sql<string | null>`cast(null as varchar(255))`;
const nullNumber = sql<number | null>`cast(null as integer)`;

/** The workspace's attempts, charges and refunds: three sources of entries of one shape. */
function sources(db: Kysely<Database>, workspaceId: string) {
  const attempts = db
    .selectFrom('payment_attempts as a')
    .innerJoin('payments as p', 'p.payment_id', 'a.payment_id')
    .innerJoin('orders as o', 'o.order_id', 'p.order_id')
    .where('a.workspace_id', '=', workspaceId)
    .select((eb) => [
      sql<TransactionEntry>`'attempt'`.as('entry'),
      eb.ref('a.attempt_id').as('id'),
      eb.ref('a.started_at').as('at'),
      eb.ref('p.order_id').as('order_id'),
      eb.ref('a.payment_id').as('payment_id'),
      sql<TransactionKind>`${eb.ref('p.kind')}`.as('kind'),
      sql<string | null>`${eb.ref('a.account_handle')}`.as('account'),
      eb.ref('a.mode').as('mode'),
      eb.ref('a.amount').as('amount'),
      eb.ref('a.currency').as('currency'),
      // A card error on an attempt that confirms (a one-click upsell) is what the card did.
      sql<TransactionOutcome>`case
        when a.status = 'failed' and a.failure_kind = 'card' and a.stripe_code = 'payment_intent_authentication_failure' then 'authentication_failed'
        when a.status = 'failed' and a.failure_kind = 'card' then 'declined'
        else a.status end`.as('outcome'),
      sql<string | null>`${eb.ref('a.payment_intent_id')}`.as('stripe_id'),
      sql<string | null>`${eb.ref('a.request_id')}`.as('request_id'),
      sql<
        string | null
      >`case when a.status = 'failed' then coalesce(a.stripe_code, a.failure_kind) end`.as(
        'error_code',
      ),
      sql<string | null>`${eb.ref('a.decline_code')}`.as('decline_code'),
      sql<number | null>`${eb.ref('a.http_status')}`.as('http_status'),
      sql<string | null>`${eb.ref('a.message')}`.as('message'),
      sql<number | null>`${eb.ref('a.latency_ms')}`.as('latency_ms'),
      sql<string | null>`${eb.ref('a.decision')}`.as('decision'),
      eb.ref('o.funnel_slug').as('funnel'),
    ]);
  const charges = db
    .selectFrom('charge_attempts as c')
    .innerJoin('payments as p', 'p.payment_id', 'c.payment_id')
    .innerJoin('orders as o', 'o.order_id', 'p.order_id')
    .where('c.workspace_id', '=', workspaceId)
    .select((eb) => [
      sql<TransactionEntry>`'charge'`.as('entry'),
      eb.ref('c.charge_attempt_id').as('id'),
      eb.ref('c.recorded_at').as('at'),
      eb.ref('p.order_id').as('order_id'),
      eb.ref('c.payment_id').as('payment_id'),
      sql<TransactionKind>`${eb.ref('p.kind')}`.as('kind'),
      sql<string | null>`${eb.ref('p.account_handle')}`.as('account'),
      eb.ref('p.mode').as('mode'),
      eb.ref('p.amount').as('amount'),
      eb.ref('p.currency').as('currency'),
      sql<TransactionOutcome>`case when c.outcome = 'paid' then 'succeeded' else c.outcome end`.as(
        'outcome',
      ),
      sql<string | null>`coalesce(c.charge_id, c.payment_intent_id)`.as('stripe_id'),
      nullText.as('request_id'),
      sql<string | null>`${eb.ref('c.stripe_code')}`.as('error_code'),
      sql<string | null>`${eb.ref('c.decline_code')}`.as('decline_code'),
      nullNumber.as('http_status'),
      sql<string | null>`${eb.ref('c.message')}`.as('message'),
      nullNumber.as('latency_ms'),
      sql<string | null>`${eb.ref('p.decision')}`.as('decision'),
      eb.ref('o.funnel_slug').as('funnel'),
    ]);
  const refunds = db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.payment_id', 'r.payment_id')
    .innerJoin('orders as o', 'o.order_id', 'p.order_id')
    .where('r.workspace_id', '=', workspaceId)
    .select((eb) => [
      sql<TransactionEntry>`'refund'`.as('entry'),
      eb.ref('r.refund_id').as('id'),
      eb.ref('r.created_at').as('at'),
      eb.ref('p.order_id').as('order_id'),
      eb.ref('r.payment_id').as('payment_id'),
      sql<TransactionKind>`'refund'`.as('kind'),
      sql<string | null>`${eb.ref('r.account_handle')}`.as('account'),
      eb.ref('p.mode').as('mode'),
      eb.ref('r.amount').as('amount'),
      eb.ref('r.currency').as('currency'),
      // `not_sent` is how refunds Stripe answered unclearly were kept before `unsure` existed.
      sql<TransactionOutcome>`case
        when r.status = 'not_sent' then 'unsure'
        when r.status = 'requires_action' then 'pending'
        else r.status end`.as('outcome'),
      sql<string | null>`${eb.ref('r.stripe_refund_id')}`.as('stripe_id'),
      nullText.as('request_id'),
      nullText.as('error_code'),
      nullText.as('decline_code'),
      nullNumber.as('http_status'),
      sql<string | null>`${eb.ref('r.reason')}`.as('message'),
      nullNumber.as('latency_ms'),
      sql<string | null>`${eb.ref('r.decision')}`.as('decision'),
      eb.ref('o.funnel_slug').as('funnel'),
    ]);
  // Each source is a table `t` of one shape, so one function narrows any of them.
  const first = db.selectFrom(attempts.as('t')).selectAll();
  const sameShape: [typeof first, typeof first] = [
    db.selectFrom(charges.as('t')).selectAll(),
    db.selectFrom(refunds.as('t')).selectAll(),
  ];
  return [first, ...sameShape] as const;
}

type Source = ReturnType<typeof sources>[number];

/** One source's entries that the listing asks for, newest first, at most its limit. */
function narrowed(source: Source, listing: TransactionListing) {
  let query = source;
  if (listing.account) query = query.where('t.account', '=', listing.account);
  if (listing.outcome) query = query.where('t.outcome', '=', listing.outcome);
  if (listing.kind) query = query.where('t.kind', '=', listing.kind);
  if (listing.funnel) query = query.where('t.funnel', '=', listing.funnel);
  if (listing.mode) query = query.where('t.mode', '=', listing.mode);
  if (listing.from) query = query.where('t.at', '>=', listing.from);
  if (listing.to) query = query.where('t.at', '<', listing.to);
  const code = listing.error;
  if (code) {
    query = query.where((eb) =>
      eb.or([eb('t.error_code', '=', code), eb('t.decline_code', '=', code)]),
    );
  }
  const before = listing.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('t.at', '<', before.at),
        eb.and([eb('t.at', '=', before.at), eb('t.id', '<', before.id)]),
      ]),
    );
  }
  return query.orderBy('t.at', 'desc').orderBy('t.id', 'desc').limit(listing.limit);
}

type EntryRow = {
  entry: TransactionEntry;
  id: string;
  at: string;
  order_id: string;
  payment_id: string;
  kind: TransactionKind;
  account: string | null;
  mode: Mode;
  amount: number | string;
  currency: string;
  outcome: TransactionOutcome;
  stripe_id: string | null;
  request_id: string | null;
  error_code: string | null;
  decline_code: string | null;
  http_status: number | string | null;
  message: string | null;
  latency_ms: number | string | null;
  decision: string | null;
  funnel: string;
};

function transactionOf(row: EntryRow): Transaction {
  return {
    id: row.id,
    entry: row.entry,
    at: row.at,
    order: row.order_id,
    payment: row.payment_id,
    kind: row.kind,
    account: row.account,
    mode: row.mode,
    amount: Number(row.amount),
    currency: row.currency,
    outcome: row.outcome,
    stripeId: row.stripe_id,
    requestId: row.request_id,
    errorCode: row.error_code,
    declineCode: row.decline_code,
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    message: row.message,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
    funnel: row.funnel,
    decision: row.decision === null ? null : (JSON.parse(row.decision) as RoutingDecision),
  };
}

/**
 * A page of the log, newest first (time, then id), with the filters applied. Each source is
 * narrowed and cut to the page's size on its own (an index on its time serves it), so a page
 * costs the same at the end of a long log as at its start; the three are then merged.
 */
export async function listTransactions(
  db: Kysely<Database>,
  workspaceId: string,
  listing: TransactionListing,
): Promise<Transaction[]> {
  // SQLite takes ORDER BY and LIMIT in a compound's part only inside a subquery.
  const part = (source: Source) => db.selectFrom(narrowed(source, listing).as('part')).selectAll();
  const [attempts, charges, refunds] = sources(db, workspaceId);
  const rows = await db
    .selectFrom(part(attempts).unionAll(part(charges)).unionAll(part(refunds)).as('page'))
    .selectAll()
    .orderBy('page.at', 'desc')
    .orderBy('page.id', 'desc')
    .limit(listing.limit)
    .execute();
  return rows.map(transactionOf);
}
