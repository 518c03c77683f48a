import { z } from 'zod';
import { day, fromNotAfterTo } from '../transactions/transactions.schema.js';
import { nextDay } from './stats.repository.js';

/** The longest period one stats answer covers. */
const maxDays = 366;

/** `?from&to`: UTC days, both included; by default the 30 days up to today. */
export const statsQuery = z
  .strictObject({ from: day.optional(), to: day.optional() })
  .superRefine(fromNotAfterTo('a day'))
  .superRefine((range, context) => {
    if (range.from && range.to && daysBetween(range.from, range.to) >= maxDays) {
      context.addIssue({
        code: 'custom',
        path: ['from'],
        message: `at most ${maxDays} days before to (${range.to})`,
      });
    }
  });

/** The period a query asks for, as of `today`. */
export function periodOf(
  query: z.output<typeof statsQuery>,
  today: string,
): { from: string; to: string } {
  const to = query.to ?? (query.from && query.from > today ? query.from : today);
  const from = query.from ?? daysBefore(to, 29);
  return { from, to };
}

function daysBefore(dayText: string, count: number): string {
  return new Date(Date.parse(`${dayText}T00:00:00Z`) - count * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return (
    Math.round(
      (Date.parse(`${nextDay(to)}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000,
    ) - 1
  );
}
