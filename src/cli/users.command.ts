import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { isRole, type Role, roles } from '../users/roles.js';
import { inviteLink, oneTimeLifetimes, type User } from '../users/users.service.js';
import { processOutput, runCommand } from './run-command.js';
import { withServices } from './with-services.js';

/**
 * A password without echo on a terminal (asked twice), else the first line of standard input,
 * so it never sits in shell history or `ps`.
 */
async function readPassword(purpose: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
    return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trimEnd();
  }
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const ask = async (question: string) => {
    const reader = createInterface({ input: process.stdin, output: silent, terminal: true });
    process.stderr.write(question);
    try {
      return await reader.question('');
    } finally {
      reader.close();
      process.stderr.write('\n');
    }
  };
  const first = await ask(`${purpose}: `);
  if ((await ask('The same password again: ')) !== first) {
    throw new AppError(
      'validation_failed',
      'The two passwords differ; nothing was changed. Run the command again.',
    );
  }
  return first;
}

async function personByEmail(
  services: Services,
  workspaceId: string,
  email: string,
): Promise<User> {
  const person = await services.users.findUserByEmail(workspaceId, email);
  if (!person) {
    throw new AppError(
      'not_found',
      `No one here has the email ${email}. See "switchyard users list".`,
    );
  }
  return person;
}

function roleOption(value: string): Role {
  if (!isRole(value)) {
    throw new AppError(
      'validation_failed',
      `--role: got "${value}", needs one of ${roles.join(', ')}.`,
    );
  }
  return value;
}

/** `switchyard users …`: the console's people, from the server's shell. */
export function registerUsersCommand(program: Command): void {
  const users = program
    .command('users')
    .description('people who can sign in to the console at /admin');

  users
    .command('create-owner')
    .description(
      'add an owner (works any time: whoever has the server’s shell is trusted); password from a prompt or the first line of stdin',
    )
    .requiredOption('--email <email>', 'their email, which they sign in with')
    .option(
      '--name <name>',
      'their name as the console and audit log show it (default: the email’s first part)',
    )
    .action(
      runCommand(async function createOwner(options: { email: string; name?: string }) {
        const password = await readPassword('Password for the new owner');
        await withServices(async ({ services, workspaceId, actor }) => {
          const owner = await services.users.createUser({
            workspaceId,
            email: options.email,
            name: options.name ?? options.email.split('@')[0] ?? options.email,
            role: 'owner',
            password,
            actor,
          });
          processOutput.out(
            `Added ${owner.name} <${owner.email}> as owner. Sign in at ${loadConfig().publicUrl}/admin/sign-in.`,
          );
        });
      }),
    );

  users
    .command('list')
    .description('everyone with access, with role and when they joined, and the invites waiting')
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function listUsers(options: { json?: boolean }) {
        await withServices(async ({ services, workspaceId }) => {
          const people = await services.users.listUsers(workspaceId);
          const invites = await services.users.listInvites(workspaceId);
          if (options.json) return processOutput.out(JSON.stringify({ users: people, invites }));
          if (people.length === 0) {
            processOutput.out(
              'No one yet. Add the first owner with "switchyard users create-owner --email <email>".',
            );
          }
          for (const person of people) {
            processOutput.out(
              `${person.email}\t${person.role}\t${person.name}\tjoined ${person.createdAt}`,
            );
          }
          for (const invite of invites) {
            processOutput.out(
              `${invite.email}\t${invite.role}\tinvited by ${invite.invitedBy}\tlink works until ${invite.expiresAt}`,
            );
          }
        });
      }),
    );

  users
    .command('invite')
    .description(
      `print a one-time invite link (${oneTimeLifetimes.inviteHours} h) that lets someone join with a role`,
    )
    .requiredOption('--email <email>', 'who is invited')
    .requiredOption('--role <role>', `${roles.join(', ')}`)
    .option('--json', 'print JSON for scripts')
    .action(
      runCommand(async function invite(options: { email: string; role: string; json?: boolean }) {
        const role = roleOption(options.role);
        await withServices(async ({ services, workspaceId, actor }) => {
          const made = await services.users.invite({
            workspaceId,
            email: options.email,
            role,
            actor,
          });
          const url = inviteLink(loadConfig().publicUrl, made.token);
          processOutput.out(
            options.json
              ? JSON.stringify({ ...made.invite, url })
              : `${url}\n\nSend this link to ${made.invite.email}; it works once, until ${made.invite.expiresAt}, and is shown only now.`,
          );
        });
      }),
    );

  users
    .command('remove')
    .description('remove someone and end their sessions at once (never the last owner)')
    .requiredOption('--email <email>', 'who is removed')
    .action(
      runCommand(async function remove(options: { email: string }) {
        await withServices(async ({ services, workspaceId, actor }) => {
          const person = await personByEmail(services, workspaceId, options.email);
          await services.users.removeUser({ workspaceId, userId: person.id, actor });
          processOutput.out(`Removed ${person.name} <${person.email}>; their sessions have ended.`);
        });
      }),
    );

  users
    .command('reset-password')
    .description(
      'set someone’s password (prompt or first line of stdin) and end all their sessions',
    )
    .requiredOption('--email <email>', 'whose password')
    .action(
      runCommand(async function resetPassword(options: { email: string }) {
        const password = await readPassword(`New password for ${options.email}`);
        await withServices(async ({ services, workspaceId, actor }) => {
          const person = await personByEmail(services, workspaceId, options.email);
          await services.users.resetPassword({ workspaceId, userId: person.id, password, actor });
          processOutput.out(
            `New password set for ${person.name} <${person.email}>; they were signed out everywhere.`,
          );
        });
      }),
    );
}
