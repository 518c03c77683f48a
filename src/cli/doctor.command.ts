import type { Command } from 'commander';
import { handleSchema } from '../accounts/accounts.routes.js';
import type { DoctorReport } from '../doctor/doctor.service.js';
import type { Finding } from '../doctor/finding.js';
import { AppError } from '../errors.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';
import { formatRows } from './table.js';
import { withServices } from './with-services.js';

interface DoctorOptions {
  account?: string;
  json?: boolean;
}

/** `switchyard doctor`: what is wrong with the setup and each account, and the fix for each. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the setup and every account and mode: each finding with its fix; exits 1 when anything fails',
    )
    .option('--account <handle>', 'check only this account (its findings in every mode)')
    .option('--json', 'print the whole report as JSON')
    .action(
      runCommand(async function runDoctor(options: DoctorOptions) {
        await runDoctorWith(processOutput, options);
      }),
    );
}

async function runDoctorWith(output: CommandOutput, options: DoctorOptions): Promise<void> {
  const account = options.account;
  if (account !== undefined && !handleSchema.safeParse(account).success) {
    throw new AppError(
      'validation_failed',
      `--account: got "${account.slice(0, 100)}", needs an account handle: 1 to 40 lowercase letters, digits or "-", e.g. us.`,
      { fields: [{ field: '--account', message: 'an account handle, e.g. us' }] },
    );
  }
  const report = await withServices(({ services, workspaceId }) =>
    services.doctor.run(workspaceId, account === undefined ? {} : { account }),
  );
  output.out(options.json === true ? JSON.stringify(report, null, 2) : formatReport(report));
  if (report.status === 'fail') process.exitCode = 1;
}

/** One table per place, the workspace first, each with its failures first; then one summary line. */
export function formatReport(report: DoctorReport): string {
  const places = new Map<string, Finding[]>();
  for (const finding of report.findings) {
    const place = finding.account ?? '';
    places.set(place, [...(places.get(place) ?? []), finding]);
  }
  const ordered = [...places.keys()].sort((a, b) => a.localeCompare(b));
  const sections = ordered.map((place) => {
    const findings = places.get(place) ?? [];
    const rows = findings.map((finding) => [
      finding.status,
      finding.code,
      finding.mode ?? '-',
      oneLine(finding.detail),
      oneLine(finding.fix ?? '-'),
    ]);
    const table = formatRows([['status', 'code', 'mode', 'detail', 'fix'], ...rows]);
    return [place === '' ? 'workspace' : `account ${place}`, ...table.map((line) => `  ${line}`)];
  });
  const { pass, warn, fail } = report.counts;
  const summary = `${fail} failed, ${warn} warned, ${pass} passed: ${verdicts[report.status]}`;
  return [...sections.flatMap((lines) => [...lines, '']), summary].join('\n');
}

const verdicts: Record<DoctorReport['status'], string> = {
  fail: 'mend the failures above (each row says how), then run "switchyard doctor" again.',
  warn: 'nothing is broken; the warnings above say what to look at.',
  pass: 'all is well.',
};

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
