import type { Kysely, Migration } from 'kysely';

/**
 * The transaction log reads each of its sources newest first within a workspace (time, then id),
 * and the accounts report by time: one index per source serves both, on SQLite and PostgreSQL.
 */
const logIndexes = [
  {
    name: 'payment_attempts_log',
    table: 'payment_attempts',
    columns: ['started_at', 'attempt_id'],
  },
  {
    name: 'charge_attempts_log',
    table: 'charge_attempts',
    columns: ['recorded_at', 'charge_attempt_id'],
  },
  { name: 'refunds_log', table: 'refunds', columns: ['created_at', 'refund_id'] },
] as const;

export const transactionLog: Migration = {
  async up(db: Kysely<unknown>) {
    for (const index of logIndexes) {
      await db.schema
        .createIndex(index.name)
        .on(index.table)
        .columns(['workspace_id', ...index.columns])
        .execute();
    }
  },
  async down(db: Kysely<unknown>) {
    for (const index of logIndexes) await db.schema.dropIndex(index.name).execute();
  },
};
