import type { Kysely } from 'kysely';
import type { Database, PaymentStatus } from '../db/schema.js';
import type { Mode, RoutingConfig, Usage } from '../routing/index.js';

/**
 * What each capped account has taken already (issue 16): the router's `usage`, summed from the
 * payments checkout recorded, in one query per payment and only when a cap could apply.
 *
 * A payment counts once it has a PaymentIntent on the account and may still move money: it
 * succeeded, or Stripe is still working on it (processing, requires_action, requires_capture,
 * requires_confirmation, or a renewal that is pending). A canceled one never counts. One that
 * requires a payment method is a card form still open, or a declined card: it holds its amount
 * for `openFormHoldMs` after it was made, so buyers on the form as the cap fills do not all pass
 * it, while abandoned forms do not eat the cap for the rest of the day or month. Refunds do not
 * give volume back: processors count what was charged. The doctor's cap_near
 * (src/doctor/checks/caps.repository.ts) counts these statuses, without that hour's hold.
 */

/** Statuses whose amount is taken, or being taken, on the account. */
export const takingStatuses: readonly PaymentStatus[] = [
  'pending',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
  'processing',
  'succeeded',
];

/** How long an open card form (or a declined card the buyer may retry) holds its amount. */
export const openFormHoldMs = 60 * 60 * 1000;

/** One account's sums in one currency since the start of the UTC day and month. */
export interface AccountUsage {
  accountId: string;
  day: number;
  month: number;
}

export interface UsageQuery {
  workspaceId: string;
  /** Test payments never fill a live cap, nor live ones a test cap. */
  mode: Mode;
  currency: string;
  accountIds: readonly string[];
  now: Date;
}

/** The taken amounts of the accounts in the currency, this UTC day and month (index payments_usage). */
export async function sumAccountUsage(
  db: Kysely<Database>,
  query: UsageQuery,
): Promise<AccountUsage[]> {
  if (query.accountIds.length === 0) return [];
  const { dayStart, monthStart } = periodStartsOf(query.now);
  const holdSince = new Date(query.now.getTime() - openFormHoldMs).toISOString();
  const rows = await db
    .selectFrom('payments')
    .select((eb) => [
      'account_id',
      eb.fn.sum<number | string>('amount').as('month'),
      eb.fn
        .sum<number | string>(
          eb.case().when('created_at', '>=', dayStart).then(eb.ref('amount')).else(0).end(),
        )
        .as('day'),
    ])
    .where('workspace_id', '=', query.workspaceId)
    .where('account_id', 'in', query.accountIds)
    .where('currency', '=', query.currency)
    .where('mode', '=', query.mode)
    .where('created_at', '>=', monthStart)
    .where('payment_intent_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('status', 'in', takingStatuses),
        eb.and([eb('status', '=', 'requires_payment_method'), eb('created_at', '>=', holdSince)]),
      ]),
    )
    .groupBy('account_id')
    .execute();
  return rows.flatMap((row) =>
    row.account_id === null
      ? []
      : [{ accountId: row.account_id, day: Number(row.day), month: Number(row.month) }],
  );
}

/** Where the current UTC day and month began, as stored timestamps compare. */
export function periodStartsOf(now: Date): { dayStart: string; monthStart: string } {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return { dayStart: new Date(day).toISOString(), monthStart: new Date(month).toISOString() };
}

/** The handles of the accounts with a cap in the currency: the only ones usage is read for. */
export function cappedHandles(document: RoutingConfig, currency: string): string[] {
  return document.accounts
    .filter((account) => account.caps?.some((cap) => cap.currency === currency))
    .map((account) => account.handle);
}

/** The router's `usage` of the sums: every capped account, at zero when it took nothing yet. */
export function usageOf(
  handles: readonly string[],
  idOf: ReadonlyMap<string, string>,
  sums: readonly AccountUsage[],
  currency: string,
): Usage {
  const byId = new Map(sums.map((sum) => [sum.accountId, sum]));
  const usage: Usage = {};
  for (const handle of handles) {
    const id = idOf.get(handle);
    const sum = id === undefined ? undefined : byId.get(id);
    usage[handle] = { [currency]: { day: sum?.day ?? 0, month: sum?.month ?? 0 } };
  }
  return usage;
}
