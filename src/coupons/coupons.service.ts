import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.service.js';
import { formatMoney } from '../catalog/money.js';
import type { PaymentLine } from '../checkout/payment-lines.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import {
  type Coupon,
  deleteCoupon,
  findCoupon,
  findRedemptionOfOrder,
  holdCoupon,
  insertCoupon,
  insertRedemption,
  listCoupons,
  moveRedemption,
  releaseRedemption,
} from './coupons.repository.js';
import type { CouponInput } from './coupons.schema.js';

/** What a merchant sees of a coupon. */
export type CouponView = Omit<Coupon, 'couponId'>;

/** Why a code gives no discount, each with its own words beside the code field. */
export type CouponRefusal =
  | 'unknown'
  | 'expired'
  | 'used_up'
  | 'not_for_product'
  | 'not_for_currency'
  | 'not_for_subscriptions';

export interface CouponDiscountInput {
  workspaceId: string;
  orderId: string;
  paymentId: string;
  currency: string;
  /** The lines before the discount. */
  lines: readonly PaymentLine[];
  /** A code typed now; null: the buyer removed it; undefined: the code the order holds, if any. */
  code: string | null | undefined;
}

/**
 * Coupons: managed by the merchant, applied on the payment step.
 *
 * Redemptions are counted so that paid orders never pass the limit: applying a code claims one
 * for the order (a row per order and `held + 1 where held < limit`, in one transaction) before the
 * discount goes to Stripe, so of two buyers racing for the last one the second is refused while
 * still at the card form. Removing the code gives the claim back; a payment that succeeds with the
 * discount marks it paid (`redeemed + 1`, once per order), one that succeeds without it lets it go.
 */
export interface Coupons {
  createCoupon(workspaceId: string, input: CouponInput, actor: string): Promise<CouponView>;
  listCoupons(workspaceId: string): Promise<CouponView[]>;
  removeCoupon(workspaceId: string, code: string, actor: string): Promise<void>;
  /**
   * The discount line of the order's payment: a typed code is checked and claimed for the order
   * (throwing `unprocessable` with `details.refused` when it gives nothing), a removed one is let
   * go, otherwise the code the order already holds applies again to the lines as they are now.
   */
  discountFor(input: CouponDiscountInput): Promise<PaymentLine | null>;
}

export function refusalMessage(refused: CouponRefusal, code: string, product: string): string {
  switch (refused) {
    case 'unknown':
      return `We don’t know the code ${code}. Check it for typos.`;
    case 'expired':
      return `The code ${code} has expired.`;
    case 'used_up':
      return `The code ${code} has been used up. Nothing was charged; you can pay the full price or try another code.`;
    case 'not_for_product':
      return `The code ${code} does not apply to ${product}.`;
    case 'not_for_currency':
      return `The code ${code} does not apply in this currency.`;
    case 'not_for_subscriptions':
      return `The code ${code} cannot be used for a subscription.`;
  }
}

function refuse(refused: CouponRefusal, code: string): AppError {
  return new AppError('unprocessable', `The code ${code} gives no discount here (${refused}).`, {
    field: 'code',
    refused,
  });
}

/** The coupon's line for these lines, or why there is none. */
function lineOfCoupon(
  coupon: Coupon,
  lines: readonly PaymentLine[],
  currency: string,
): PaymentLine | CouponRefusal {
  const eligible = lines.filter(
    (line) =>
      !line.coupon && (coupon.products.length === 0 || coupon.products.includes(line.product)),
  );
  if (eligible.length === 0) return 'not_for_product';
  // Subscriptions need a Stripe coupon on the routed account: not built yet.
  if (eligible.some((line) => line.recurring)) return 'not_for_subscriptions';
  const base = eligible.reduce((sum, line) => sum + line.amount, 0);
  const wanted =
    coupon.percentOff !== null
      ? Math.round((base * coupon.percentOff) / 100)
      : (coupon.amountsOff?.[currency] ?? 0);
  if (wanted <= 0) return 'not_for_currency';
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  // Stripe takes no charge below 50 minor units: the discount stops there.
  const off = Math.max(0, Math.min(wanted, base, total - 50));
  return {
    product: '',
    name: `Coupon ${coupon.code}`,
    amount: -off,
    currency,
    recurring: null,
    price: `−${formatMoney(off, currency)}`,
    coupon: coupon.code,
  };
}

