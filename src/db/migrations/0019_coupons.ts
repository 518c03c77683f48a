import type { Kysely, Migration } from 'kysely';

/**
 * Issue 17: Coupons. A code with a percent or per-currency amounts off, and one row per order
 * holding it: `held` counts those rows and never passes the limit (a conditional update), so two
 * buyers racing for the last redemption cannot both get the discount.
 */
export const coupons: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('coupons')
      .addColumn('coupon_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('code', 'varchar(40)', (column) => column.notNull())
      .addColumn('percent_off', 'integer')
      // JSON object of lower-case currency -> minor units, or null for a percent coupon.
      .addColumn('amounts_off', 'varchar(1000)')
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('redemption_limit', 'integer')
      // JSON array of product slugs; empty: every product.
      .addColumn('products', 'varchar(4000)', (column) => column.notNull())
      .addColumn('held', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('redeemed', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('coupons_code')
      .on('coupons')
      .columns(['workspace_id', 'code'])
      .unique()
      .execute();
    await db.schema
      .createTable('coupon_redemptions')
      // One coupon per order: the order's row is its claim on the coupon until paid or let go.
      .addColumn('order_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('coupon_id', 'varchar(40)', (column) => column.notNull())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('code', 'varchar(40)', (column) => column.notNull())
      // The payment the discount is on (it moves when the buyer switches currency).
      .addColumn('payment_id', 'varchar(120)', (column) => column.notNull())
      .addColumn('reserved_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('paid_at', 'varchar(32)')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('coupon_redemptions').execute();
    await db.schema.dropTable('coupons').execute();
  },
};
