import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { openStore } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { processOutput, runCommand } from './run-command.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL and exit')
    .action(
      runCommand(async function migrate() {
        const config = loadConfig();
        const store = openStore(config.databaseUrl);
        try {
          const applied = await migrateToLatest(store);
          processOutput.out(
            applied.length === 0
              ? `Database ${store.location} (${store.dialect}) is up to date.`
              : `Applied ${applied.length} migration(s) to ${store.location} (${store.dialect}): ${applied.join(', ')}.`,
          );
        } finally {
          await store.close();
        }
      }),
    );
}
