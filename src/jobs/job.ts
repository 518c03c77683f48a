/**
 * One scheduled job (issue 14's "Jobs"): the runner in every instance takes a lease in the
 * database for each slot (`intervalMs` wide, aligned to the epoch), so with N instances a job runs
 * once per slot, and a crashed holder's lease expires.
 */
export interface JobDefinition {
  /** Stable name: `verify`, `test_payments`, `reconcile_unrecorded`, `webhook_watchdog`, … */
  name: string;
  /** How often it runs; from the environment where the job says so. */
  intervalMs: number;
  /** How long a holder keeps the lease without finishing before another instance may take it. */
  leaseMs?: number;
  /** Runs one slot. The sentence it returns is kept with the run (`switchyard jobs list`). */
  run(context: JobContext): Promise<string | undefined>;
}

export interface JobContext {
  workspaceId: string;
  /** The slot's start: the time the run is for. */
  slotStart: Date;
  /** Aborted when the instance shuts down. */
  signal: AbortSignal;
}
