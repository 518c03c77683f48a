import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { masterKeyBytes } from '../config.js';
import { AppError } from '../errors.js';

/**
 * Encrypts secrets at rest with AES-256-GCM under the master key. A sealed value reads
 * `v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts); the key id tells which master key sealed
 * it, so a wrong key is reported as such rather than as corrupt data.
 */
export interface Vault {
  readonly keyId: string;
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** An HMAC of `text` under a key derived from the master key for one purpose. */
  sign(purpose: string, text: string): string;
}

export function keyIdOf(masterKey: Buffer): string {
  return createHash('sha256').update(masterKey).digest('hex').slice(0, 12);
}

/**
 * `previousKeys` still open what they sealed (during and after a rotation); new secrets are always
 * sealed with `masterKey`.
 */
export function createVault(masterKey: Buffer, previousKeys: readonly Buffer[] = []): Vault {
  if (masterKey.length !== 32) throw new Error('The master key must be 32 bytes.');
  const keyId = keyIdOf(masterKey);
  const keyring = new Map([masterKey, ...previousKeys].map((key) => [keyIdOf(key), key]));
  return {
    keyId,
    sign(purpose, text) {
      const purposeKey = createHmac('sha256', masterKey).update(`switchyard:${purpose}`).digest();
      return createHmac('sha256', purposeKey).update(text).digest('base64url');
    },
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(Buffer.from(keyId));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return ['v1', keyId, iv, tag, ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join(':');
    },
    open(sealed) {
      const [version, sealedKeyId, iv, tag, ciphertext] = sealed.split(':');
      if (version !== 'v1' || !sealedKeyId || !iv || !tag || ciphertext === undefined) {
        throw new AppError(
          'internal',
          'A stored secret is not in the vault format; it cannot be read.',
        );
      }
      const openingKey = keyring.get(sealedKeyId);
      if (!openingKey) {
        throw new AppError(
          'internal',
          `A stored secret was sealed with master key ${sealedKeyId}, but this server has key ${keyId}. Start it with the master key the secrets were saved under (SWITCHYARD_MASTER_KEY or data/master.key).`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', openingKey, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(sealedKeyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

export interface MasterKeySource {
  key: Buffer;
  /** The key a rotation replaced (`master.key.previous`), kept until every secret is resealed. */
  previous: Buffer[];
  /** `environment`, or the path of the key file. */
  origin: string;
  /** True when this call generated the key file. */
  created: boolean;
}

export const masterKeyFileName = 'master.key';

/**
 * The master key from SWITCHYARD_MASTER_KEY, else from DATA_DIR/master.key, generated there on first
 * use with mode 0600.
 */
export function loadMasterKey(options: {
  fromEnvironment: Buffer | null;
  dataDir: string;
}): MasterKeySource {
  if (options.fromEnvironment) {
    return { key: options.fromEnvironment, previous: [], origin: 'environment', created: false };
  }
  const path = join(options.dataDir, masterKeyFileName);
  if (existsSync(path)) {
    const key = masterKeyBytes(readFileSync(path, 'utf8'));
    if (!key) {
      throw new AppError(
        'config_invalid',
        `${path}: got a file that is not a master key, needs 64 hex characters. Restore it from your backup; without it the stored Stripe keys cannot be read.`,
      );
    }
    const previousPath = `${path}.previous`;
    const previous = existsSync(previousPath)
      ? masterKeyBytes(readFileSync(previousPath, 'utf8'))
      : null;
    return { key, previous: previous ? [previous] : [], origin: path, created: false };
  }
  const key = randomBytes(32);
  writeKeyFile(path, key);
  return { key, previous: [], origin: path, created: true };
}

/** Writes a key file atomically with mode 0600 (a half-written key would lose every secret). */
export function writeKeyFile(path: string, key: Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** `sk_test_…abcd`: the key's prefix and last four characters. */
export function maskSecret(secret: string): string {
  const prefix = /^(sk|rk)_(test|live)_/.exec(secret)?.[0] ?? secret.slice(0, 3);
  return `${prefix}…${secret.slice(-4)}`;
}
