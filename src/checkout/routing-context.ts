import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import type { PaymentContext } from '../routing/index.js';
import type { LiveRouting } from '../routing-config/routing-config.service.js';
import { cappedHandles, sumAccountUsage, usageOf } from './usage.js';

/**
 * What the router needs to know of a new payment beyond the order itself (issue 16): the
 * accounts where the buyer already has a Stripe customer (affinity), and what the capped
 * accounts have taken in its currency (caps). Continuations stay on their parent's account
 * whatever its caps, so they get neither.
 */

export interface PaymentToRoute {
  workspaceId: string;
  context: PaymentContext & { amount: number };
  /** The ids of the accounts where the buyer has a Stripe customer, as the caller read them. */
  customerAccountIds?: readonly string[] | undefined;
}

export async function completeRoutingContext(
  deps: { db: Kysely<Database>; clock: Clock },
  live: Pick<LiveRouting, 'document' | 'accountIds'>,
  payment: PaymentToRoute,
): Promise<PaymentContext & { amount: number }> {
  const { context } = payment;
  if (context.kind !== 'initial') return context;
  const capped = cappedHandles(live.document, context.currency);
  const known = payment.customerAccountIds;
  const sums =
    capped.length === 0
      ? undefined
      : await sumAccountUsage(deps.db, {
          workspaceId: payment.workspaceId,
          mode: context.mode,
          currency: context.currency,
          accountIds: capped.flatMap((handle) => live.accountIds.get(handle) ?? []),
          now: deps.clock(),
        });
  return {
    ...context,
    ...(known === undefined || context.customer === undefined
      ? {}
      : { customer: { ...context.customer, accounts: handlesOf(known, live.accountIds) } }),
    ...(sums === undefined
      ? {}
      : { usage: usageOf(capped, live.accountIds, sums, context.currency) }),
  };
}

/** Account ids as the handles the router knows; accounts removed since are left out. */
function handlesOf(accountIds: readonly string[], idOf: ReadonlyMap<string, string>): string[] {
  const handleOf = new Map([...idOf].map(([handle, id]) => [id, handle]));
  return accountIds.flatMap((id) => handleOf.get(id) ?? []);
}
