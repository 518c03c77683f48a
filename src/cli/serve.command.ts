import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { announceDemo, demoWanted, startDemo } from '../demo/demo.js';
import { createLogger } from '../logger.js';
import { type RunningServer, startServer } from '../server.js';
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
        let server: RunningServer;
        if (await demoWanted(config, logger)) {
          const demo = await startDemo({ config, logger });
          await announceDemo(demo, { logger, print: processOutput.out });
          server = demo;
        } else {
          server = await startServer({ config, logger });
        }
        const stop = (signal: NodeJS.Signals) => {
          logger.info(
            { signal },
            'shutting down: no new connections, finishing in-flight requests',
          );
          const force = setTimeout(() => {
            logger.error({ graceMs: shutdownGraceMs }, 'requests still running; exiting anyway');
            process.exit(1);
          }, shutdownGraceMs);
          force.unref();
          server.close().then(
            () => {
              logger.info('stopped');
              process.exitCode = 0;
            },
            (error: unknown) => {
              logger.error({ err: error }, 'error while shutting down');
              process.exitCode = 1;
            },
          );
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      }),
    );
}
