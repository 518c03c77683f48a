import type { StoredRoutingContext } from '../checkout/payments.repository.js';
import type { CompiledRouting, PaymentContext, RoutingDecision, Usage } from '../routing/index.js';
import type { KnownCustomer, ReplayPayment, UsageBefore } from './replay.repository.js';

/**
 * The world a replay simulates: past payments placed again, in time order, by a candidate
 * routing. What the router reads of the world (usage against caps, the accounts a buyer is known
 * on, the account of a continuation's parent) comes from the replayed placements, not from what
 * really happened, so a candidate's caps and splits play out as they would have.
 */

/** Where one stored payment lands under the candidate routing. */
export interface ReplayPlacement {
  payment: ReplayPayment;
  /** null: no account would have taken it. */
  account: string | null;
  /** The new decision's sentences. */
  explanation: string[];
  /** The router's decision; absent when the payment's parent would have had no account. */
  decision?: RoutingDecision;
  /** Whether the context was the one stored with the payment, or rebuilt from its row. */
  context: 'stored' | 'rebuilt';
}

export interface ReplayWorld {
  /** Places the next payment; payments must come in (created_at, payment_id) order. */
  place(payment: ReplayPayment): ReplayPlacement;
}

interface Tally {
  day: string;
  dayAmount: number;
  month: string;
  monthAmount: number;
}

/** The world as it was when a window starts: what really happened before it. */
export interface WorldBefore {
  /** When the window starts. */
  at: string;
  usage: readonly UsageBefore[];
  customers: readonly KnownCustomer[];
}

export function createReplayWorld(
  routing: CompiledRouting,
  tagsOf: ReadonlyMap<string, readonly string[]>,
  before?: WorldBefore,
): ReplayWorld {
  /**
   * mode|currency -> account -> what it took this UTC day and month. Each mode has its own, as
   * checkout counts them against a cap.
   */
  const taken = new Map<string, Map<string, Tally>>();
  /** mode|customer key -> the accounts the buyer has a Stripe customer on. */
  const customers = new Map<string, Set<string>>();
  for (const row of before?.usage ?? []) {
    poolOf(row.mode, row.currency).set(row.account, {
      day: before?.at.slice(0, 10) ?? '',
      dayAmount: row.day,
      month: before?.at.slice(0, 7) ?? '',
      monthAmount: row.month,
    });
  }
  for (const known of before?.customers ?? []) knowOn(`${known.mode}|${known.key}`, known.account);

  function poolOf(mode: string, currency: string): Map<string, Tally> {
    let byAccount = taken.get(`${mode}|${currency}`);
    if (byAccount === undefined) {
      byAccount = new Map();
      taken.set(`${mode}|${currency}`, byAccount);
    }
    return byAccount;
  }

  function knowOn(customerKey: string, account: string): void {
    const known = customers.get(customerKey);
    if (known === undefined) customers.set(customerKey, new Set([account]));
    else known.add(account);
  }
  /** Replayed payment id -> where it landed: continuations follow their parent. */
  const placed = new Map<string, string | null>();

  function usageFor(mode: string, currency: string, createdAt: string): Usage {
    const usage: Usage = {};
    const day = createdAt.slice(0, 10);
    const month = createdAt.slice(0, 7);
    for (const [account, tally] of taken.get(`${mode}|${currency}`) ?? []) {
      usage[account] = {
        [currency]: {
          day: tally.day === day ? tally.dayAmount : 0,
          month: tally.month === month ? tally.monthAmount : 0,
        },
      };
    }
    return usage;
  }

  function record(payment: ReplayPayment, customerKey: string, account: string | null): void {
    placed.set(payment.paymentId, account);
    if (account === null) return;
    knowOn(customerKey, account);
    const byAccount = poolOf(payment.mode, payment.currency);
    const day = payment.createdAt.slice(0, 10);
    const month = payment.createdAt.slice(0, 7);
    const tally = byAccount.get(account);
    if (tally === undefined) {
      byAccount.set(account, {
        day,
        dayAmount: payment.amount,
        month,
        monthAmount: payment.amount,
      });
      return;
    }
    tally.dayAmount = tally.day === day ? tally.dayAmount + payment.amount : payment.amount;
    tally.monthAmount = tally.month === month ? tally.monthAmount + payment.amount : payment.amount;
    tally.day = day;
    tally.month = month;
  }

  return {
    place(payment) {
      const stored = payment.routingContext;
      const base = stored ?? rebuiltContext(payment, tagsOf);
      const customerKey = `${payment.mode}|${base.customer?.key ?? base.order ?? payment.orderId}`;
      const source = stored === null ? 'rebuilt' : 'stored';

      let parent = base.parent;
      if (base.kind !== 'initial' && payment.parentPaymentId !== null) {
        const replayedParent = placed.get(payment.parentPaymentId);
        // A parent replayed in this window landed where the candidate put it; an older one stays.
        parent = replayedParent === undefined ? parent : nullable(replayedParent);
      }
      if (base.kind !== 'initial' && parent === undefined) {
        record(payment, customerKey, null);
        return {
          payment,
          account: null,
          context: source,
          explanation: [
            `Its parent payment ${payment.parentPaymentId ?? '(unknown)'} would have had no account, so this ${payment.kind} would not have happened.`,
          ],
        };
      }

      const context: PaymentContext = {
        ...base,
        ...(parent === undefined ? {} : { parent }),
        customer: {
          ...(base.customer?.key === undefined ? {} : { key: base.customer.key }),
          accounts: [...(customers.get(customerKey) ?? [])],
        },
        usage: usageFor(payment.mode, base.currency, payment.createdAt),
        // Health is the moment's and is not stored: the replay assumes every account healthy.
        health: {},
      };
      const decision = routing.route(context);
      record(payment, customerKey, decision.account);
      return {
        payment,
        account: decision.account,
        explanation: decision.explanation,
        decision,
        context: source,
      };
    },
  };
}

function nullable(account: string | null): { account: string } | undefined {
  return account === null ? undefined : { account };
}

/** The context of a payment stored before checkout kept it, rebuilt from its row and order. */
export function rebuiltContext(
  payment: ReplayPayment,
  tagsOf: ReadonlyMap<string, readonly string[]>,
): StoredRoutingContext {
  const tags = new Set(payment.products.flatMap((product) => tagsOf.get(product) ?? []));
  const key = payment.email.trim().toLowerCase();
  return {
    mode: payment.mode,
    kind: payment.kind,
    funnel: payment.funnelSlug,
    step: `${payment.funnelSlug}/${payment.stepSlug}`,
    products: payment.products,
    tags: [...tags],
    currency: payment.currency,
    amount: payment.amount,
    country: payment.country,
    order: payment.orderId,
    customer: { ...(key === '' ? {} : { key }), accounts: [] },
    ...(payment.parentAccount === null ? {} : { parent: { account: payment.parentAccount } }),
  };
}
