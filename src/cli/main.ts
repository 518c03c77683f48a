import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerMigrateCommand } from './migrate.command.js';
import { registerServeCommand } from './serve.command.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Each command lives in its own file and registers itself here. */
const commands: Array<(program: Command) => void> = [registerServeCommand, registerMigrateCommand];

export function createProgram(): Command {
  const program = new Command('switchyard')
    .description('Sales funnels and checkout that route each payment to the right Stripe account.')
    .version(packageJson.version, '-v, --version', 'print the version')
    .showHelpAfterError('(run "switchyard --help" for the commands)');
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
