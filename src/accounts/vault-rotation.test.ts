import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  createEmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  keysOf,
  useEmulator,
} from '../../test/emulator.js';
import { capturedLogger } from '../../test/log-capture.js';
import { loadConfig } from '../config.js';
import { createServices, type Services } from '../services.js';
import { rotateMasterKey } from './vault-rotation.js';

const emulator = useEmulator();

describeEachDatabase('rotating the master key', (database) => {
  let store: TestStore;
  let dataDir: string;

  /** A server process as it starts: it reads the key files once. */
  function startServices(): Services {
    return createServices({
      config: loadConfig({ DATA_DIR: dataDir, ...emulatorEnv(emulator()) }),
      store,
      logger: capturedLogger().logger,
      gateway: emulatorGateway(emulator()),
    });
  }

  async function connect(services: Services, handle: string) {
    const account = await createEmulatorAccount(emulator());
    await services.accounts.connectWithKeys(
      'default',
      { handle, credentials: keysOf(account) },
      'test',
    );
  }

  beforeEach(async () => {
    store = await database.openMigrated();
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-rotate-'));
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('loses no secret, even one saved by a server still running with the old key', async () => {
    const running = startServices();
    await connect(running, 'us');
    const keyBefore = readFileSync(join(dataDir, 'master.key'), 'utf8');

    const rotation = await rotateMasterKey({
      db: store.db,
      dataDir,
      fromEnvironment: null,
      newKeyFromEnvironment: null,
    });
    expect(rotation.resealed).toBe(2); // the secret key and the webhook signing secret
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).not.toBe(keyBefore);
    expect(existsSync(join(dataDir, 'master.key.previous'))).toBe(true);

    // The old process has not restarted yet and saves a secret with the old key.
    await connect(running, 'eu');

    const restarted = startServices();
    for (const handle of ['us', 'eu']) {
      expect(
        (await restarted.accounts.verifyAccount('default', handle, 'test')).account.health,
      ).toBe('healthy');
    }

    // The next rotation folds the old key's secrets in; a server with only the newest keys reads all.
    await rotateMasterKey({
      db: store.db,
      dataDir,
      fromEnvironment: null,
      newKeyFromEnvironment: null,
    });
    const afterSecond = startServices();
    for (const handle of ['us', 'eu']) {
      expect(
        (await afterSecond.accounts.verifyAccount('default', handle, 'test')).account.health,
      ).toBe('healthy');
    }
  });

  it('needs the new key in SWITCHYARD_NEW_MASTER_KEY when the key comes from the environment', async () => {
    await expect(
      rotateMasterKey({
        db: store.db,
        dataDir,
        fromEnvironment: Buffer.alloc(32, 1),
        newKeyFromEnvironment: null,
      }),
    ).rejects.toThrow(/SWITCHYARD_NEW_MASTER_KEY: got nothing/);
  });
});
