import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { startCli } from '../../test/run-cli.js';
import { freePort } from '../../test/server.js';
import { createAuditLog } from '../audit/audit.service.js';
import { systemClock } from '../clock.js';
import { createUsersService } from '../users/users.service.js';

const [sqlite] = testDatabases;
if (!sqlite) throw new Error('SQLite is always among the test databases');

// A server process start is seconds on a loaded machine; the stored code is text, one database shows it.
describe('the setup code `switchyard serve` prints while no one can sign in', () => {
  let store: TestStore | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await store?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints it on stdout outside the JSON log, and it creates the first owner once', async () => {
    store = await sqlite.openMigrated();
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-setup-'));
    const port = await freePort();
    let sawCode = false;
    let sawLog = false;
    const server = await startCli(
      ['serve'],
      {
        PORT: String(port),
        DATABASE_URL: store.url,
        DATA_DIR: dataDir,
        SWITCHYARD_DEMO: 'off',
        SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'info',
      },
      // The log is written asynchronously and the code synchronously: wait for both, in any order.
      (line) => {
        if (line.includes('/admin/setup')) sawCode = true;
        if (line.startsWith('{') && line.includes('switchyard listening')) sawLog = true;
        return sawCode && sawLog;
      },
    );
    try {
      const printed = server.output.join('\n');
      const code = /^Setup code: (\S+)$/m.exec(printed)?.[1] ?? '';
      expect(code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
      expect(printed).toContain(`open http://127.0.0.1:${port}/admin/setup and enter this code`);
      const logLines = server.output.filter((line) => line.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.some((line) => line.includes(code))).toBe(false);

      const users = createUsersService({
        db: store.db,
        clock: systemClock,
        audit: createAuditLog({ db: store.db, clock: systemClock }),
        sessions: { idleMinutes: 60, maxHours: 12 },
      });
      const owner = {
        workspaceId: 'default',
        code,
        name: 'Olive',
        password: 'correct horse battery staple',
      };
      const made = await users.setUpFirstOwner({ ...owner, email: 'olive@example.com' });
      expect(made.user.role).toBe('owner');
      await expect(
        users.setUpFirstOwner({ ...owner, email: 'eve@example.com' }),
      ).rejects.toMatchObject({
        code: 'conflict',
      });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
