import { Writable } from 'node:stream';
import { loadConfig } from '../config.js';
import { openStore } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { createServices, type Services } from '../services.js';
import { createLogger } from '../web/logger.js';

export interface CommandContext {
  services: Services;
  workspaceId: string;
  /** Who the audit log says made a change from the command line. */
  actor: string;
}

/**
 * Opens the store named by DATABASE_URL (migrating it, so a fresh install works), builds the
 * services, runs `work`, and closes the store whatever happens.
 */
export async function withServices<T>(work: (context: CommandContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Commands print for people: warnings and worse reach stderr as sentences, not JSON.
  const logger = createLogger({ level: 'warn', destination: readableLogLines(process.stderr) });
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store);
    const services = createServices({ config, store, logger });
    const user = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
    return await work({ services, workspaceId: DEFAULT_WORKSPACE_ID, actor: `cli:${user}` });
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
