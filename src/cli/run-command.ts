import { isAppError } from '../errors.js';
import { messageFor } from '../http/hints.js';

export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CommandOutput = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/**
 * The one place where an error becomes an exit code: an AppError prints its message (one line per
 * problem) and exits with its code's number; anything else is a bug and says so.
 */
export function exitCodeFor(error: unknown, output: CommandOutput): number {
  if (isAppError(error)) {
    for (const line of messageFor(error, 'cli').split('\n')) output.err(`switchyard: ${line}`);
    return error.exitCode;
  }
  output.err(
    `switchyard: unexpected error: ${error instanceof Error ? error.message : String(error)}`,
  );
  output.err('This is a bug in Switchyard; please report it with the command you ran.');
  return 1;
}

/** Wraps a command action so that failures print a message and set the exit code. */
export function runCommand<Args extends unknown[]>(
  action: (...args: Args) => Promise<void>,
  output: CommandOutput = processOutput,
): (...args: Args) => Promise<void> {
  return async function runAction(...args: Args) {
    try {
      await action(...args);
    } catch (error) {
      process.exitCode = exitCodeFor(error, output);
    }
  };
}
