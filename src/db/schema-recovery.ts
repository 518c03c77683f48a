/** Abandoned checkouts and their recovery emails (migration 0018). */
// biome-ignore lint/suspicious/noEmptyInterface: its tables are added with the migration
export interface RecoveryTables {}
