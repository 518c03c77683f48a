import type { Kysely } from 'kysely';
import type { StoredRoutingContext } from '../checkout/payments.repository.js';
import { periodStartsOf } from '../checkout/usage.js';
import type { Database, PaymentKind, PaymentStatus } from '../db/schema.js';
import type { Mode } from '../routing/index.js';

/** The stored payments a routing replay runs again, read in time order: one query per function. */

/**
 * The statuses of a payment that landed on an account: Stripe took it (a refund keeps a payment
 * `succeeded`, with its refunded amount), or is taking it. Pending, declined and canceled
 * payments never reached an account's volume, so a replay leaves them out.
 */
export const replayedStatuses: readonly PaymentStatus[] = [
  'succeeded',
  'processing',
  'requires_capture',
];

/** One stored payment as a replay needs it: where it landed, and what it was routed over. */
export interface ReplayPayment {
  paymentId: string;
  orderId: string;
  kind: PaymentKind;
  /** The payment an upsell or renewal continues. */
  parentPaymentId: string | null;
  /** The account it landed on. */
  account: string;
  mode: Mode;
  amount: number;
  currency: string;
  createdAt: string;
  /** What the router was asked, when checkout stored it (migration 0016 onwards). */
  routingContext: StoredRoutingContext | null;
  /** What the context is rebuilt from when none is stored. */
  funnelSlug: string;
  stepSlug: string;
  country: string;
  email: string;
  products: string[];
  /** The account the parent payment landed on, as stored. */
  parentAccount: string | null;
}

/** Where a page starts: after this payment in (created_at, payment_id) order. */
export interface ReplayCursor {
  createdAt: string;
  paymentId: string;
}

export interface ReplayPage {
  workspaceId: string;
  /** Inclusive, ISO 8601 UTC. */
  from: string | null;
  /** Exclusive, ISO 8601 UTC. */
  to: string | null;
  after: ReplayCursor | null;
  limit: number;
}

export async function listReplayPayments(
  db: Kysely<Database>,
  page: ReplayPage,
): Promise<ReplayPayment[]> {
  const { from, to, after } = page;
  const rows = await db
    .selectFrom('payments')
    .innerJoin('orders', 'orders.order_id', 'payments.order_id')
    .leftJoin('payments as parent', 'parent.payment_id', 'payments.parent_payment_id')
    .select([
      'payments.payment_id',
      'payments.order_id',
      'payments.kind',
      'payments.parent_payment_id',
      'payments.account_handle',
      'payments.mode',
      'payments.amount',
      'payments.currency',
      'payments.created_at',
      'payments.routing_context',
      'payments.step_slug',
      'payments.lines',
      'orders.funnel_slug',
      'orders.country',
      'orders.email',
      'parent.account_handle as parent_account',
    ])
    .where('payments.workspace_id', '=', page.workspaceId)
    .where('payments.status', 'in', replayedStatuses)
    .where('payments.account_handle', 'is not', null)
    .$if(from !== null, (query) => query.where('payments.created_at', '>=', from ?? ''))
    .$if(to !== null, (query) => query.where('payments.created_at', '<', to ?? ''))
    .$if(after !== null, (query) =>
      query.where((eb) =>
        eb.or([
          eb('payments.created_at', '>', after?.createdAt ?? ''),
          eb.and([
            eb('payments.created_at', '=', after?.createdAt ?? ''),
            eb('payments.payment_id', '>', after?.paymentId ?? ''),
          ]),
        ]),
      ),
    )
    .orderBy('payments.created_at')
    .orderBy('payments.payment_id')
    .limit(page.limit)
    .execute();
  return rows.map((row) => ({
    paymentId: row.payment_id,
    orderId: row.order_id,
    kind: row.kind,
    parentPaymentId: row.parent_payment_id,
    account: row.account_handle ?? '',
    mode: row.mode,
    amount: Number(row.amount),
    currency: row.currency,
    createdAt: row.created_at,
    routingContext: row.routing_context
      ? (JSON.parse(row.routing_context) as StoredRoutingContext)
      : null,
    funnelSlug: row.funnel_slug,
    stepSlug: row.step_slug,
    country: row.country,
    email: row.email,
    products: (JSON.parse(row.lines) as Array<{ product: string }>).map((line) => line.product),
    parentAccount: row.parent_account,
  }));
}

/** Each product's tags as they are now: payments do not store the tags they were sold with. */
export async function listProductTags(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('products')
    .select(['slug', 'tags'])
    .where('workspace_id', '=', workspaceId)
    .execute();
  return new Map(rows.map((row) => [row.slug, JSON.parse(row.tags) as string[]]));
}

/** What an account had taken in a currency on the UTC day and month a window starts in. */
export interface UsageBefore {
  /** Test payments never fill a live cap, nor live ones a test cap (as at checkout). */
  mode: Mode;
  account: string;
  currency: string;
  day: number;
  month: number;
}

/** The real volume of the window's first day and month before it starts: caps are already part used. */
export async function sumUsageBefore(
  db: Kysely<Database>,
  workspaceId: string,
  before: string,
): Promise<UsageBefore[]> {
  const { dayStart, monthStart } = periodStartsOf(new Date(before));
  const rows = await db
    .selectFrom('payments')
    .select((eb) => [
      'mode',
      'account_handle',
      'currency',
      eb.fn.sum<number | string>('amount').as('month'),
      eb.fn
        .sum<number | string>(
          eb.case().when('created_at', '>=', dayStart).then(eb.ref('amount')).else(0).end(),
        )
        .as('day'),
    ])
    .where('workspace_id', '=', workspaceId)
    .where('status', 'in', replayedStatuses)
    .where('account_handle', 'is not', null)
    .where('created_at', '>=', monthStart)
    .where('created_at', '<', before)
    .groupBy(['mode', 'account_handle', 'currency'])
    .execute();
  return rows.map((row) => ({
    mode: row.mode,
    account: row.account_handle ?? '',
    currency: row.currency,
    day: Number(row.day),
    month: Number(row.month),
  }));
}

/** A buyer known on an account: a Stripe customer made there before the window. */
export interface KnownCustomer {
  mode: Mode;
  /** The customer's email, lower case: the customer key. */
  key: string;
  account: string;
}

export async function listCustomersKnownBefore(
  db: Kysely<Database>,
  workspaceId: string,
  before: string,
): Promise<KnownCustomer[]> {
  const rows = await db
    .selectFrom('customer_accounts')
    .innerJoin('customers', 'customers.customer_id', 'customer_accounts.customer_id')
    .innerJoin('accounts', 'accounts.account_id', 'customer_accounts.account_id')
    .select(['customer_accounts.mode', 'customers.email', 'accounts.handle'])
    .where('customers.workspace_id', '=', workspaceId)
    .where('customer_accounts.created_at', '<', before)
    .execute();
  return rows.map((row) => ({ mode: row.mode, key: row.email, account: row.handle }));
}
