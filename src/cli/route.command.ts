import type { Command } from 'commander';
import { minorUnitDigitsOf, toMajorUnits } from '../catalog/money.js';
import {
  compileRouting,
  findContextWarnings,
  parsePaymentContext,
  type RoutingDecision,
} from '../routing/index.js';
import type { ReplayExample, ReplayReport, Volume } from '../routing-replay/replay.service.js';
import {
  loadRoutingConfigFile,
  printFindings,
  readJsonFile,
  requireParsed,
} from './config.command.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';
import { formatRows } from './table.js';
import { withServices } from './with-services.js';

interface ReplayOptions {
  config: string;
  from?: string;
  to?: string;
  json?: boolean;
}

interface ExplainOptions {
  config?: string;
  context: string;
  json?: boolean;
}

/** `switchyard route …`: ask the router which account takes a payment, and why. */
export function registerRouteCommand(program: Command): void {
  const routeCommand = program
    .command('route')
    .description('ask the router which Stripe account takes a payment, and why');

  routeCommand
    .command('explain')
    .description(
      'decide one payment: the outcome, the account, and the reasons; exits 0 whatever the outcome',
    )
    .option(
      '--config <file>',
      'the routing config, a JSON file (as "config validate" checks it); without it, the live workspace with live account health',
    )
    .requiredOption(
      '--context <file>',
      'the payment context, a JSON file, e.g. {"mode": "live", "currency": "eur"}',
    )
    .option('--json', 'print the whole decision as JSON')
    .action(
      runCommand(async function explainRoute(options: ExplainOptions) {
        await explainRouteWith(processOutput, options);
      }),
    );

  routeCommand
    .command('replay')
    .description(
      'run a candidate routing config over the stored payments and report which would move to which account; writes nothing',
    )
    .requiredOption(
      '--config <file>',
      'the candidate routing config, a JSON file (as "config apply" takes it; without accounts, the live ones)',
    )
    .option('--from <time>', 'replay payments made at or after this ISO 8601 time, e.g. 2026-11-01')
    .option('--to <time>', 'replay payments made before this ISO 8601 time, e.g. 2026-12-01')
    .option('--json', 'print the whole report as JSON')
    .action(
      runCommand(async function replayRoute(options: ReplayOptions) {
        const document = await readJsonFile(options.config, 'routing config');
        await withServices(async ({ services, workspaceId }) => {
          const report = await services.routingReplay.replay(
            workspaceId,
            { document, from: options.from, to: options.to },
            { root: 'config', windowFields: { from: '--from', to: '--to' } },
          );
          for (const warning of report.document.warnings) {
            processOutput.err(`warning: ${warning.field}: ${warning.message}`);
          }
          processOutput.out(
            options.json === true ? JSON.stringify(report, null, 2) : formatReplay(report),
          );
        });
      }),
    );
}

/** The replay for people: the totals, then one line per move with its examples. */
export function formatReplay(report: ReplayReport): string {
  const { totals, window } = report;
  const span =
    window.first === null
      ? 'no payments in the window'
      : `payments from ${window.first} to ${window.last}`;
  const lines = [
    `Replayed ${count(totals.payments, 'payment')} (${span}) against the candidate config; the active version is ${report.document.activeVersion ?? 'none (accounts only)'}.`,
    `Would move: ${totals.moved}. Unchanged: ${totals.unchanged}. No account: ${totals.noAccount}.`,
  ];
  for (const move of report.moves) {
    lines.push(
      '',
      `${count(move.payments, 'payment')} (${formatVolume(move.volume)}) would move from ${move.from} to ${move.to}`,
      ...move.examples.map(formatExample),
    );
  }
  if (report.noAccount.payments > 0) {
    lines.push(
      '',
      `${count(report.noAccount.payments, 'payment')} (${formatVolume(report.noAccount.volume)}) would have no account`,
      ...report.noAccount.examples.map(formatExample),
    );
  }
  lines.push('', ...report.assumptions.map((assumption) => `Note: ${assumption}`));
  return lines.join('\n');
}

function formatExample(example: ReplayExample): string {
  return `  ${example.payment} (order ${example.order}, ${formatVolume({ [example.currency]: example.amount })}, ${example.from} -> ${example.to ?? 'none'}): ${example.explanation.join(' ')}`;
}

/** `USD 1,234.00, EUR 99.00`: each currency in its own major units. */
function formatVolume(volume: Volume): string {
  return Object.entries(volume)
    .map(([currency, amount]) => {
      const digits = minorUnitDigitsOf(currency);
      const major = toMajorUnits(amount, currency).toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
      return `${currency.toUpperCase()} ${major}`;
    })
    .join(', ');
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

async function explainRouteWith(output: CommandOutput, options: ExplainOptions): Promise<void> {
  const contextInput = await readJsonFile(options.context, 'payment context');
  const context = requireParsed(parsePaymentContext(contextInput), options.context, 'context');
  if (options.config === undefined) {
    await explainLiveRoute(output, contextInput, options.json === true);
    return;
  }
  const config = await loadRoutingConfigFile(options.config);
  for (const warning of printFindings(findContextWarnings(config, context), 'context')) {
    output.err(`warning: ${warning.path}: ${warning.message}`);
  }
  const decision = compileRouting(config).route(context);
  output.out(options.json === true ? JSON.stringify(decision, null, 2) : formatDecision(decision));
}

/** Against the live workspace: the active version, live health, the context's health on top. */
async function explainLiveRoute(
  output: CommandOutput,
  contextInput: unknown,
  json: boolean,
): Promise<void> {
  await withServices(async ({ services, workspaceId }) => {
    const explained = await services.routingConfig.explain(workspaceId, contextInput);
    for (const warning of explained.warnings) {
      output.err(`warning: ${warning.path}: ${warning.message}`);
    }
    if (json) {
      output.out(JSON.stringify(explained.decision, null, 2));
      return;
    }
    const unhealthy = Object.entries(explained.health).map(
      ([handle, state]) => `${handle} ${state}`,
    );
    output.out(
      [
        `Routing version: ${explained.version ?? 'none applied yet (accounts only)'}`,
        `Health: ${unhealthy.length === 0 ? 'every account healthy' : unhealthy.join(', ')}`,
        formatDecision(explained.decision),
      ].join('\n'),
    );
  });
}

export function formatDecision(decision: RoutingDecision): string {
  const summary =
    decision.account === null
      ? `Outcome: ${decision.outcome} (no account)`
      : `Outcome: ${decision.outcome} (${decision.account})`;
  const matched =
    decision.matched.ref === null
      ? `Matched: ${decision.matched.level}`
      : `Matched: ${decision.matched.level} ${decision.matched.ref}`;
  const lines = [summary, matched];
  if (decision.fallbackFrom !== null) lines.push(`Instead of: ${decision.fallbackFrom}`);
  lines.push('', ...decision.explanation);
  if (decision.candidates.length > 0) {
    lines.push(
      '',
      ...formatRows([
        ['ACCOUNT', 'ELIGIBLE', 'REASONS'],
        ...decision.candidates.map((candidate) => [
          candidate.account,
          candidate.eligible ? 'yes' : 'no',
          candidate.reasons.length === 0 ? '-' : candidate.reasons.join(', '),
        ]),
      ]),
    );
  }
  return lines.join('\n');
}
