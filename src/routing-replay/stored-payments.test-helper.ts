import type { Kysely } from 'kysely';
import type { Database, PaymentStatus } from '../db/schema.js';

/**
 * A seeded history of stored payments, written straight into the tables as checkout leaves them:
 * orders of many buyers over a month in three currencies, upsells on some of them, a share of
 * payments stored with their routing context (the rest from before 0016, without), and a few that
 * never landed on an account.
 */

export interface SeededPayment {
  paymentId: string;
  orderId: string;
  kind: 'initial' | 'upsell';
  parentPaymentId: string | null;
  /** Where it landed; null for a payment that never did. */
  account: string | null;
  status: PaymentStatus;
  amount: number;
  currency: string;
  country: string;
  funnel: string;
  /** As the buyer typed it (mixed case, spaces). */
  email: string;
  createdAt: string;
}

/** A small deterministic generator (mulberry32): the same seed, the same history. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<Item>(random: () => number, items: readonly Item[]): Item {
  return items[Math.floor(random() * items.length)] as Item;
}

/** Where the old routing put a new payment: us for dollars, eu for the rest. */
export function oldAccountOf(currency: string): string {
  return currency === 'usd' ? 'us' : 'eu';
}

export function seedHistory(count: number, seed = 16): SeededPayment[] {
  const random = seededRandom(seed);
  const payments: SeededPayment[] = [];
  let time = Date.parse('2026-11-01T00:00:00.000Z');
  for (let index = 0; index < count; index++) {
    time += Math.floor(random() * 80 * 60_000);
    const createdAt = new Date(time).toISOString();
    const paymentId = `pay_${String(index).padStart(5, '0')}`;
    const parent =
      random() < 0.12
        ? payments.filter((p) => p.kind === 'initial').at(-1 - Math.floor(random() * 5))
        : undefined;
    if (parent !== undefined) {
      payments.push({
        ...parent,
        paymentId,
        kind: 'upsell',
        parentPaymentId: parent.paymentId,
        // An upsell runs on its parent's account; one whose parent never landed did not happen.
        account: parent.account,
        status: parent.account === null ? 'canceled' : 'succeeded',
        amount: 1000 + Math.floor(random() * 200) * 50,
        createdAt,
      });
      continue;
    }
    const currency = pick(random, ['usd', 'usd', 'eur', 'eur', 'gbp']);
    const country =
      currency === 'usd'
        ? pick(random, ['US', 'CA'])
        : currency === 'eur'
          ? pick(random, ['DE', 'FR', 'ES', 'NL'])
          : 'GB';
    const buyer = Math.floor(random() * 150);
    const email = random() < 0.2 ? ` Buyer${buyer}@Example.COM ` : `buyer${buyer}@example.com`;
    const landed = random() < 0.95;
    payments.push({
      paymentId,
      orderId: `ord_${String(index).padStart(5, '0')}`,
      kind: 'initial',
      parentPaymentId: null,
      account: landed ? oldAccountOf(currency) : null,
      status: landed
        ? pick(random, ['succeeded', 'succeeded', 'succeeded', 'processing'])
        : pick(random, ['canceled', 'requires_payment_method']),
      amount: 1000 + Math.floor(random() * 1000) * 50,
      currency,
      country,
      funnel: pick(random, ['launch', 'webinar']),
      email,
      createdAt,
    });
  }
  return payments;
}

/** Writes the history: a customer per email, an order per initial payment, the payments. */
export async function writeHistory(
  db: Kysely<Database>,
  payments: readonly SeededPayment[],
  options: { workspaceId?: string } = {},
): Promise<void> {
  const workspaceId = options.workspaceId ?? 'default';
  const accounts = await db
    .selectFrom('accounts')
    .select(['account_id', 'handle'])
    .where('workspace_id', '=', workspaceId)
    .execute();
  const accountIds = new Map(accounts.map((row) => [row.handle, row.account_id]));
  const emails = [...new Set(payments.map((payment) => payment.email.trim().toLowerCase()))];
  const customerIds = new Map(emails.map((email, index) => [email, `cus_seed_${index}`]));
  const at = payments[0]?.createdAt ?? new Date(0).toISOString();
  await inChunks(emails, (chunk) =>
    db
      .insertInto('customers')
      .values(
        chunk.map((email) => ({
          customer_id: customerIds.get(email) ?? '',
          workspace_id: workspaceId,
          email,
          name: email.split('@')[0] ?? '',
          country: null,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute(),
  );
  const initials = payments.filter((payment) => payment.kind === 'initial');
  await inChunks(initials, (chunk) =>
    db
      .insertInto('orders')
      .values(
        chunk.map((payment) => ({
          order_id: payment.orderId,
          workspace_id: workspaceId,
          funnel_slug: payment.funnel,
          mode: 'test' as const,
          customer_id: customerIds.get(payment.email.trim().toLowerCase()) ?? '',
          email: payment.email,
          name: 'Buyer',
          country: payment.country,
          status: payment.account === null ? ('open' as const) : ('paid' as const),
          paid_amount: 0,
          refunded_amount: 0,
          currency: payment.currency,
          created_at: payment.createdAt,
          updated_at: payment.createdAt,
        })),
      )
      .execute(),
  );
  await inChunks(payments, (chunk) =>
    db
      .insertInto('payments')
      .values(
        chunk.map((payment) => {
          const step = payment.kind === 'initial' ? 'order' : 'upsell';
          const product = payment.kind === 'initial' ? 'course' : 'coaching';
          // Every other payment carries the context checkout stores since migration 0016.
          const stored = Number(payment.paymentId.slice(4)) % 2 === 0;
          return {
            payment_id: payment.paymentId,
            workspace_id: workspaceId,
            order_id: payment.orderId,
            kind: payment.kind,
            step_slug: step,
            parent_payment_id: payment.parentPaymentId,
            account_id: payment.account === null ? null : (accountIds.get(payment.account) ?? null),
            account_handle: payment.account,
            mode: 'test' as const,
            amount: payment.amount,
            currency: payment.currency,
            lines: JSON.stringify([
              {
                product,
                name: product,
                amount: payment.amount,
                currency: payment.currency,
                recurring: null,
                price: '',
              },
            ]),
            status: payment.status,
            payment_intent_id: `pi_${payment.paymentId}`,
            stripe_customer_id: null,
            payment_method_id: null,
            subscription_id: null,
            refunded_amount: 0,
            failure_message: null,
            decision: null,
            routing_context: stored
              ? JSON.stringify({
                  mode: 'test',
                  kind: payment.kind,
                  funnel: payment.funnel,
                  step: `${payment.funnel}/${step}`,
                  products: [product],
                  tags: [],
                  currency: payment.currency,
                  amount: payment.amount,
                  country: payment.country,
                  order: payment.orderId,
                  customer: { key: payment.email.trim().toLowerCase(), accounts: [] },
                  ...(payment.kind === 'upsell' && payment.account !== null
                    ? { parent: { account: payment.account } }
                    : {}),
                })
              : null,
            created_at: payment.createdAt,
            updated_at: payment.createdAt,
          };
        }),
      )
      .execute(),
  );
}

async function inChunks<Item>(
  items: readonly Item[],
  write: (chunk: Item[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < items.length; start += 100) {
    await write(items.slice(start, start + 100));
  }
}
