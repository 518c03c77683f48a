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

/** One variant's visitors and how many of them reached the step's goal. */
export interface VariantOutcome {
  variant: string;
  visitors: number;
  converted: number;
}

/**
 * For each variant of `step`: its visitors over the period, and those of them who reached the
 * goal — a view of `goal.next` (the following step), or a yes (`accept`) on the step itself.
 */
export async function variantOutcomes(
  db: Kysely<Database>,
  at: { workspaceId: string; funnel: string; step: string },
  goal: { next: string } | 'accept',
  days: { from: string; to: string },
): Promise<VariantOutcome[]> {
  const rows = await db
    .selectFrom('funnel_events as seen')
    .select('seen.variant')
    .select(sql<number>`count(distinct seen.visitor_id)`.as('visitors'))
    .select((eb) =>
      sql<number>`count(distinct case when ${eb.exists(
        eb
          .selectFrom('funnel_events as goal')
          .select('goal.event_id')
          .whereRef('goal.visitor_id', '=', 'seen.visitor_id')
          .where('goal.workspace_id', '=', at.workspaceId)
          .where('goal.funnel_slug', '=', at.funnel)
          .where('goal.day', '>=', days.from)
          .where('goal.day', '<=', days.to)
          .where((inner) =>
            goal === 'accept'
              ? inner.and([
                  inner('goal.step_slug', '=', at.step),
                  inner('goal.kind', '=', 'accept'),
                ])
              : inner.and([
                  inner('goal.step_slug', '=', goal.next),
                  inner('goal.kind', '=', 'view'),
                ]),
          ),
      )} then seen.visitor_id end)`.as('converted'),
    )
    .where('seen.workspace_id', '=', at.workspaceId)
    .where('seen.funnel_slug', '=', at.funnel)
    .where('seen.step_slug', '=', at.step)
    .where('seen.kind', '=', 'view')
    .where('seen.variant', 'is not', null)
    .where('seen.day', '>=', days.from)
    .where('seen.day', '<=', days.to)
    .groupBy('seen.variant')
    .execute();
  return rows.map((row) => ({
    variant: row.variant ?? '',
    visitors: Number(row.visitors),
    converted: Number(row.converted),
  }));
}
