import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { listSealedEndpointSecrets, updateEndpoint } from '../webhooks/webhooks.repository.js';
import { listAllSealedSecrets, updateCredentialSecrets } from './accounts.repository.js';
import {
  createVault,
  keyIdOf,
  loadMasterKey,
  masterKeyFileName,
  type Vault,
  writeKeyFile,
} from './vault.js';

export interface RotationResult {
  resealed: number;
  oldKeyId: string;
  newKeyId: string;
  /** `file` when data/master.key now holds the new key; `environment` when the operator must set it. */
  keptIn: 'file' | 'environment';
}

/**
 * Moves every secret to a new master key. With a key file, the new key is written first and the old
 * one kept as master.key.previous (read at every start), so neither a crash nor a server still
 * running with the old key can leave a secret unreadable. With SWITCHYARD_MASTER_KEY, the new key comes from SWITCHYARD_NEW_MASTER_KEY.
 */
export async function rotateMasterKey(input: {
  db: Kysely<Database>;
  dataDir: string;
  fromEnvironment: Buffer | null;
  newKeyFromEnvironment: Buffer | null;
}): Promise<RotationResult> {
  const current = loadMasterKey({ fromEnvironment: input.fromEnvironment, dataDir: input.dataDir });
  const keptIn = input.fromEnvironment ? 'environment' : 'file';
  if (keptIn === 'environment' && !input.newKeyFromEnvironment) {
    throw new AppError(
      'bad_request',
      'SWITCHYARD_NEW_MASTER_KEY: got nothing, needs the new key (openssl rand -hex 32) because the current key comes from SWITCHYARD_MASTER_KEY.',
    );
  }
  const newKey = input.newKeyFromEnvironment ?? randomBytes(32);
  if (newKey.equals(current.key)) {
    throw new AppError(
      'bad_request',
      'The new master key is the same as the current one. Generate a new one with "openssl rand -hex 32".',
    );
  }
  const path = join(input.dataDir, masterKeyFileName);
  if (current.previous.length > 0) {
    // A rotation was interrupted: finish it before the previous key file is reused.
    await resealAll(input.db, createVault(current.key, current.previous));
    rmSync(`${path}.previous`, { force: true });
  }
  if (keptIn === 'file') {
    writeKeyFile(`${path}.previous`, current.key);
    writeKeyFile(path, newKey);
  }
  const resealed = await resealAll(input.db, createVault(newKey, [current.key]));
  // master.key.previous stays: servers still running with the old key may seal new secrets with
  // it until they restart. Every start reads it, and the next rotation folds those secrets in.
  return { resealed, oldKeyId: keyIdOf(current.key), newKeyId: keyIdOf(newKey), keptIn };
}

/** Opens every stored secret with the keyring and seals it again with the current key, atomically. */
async function resealAll(db: Kysely<Database>, vault: Vault): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let count = 0;
    for (const credential of await listAllSealedSecrets(trx)) {
      await updateCredentialSecrets(trx, credential, {
        sealedSecret: vault.seal(vault.open(credential.sealedSecret)),
        sealedRefreshToken:
          credential.sealedRefreshToken === null
            ? null
            : vault.seal(vault.open(credential.sealedRefreshToken)),
      });
      count += credential.sealedRefreshToken === null ? 1 : 2;
    }
    for (const endpoint of await listSealedEndpointSecrets(trx)) {
      await updateEndpoint(trx, endpoint.endpointId, {
        sealedSecret: vault.seal(vault.open(endpoint.sealedSecret)),
      });
      count += 1;
    }
    return count;
  });
}
