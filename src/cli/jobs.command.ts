import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { JobRun, JobsListing } from '../jobs/jobs.service.js';
import { processOutput, runCommand } from './run-command.js';
import { formatRows } from './table.js';
import { withServices } from './with-services.js';

interface JobsListOptions {
  job?: string;
  limit?: string;
  json?: boolean;
}

function invalid(flag: string, got: string, needs: string): AppError {
  return new AppError(
    'validation_failed',
    `--${flag}: got "${got.slice(0, 60)}", needs ${needs}.`,
    {
      fields: [{ field: `--${flag}`, message: needs }],
    },
  );
}

function parseLimit(limit: string | undefined): number | undefined {
  if (limit === undefined) return undefined;
  const number = /^\d+$/.test(limit) ? Number(limit) : Number.NaN;
  if (number >= 1 && number <= 200) return number;
  throw invalid('limit', limit, 'a whole number from 1 to 200');
}

function runRow(run: JobRun): string[] {
  return [
    run.job,
    run.slotStart,
    run.instance,
    run.startedAt,
    run.finishedAt ?? '-',
    run.outcome,
    run.error ?? run.summary ?? '',
  ];
}

/** `15 min`, `1 h`, `1 day`: the largest whole unit. */
function every(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} ${minutes === 1440 ? 'day' : 'days'}`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

function listingText(listing: JobsListing): string {
  const schedule = formatRows([
    ['JOB', 'EVERY', 'NEXT SLOT'],
    ...listing.jobs.map((job) => [job.name, every(job.intervalMinutes), job.nextSlot]),
  ]);
  const runs =
    listing.runs.length === 0
      ? [
          'No runs yet. Every `switchyard serve` runs the jobs (unless it has JOBS=off), each once per slot across instances.',
        ]
      : formatRows([
          ['JOB', 'SLOT', 'INSTANCE', 'STARTED', 'FINISHED', 'OUTCOME', 'SUMMARY / ERROR'],
          ...listing.runs.map(runRow),
        ]);
  return [...schedule, '', 'Latest runs, newest first:', ...runs].join('\n');
}

/** `switchyard jobs list`: what the scheduled jobs did, on every instance, and when they run next. */
export function registerJobsCommand(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('scheduled jobs (verify, test payments, …) and their runs on every instance');

  jobs
    .command('list')
    .description("each job's interval and next slot, and the latest runs (newest first)")
    .option('--job <name>', 'only this job, e.g. verify')
    .option('--limit <n>', 'how many runs to show, 1 to 200 (default 20)')
    .option('--json', 'print {jobs, runs} as JSON, for scripts')
    .action(
      runCommand(async function listJobs(options: JobsListOptions) {
        const limit = parseLimit(options.limit);
        await withServices(async ({ services, workspaceId }) => {
          const { job } = options;
          if (job !== undefined && !services.jobs.names.includes(job)) {
            throw invalid('job', job, `one of ${services.jobs.names.join(', ')}`);
          }
          const listing = await services.jobs.list(workspaceId, {
            ...(job === undefined ? {} : { job }),
            ...(limit === undefined ? {} : { limit }),
          });
          processOutput.out(options.json ? JSON.stringify(listing, null, 2) : listingText(listing));
        });
      }),
    );
}
