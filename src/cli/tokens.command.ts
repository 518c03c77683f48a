import type { Command } from 'commander';
import { processOutput, runCommand } from './run-command.js';
import { withServices } from './with-services.js';

export function registerTokensCommand(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('admin API tokens (Authorization: Bearer …)');

  tokens
    .command('create')
    .description('create a token and print it once; only its hash is stored')
    .requiredOption('--name <name>', 'who or what uses the token, e.g. "ops-laptop"')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function createToken(options: { name: string; json?: boolean }) {
        await withServices(async ({ services, workspaceId, actor }) => {
          const created = await services.tokens.createToken({
            workspaceId,
            name: options.name,
            actor,
          });
          processOutput.out(
            options.json
              ? JSON.stringify(created)
              : `${created.token}\n\nThis is the only time the token is shown. Use it as "Authorization: Bearer <token>".`,
          );
        });
      }),
    );

  tokens
    .command('list')
    .description('list tokens (names and dates, never the tokens)')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function listTokens(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const list = await services.tokens.listTokens(workspaceId);
          if (options.json) return processOutput.out(JSON.stringify(list));
          if (list.length === 0)
            return processOutput.out(
              'No tokens yet. Create one with "switchyard tokens create --name <who>".',
            );
          for (const token of list) {
            processOutput.out(
              `${token.name}\tcreated ${token.createdAt}\tlast used ${token.lastUsedAt ?? 'never'}${token.revokedAt ? `\trevoked ${token.revokedAt}` : ''}`,
            );
          }
        });
      }),
    );

  tokens
    .command('revoke')
    .description('revoke every live token with this name')
    .argument('<name>', 'the token name')
    .action(
      runCommand(async function revokeToken(name: string) {
        await withServices(async ({ services, workspaceId, actor }) => {
          await services.tokens.revokeToken({ workspaceId, name, actor });
          processOutput.out(`Revoked the token "${name}".`);
        });
      }),
    );
}
