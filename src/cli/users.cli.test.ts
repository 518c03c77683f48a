import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { createAuditLog } from '../audit/audit.service.js';
import { systemClock } from '../clock.js';
import { createUsersService } from '../users/users.service.js';
import { runInProcess } from './cli-in-process.test-helper.js';

const password = 'correct horse battery staple';

describeEachDatabase('`switchyard users …`', (database) => {
  let store: TestStore;
  let dataDir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    store = await database.openMigrated();
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-users-cli-'));
    env = {
      DATABASE_URL: store.url,
      DATA_DIR: dataDir,
      PUBLIC_URL: 'https://pay.example.com',
      SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    };
  });
  afterEach(async () => {
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function service() {
    const audit = createAuditLog({ db: store.db, clock: systemClock });
    return createUsersService({
      db: store.db,
      clock: systemClock,
      audit,
      sessions: { idleMinutes: 60, maxHours: 12 },
    });
  }

  it('creates owners, invites, lists, resets a password and removes, each in the audit log as cli:<name>', async () => {
    const first = await runInProcess(
      ['--as', 'Ops', 'users', 'create-owner', '--email', 'Olive@Example.com', '--name', 'Olive'],
      env,
      `${password}\nignored second line\n`,
    );
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toContain('Added Olive <olive@example.com> as owner.');
    // Another owner later, from the server's shell: allowed.
    const second = await runInProcess(
      ['users', 'create-owner', '--email', 'sam@example.com'],
      env,
      password,
    );
    expect(second.code).toBe(0);
    const weak = await runInProcess(
      ['users', 'create-owner', '--email', 'x@example.com'],
      env,
      'short',
    );
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('at least 10 characters');

    const invited = await runInProcess(
      ['--as', 'Ops', 'users', 'invite', '--email', 'vic@example.com', '--role', 'viewer'],
      env,
    );
    expect(invited.code).toBe(0);
    const link = /^(https:\/\/pay\.example\.com\/admin\/invites\/\S+)$/m.exec(invited.stdout)?.[1];
    expect(link).toBeDefined();
    const badRole = await runInProcess(
      ['users', 'invite', '--email', 'a@example.com', '--role', 'boss'],
      env,
    );
    expect([badRole.code, badRole.stderr.trim()]).toEqual([
      2,
      'switchyard: --role: got "boss", needs one of owner, admin, viewer.',
    ]);
    const token = decodeURIComponent(link?.split('/').pop() ?? '');
    expect((await service().inviteState(token)).state).toBe('pending');

    const listed = await runInProcess(['users', 'list', '--json'], env);
    const json = JSON.parse(listed.stdout);
    expect(
      json.users.map((user: { email: string; role: string }) => [user.email, user.role]),
    ).toEqual([
      ['olive@example.com', 'owner'],
      ['sam@example.com', 'owner'],
    ]);
    expect(json.invites).toHaveLength(1);
    expect(listed.stdout).not.toContain('password');

    const olive = await service().findUserByEmail('default', 'olive@example.com');
    if (!olive) throw new Error('olive was created above');
    const session = await service().startSession(olive);
    const reset = await runInProcess(
      ['--as', 'Ops', 'users', 'reset-password', '--email', 'olive@example.com'],
      env,
      'another long password\n',
    );
    expect(reset.code).toBe(0);
    expect(await service().authenticate(session.token)).toBeNull();
    const signedIn = await service().signIn({
      workspaceId: 'default',
      email: 'olive@example.com',
      password: 'another long password',
      ip: '127.0.0.1',
    });
    expect(signedIn.user.id).toBe(olive.id);

    expect(
      (await runInProcess(['--as', 'Ops', 'users', 'remove', '--email', 'sam@example.com'], env))
        .code,
    ).toBe(0);
    const last = await runInProcess(['users', 'remove', '--email', 'olive@example.com'], env);
    expect(last.code).toBe(5);
    expect(last.stderr).toContain('leave no owner');
    const nobody = await runInProcess(['users', 'remove', '--email', 'nobody@example.com'], env);
    expect(nobody.code).toBe(4);

    const entries = await createAuditLog({ db: store.db, clock: systemClock }).list({
      workspaceId: 'default',
      limit: 20,
    });
    const byAction = entries.map((entry) => `${entry.action} ${entry.subject} ${entry.actor}`);
    expect(byAction).toEqual(
      expect.arrayContaining([
        'user.created user:olive@example.com cli:Ops',
        'user.invited user:vic@example.com cli:Ops',
        'user.password_reset user:olive@example.com cli:Ops',
        'user.removed user:sam@example.com cli:Ops',
      ]),
    );
  });
});
