import { AppError } from '../errors.js';
import { processOutput } from './run-command.js';

/**
 * Standard input as JSON: how secrets reach a command without landing in shell history or `ps`.
 * A parse failure quotes no part of the input, which may hold a secret.
 */
export async function readStdinJson(example: string): Promise<unknown> {
  if (process.stdin.isTTY) {
    processOutput.err('Reading JSON from standard input; end it with Ctrl-D.');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AppError('bad_request', `Standard input (--stdin) is not JSON. Send ${example}.`);
  }
}
