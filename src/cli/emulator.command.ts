import { startEmulator, UnreadableStateError } from '@switchyard/stripe-emulator';
import { type Command, InvalidArgumentError } from 'commander';
import { AppError } from '../errors.js';
import { type CommandOutput, processOutput, runCommand } from './run-command.js';

export interface EmulatorCommandOptions {
  port: number;
  host: string;
  /** Keep the state in this file across restarts; without it, all state is in memory. */
  stateFile?: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('the port must be a whole number from 0 to 65535.');
  }
  return port;
}

/** Resolves at the first SIGINT or SIGTERM. */
function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise(function listenForSignals(resolve) {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Runs the emulator until `stopped` settles. The URL line is printed only once the server accepts
 * connections, so a script may wait for it before sending requests.
 */
export async function runEmulator(
  options: EmulatorCommandOptions,
  output: CommandOutput,
  stopped: Promise<unknown>,
): Promise<void> {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      port: options.port,
      host: options.host,
      ...(options.stateFile === undefined ? {} : { stateFile: options.stateFile }),
      onStateError: (error) => output.err(`switchyard: warning: ${error.message}`),
    });
  } catch (error) {
    if (error instanceof UnreadableStateError) {
      throw new AppError('config_invalid', `--state-file: ${error.message}`, null, {
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError(
      'not_ready',
      `The Stripe emulator could not listen on ${options.host}:${options.port} (${reason}). Pick another --port, or 0 for a free one.`,
    );
  }
  output.out(`Stripe emulator listening on ${emulator.url}`);
  if (options.stateFile !== undefined) {
    output.out(
      `State ${emulator.restored ? 'restored from' : 'kept in'} ${options.stateFile} (saved a moment after each change and on stop).`,
    );
  }
  await stopped;
  await emulator.close();
  output.out('Stripe emulator stopped.');
}

export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('run the Stripe emulator: an offline Stripe for tests, benchmarks and the demo')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 12111)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--state-file <path>', 'keep accounts, keys and objects in this file across restarts')
    .action(
      runCommand(async function emulator(options: EmulatorCommandOptions) {
        await runEmulator(options, processOutput, waitForStopSignal());
      }),
    );
}
