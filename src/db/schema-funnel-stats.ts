/** Funnel analytics and A/B tests (migration 0019). */
// biome-ignore lint/suspicious/noEmptyInterface: its tables are added with the migration
export interface FunnelStatsTables {}
