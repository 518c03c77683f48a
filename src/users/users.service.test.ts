import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { type AuditLog, createAuditLog } from '../audit/audit.service.js';
import { isAppError } from '../errors.js';
import {
  createUsersService,
  oneTimeLifetimes,
  signInLimits,
  type User,
  type UsersService,
} from './users.service.js';

const password = 'correct horse battery staple';
const workspaceId = 'default';

/** The AppError code and message a promise is refused with. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describeEachDatabase('people and sessions (UsersService)', (database) => {
  let store: TestStore;
  let now: Date;
  let users: UsersService;
  let audit: AuditLog;

  beforeEach(async () => {
    store = await database.openMigrated();
    now = new Date('2026-12-02T08:00:00.000Z');
    const clock = () => now;
    audit = createAuditLog({ db: store.db, clock });
    users = createUsersService({
      db: store.db,
      clock,
      audit,
      sessions: { idleMinutes: 60, maxHours: 12 },
    });
  });
  afterEach(async () => {
    await store.dispose();
  });

  function add(email: string, role: User['role'], name = email.split('@')[0] ?? email) {
    return users.createUser({ workspaceId, email, name, role, password, actor: 'test' });
  }

  const signIn = (email: string, pass: string, ip = '203.0.113.7') =>
    users.signIn({ workspaceId, email, password: pass, ip });

  it('pauses sign-in per email after 8 failures, with one answer whether the email exists or not', async () => {
    await add('ann@example.com', 'owner');
    for (let i = 0; i < signInLimits.perEmail; i++) {
      expect((await refusal(signIn('ann@example.com', 'wrong', `198.51.100.${i}`))).code).toBe(
        'unauthorized',
      );
      expect((await refusal(signIn('nobody@example.com', 'wrong', `198.51.100.${i}`))).code).toBe(
        'unauthorized',
      );
    }
    // From a new IP, with the right password: the email is paused, and says so as for a stranger.
    const known = await refusal(signIn('ann@example.com', password, '192.0.2.1'));
    const unknown = await refusal(signIn('nobody@example.com', password, '192.0.2.1'));
    expect(known).toEqual({
      code: 'rate_limited',
      message:
        'Too many sign-in attempts. For safety, signing in is paused for a while: try again in 15 minutes.',
    });
    expect(unknown).toEqual(known);
    // Another email from that IP is not paused.
    await add('bo@example.com', 'admin');
    expect((await signIn('bo@example.com', password, '192.0.2.1')).user.email).toBe(
      'bo@example.com',
    );
    // After the window the email may try again, and a success clears its count.
    now = new Date(now.getTime() + signInLimits.windowMinutes * 60_000 + 1000);
    expect((await signIn('ann@example.com', password, '192.0.2.1')).user.role).toBe('owner');
    for (let i = 0; i < signInLimits.perEmail - 1; i++) {
      await refusal(signIn('ann@example.com', 'wrong', '192.0.2.1'));
    }
    expect((await signIn('ann@example.com', password, '192.0.2.1')).user.role).toBe('owner');
  });

  it('pauses one IP after 20 failures across emails, and counts across instances', async () => {
    await add('ann@example.com', 'owner');
    // A second service over the same database: another instance of the server.
    const other = createUsersService({
      db: store.db,
      clock: () => now,
      audit,
      sessions: { idleMinutes: 60, maxHours: 12 },
    });
    for (let i = 0; i < signInLimits.perIp; i++) {
      const service = i % 2 === 0 ? users : other;
      await refusal(
        service.signIn({
          workspaceId,
          email: `guess${i}@example.com`,
          password: 'x',
          ip: '10.0.0.9',
        }),
      );
    }
    now = new Date(now.getTime() + 5 * 60_000);
    const paused = await refusal(signIn('ann@example.com', password, '10.0.0.9'));
    expect(paused.code).toBe('rate_limited');
    expect(paused.message).toContain('try again in 10 minutes');
    expect((await signIn('ann@example.com', password, '10.0.0.10')).user.email).toBe(
      'ann@example.com',
    );
  });

  it('takes a setup code once, only while the workspace has no one, on any instance', async () => {
    const code = await users.issueSetupCode(workspaceId);
    const spare = await users.issueSetupCode(workspaceId);
    expect(code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    const stored = await store.db.selectFrom('one_time_codes').selectAll().execute();
    expect(stored.map((row) => row.purpose)).toEqual(['setup', 'setup']);
    expect(JSON.stringify(stored)).not.toContain(code);

    const owner = { workspaceId, name: 'Olive', email: 'olive@example.com', password };
    expect(
      (await refusal(users.setUpFirstOwner({ ...owner, code: 'AAAA-BBBB-CCCC-DDDD' }))).code,
    ).toBe('unauthorized');
    // A weak password does not use the code up.
    expect(
      (await refusal(users.setUpFirstOwner({ ...owner, code: code ?? '', password: 'short' })))
        .code,
    ).toBe('validation_failed');
    const made = await users.setUpFirstOwner({ ...owner, code: (code ?? '').toLowerCase() });
    expect(made.user).toMatchObject({ role: 'owner', name: 'Olive' });
    expect(await users.authenticate(made.token)).not.toBeNull();

    const again = { ...owner, email: 'mallory@example.com' };
    expect((await refusal(users.setUpFirstOwner({ ...again, code: code ?? '' }))).code).toBe(
      'conflict',
    );
    expect((await refusal(users.setUpFirstOwner({ ...again, code: spare ?? '' }))).code).toBe(
      'conflict',
    );
    expect(await users.issueSetupCode(workspaceId)).toBeNull();
    const [entry] = await audit.list({ workspaceId, limit: 1 });
    expect(entry).toMatchObject({ action: 'user.created', actor: 'Olive <olive@example.com>' });
  });

  it('refuses a used or expired setup code', async () => {
    const code = (await users.issueSetupCode(workspaceId)) ?? '';
    now = new Date(now.getTime() + oneTimeLifetimes.setupCodeHours * 3_600_000);
    const late = await refusal(
      users.setUpFirstOwner({ workspaceId, code, name: 'O', email: 'o@example.com', password }),
    );
    expect(late.code).toBe('unauthorized');
  });

  it('invites with a role for 72 hours, once, and an owner can withdraw an invite', async () => {
    const owner = await add('olive@example.com', 'owner', 'Olive');
    const actor = 'Olive <olive@example.com>';
    const { token, invite } = await users.invite({
      workspaceId,
      email: ' Ada@Example.com ',
      role: 'admin',
      actor,
    });
    expect(invite).toMatchObject({ email: 'ada@example.com', role: 'admin', invitedBy: actor });
    expect(await users.listInvites(workspaceId)).toHaveLength(1);
    expect((await users.inviteState(token)).state).toBe('pending');
    const ada = await users.acceptInvite({ token, name: 'Ada', password });
    expect(ada.user).toMatchObject({ email: 'ada@example.com', role: 'admin', name: 'Ada' });
    expect((await users.inviteState(token)).state).toBe('accepted');
    expect((await refusal(users.acceptInvite({ token, name: 'Eve', password }))).message).toContain(
      'already used',
    );

    const late = await users.invite({
      workspaceId,
      email: 'vic@example.com',
      role: 'viewer',
      actor,
    });
    now = new Date(now.getTime() + 72 * 3_600_000 - 1000);
    expect((await users.inviteState(late.token)).state).toBe('pending');
    now = new Date(now.getTime() + 1000);
    expect((await users.inviteState(late.token)).state).toBe('expired');
    expect(
      (await refusal(users.acceptInvite({ token: late.token, name: 'Vic', password }))).message,
    ).toContain('expired');
    expect(await users.listInvites(workspaceId)).toEqual([]);

    const withdrawn = await users.invite({
      workspaceId,
      email: 'vic@example.com',
      role: 'viewer',
      actor,
    });
    await users.revokeInvite({ workspaceId, inviteId: withdrawn.invite.id, actor });
    expect((await users.inviteState(withdrawn.token)).state).toBe('revoked');
    expect((await users.inviteState('nonsense')).state).toBe('unknown');
    expect(
      (await refusal(users.invite({ workspaceId, email: owner.email, role: 'viewer', actor })))
        .code,
    ).toBe('conflict');
    const actions = (await audit.list({ workspaceId, limit: 20 })).map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining(['user.invited', 'user.invite_accepted', 'user.invite_revoked']),
    );
  });

  it('keeps the last owner, and a removed person’s sessions end at once', async () => {
    const olive = await add('olive@example.com', 'owner', 'Olive');
    const bo = await add('bo@example.com', 'viewer', 'Bo');
    const actor = 'Olive <olive@example.com>';
    const refusedRemove = await refusal(users.removeUser({ workspaceId, userId: olive.id, actor }));
    expect(refusedRemove).toMatchObject({ code: 'conflict' });
    expect(refusedRemove.message).toContain('leave no owner');
    expect(
      (await refusal(users.changeRole({ workspaceId, userId: olive.id, role: 'admin', actor })))
        .code,
    ).toBe('conflict');

    const { token } = await users.startSession(bo);
    expect(await users.authenticate(token)).not.toBeNull();
    await users.removeUser({ workspaceId, userId: bo.id, actor });
    expect(await users.authenticate(token)).toBeNull();
    const revoked = await store.db
      .selectFrom('console_sessions')
      .select('revoked_at')
      .where('user_id', '=', bo.id)
      .execute();
    expect(revoked.every((row) => row.revoked_at !== null)).toBe(true);

    const ana = await add('ana@example.com', 'admin', 'Ana');
    now = new Date(now.getTime() + 1000);
    await users.changeRole({ workspaceId, userId: ana.id, role: 'owner', actor });
    now = new Date(now.getTime() + 1000);
    await users.changeRole({ workspaceId, userId: olive.id, role: 'viewer', actor: 'cli:ops' });
    const entries = await audit.list({ workspaceId, limit: 2 });
    expect(entries.map((entry) => [entry.action, entry.actor, entry.subject])).toEqual([
      ['user.role_changed', 'cli:ops', 'user:olive@example.com'],
      ['user.role_changed', actor, 'user:ana@example.com'],
    ]);
  });

  it('ends other sessions when a password changes, and all of them when it is reset', async () => {
    const ann = await add('ann@example.com', 'admin', 'Ann');
    const here = await users.startSession(ann);
    const there = await users.startSession(ann);
    const session = await users.authenticate(here.token);
    expect(
      (
        await refusal(
          users.changeOwnPassword({
            workspaceId,
            userId: ann.id,
            currentPassword: 'wrong',
            newPassword: 'a new long password',
            keepSessionId: session?.sessionId ?? null,
          }),
        )
      ).code,
    ).toBe('validation_failed');
    await users.changeOwnPassword({
      workspaceId,
      userId: ann.id,
      currentPassword: password,
      newPassword: 'a new long password',
      keepSessionId: session?.sessionId ?? null,
    });
    expect(await users.authenticate(here.token)).not.toBeNull();
    expect(await users.authenticate(there.token)).toBeNull();
    expect((await signIn('ann@example.com', 'a new long password')).user.id).toBe(ann.id);

    await users.resetPassword({ workspaceId, userId: ann.id, password, actor: 'cli:ops' });
    expect(await users.authenticate(here.token)).toBeNull();
    expect((await signIn('ann@example.com', password)).user.id).toBe(ann.id);

    const a = await users.startSession(ann);
    const b = await users.startSession(ann);
    expect(await users.signOutEverywhere({ workspaceId, userId: ann.id, actor: 'Ann' })).toBe(3);
    expect(await users.authenticate(a.token)).toBeNull();
    expect(await users.authenticate(b.token)).toBeNull();
  });

  it('signs in once with a sign-in link code', async () => {
    const owner = await add('demo@example.com', 'owner', 'Demo owner');
    const code = await users.issueSignInCode(owner);
    expect((await users.signInWithCode(code)).user.id).toBe(owner.id);
    expect((await refusal(users.signInWithCode(code))).code).toBe('unauthorized');
    const late = await users.issueSignInCode(owner);
    now = new Date(now.getTime() + oneTimeLifetimes.signInLinkHours * 3_600_000);
    expect((await refusal(users.signInWithCode(late))).code).toBe('unauthorized');
  });
});