export function createCoupons(deps: {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
}): Coupons {
  const { db, clock, audit } = deps;
  const viewOf = ({ couponId: _id, ...view }: Coupon): CouponView => view;

  async function claim(input: CouponDiscountInput, code: string): Promise<PaymentLine> {
    const coupon = await findCoupon(db, input.workspaceId, { code });
    if (!coupon) throw refuse('unknown', code);
    if (coupon.expiresAt !== null && coupon.expiresAt <= clock().toISOString()) {
      throw refuse('expired', code);
    }
    const line = lineOfCoupon(coupon, input.lines, input.currency);
    if (typeof line === 'string') throw refuse(line, code);
    await db.transaction().execute(async (trx) => {
      const held = await findRedemptionOfOrder(trx, input.orderId);
      if (held?.couponId === coupon.couponId) {
        await moveRedemption(trx, input.orderId, input.paymentId);
        return;
      }
      if (held) await releaseRedemption(trx, input.orderId);
      if (!(await holdCoupon(trx, coupon.couponId))) throw refuse('used_up', code);
      await insertRedemption(trx, {
        workspaceId: input.workspaceId,
        orderId: input.orderId,
        couponId: coupon.couponId,
        code: coupon.code,
        paymentId: input.paymentId,
        at: clock().toISOString(),
      });
    });
    return line;
  }

  return {
    async createCoupon(workspaceId, input, actor) {
      const coupon: Coupon = {
        couponId: newId('cpn'),
        code: input.code.toUpperCase(),
        percentOff: input.percentOff ?? null,
        amountsOff: input.amountsOff ?? null,
        expiresAt: input.expiresAt ?? null,
        limit: input.limit ?? null,
        products: input.products ?? [],
        held: 0,
        redeemed: 0,
        createdAt: clock().toISOString(),
      };
      try {
        await db.transaction().execute(async (trx) => {
          await insertCoupon(trx, workspaceId, coupon);
          await audit.record(trx, {
            workspaceId,
            actor,
            action: 'coupon.created',
            subject: `coupon:${coupon.code}`,
            after: viewOf(coupon),
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new AppError('conflict', `A coupon with the code ${coupon.code} already exists.`, {
          field: 'code',
        });
      }
      return viewOf(coupon);
    },

    listCoupons: async (workspaceId) => (await listCoupons(db, workspaceId)).map(viewOf),

    async removeCoupon(workspaceId, code, actor) {
      const coupon = await findCoupon(db, workspaceId, { code: code.toUpperCase() });
      if (!coupon) {
        throw new AppError('not_found', `There is no coupon ${code.toUpperCase()}.`, { code });
      }
      await db.transaction().execute(async (trx) => {
        await deleteCoupon(trx, coupon.couponId);
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'coupon.removed',
          subject: `coupon:${coupon.code}`,
          before: viewOf(coupon),
        });
      });
    },

    async discountFor(input) {
      if (input.code === null) {
        await releaseRedemption(db, input.orderId);
        return null;
      }
      if (input.code !== undefined) return claim(input, input.code.trim().toUpperCase());
      const held = await findRedemptionOfOrder(db, input.orderId);
      if (!held || held.paidAt !== null) return null;
      // Held already: the code's expiry and limit were checked when it was claimed.
      const coupon = await findCoupon(db, input.workspaceId, { couponId: held.couponId });
      const line = coupon ? lineOfCoupon(coupon, input.lines, input.currency) : null;
      if (line === null || typeof line === 'string') return null;
      if (held.paymentId !== input.paymentId) {
        await moveRedemption(db, input.orderId, input.paymentId);
      }
      return line;
    },
  };
}
