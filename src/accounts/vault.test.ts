import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createVault, loadMasterKey, maskSecret } from './vault.js';

describe('the vault', () => {
  const key = Buffer.alloc(32, 1);

  it('seals a secret so the stored text does not contain it, and opens it again', () => {
    const vault = createVault(key);
    const secret = 'sk_test_51Hq9abcdefghijklmnop4242';
    const sealed = vault.seal(secret);
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain('4242');
    expect(sealed.startsWith(`v1:${vault.keyId}:`)).toBe(true);
    expect(vault.open(sealed)).toBe(secret);
    expect(vault.seal(secret)).not.toBe(sealed);
  });

  it('refuses tampered ciphertext', () => {
    const vault = createVault(key);
    const parts = vault.seal('rk_live_secret').split(':');
    parts[4] = Buffer.from('rk_live_other!').toString('base64url');
    expect(() => vault.open(parts.join(':'))).toThrow();
  });

  it('says which master key is needed when opened with another one', () => {
    const sealed = createVault(key).seal('sk_test_x');
    const other = createVault(Buffer.alloc(32, 2));
    expect(() => other.open(sealed)).toThrow(AppError);
    expect(() => other.open(sealed)).toThrow(/sealed with master key .* this server has key/);
  });

  it('generates data/master.key once with mode 0600 and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-vault-'));
    const first = loadMasterKey({ fromEnvironment: null, dataDir });
    expect(first.created).toBe(true);
    const path = join(dataDir, 'master.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = loadMasterKey({ fromEnvironment: null, dataDir });
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('prefers the key from the environment', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-vault-'));
    const loaded = loadMasterKey({ fromEnvironment: key, dataDir });
    expect(loaded.origin).toBe('environment');
    expect(loaded.key.equals(key)).toBe(true);
  });

  it('masks keys to their prefix and last four characters', () => {
    expect(maskSecret('sk_test_51Habcdefabcd')).toBe('sk_test_…abcd');
    expect(maskSecret('rk_live_51Hxyz9876')).toBe('rk_live_…9876');
  });
});
