import { userInfo } from 'node:os';
import { Writable } from 'node:stream';
import { loadConfig } from '../config.js';
import { openStore } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { configForCommand } from '../demo/demo-emulator.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createServices, type Services } from '../services.js';

export interface CommandContext {
  services: Services;
  workspaceId: string;
  /** Who the audit log says made a change from the command line. */
  actor: string;
}

/** Who this command runs as: `--as NAME`, else the operating-system user. */
let actingAs = operatingSystemUser();

/** Called once per command line, before its action, with the global `--as` (or without it). */
export function actAs(name: string | undefined): void {
  if (name === undefined) {
    actingAs = operatingSystemUser();
    return;
  }
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100 || /\p{Cc}/u.test(trimmed)) {
    throw new AppError(
      'validation_failed',
      `--as: got "${name.slice(0, 100)}", needs the name the audit log should show, 1 to 100 characters on one line.`,
    );
  }
  actingAs = trimmed;
}

function operatingSystemUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers): the environment's word, else the uid.
    return process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/**
 * Opens the store named by DATABASE_URL (migrating it, so a fresh install works), builds the
 * services, runs `work`, and closes the store whatever happens. A command that `callsStripe` on
 * the demo's accounts needs the demo running: its emulator is inside the demo's process.
 */
export async function withServices<T>(
  work: (context: CommandContext) => Promise<T>,
  options: { callsStripe?: boolean } = {},
): Promise<T> {
  // Commands print for people: warnings and worse reach stderr as sentences, not JSON.
  const logger = createLogger({ level: 'warn', destination: readableLogLines(process.stderr) });
  const environmentConfig = loadConfig();
  const store = openStore(environmentConfig.databaseUrl);
  try {
    await migrateToLatest(store);
    const config = await configForCommand({
      config: environmentConfig,
      db: store.db,
      callsStripe: options.callsStripe === true,
    });
    const services = createServices({ config, store, logger });
    return await work({ services, workspaceId: DEFAULT_WORKSPACE_ID, actor: `cli:${actingAs}` });
  } finally {
    await store.close();
  }
}

const levelNames: Record<number, string> = { 40: 'warning', 50: 'error', 60: 'fatal' };

/** Turns pino's JSON lines into `switchyard: warning: message (field: value)`. */
function readableLogLines(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const { level, msg, time, service, pid, hostname, ...fields } = JSON.parse(line) as Record<
          string,
          unknown
        >;
        void time;
        void service;
        void pid;
        void hostname;
        const extra = Object.entries(fields)
          .map(
            ([key, value]) =>
              `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
          )
          .join(', ');
        target.write(
          `switchyard: ${levelNames[Number(level)] ?? 'note'}: ${String(msg)}${extra ? ` (${extra})` : ''}\n`,
        );
      }
      done();
    },
  });
}
