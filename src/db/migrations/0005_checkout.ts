import type { Kysely, Migration } from 'kysely';

/**
 * Checkout: customers (one person across the workspace, with their Stripe customer on each
 * account), orders, the payments of each order on the account that took them, refunds,
 * subscriptions, and the products and prices made on each account the first time one was needed.
 */
export const checkout: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('customers')
      .addColumn('customer_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('email', 'varchar(320)', (column) => column.notNull())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('country', 'varchar(2)')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addUniqueConstraint('customers_email_unique', ['workspace_id', 'email'])
      .execute();

    // Stripe customers and saved cards live inside one account: one row per account and mode.
    await db.schema
      .createTable('customer_accounts')
      .addColumn('customer_id', 'varchar(40)', (column) =>
        column.notNull().references('customers.customer_id'),
      )
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('stripe_customer_id', 'varchar(100)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('customer_accounts_pk', ['customer_id', 'account_id', 'mode'])
      .execute();

    await db.schema
      .createTable('orders')
      .addColumn('order_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('funnel_slug', 'varchar(40)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('customer_id', 'varchar(40)', (column) =>
        column.notNull().references('customers.customer_id'),
      )
      .addColumn('email', 'varchar(320)', (column) => column.notNull())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('country', 'varchar(2)', (column) => column.notNull())
      .addColumn('status', 'varchar(24)', (column) => column.notNull())
      .addColumn('paid_amount', 'bigint', (column) => column.notNull())
      .addColumn('refunded_amount', 'bigint', (column) => column.notNull())
      .addColumn('currency', 'varchar(3)')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('orders_listing')
      .on('orders')
      .columns(['workspace_id', 'created_at', 'order_id'])
      .execute();

    await db.schema
      .createTable('payments')
      .addColumn('payment_id', 'varchar(100)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('order_id', 'varchar(40)', (column) =>
        column.notNull().references('orders.order_id'),
      )
      .addColumn('kind', 'varchar(16)', (column) => column.notNull())
      .addColumn('step_slug', 'varchar(40)', (column) => column.notNull())
      .addColumn('parent_payment_id', 'varchar(100)')
      .addColumn('account_id', 'varchar(40)', (column) => column.references('accounts.account_id'))
      .addColumn('account_handle', 'varchar(40)')
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('currency', 'varchar(3)', (column) => column.notNull())
      .addColumn('lines', 'text', (column) => column.notNull())
      .addColumn('status', 'varchar(32)', (column) => column.notNull())
      .addColumn('payment_intent_id', 'varchar(100)', (column) => column.unique())
      .addColumn('stripe_customer_id', 'varchar(100)')
      .addColumn('payment_method_id', 'varchar(100)')
      .addColumn('subscription_id', 'varchar(100)')
      .addColumn('refunded_amount', 'bigint', (column) => column.notNull())
      .addColumn('failure_message', 'text')
      .addColumn('decision', 'text')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('payments_order').on('payments').column('order_id').execute();

    await db.schema
      .createTable('refunds')
      .addColumn('refund_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('payment_id', 'varchar(100)', (column) =>
        column.notNull().references('payments.payment_id'),
      )
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('account_handle', 'varchar(40)', (column) => column.notNull())
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('currency', 'varchar(3)', (column) => column.notNull())
      .addColumn('status', 'varchar(24)', (column) => column.notNull())
      .addColumn('stripe_refund_id', 'varchar(100)', (column) => column.unique())
      .addColumn('reason', 'text')
      .addColumn('actor', 'varchar(200)', (column) => column.notNull())
      .addColumn('decision', 'text', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('refunds_payment').on('refunds').column('payment_id').execute();

    await db.schema
      .createTable('subscriptions')
      .addColumn('stripe_subscription_id', 'varchar(100)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('order_id', 'varchar(40)', (column) =>
        column.notNull().references('orders.order_id'),
      )
      .addColumn('payment_id', 'varchar(100)', (column) => column.notNull())
      .addColumn('status', 'varchar(24)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();

    // Our products and prices as made on each account (Stripe objects do not cross accounts).
    await db.schema
      .createTable('stripe_catalog_objects')
      .addColumn('account_id', 'varchar(40)', (column) =>
        column.notNull().references('accounts.account_id'),
      )
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('local_id', 'varchar(200)', (column) => column.notNull())
      .addColumn('stripe_id', 'varchar(100)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('stripe_catalog_objects_pk', ['account_id', 'mode', 'local_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'stripe_catalog_objects',
      'subscriptions',
      'refunds',
      'payments',
      'orders',
      'customer_accounts',
      'customers',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
