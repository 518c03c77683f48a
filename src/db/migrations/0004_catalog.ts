import type { Kysely, Migration } from 'kysely';

/**
 * The catalog: products with one price per currency, funnels and their ordered steps. Pins are
 * not stored here: they live in the routing document (one source of truth).
 */
export const catalog: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('products')
      .addColumn('product_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('slug', 'varchar(40)', (column) => column.notNull())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('description', 'text', (column) => column.notNull())
      .addColumn('image_url', 'text')
      .addColumn('tags', 'text', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addUniqueConstraint('products_slug_unique', ['workspace_id', 'slug'])
      .execute();

    await db.schema
      .createTable('product_prices')
      .addColumn('price_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('product_id', 'varchar(40)', (column) =>
        column.notNull().references('products.product_id').onDelete('cascade'),
      )
      .addColumn('currency', 'varchar(3)', (column) => column.notNull())
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('type', 'varchar(16)', (column) => column.notNull())
      .addColumn('interval', 'varchar(8)')
      .addColumn('interval_count', 'integer')
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addUniqueConstraint('product_prices_currency_unique', ['product_id', 'currency'])
      .execute();

    await db.schema
      .createTable('funnels')
      .addColumn('funnel_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('slug', 'varchar(40)', (column) => column.notNull())
      .addColumn('name', 'varchar(200)', (column) => column.notNull())
      .addColumn('mode', 'varchar(8)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addUniqueConstraint('funnels_slug_unique', ['workspace_id', 'slug'])
      .execute();

    await db.schema
      .createTable('funnel_steps')
      .addColumn('step_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('funnel_id', 'varchar(40)', (column) =>
        column.notNull().references('funnels.funnel_id').onDelete('cascade'),
      )
      .addColumn('slug', 'varchar(40)', (column) => column.notNull())
      .addColumn('position', 'integer', (column) => column.notNull())
      .addColumn('kind', 'varchar(16)', (column) => column.notNull())
      // No cascade: a product that a step offers cannot be deleted from under the funnel.
      .addColumn('product_id', 'varchar(40)', (column) => column.references('products.product_id'))
      .addColumn('bump_product_id', 'varchar(40)', (column) =>
        column.references('products.product_id'),
      )
      .addColumn('content', 'text', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .addUniqueConstraint('funnel_steps_slug_unique', ['funnel_id', 'slug'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['funnel_steps', 'funnels', 'product_prices', 'products']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
