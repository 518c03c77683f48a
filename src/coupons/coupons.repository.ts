import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CouponTable } from '../db/schema-coupons.js';

/** A code a buyer types on the payment step for a percent or an amount off. */
export interface Coupon {
  couponId: string;
  code: string;
  percentOff: number | null;
  /** Minor units off per lower-case currency, or null for a percent coupon. */
  amountsOff: Record<string, number> | null;
  expiresAt: string | null;
  limit: number | null;
  /** Product slugs it applies to; empty: every product. */
  products: string[];
  /** Orders holding it, paid or not. */
  held: number;
  /** Paid orders that got the discount. */
  redeemed: number;
  createdAt: string;
}

/** An order's claim on a coupon. */
export interface Redemption {
  orderId: string;
  couponId: string;
  code: string;
  paymentId: string;
  paidAt: string | null;
}

function couponOf(row: Selectable<CouponTable>): Coupon {
  return {
    couponId: row.coupon_id,
    code: row.code,
    percentOff: row.percent_off === null ? null : Number(row.percent_off),
    amountsOff: row.amounts_off ? (JSON.parse(row.amounts_off) as Record<string, number>) : null,
    expiresAt: row.expires_at,
    limit: row.redemption_limit === null ? null : Number(row.redemption_limit),
    products: JSON.parse(row.products) as string[],
    held: Number(row.held),
    redeemed: Number(row.redeemed),
    createdAt: row.created_at,
  };
}

export async function insertCoupon(
  db: Kysely<Database>,
  workspaceId: string,
  coupon: Coupon,
): Promise<void> {
  await db
    .insertInto('coupons')
    .values({
      coupon_id: coupon.couponId,
      workspace_id: workspaceId,
      code: coupon.code,
      percent_off: coupon.percentOff,
      amounts_off: coupon.amountsOff ? JSON.stringify(coupon.amountsOff) : null,
      expires_at: coupon.expiresAt,
      redemption_limit: coupon.limit,
      products: JSON.stringify(coupon.products),
      held: 0,
      redeemed: 0,
      created_at: coupon.createdAt,
    })
    .execute();
}

export async function listCoupons(db: Kysely<Database>, workspaceId: string): Promise<Coupon[]> {
  const rows = await db
    .selectFrom('coupons')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('code')
    .execute();
  return rows.map(couponOf);
}

export async function findCoupon(
  db: Kysely<Database>,
  workspaceId: string,
  by: { code: string } | { couponId: string },
): Promise<Coupon | undefined> {
  const row = await db
    .selectFrom('coupons')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => ('code' in by ? eb('code', '=', by.code) : eb('coupon_id', '=', by.couponId)))
    .executeTakeFirst();
  return row && couponOf(row);
}

/** Removes the coupon and the unpaid orders' claims on it; paid orders keep their discount. */
export async function deleteCoupon(db: Kysely<Database>, couponId: string): Promise<void> {
  await db
    .deleteFrom('coupon_redemptions')
    .where('coupon_id', '=', couponId)
    .where('paid_at', 'is', null)
    .execute();
  await db.deleteFrom('coupons').where('coupon_id', '=', couponId).execute();
}

export async function findRedemptionOfOrder(
  db: Kysely<Database>,
  orderId: string,
): Promise<Redemption | undefined> {
  const row = await db
    .selectFrom('coupon_redemptions')
    .select(['order_id', 'coupon_id', 'code', 'payment_id', 'paid_at'])
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  return (
    row && {
      orderId: row.order_id,
      couponId: row.coupon_id,
      code: row.code,
      paymentId: row.payment_id,
      paidAt: row.paid_at,
    }
  );
}

/**
 * Takes one of the coupon's redemptions for an order; false when they are all held. One
 * conditional update: PostgreSQL re-reads `held` after a racing transaction commits, SQLite runs
 * one writer at a time, so the limit holds with any number of buyers at once.
 */
export async function holdCoupon(db: Kysely<Database>, couponId: string): Promise<boolean> {
  const result = await db
    .updateTable('coupons')
    .set((eb) => ({ held: eb('held', '+', 1) }))
    .where('coupon_id', '=', couponId)
    .where((eb) =>
      eb.or([eb('redemption_limit', 'is', null), eb('held', '<', eb.ref('redemption_limit'))]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertRedemption(
  db: Kysely<Database>,
  redemption: {
    workspaceId: string;
    orderId: string;
    couponId: string;
    code: string;
    paymentId: string;
    at: string;
  },
): Promise<void> {
  await db
    .insertInto('coupon_redemptions')
    .values({
      order_id: redemption.orderId,
      coupon_id: redemption.couponId,
      workspace_id: redemption.workspaceId,
      code: redemption.code,
      payment_id: redemption.paymentId,
      reserved_at: redemption.at,
      paid_at: null,
    })
    .execute();
}

/** The discount moved to another payment of the order (the buyer switched currency). */
export async function moveRedemption(
  db: Kysely<Database>,
  orderId: string,
  paymentId: string,
): Promise<void> {
  await db
    .updateTable('coupon_redemptions')
    .set({ payment_id: paymentId })
    .where('order_id', '=', orderId)
    .where('paid_at', 'is', null)
    .execute();
}

/** Lets go of an unpaid order's claim, giving its redemption back to the coupon. */
export async function releaseRedemption(db: Kysely<Database>, orderId: string): Promise<void> {
  const released = await db
    .deleteFrom('coupon_redemptions')
    .where('order_id', '=', orderId)
    .where('paid_at', 'is', null)
    .returning('coupon_id')
    .executeTakeFirst();
  if (!released) return;
  await db
    .updateTable('coupons')
    .set((eb) => ({ held: eb('held', '-', 1) }))
    .where('coupon_id', '=', released.coupon_id)
    .execute();
}

/**
 * A payment succeeded: the coupon its order holds is redeemed, once, when the payment carries
 * the discount; a payment that went through without it (paid before the code was applied at
 * Stripe) lets the claim go. `executor` is the transaction recording the payment.
 */
export async function redeemCouponOfPayment(
  executor: Kysely<Database>,
  paymentId: string,
  at: string,
): Promise<void> {
  const held = await executor
    .selectFrom('coupon_redemptions')
    .innerJoin('payments', 'payments.payment_id', 'coupon_redemptions.payment_id')
    .select([
      'coupon_redemptions.order_id',
      'coupon_redemptions.coupon_id',
      'coupon_redemptions.code',
      'payments.lines',
    ])
    .where('coupon_redemptions.payment_id', '=', paymentId)
    .where('coupon_redemptions.paid_at', 'is', null)
    .executeTakeFirst();
  if (!held) return;
  const lines = JSON.parse(held.lines) as Array<{ coupon?: string }>;
  if (!lines.some((line) => line.coupon === held.code)) {
    await releaseRedemption(executor, held.order_id);
    return;
  }
  const paid = await executor
    .updateTable('coupon_redemptions')
    .set({ paid_at: at })
    .where('order_id', '=', held.order_id)
    .where('paid_at', 'is', null)
    .executeTakeFirst();
  if (Number(paid.numUpdatedRows) !== 1) return;
  await executor
    .updateTable('coupons')
    .set((eb) => ({ redeemed: eb('redeemed', '+', 1) }))
    .where('coupon_id', '=', held.coupon_id)
    .execute();
}
