import type { Kysely } from 'kysely';
import type { Mode } from '../../accounts/key-verification.js';
import { formatMoney } from '../../catalog/money.js';
import { periodStartsOf } from '../../checkout/usage.js';
import type { Database } from '../../db/schema.js';
import type { AccountCap } from '../../routing/index.js';
import { listCapUsage } from './caps.repository.js';

/** One volume cap with what the account took of it in the current UTC day or month. */
export interface CapReading {
  cap: AccountCap;
  used: number;
}

/** Each cap of the account with its usage in `mode` now; no query when it has no cap. */
export async function readCaps(
  db: Kysely<Database>,
  input: {
    workspaceId: string;
    accountId: string;
    caps: readonly AccountCap[] | null;
    mode: Mode;
    now: Date;
  },
): Promise<CapReading[]> {
  const caps = input.caps ?? [];
  if (caps.length === 0) return [];
  const usage = await listCapUsage(db, {
    workspaceId: input.workspaceId,
    accountId: input.accountId,
    mode: input.mode,
    // Caps count UTC calendar days and months, as checkout does.
    ...periodStartsOf(input.now),
  });
  return caps.map((cap) => {
    const taken = usage.find((one) => one.currency === cap.currency);
    return { cap, used: taken === undefined ? 0 : taken[cap.period] };
  });
}

/** The whole percent of the cap taken: 82 for 41,000 of 50,000. */
export function percentOf({ cap, used }: CapReading): number {
  return Math.floor((used * 100) / cap.amount);
}

/** "$41,000.00 of $50,000.00 today (82 %)". */
export function describeReading(reading: CapReading): string {
  const { cap, used } = reading;
  // Periods are UTC calendar days and months, as the router counts them.
  const period = cap.period === 'day' ? 'today' : 'this month';
  return `${formatMoney(used, cap.currency)} of ${formatMoney(cap.amount, cap.currency)} ${period} (${percentOf(reading)} %)`;
}
