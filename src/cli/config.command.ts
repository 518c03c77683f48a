import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AppError, fieldPath } from '../errors.js';
import {
  type ConfigFinding,
  type Parsed,
  parseRoutingConfig,
  type RoutingConfig,
  type SchemaProblem,
  validateRoutingConfig,
} from '../routing/index.js';
import { describeRoutingDifferences } from '../routing-config/routing-config.diff.js';
import type { AppliedRouting } from '../routing-config/routing-config.service.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';
import { printListing } from './table.js';
import { withServices } from './with-services.js';

/**
 * `switchyard config …`: the routing config document. `validate` checks a file; export, diff,
 * apply, history and rollback work on the live workspace (DATABASE_URL).
 */
export function registerConfigCommand(program: Command): void {
  const config = program
    .command('config')
    .description('check and manage the routing config: which account takes each payment');

  config
    .command('validate')
    .description(
      'check a routing config file: errors make it unusable, warnings are likely mistakes',
    )
    .argument('<file>', 'the routing config, a JSON file')
    .option('--json', 'print {valid, errors, warnings} as JSON, for scripts')
    .action(
      runCommand(async function validateConfigFile(file: string, options: { json?: boolean }) {
        await validateConfigFileWith(processOutput, file, options.json === true);
      }),
    );

  config
    .command('export')
    .description('print the active routing config of the workspace as JSON (edit it, then apply)')
    .option('--json', 'JSON output (the only format, and the default)')
    .action(
      runCommand(async function exportConfig() {
        await withServices(async ({ services, workspaceId }) => {
          const active = await services.routingConfig.showActive(workspaceId);
          processOutput.out(JSON.stringify(active.document, null, 2));
        });
      }),
    );

  config
    .command('diff')
    .description('show what applying a routing config file would change in the active version')
    .argument('<file>', 'the routing config, a JSON file')
    .action(
      runCommand(async function diffConfig(file: string) {
        const proposed = requireParsed(
          parseRoutingConfig(await readJsonFile(file, 'routing config')),
          file,
          'config',
        );
        await withServices(async ({ services, workspaceId }) => {
          const active = await services.routingConfig.showActive(workspaceId);
          const lines = describeRoutingDifferences(active.document, proposed);
          const against =
            active.version === null
              ? 'the accounts (no version applied yet)'
              : `version ${active.version}`;
          processOutput.out(
            lines.length === 0
              ? `No differences: ${file} matches ${against}.`
              : [`Differences between ${against} and ${file}:`, ...lines].join('\n'),
          );
        });
      }),
    );

  config
    .command('apply')
    .description(
      "validate a routing config file, store it as a new version and make it active; updates the accounts' routing fields, never their keys",
    )
    .argument('<file>', 'the routing config, a JSON file')
    .option('-m, --message <message>', 'why this change: shown in "config history"')
    .action(
      runCommand(async function applyConfig(file: string, options: { message?: string }) {
        const input = await readJsonFile(file, 'routing config');
        await withServices(async ({ services, workspaceId, actor }) => {
          const applied = await services.routingConfig.applyDocument(workspaceId, input, {
            actor,
            message: options.message,
            root: 'config',
          });
          printApplied(processOutput, applied, `${file} matches the active version`);
        });
      }),
    );

  config
    .command('history')
    .description('list the routing config versions, newest first; * marks the active one')
    .option('--json', 'print the versions as JSON')
    .action(
      runCommand(async function showHistory(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const versions = await services.routingConfig.listVersions(workspaceId);
          printListing(processOutput, {
            items: versions,
            json: options.json,
            empty:
              'No routing config applied yet. "switchyard config apply FILE" stores the first version.',
            header: ['VERSION', 'CREATED', 'AUTHOR', 'RULES', 'PINS', 'MESSAGE'],
            row: (version) => [
              `${version.active ? '*' : ' '}${version.version}`,
              version.createdAt,
              version.author,
              String(version.rules),
              String(version.pins),
              version.message,
            ],
          });
        });
      }),
    );

  config
    .command('rollback')
    .description('make an old version active again, as a new version that copies it')
    .argument('<version>', 'the version number to restore (see "config history")')
    .action(
      runCommand(async function rollbackConfig(versionText: string) {
        const version = Number(versionText);
        if (!/^\d+$/.test(versionText) || version < 1) {
          throw new AppError(
            'bad_request',
            `"${versionText}" is not a version number. "switchyard config history" lists them.`,
          );
        }
        await withServices(async ({ services, workspaceId, actor }) => {
          const applied = await services.routingConfig.rollback(workspaceId, version, actor);
          printApplied(processOutput, applied, '');
        });
      }),
    );
}

