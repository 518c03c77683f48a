import type { Kysely } from 'kysely';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { Database } from '../db/schema.js';
import { type Comparison, compareVariants, type VariantStats } from './ab-test.js';
import type { FunnelCounter } from './funnel-counter.js';
import {
  countEvents,
  countVisitors,
  type EventCounts,
  nextDay,
  type PaidPayment,
  paidPayments,
  variantOutcomes,
} from './stats.repository.js';

/** Revenue of one currency on one account. */
export interface Revenue {
  currency: string;
  account: string | null;
  amount: number;
  payments: number;
}

/** What one step did over a period (or a day). */
export interface StepCounts {
  step: string;
  views: number;
  /** Distinct `sy_visitor` cookies that viewed the step. */
  visitors: number;
  contacts: number;
  payments: number;
  revenue: Revenue[];
}

/** A step's A/B test over the period. */
export interface StepTest {
  /** What counts as converting: reaching the next step, or a yes to the offer. */
  goal: 'next_step' | 'accepted';
  variants: VariantStats[];
  comparisons: Comparison[];
}

export interface StepStats extends StepCounts {
  /** With an A/B test on the step: each variant's figures and the z-test; else null. */
  test: StepTest | null;
  kind: string;
  /** Visitors of the next step over visitors of this one; null on the last step or with none. */
  toNext: number | null;
  /** Order steps: paid orders over contact submissions. */
  paidRate: number | null;
  /** Order steps: share of paid orders that took the bump; offer steps: visitors who bought. */
  takeRate: number | null;
}

export interface FunnelStats {
  funnel: string;
  from: string;
  to: string;
  steps: StepStats[];
  days: Array<{ day: string; steps: StepCounts[] }>;
}

export interface FunnelStatsService {
  /** `from` and `to` are UTC days (YYYY-MM-DD), both included. */
  stats(
    workspaceId: string,
    funnel: string,
    days: { from: string; to: string },
  ): Promise<FunnelStats>;
}

export function createFunnelStats(deps: {
  db: Kysely<Database>;
  catalog: Pick<CatalogService, 'showFunnel'>;
  counter: Pick<FunnelCounter, 'flush'>;
}): FunnelStatsService {
  return {
    async stats(workspaceId, slug, days) {
      const funnel = await deps.catalog.showFunnel(workspaceId, slug);
      // What this instance still holds is counted too.
      await deps.counter.flush();
      const [events, visitors, payments] = await Promise.all([
        countEvents(deps.db, workspaceId, slug, days),
        countVisitors(deps.db, workspaceId, slug, days),
        paidPayments(deps.db, workspaceId, slug, days),
      ]);
      const periodVisitors = new Map<string, number>();
      for (const row of visitors) {
        periodVisitors.set(row.step, (periodVisitors.get(row.step) ?? 0) + row.visitors);
      }
      const tests = await Promise.all(
        funnel.steps.map(async (step, index): Promise<StepTest | null> => {
          const variants = step.content.variants;
          if (!variants) return null;
          const next = funnel.steps[index + 1];
          const offer = step.kind === 'upsell' || step.kind === 'downsell';
          if (!offer && !next) return null;
          const outcomes = await variantOutcomes(
            deps.db,
            { workspaceId, funnel: slug, step: step.slug },
            offer || !next ? 'accept' : { next: next.slug },
            days,
          );
          const figures = variants.map((variant): VariantStats => {
            const found = outcomes.find((outcome) => outcome.variant === variant.name);
            const visitorsOf = found?.visitors ?? 0;
            const converted = found?.converted ?? 0;
            return {
              variant: variant.name,
              weight: variant.weight,
              visitors: visitorsOf,
              converted,
              rate: visitorsOf === 0 ? null : converted / visitorsOf,
            };
          });
          return {
            goal: offer ? 'accepted' : 'next_step',
            variants: figures,
            comparisons: compareVariants(figures),
          };
        }),
      );
      const steps = funnel.steps.map((step, index): StepStats => {
        const counts = countsOf(
          step.slug,
          events.filter((row) => row.step === step.slug),
          payments.filter((payment) => payment.step === step.slug),
        );
        counts.visitors = periodVisitors.get(step.slug) ?? 0;
        const next = funnel.steps[index + 1];
        const initial = payments.filter(
          (payment) => payment.step === step.slug && payment.kind === 'initial',
        );
        return {
          ...counts,
          test: tests[index] ?? null,
          kind: step.kind,
          toNext: next ? rate(periodVisitors.get(next.slug) ?? 0, counts.visitors) : null,
          paidRate: step.kind === 'order' ? rate(initial.length, counts.contacts) : null,
          takeRate:
            step.kind === 'order'
              ? step.bump
                ? rate(initial.filter((payment) => payment.withBump).length, initial.length)
                : null
              : step.kind === 'upsell' || step.kind === 'downsell'
                ? rate(counts.payments, counts.visitors)
                : null,
        };
      });
      return {
        funnel: funnel.slug,
        from: days.from,
        to: days.to,
        steps,
        days: eachDay(days).map((day) => ({
          day,
          steps: funnel.steps.map((step) =>
            countsOf(
              step.slug,
              events.filter((row) => row.day === day && row.step === step.slug),
              payments.filter((payment) => payment.day === day && payment.step === step.slug),
            ),
          ),
        })),
      };
    },
  };
}

function countsOf(step: string, events: EventCounts[], payments: PaidPayment[]): StepCounts {
  const revenue = new Map<string, Revenue>();
  for (const payment of payments) {
    const key = `${payment.currency} ${payment.account ?? ''}`;
    const known = revenue.get(key) ?? {
      currency: payment.currency,
      account: payment.account,
      amount: 0,
      payments: 0,
    };
    known.amount += payment.amount;
    known.payments += 1;
    revenue.set(key, known);
  }
  return {
    step,
    views: sum(events.map((row) => row.views)),
    visitors: sum(events.map((row) => row.visitors)),
    contacts: sum(events.map((row) => row.contacts)),
    payments: payments.length,
    revenue: [...revenue.values()].sort(
      (a, b) =>
        a.currency.localeCompare(b.currency) || (a.account ?? '').localeCompare(b.account ?? ''),
    ),
  };
}

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function eachDay(days: { from: string; to: string }): string[] {
  const all: string[] = [];
  for (let day = days.from; day <= days.to; day = nextDay(day)) all.push(day);
  return all;
}
