import type { Logger } from 'pino';
import { createVerifyJob } from '../accounts/verify.job.js';
import { alertJobs } from '../alerts/alerts.jobs.js';
import { createUnrecordedPaymentsJob } from '../checkout/unrecorded-payments.job.js';
import type { CheckDependencies } from '../doctor/all-checks.js';
import type { DoctorService } from '../doctor/doctor.service.js';
import { createTestPaymentsJob } from '../operations/test-payments.job.js';
import { createRecoveryJob } from '../recovery/recovery.job.js';
import type { Recovery } from '../recovery/recovery.service.js';
import { createRampJob } from '../routing-ramp/ramp.job.js';
import type { RampService } from '../routing-ramp/ramp.service.js';
import type { EventsBackfill } from '../webhooks/events-backfill.js';
import { webhookWatchdog } from '../webhooks/webhook-watchdog.js';
import type { JobDefinition } from './job.js';

/** What the jobs are built from; the composition root (services.ts) fills it in. */
export interface JobDependencies extends CheckDependencies {
  logger: Logger;
  doctor: DoctorService;
  eventsBackfill: EventsBackfill;
  ramps: RampService;
  recovery: Recovery;
}

/** Every scheduled job; each area adds its own here, with its interval from `config.jobs`. */
export function allJobs(deps: JobDependencies): JobDefinition[] {
  return [
    createVerifyJob({
      accounts: deps.accounts,
      intervalMinutes: deps.config.jobs.verifyMinutes,
      timeoutMs: deps.config.doctorTimeoutMs,
    }),
    ...alertJobs(deps),
    createTestPaymentsJob({
      db: deps.db,
      testPayments: deps.testPayments,
      intervalMinutes: deps.config.jobs.testPaymentMinutes,
    }),
    createUnrecordedPaymentsJob({
      unrecordedPayments: deps.unrecordedPayments,
      intervalMinutes: deps.config.jobs.unrecordedMinutes,
    }),
    webhookWatchdog({ ...deps, intervalMinutes: deps.config.jobs.webhookWatchdogMinutes }),
    createRampJob({ ramps: deps.ramps, clock: deps.clock }),
    createRecoveryJob({ recovery: deps.recovery }),
  ];
}
