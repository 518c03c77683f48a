import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

/** Views, unique visitors and contact submissions of one step (and variant) on one day. */
export interface EventCounts {
  day: string;
  step: string;
  variant: string | null;
  views: number;
  visitors: number;
  contacts: number;
}

/** Counts of `funnel_events` per day, step and variant, for days `from` to `to` (inclusive). */
export async function countEvents(
  db: Kysely<Database>,
  workspaceId: string,
  funnel: string,
  days: { from: string; to: string },
): Promise<EventCounts[]> {
  const rows = await db
    .selectFrom('funnel_events')
    .select(['day', 'step_slug', 'variant'])
    .select((eb) => [
      eb.fn.countAll<number>().filterWhere('kind', '=', 'view').as('views'),
      sql<number>`count(distinct case when kind = 'view' then visitor_id end)`.as('visitors'),
      eb.fn.countAll<number>().filterWhere('kind', '=', 'contact').as('contacts'),
    ])
    .where('workspace_id', '=', workspaceId)
    .where('funnel_slug', '=', funnel)
    .where('day', '>=', days.from)
    .where('day', '<=', days.to)
    .groupBy(['day', 'step_slug', 'variant'])
    .execute();
  return rows.map((row) => ({
    day: row.day,
    step: row.step_slug,
    variant: row.variant,
    views: Number(row.views),
    visitors: Number(row.visitors),
    contacts: Number(row.contacts),
  }));
}

/** Unique visitors of each step (and variant) over the whole period, not summed per day. */
export async function countVisitors(
  db: Kysely<Database>,
  workspaceId: string,
  funnel: string,
  days: { from: string; to: string },
): Promise<Array<{ step: string; variant: string | null; visitors: number }>> {
  const rows = await db
    .selectFrom('funnel_events')
    .select(['step_slug', 'variant'])
    .select(sql<number>`count(distinct visitor_id)`.as('visitors'))
    .where('workspace_id', '=', workspaceId)
    .where('funnel_slug', '=', funnel)
    .where('kind', '=', 'view')
    .where('day', '>=', days.from)
    .where('day', '<=', days.to)
    .groupBy(['step_slug', 'variant'])
    .execute();
  return rows.map((row) => ({
    step: row.step_slug,
    variant: row.variant,
    visitors: Number(row.visitors),
  }));
}

/** A succeeded payment of the funnel, with what it bought. */
export interface PaidPayment {
  day: string;
  step: string;
  kind: 'initial' | 'upsell' | 'renewal';
  account: string | null;
  currency: string;
  amount: number;
  /** Whether it carried the order step's bump. */
  withBump: boolean;
}

/** The funnel's succeeded payments made on days `from` to `to`. */
export async function paidPayments(
  db: Kysely<Database>,
  workspaceId: string,
  funnel: string,
  days: { from: string; to: string },
): Promise<PaidPayment[]> {
  const rows = await db
    .selectFrom('payments')
    .innerJoin('orders', 'orders.order_id', 'payments.order_id')
    .select([
      'payments.created_at',
      'payments.step_slug',
      'payments.kind',
      'payments.account_handle',
      'payments.currency',
      'payments.amount',
      'payments.lines',
    ])
    .where('payments.workspace_id', '=', workspaceId)
    .where('orders.funnel_slug', '=', funnel)
    .where('payments.status', '=', 'succeeded')
    .where('payments.created_at', '>=', days.from)
    // The whole last day: every time on it sorts before the next day's date.
    .where('payments.created_at', '<', nextDay(days.to))
    .execute();
  return rows.map((row) => ({
    day: row.created_at.slice(0, 10),
    step: row.step_slug,
    kind: row.kind,
    account: row.account_handle,
    currency: row.currency,
    amount: Number(row.amount),
    withBump: (JSON.parse(row.lines) as Array<{ bump?: boolean }>).some(
      (line) => line.bump === true,
    ),
  }));
}

/** The day after `day` (YYYY-MM-DD). */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
