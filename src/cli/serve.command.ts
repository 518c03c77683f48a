import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig } from '../config.js';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { demoTestCards, demoWanted, type RunningDemo, startDemo } from '../demo/demo.js';
import { createLogger } from '../logger.js';
import { type RunningServer, startServer } from '../server.js';
import { oneTimeLifetimes } from '../users/users.service.js';
import { processOutput, runCommand } from './run-command.js';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const shutdownGraceMs = 10_000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Switchyard server (migrates the database first)')
    .action(
      runCommand(async function serve() {
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel });
        // Signals first: a SIGTERM that comes while the server is still starting (its
        // "listening" line is out, the setup code not yet) is kept and acted on once it is up,
        // instead of killing the process with Node's default.
        let server: RunningServer | undefined;
        let pendingSignal: NodeJS.Signals | undefined;
        const onSignal = (signal: NodeJS.Signals) => {
          if (server) stop(server, signal);
          else pendingSignal = signal;
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        let started: RunningServer;
        if (await demoWanted(config, logger)) {
          const demo = await startDemo({ config, logger });
          await announceDemo(demo, { logger, print: processOutput.out });
          started = demo;
        } else {
          started = await startServer({ config, logger });
          await announceSetupCode(started, config.publicUrl, processOutput.out);
        }
        server = started;
        if (pendingSignal) stop(started, pendingSignal);

        function stop(running: RunningServer, signal: NodeJS.Signals): void {
          logger.info(
            { signal },
            'shutting down: no new connections, finishing in-flight requests',
          );
          const force = setTimeout(() => {
            logger.error({ graceMs: shutdownGraceMs }, 'requests still running; exiting anyway');
            process.exit(1);
          }, shutdownGraceMs);
          force.unref();
          running.close().then(
            () => {
              logger.info('stopped');
              process.exitCode = 0;
            },
            (error: unknown) => {
              logger.error({ err: error }, 'error while shutting down');
              process.exitCode = 1;
            },
          );
        }
      }),
    );
}

/**
 * While no one can sign in, prints a one-time setup code for /admin/setup: on stdout as a plain
 * line, never in the JSON log, so log shipping does not carry it.
 */
async function announceSetupCode(
  server: RunningServer,
  publicUrl: string,
  print: (text: string) => void,
): Promise<void> {
  const code = await server.services.users.issueSetupCode(DEFAULT_WORKSPACE_ID);
  if (!code) return;
  print(
    `\nSetup code: ${code}\n  No one can sign in yet: open ${publicUrl}/admin/setup and enter this code to create the first owner.\n  It works once, for ${oneTimeLifetimes.setupCodeHours} hours, on any instance of this server (restart for a new one).\n`,
  );
}

/**
 * Tells the person who ran `npm start` where to go: in the log, and as plain lines for a
 * terminal. Never prints a key.
 */
async function announceDemo(
  demo: RunningDemo,
  output: { logger: Logger; print: (text: string) => void },
): Promise<void> {
  const tokens = await demo.services.tokens.listTokens(DEFAULT_WORKSPACE_ID);
  const hasToken = tokens.some((token) => token.revokedAt === null);
  const tokenHint = hasToken
    ? null
    : 'Admin API: create a token with "npx switchyard tokens create --name <who>".';
  output.logger.info(
    {
      funnelUrl: demo.funnelUrl,
      emulator: demo.emulator.url,
      emulatorState: demo.emulatorState,
      testCards: demoTestCards.map((card) => `${card.number} ${card.outcome}`),
      ...(tokenHint ? { adminToken: tokenHint } : {}),
    },
    'demo running on the built-in Stripe emulator',
  );
  const lines = [
    '',
    'Switchyard demo: Stripe is emulated inside this process; no real money moves.',
    `  Open the funnel:  ${demo.funnelUrl}`,
    '  Accounts:         us (primary, USD and CAD) and eu (secondary, EUR and GBP)',
    `  Emulator state:   ${demo.emulatorState}`,
    '                    (saved a moment after each change and on stop; a kill -9 can lose that moment)',
    `  Open the console: ${demo.signInUrl}`,
    '                    (a one-time sign-in link for the demo owner; each start prints a new one)',
    ...(tokenHint ? [`  ${tokenHint}`] : []),
    '  Test cards (any future expiry, any CVC):',
    ...demoTestCards.map((card) => `    ${card.number}  ${card.outcome}`),
    '  To use your own Stripe accounts, set SWITCHYARD_DEMO=off and connect them.',
    '',
  ];
  output.print(lines.join('\n'));
}
