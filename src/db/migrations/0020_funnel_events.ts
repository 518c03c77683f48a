import type { Kysely, Migration } from 'kysely';

/**
 * Issue 17: Analytics. One row per counted page view or contact submission of a funnel step, with
 * the first-party visitor id and the A/B variant shown (null without a test). Payments and revenue
 * are read from `payments`, not counted twice here.
 */
export const funnelEvents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('funnel_events')
      .addColumn('event_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('funnel_slug', 'varchar(100)', (column) => column.notNull())
      .addColumn('step_slug', 'varchar(100)', (column) => column.notNull())
      .addColumn('variant', 'varchar(100)')
      .addColumn('visitor_id', 'varchar(40)', (column) => column.notNull())
      // `view`, `contact`, or `accept` (a yes to an upsell or downsell).
      .addColumn('kind', 'varchar(16)', (column) => column.notNull())
      // The UTC day (YYYY-MM-DD) the stats group by.
      .addColumn('day', 'varchar(10)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('funnel_events_by_day')
      .on('funnel_events')
      .columns(['workspace_id', 'funnel_slug', 'day'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('funnel_events').execute();
  },
};
