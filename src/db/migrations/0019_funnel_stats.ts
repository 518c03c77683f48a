import type { Kysely, Migration } from 'kysely';

/** Issue 17: Funnel analytics (views, visitors, conversions) and A/B tests. */
export const funnelStats: Migration = {
  async up(_db: Kysely<unknown>) {},
  async down(_db: Kysely<unknown>) {},
};
