import type { Command } from 'commander';
import {
  compileRouting,
  findContextWarnings,
  parsePaymentContext,
  type RoutingDecision,
} from '../routing/index.js';
import {
  loadRoutingConfigFile,
  printFindings,
  readJsonFile,
  requireParsed,
} from './config.command.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';
import { formatRows } from './table.js';
import { withServices } from './with-services.js';

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
