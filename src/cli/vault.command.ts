import type { Command } from 'commander';
import { rotateMasterKey } from '../accounts/vault-rotation.js';
import { loadConfig, masterKeyBytes } from '../config.js';
import { openStore } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { processOutput, runCommand } from './run-command.js';

export function registerVaultCommand(program: Command): void {
  const vault = program
    .command('vault')
    .description('the master key that encrypts secrets at rest');
  vault
    .command('rotate')
    .description(
      'move every secret to a new master key (data/master.key, or SWITCHYARD_NEW_MASTER_KEY when the key comes from SWITCHYARD_MASTER_KEY)',
    )
    .action(
      runCommand(async function rotateVault() {
        const config = loadConfig();
        const newKeyText = process.env.SWITCHYARD_NEW_MASTER_KEY;
        const newKey = newKeyText ? masterKeyBytes(newKeyText) : null;
        if (newKeyText && !newKey) {
          throw new AppError(
            'config_invalid',
            `SWITCHYARD_NEW_MASTER_KEY: got a value of ${newKeyText.length} characters, needs 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32).`,
          );
        }
        const store = openStore(config.databaseUrl);
        try {
          await migrateToLatest(store);
          const result = await rotateMasterKey({
            db: store.db,
            dataDir: config.dataDir,
            fromEnvironment: config.masterKey,
            newKeyFromEnvironment: newKey,
          });
          processOutput.out(
            `Resealed ${result.resealed} secret(s): master key ${result.oldKeyId} -> ${result.newKeyId}.`,
          );
          processOutput.out(
            result.keptIn === 'file'
              ? `The new key is in ${config.dataDir}/master.key; back it up, and restart running servers. The old key stays in master.key.previous so secrets saved by servers not yet restarted remain readable.`
              : 'Now set SWITCHYARD_MASTER_KEY to the value of SWITCHYARD_NEW_MASTER_KEY and restart every server.',
          );
        } finally {
          await store.close();
        }
      }),
    );
}