function printApplied(output: CommandOutput, applied: AppliedRouting, unchanged: string): void {
  for (const warning of applied.warnings)
    output.err(`warning: ${warning.path}: ${warning.message}`);
  if (!applied.changed) {
    output.out(`No changes: ${unchanged} (${applied.version ?? 'none'}). Nothing was stored.`);
    return;
  }
  const lines = [`Routing version ${applied.version} is now active.`];
  for (const change of applied.accountChanges) {
    lines.push(`  account ${change.handle}: ${change.fields.join(', ')} updated`);
  }
  output.out(lines.join('\n'));
}

/** One finding ready to print: `config.rules[2].use` and what to do about it. */
export interface PrintedFinding {
  path: string;
  message: string;
}

async function validateConfigFileWith(
  output: CommandOutput,
  file: string,
  json: boolean,
): Promise<void> {
  const parsed = parseRoutingConfig(await readJsonFile(file, 'routing config'));
  const findings = parsed.success
    ? validateRoutingConfig(parsed.value)
    : { errors: parsed.problems, warnings: [] };
  const review = {
    errors: printFindings(findings.errors, 'config'),
    warnings: printFindings(findings.warnings, 'config'),
  };

  if (json) {
    output.out(JSON.stringify({ valid: review.errors.length === 0, ...review }, null, 2));
  } else {
    for (const warning of review.warnings) {
      output.out(`warning: ${warning.path}: ${warning.message}`);
    }
    if (review.errors.length === 0 && parsed.success) {
      output.out(`${file} is valid: ${describeSize(parsed.value)}.`);
    }
  }
  if (review.errors.length > 0) {
    const count = `${review.errors.length} error${review.errors.length === 1 ? '' : 's'}`;
    throw new AppError(
      'config_invalid',
      json
        ? `${file} is not a valid routing config (${count}, listed in the JSON output).`
        : [
            `${file} is not a valid routing config (${count}):`,
            ...review.errors.map((error) => `  ${error.path}: ${error.message}`),
            `Fix ${review.errors.length === 1 ? 'it' : 'them'} and run "switchyard config validate ${file}" again.`,
          ].join('\n'),
      { errors: review.errors, warnings: review.warnings },
    );
  }
}

function describeSize(config: RoutingConfig): string {
  const pins =
    Object.keys(config.products).length +
    Object.keys(config.steps).length +
    Object.keys(config.funnels).length;
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `${count(config.accounts.length, 'account')}, ${count(config.rules.length, 'rule')}, ${count(pins, 'pin')}`;
}

export function printFindings(
  findings: ReadonlyArray<ConfigFinding | SchemaProblem>,
  root: 'config' | 'context',
): PrintedFinding[] {
  return findings.map((finding) => ({
    path: fieldPath(finding.path, root),
    message: finding.message,
  }));
}

/** Reads a JSON file, or says which file is unreadable or not JSON and how to fix it. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const why =
      code === 'ENOENT'
        ? 'there is no such file; check the path'
        : code === 'EISDIR'
          ? 'it is a folder, not a file'
          : code === 'EACCES'
            ? 'permission denied; check the file permissions'
            : error instanceof Error
              ? error.message
              : String(error);
    throw new AppError('bad_request', `Cannot read the ${what} file ${file}: ${why}.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the offending text, newlines included; keep the message on one line.
    const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    throw new AppError(
      'bad_request',
      `The ${what} file ${file} is not valid JSON (${why}). Check it with a JSON linter; comments and trailing commas are not allowed.`,
    );
  }
}

/** Turns a failed parse into the CLI's error, one line per problem, each naming its JSON path. */
export function requireParsed<Value>(
  parsed: Parsed<Value>,
  file: string,
  root: 'config' | 'context',
): Value {
  if (parsed.success) return parsed.value;
  const problems = printFindings(parsed.problems, root);
  throw new AppError(
    'validation_failed',
    [
      `${file} is not a valid ${root === 'config' ? 'routing config' : 'payment context'}:`,
      ...problems.map((problem) => `  ${problem.path}: ${problem.message}`),
    ].join('\n'),
    { fields: problems.map((problem) => ({ field: problem.path, message: problem.message })) },
  );
}

/** A routing config file that parses and has no errors: what the live service would accept. */
export async function loadRoutingConfigFile(file: string): Promise<RoutingConfig> {
  const config = requireParsed(
    parseRoutingConfig(await readJsonFile(file, 'routing config')),
    file,
    'config',
  );
  const { errors } = validateRoutingConfig(config);
  if (errors.length > 0) {
    const problems = printFindings(errors, 'config');
    throw new AppError(
      'config_invalid',
      [
        `${file} is not a valid routing config:`,
        ...problems.map((problem) => `  ${problem.path}: ${problem.message}`),
        `Run "switchyard config validate ${file}" after fixing it.`,
      ].join('\n'),
      { errors: problems },
    );
  }
  return config;
}
