import type { Kysely, Migration } from 'kysely';

/**
 * The job runner's bookkeeping (issue 14): one lease per job, which the instance that runs the
 * job's current slot holds until it finishes (or until it expires, when that instance died), and
 * one row per run, kept so `switchyard jobs list` can say what ran where and how it went.
 */
export const jobs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('job_leases')
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('job', 'varchar(64)', (column) => column.notNull())
      .addColumn('slot_start', 'varchar(32)', (column) => column.notNull())
      .addColumn('holder', 'varchar(200)', (column) => column.notNull())
      .addColumn('acquired_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('expires_at', 'varchar(32)', (column) => column.notNull())
      .addPrimaryKeyConstraint('job_leases_key', ['workspace_id', 'job'])
      .execute();
    await db.schema
      .createTable('job_runs')
      .addColumn('run_id', 'varchar(40)', (column) => column.primaryKey())
      .addColumn('workspace_id', 'varchar(64)', (column) => column.notNull())
      .addColumn('job', 'varchar(64)', (column) => column.notNull())
      .addColumn('slot_start', 'varchar(32)', (column) => column.notNull())
      .addColumn('instance', 'varchar(200)', (column) => column.notNull())
      .addColumn('started_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('finished_at', 'varchar(32)')
      .addColumn('outcome', 'varchar(16)', (column) => column.notNull())
      .addColumn('summary', 'text')
      .addColumn('error', 'text')
      .execute();
    await db.schema
      .createIndex('job_runs_by_slot')
      .on('job_runs')
      .columns(['workspace_id', 'job', 'slot_start'])
      .execute();
    await db.schema
      .createIndex('job_runs_by_start')
      .on('job_runs')
      .columns(['workspace_id', 'started_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('job_runs').execute();
    await db.schema.dropTable('job_leases').execute();
  },
};
