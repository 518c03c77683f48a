import { z } from 'zod';

/**
 * What the transaction log and the accounts report accept, checked at the edge. The API and the
 * CLI parse with the same schemas; each surface names the field its own way (`query.from`,
 * `--from`).
 */

export const transactionKinds = ['initial', 'upsell', 'renewal', 'refund'] as const;
export type TransactionKind = (typeof transactionKinds)[number];

/**
 * `created`: Stripe made the PaymentIntent (the card comes after); `pending`: no answer yet;
 * `unsure`: a refund Stripe answered unclearly. The rest say what the card or the refund did.
 */
export const transactionOutcomes = [
  'pending',
  'created',
  'succeeded',
  'declined',
  'authentication_failed',
  'failed',
  'unsure',
  'canceled',
] as const;
export type TransactionOutcome = (typeof transactionOutcomes)[number];

const handle = z.string().regex(/^[a-z0-9-]{1,40}$/, { error: 'an account handle, e.g. us' });
const slug = z.string().regex(/^[a-z0-9-]{1,40}$/, { error: 'a funnel slug, e.g. launch' });
const mode = z.enum(['test', 'live'], { error: 'test or live' });
const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO 8601 time with its offset, or a day (its first moment in UTC): answered in UTC. */
const timeOrDay = z
  .string()
  .transform((value) => (isoDay.test(value) ? `${value}T00:00:00Z` : value))
  .pipe(
    z.iso.datetime({
      offset: true,
      error: 'an ISO 8601 time or day, e.g. 2026-11-01T00:00:00Z or 2026-11-01',
    }),
  )
  .transform((time) => new Date(time).toISOString());

/** A day of the calendar in UTC. */
export const day = z.iso.date({ error: 'a day as YYYY-MM-DD, e.g. 2026-11-01' });

const limit = z.coerce
  .number({ error: 'a whole number from 1 to 200' })
  .int({ error: 'a whole number from 1 to 200' })
  .min(1, { error: 'a whole number from 1 to 200' })
  .max(200, { error: 'a whole number from 1 to 200' });

/** `to` may not come before `from`; `what` is what they are (a time, a day). */
export function fromNotAfterTo(what: string) {
  return function checkRange(
    range: { from?: string | undefined; to?: string | undefined },
    context: z.RefinementCtx,
  ): void {
    if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `${what} not before from (${range.from})`,
      });
    }
  };
}

const filterShape = {
  account: handle.optional(),
  outcome: z
    .enum(transactionOutcomes, { error: `one of ${transactionOutcomes.join(', ')}` })
    .optional(),
  kind: z.enum(transactionKinds, { error: `one of ${transactionKinds.join(', ')}` }).optional(),
  /** Stripe's error code or decline code (`card_declined`, `insufficient_funds`), or ours (`connection`). */
  error: z
    .string()
    .regex(/^[a-z0-9_]{1,100}$/, { error: 'an error or decline code, e.g. card_declined' })
    .optional(),
  funnel: slug.optional(),
  mode: mode.optional(),
  /** At or after. */
  from: timeOrDay.optional(),
  /** Before. */
  to: timeOrDay.optional(),
};

export const transactionFilters = z.strictObject(filterShape).superRefine(fromNotAfterTo('a time'));

export const transactionQuery = z
  .strictObject({
    ...filterShape,
    cursor: z.string().min(1).max(500, { error: 'the nextCursor of the last page' }).optional(),
    limit: limit.optional(),
  })
  .superRefine(fromNotAfterTo('a time'));

export type TransactionFilters = z.output<typeof transactionFilters>;
export type TransactionQuery = z.output<typeof transactionQuery>;

/** The report's days, both included. */
export const accountsReportQuery = z
  .strictObject({ from: day.optional(), to: day.optional(), mode: mode.optional() })
  .superRefine(fromNotAfterTo('a day'));

export type AccountsReportQuery = z.output<typeof accountsReportQuery>;
