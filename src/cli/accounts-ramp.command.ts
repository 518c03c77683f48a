import { type Command, InvalidArgumentError } from 'commander';
import { AppError } from '../errors.js';
import {
  everyFormat,
  formatEvery,
  parseEvery,
  parseSteps,
  stepsFormat,
  stepsProblem,
} from '../routing-ramp/ramp.schedule.js';
import type { Ramp, StartedRamp } from '../routing-ramp/ramp.service.js';
import { processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

interface RampOptions {
  from?: string;
  to?: string;
  steps?: number[];
  every?: number;
  cancel?: boolean;
  list?: boolean;
  json?: boolean;
}

function stepsOption(value: string): number[] {
  const steps = parseSteps(value);
  const problem = steps ? stepsProblem(steps) : `"${value}" is not a list of whole numbers`;
  if (!steps || problem) throw new InvalidArgumentError(`${problem}: needs ${stepsFormat}.`);
  return steps;
}

function everyOption(value: string): number {
  const seconds = parseEvery(value);
  if (seconds === undefined) throw new InvalidArgumentError(`needs ${everyFormat}.`);
  return seconds;
}

const rampColumns = ['FROM', 'TO', 'STEPS', 'EVERY', 'NEXT', 'AT', 'STATUS', 'VERSION'];

function rampRow(ramp: Ramp): string[] {
  const next = ramp.steps[ramp.nextStep];
  return [
    ramp.from,
    ramp.to,
    ramp.steps.map((step) => `${step}`).join(','),
    formatEvery(ramp.everySeconds),
    ramp.status === 'active' && next !== undefined ? `${next} %` : '-',
    ramp.nextAt ?? '-',
    ramp.lastError ? `${ramp.status} (last try failed: ${ramp.lastError})` : ramp.status,
    ramp.lastVersion === null ? '-' : `${ramp.lastVersion}`,
  ];
}

/** What a merchant reads after starting a ramp: what changed now, what comes when, what stays. */
function startedLines(started: StartedRamp): string[] {
  const { ramp } = started;
  const first = ramp.steps[0];
  const lines = [
    `Ramp from ${ramp.from} to ${ramp.to} started: ${first} % of new payments go to ${ramp.to} now${started.version === null ? '' : ` (routing version ${started.version})`}.`,
  ];
  const start = new Date(ramp.createdAt).getTime();
  ramp.steps.slice(1).forEach((step, index) => {
    const at = new Date(start + (index + 1) * ramp.everySeconds * 1000).toISOString();
    lines.push(`  ${step} % from ${at}`);
  });
  lines.push(`Ramped: ${started.ramped.join(', ')}.`);
  for (const place of started.notRamped) lines.push(`Not ramped: ${place}.`);
  lines.push(
    `Stop it with "switchyard accounts ramp --from ${ramp.from} --to ${ramp.to} --cancel"; roll a step back with "switchyard config rollback".`,
  );
  return lines;
}

function pairOf(options: RampOptions, doing: string): { from: string; to: string } {
  if (options.from === undefined || options.to === undefined) {
    throw new AppError(
      'validation_failed',
      `--from and --to are needed ${doing}, e.g. "switchyard accounts ramp --from us --to us2 --steps 10,25,50,100 --every 1d".`,
    );
  }
  return { from: options.from, to: options.to };
}

/** `switchyard accounts ramp`: start, cancel or list migration ramps (issue 16). */
export function registerAccountsRampCommand(accounts: Command): void {
  accounts
    .command('ramp')
    .description('move new payments from one account to another step by step')
    .option('--from <handle>', 'the account new payments move away from')
    .option('--to <handle>', 'the account new payments move to')
    .option(
      '--steps <percentages>',
      "the new account's share at each step, e.g. 10,25,50,100",
      stepsOption,
    )
    .option('--every <interval>', 'time between steps: 1d, 12h, 30m', everyOption)
    .option('--cancel', 'stop the ramp from --from to --to; the routing it wrote last stays')
    .option('--list', 'list the ramps, running and past')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function rampAccounts(options: RampOptions) {
        await withServices(async ({ services, workspaceId, actor }) => {
          if (options.list) {
            printListing(processOutput, {
              items: await services.ramps.list(workspaceId),
              json: options.json,
              empty:
                'No ramps yet. Start one with "switchyard accounts ramp --from us --to us2 --steps 10,25,50,100 --every 1d".',
              header: rampColumns,
              row: rampRow,
            });
            return;
          }
          if (options.cancel) {
            const ramp = await services.ramps.cancel(
              workspaceId,
              pairOf(options, 'to cancel a ramp'),
              actor,
            );
            if (options.json) processOutput.out(JSON.stringify(ramp, null, 2));
            else
              processOutput.out(
                `Canceled the ramp from ${ramp.from} to ${ramp.to}; routing version ${ramp.lastVersion ?? 'none'} stays active. "switchyard config history" lists the versions to roll back to.`,
              );
            return;
          }
          const pair = pairOf(options, 'to start a ramp');
          if (options.steps === undefined || options.every === undefined) {
            throw new AppError(
              'validation_failed',
              `--steps and --every are needed to start a ramp, e.g. "--steps 10,25,50,100 --every 1d".`,
            );
          }
          const started = await services.ramps.start(
            workspaceId,
            { ...pair, steps: options.steps, everySeconds: options.every },
            actor,
          );
          if (options.json) processOutput.out(JSON.stringify(started, null, 2));
          else processOutput.out(startedLines(started).join('\n'));
        });
      }),
    );
}
