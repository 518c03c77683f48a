/** Coupons and the orders holding them (migration 0019). */
export interface CouponTables {
  coupons: CouponTable;
  coupon_redemptions: CouponRedemptionTable;
}

export interface CouponTable {
  coupon_id: string;
  workspace_id: string;
  /** Upper case: buyers type codes in any case. */
  code: string;
  percent_off: number | null;
  /** JSON object of lower-case currency -> minor units off, or null for a percent coupon. */
  amounts_off: string | null;
  expires_at: string | null;
  redemption_limit: number | null;
  /** JSON array of product slugs; empty: every product. */
  products: string;
  /** Orders holding the coupon, paid or not: never more than the limit. */
  held: number;
  /** Paid orders that got the discount. */
  redeemed: number;
  created_at: string;
}

/** An order's claim on a coupon: made when the code is applied, paid or let go later. */
export interface CouponRedemptionTable {
  order_id: string;
  coupon_id: string;
  workspace_id: string;
  code: string;
  payment_id: string;
  reserved_at: string;
  paid_at: string | null;
}
