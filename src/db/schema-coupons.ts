/** Coupons and their redemptions (migration 0017). */
// biome-ignore lint/suspicious/noEmptyInterface: its tables are added with the migration
export interface CouponTables {}
