import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import {
  acceptInvite,
  clearThrottle,
  countFailure,
  findInviteByHash,
  findInviteById,
  findLiveCode,
  findThrottle,
  insertInvite,
  insertOneTimeCode,
  listPendingInvites,
  revokeInvite,
  revokeInvitesOfEmail,
  type StoredInvite,
  useAllSetupCodes,
  useCode,
} from './one-time.repository.js';
import {
  hashPassword,
  passwordMatches,
  passwordProblem,
  spendPasswordCheckTime,
} from './passwords.js';
import { isRole, type Role } from './roles.js';
import {
  findSessionByHash,
  insertSession,
  revokeOtherSessions,
  revokeSession,
  revokeSessionsOfUser,
  type StoredSession,
  touchSession,
} from './sessions.repository.js';
import {
  countOwners,
  countUsers,
  deleteUser,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  type StoredUser,
  updateUser,
} from './users.repository.js';

/** A person of the console as every page and list shows them: never the password hash. */
export interface User {
  id: string;
  workspaceId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** Who a live session belongs to. */
export interface SignedIn {
  user: User;
  sessionId: string;
}

export interface SessionLimits {
  /** A session unused this long ends. */
  idleMinutes: number;
  /** A session ends this long after sign-in, however much it is used. */
  maxHours: number;
}

/** A pending invite as the People page lists it (never its token). */
export interface Invite {
  id: string;
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

/** What an invite link is now, for the page its invitee opens. */
export type InviteState =
  | { state: 'pending'; invite: Invite }
  | { state: 'expired' | 'accepted' | 'revoked'; invite: Invite }
  | { state: 'unknown' };

/** Sign-in attempts allowed per window, counted in the database so every instance shares them. */
export const signInLimits = {
  windowMinutes: 15,
  /** Failures from one IP address (many emails tried from one place). */
  perIp: 20,
  /** Failures for one email (one account guessed at from many places). */
  perEmail: 8,
} as const;

/** How long links and codes stay valid. */
export const oneTimeLifetimes = {
  inviteHours: 72,
  setupCodeHours: 24,
  signInLinkHours: 24,
} as const;

/** The console's people and their sessions. */
export interface UsersService {
  /** Adds a user with a password; refused when the email is taken or the password too weak. */
  createUser(input: {
    workspaceId: string;
    email: string;
    name: string;
    role: Role;
    password: string;
    actor: string;
  }): Promise<User>;
  listUsers(workspaceId: string): Promise<User[]>;
  /** One person by email, or null. */
  findUserByEmail(workspaceId: string, email: string): Promise<User | null>;
  /** One person by id (of this workspace), or null. */
  findUser(workspaceId: string, userId: string): Promise<User | null>;
  /** How many people the workspace has (none: the first owner is still to be made). */
  countUsers(workspaceId: string): Promise<number>;
  /**
   * Checks an email and password and starts a session. A wrong email and a wrong password get the
   * same answer, in the same time; too many failures per IP or per email (`signInLimits`) get a
   * 429 that is the same whether the email exists or not. A success clears the email's count.
   */
  signIn(input: { workspaceId: string; email: string; password: string; ip: string }): Promise<{
    token: string;
    user: User;
  }>;
  /** Starts a session for a user whose identity was proved another way (setup, invite, link). */
  startSession(user: User): Promise<{ token: string }>;
  /** Who a session token belongs to, or null when it is unknown, ended or expired. */
  authenticate(token: string): Promise<SignedIn | null>;
  /** Ends the session of this token (sign out here). */
  signOut(token: string): Promise<void>;
  /** Ends every session of a person ("Sign out everywhere"); returns how many ended. */
  signOutEverywhere(input: { workspaceId: string; userId: string; actor: string }): Promise<number>;

  /**
   * A one-time setup code for the first owner, or null when the workspace already has people.
   * Only its SHA-256 is stored, so any instance accepts it; it is valid `setupCodeHours`.
   */
  issueSetupCode(workspaceId: string): Promise<string | null>;
  /**
   * Creates the first owner with a setup code and signs them in. Refused once anyone exists, and
   * for a code that is wrong, used or expired; the first success uses up every setup code.
   */
  setUpFirstOwner(input: {
    workspaceId: string;
    code: string;
    email: string;
    name: string;
    password: string;
  }): Promise<{ token: string; user: User }>;
  /** A one-time sign-in link's code for one user (the demo's owner), valid `signInLinkHours`. */
  issueSignInCode(user: User): Promise<string>;
  /** Signs in with a sign-in code, once; refused when it is wrong, used or expired. */
  signInWithCode(code: string): Promise<{ token: string; user: User }>;

  /**
   * Invites an email with a role: returns the token of the one-time link (shown once, only its
   * hash is kept), valid `inviteHours`. A new invite replaces the email's pending one.
   */
  invite(input: {
    workspaceId: string;
    email: string;
    role: Role;
    actor: string;
  }): Promise<{ invite: Invite; token: string }>;
  listInvites(workspaceId: string): Promise<Invite[]>;
  revokeInvite(input: { workspaceId: string; inviteId: string; actor: string }): Promise<Invite>;
  /** What the invite of this token is now (pending, expired, accepted, revoked, unknown). */
  inviteState(token: string): Promise<InviteState>;
  /** The invitee chooses a name and password: creates them with the invite's role, signs them in. */
  acceptInvite(input: { token: string; name: string; password: string }): Promise<{
    token: string;
    user: User;
  }>;

  /** Changes a person's role; the last owner stays an owner. */
  changeRole(input: {
    workspaceId: string;
    userId: string;
    role: Role;
    actor: string;
  }): Promise<User>;
  /** Removes a person and ends their sessions at once; never the last owner. */
  removeUser(input: { workspaceId: string; userId: string; actor: string }): Promise<User>;
  /** Sets someone's password (an owner, or the CLI) and ends all their sessions. */
  resetPassword(input: {
    workspaceId: string;
    userId: string;
    password: string;
    actor: string;
  }): Promise<User>;
  /**
   * A person changes their own password, proving the current one; their other sessions end,
   * the one they use (`keepSessionId`) stays.
   */
  changeOwnPassword(input: {
    workspaceId: string;
    userId: string;
    currentPassword: string;
    newPassword: string;
    keepSessionId: string | null;
  }): Promise<void>;
}

/** The path of an invite's one-time link, under the server's PUBLIC_URL. */
export function inviteLink(publicUrl: string, token: string): string {
  return `${publicUrl}/admin/invites/${encodeURIComponent(token)}`;
}

/** The demo's one-time sign-in link, under the server's PUBLIC_URL. */
export function signInLink(publicUrl: string, code: string): string {
  return `${publicUrl}/admin/sign-in/link?code=${encodeURIComponent(code)}`;
}

/** A setup code a person can read aloud and type: 4 groups of 4 (80 bits), no 0/O or 1/I. */
function newSetupCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) {
    code += alphabet[(bytes[i] ?? 0) % alphabet.length];
    if (i % 4 === 3 && i < 15) code += '-';
  }
  return code;
}

/** Setup codes are compared without spaces, dashes or case, as people type them. */
function normalSetupCode(code: string): string {
  return code.replace(/[\s-]+/g, '').toUpperCase();
}

export function sessionTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Emails are compared trimmed and lower-cased. */
export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function userOf(stored: StoredUser): User {
  return {
    id: stored.id,
    workspaceId: stored.workspaceId,
    email: stored.email,
    name: stored.name,
    role: stored.role,
    createdAt: stored.createdAt,
  };
}

/** How the audit log names a person: their name and email. */
export function personActor(user: Pick<User, 'name' | 'email'>): string {
  return `${user.name} <${user.email}>`;
}

/** A last-seen time is written at most this often, so reading pages does not write every time. */
const touchEveryMs = 60_000;

export const wrongSignIn =
  'That email and password do not match an account here. Check both and try again.';

export function tooManySignIns(minutes: number): AppError {
  return new AppError(
    'rate_limited',
    `Too many sign-in attempts. For safety, signing in is paused for a while: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    { retryAfterMinutes: minutes },
  );
}

const inviteStates = {
  expired: 'This invite link has expired (links last 72 hours). Ask an owner for a new one.',
  accepted: 'This invite link was already used. Sign in with the email and password chosen then.',
  revoked:
    'This invite was withdrawn by an owner. Ask an owner for a new one if you still need access.',
  unknown:
    'This invite link is not known here. Check that it was copied whole, or ask an owner for a new one.',
} as const;

/** Why an invite link no longer works, in the invitee's words. */
export function inviteRefusal(state: Exclude<InviteState['state'], 'pending'>): string {
  return inviteStates[state];
}

export function createUsersService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  sessions: SessionLimits;
}): UsersService {
  const { db, clock, audit, sessions } = deps;

  async function startSession(user: User): Promise<{ token: string }> {
    const token = randomBytes(32).toString('base64url');
    const now = clock();
    const session: StoredSession = {
      id: newId('ses'),
      tokenHash: sessionTokenHash(token),
      workspaceId: user.workspaceId,
      userId: user.id,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + sessions.maxHours * 3_600_000).toISOString(),
      revokedAt: null,
    };
    await insertSession(db, session);
    return { token };
  }

  function checkNewUser(input: { email: string; name: string; role: string; password: string }) {
    const email = normalEmail(input.email);
    const name = input.name.trim();
    const problems = [];
    if (!emailPattern.test(email) || email.length > 320) {
      problems.push({ field: 'email', message: 'needs an email address such as ann@example.com' });
    }
    if (name === '' || name.length > 200) {
      problems.push({ field: 'name', message: 'needs the person’s name, up to 200 characters' });
    }
    if (!isRole(input.role)) {
      problems.push({ field: 'role', message: 'needs owner, admin or viewer' });
    }
    const weak = passwordProblem(input.password);
    if (weak) problems.push({ field: 'password', message: weak });
    if (problems.length > 0) throw AppError.validation(problems);
    return { email, name };
  }

  function emailTaken(email: string): AppError {
    return new AppError('conflict', `${email} already has an account here.`, {
      fields: [{ field: 'email', message: 'already has an account here' }],
    });
  }

  /** Inserts a checked new user and its audit entry, in the caller's transaction. */
  async function addUser(
    trx: Kysely<Database>,
    input: { workspaceId: string; email: string; name: string; role: Role; passwordHash: string },
    actor: string | ((user: User) => string),
  ): Promise<User> {
    if (await findUserByEmail(trx, input.workspaceId, input.email)) throw emailTaken(input.email);
    const at = clock().toISOString();
    const stored: StoredUser = { id: newId('usr'), ...input, createdAt: at, updatedAt: at };
    await insertUser(trx, stored);
    const user = userOf(stored);
    await audit.record(trx, {
      workspaceId: input.workspaceId,
      actor: typeof actor === 'string' ? actor : actor(user),
      action: 'user.created',
      subject: `user:${user.email}`,
      after: { email: user.email, name: user.name, role: user.role },
    });
    return user;
  }

  async function userOfWorkspace(
    executor: Kysely<Database>,
    workspaceId: string,
    userId: string,
  ): Promise<StoredUser> {
    const stored = await findUserById(executor, userId);
    if (!stored || stored.workspaceId !== workspaceId) {
      throw new AppError('not_found', 'That person is not in this workspace (any more).');
    }
    return stored;
  }

  function lastOwner(what: string): AppError {
    return new AppError(
      'conflict',
      `That would leave no owner here, so it was not done: make someone else an owner first, then ${what}.`,
    );
  }

  function inviteOf(stored: StoredInvite): Invite {
    return {
      id: stored.id,
      email: stored.email,
      role: isRole(stored.role) ? stored.role : 'viewer',
      invitedBy: stored.invitedBy,
      createdAt: stored.createdAt,
      expiresAt: stored.expiresAt,
    };
  }

  function stateOf(stored: StoredInvite, now: string): InviteState['state'] {
    if (stored.acceptedAt) return 'accepted';
    if (stored.revokedAt) return 'revoked';
    if (stored.expiresAt <= now) return 'expired';
    return 'pending';
  }

  /** Minutes until a key's window ends, when it is over its limit; null when it may try. */
  async function pausedFor(key: string, limit: number, now: Date): Promise<number | null> {
    const found = await findThrottle(db, key);
    if (!found || found.failures < limit) return null;
    const ends = Date.parse(found.windowStart) + signInLimits.windowMinutes * 60_000;
    if (ends <= now.getTime()) return null;
    return Math.max(1, Math.ceil((ends - now.getTime()) / 60_000));
  }

  return {
    async createUser(input) {
      const { email, name } = checkNewUser(input);
      const passwordHash = await hashPassword(input.password);
      return db
        .transaction()
        .execute((trx) =>
          addUser(
            trx,
            { workspaceId: input.workspaceId, email, name, role: input.role, passwordHash },
            input.actor,
          ),
        );
    },

    async listUsers(workspaceId) {
      return (await listUsers(db, workspaceId)).map(userOf);
    },

    async findUserByEmail(workspaceId, email) {
      const stored = await findUserByEmail(db, workspaceId, normalEmail(email));
      return stored ? userOf(stored) : null;
    },

    async findUser(workspaceId, userId) {
      const stored = await findUserById(db, userId);
      return stored && stored.workspaceId === workspaceId ? userOf(stored) : null;
    },

    countUsers: (workspaceId) => countUsers(db, workspaceId),

    async signIn(input) {
      const email = normalEmail(input.email);
      const ipKey = `ip:${input.ip}`;
      const emailKey = `email:${input.workspaceId}:${email.slice(0, 320)}`;
      const now = clock();
      const paused = Math.max(
        (await pausedFor(ipKey, signInLimits.perIp, now)) ?? 0,
        (await pausedFor(emailKey, signInLimits.perEmail, now)) ?? 0,
      );
      if (paused > 0) throw tooManySignIns(paused);
      const stored = await findUserByEmail(db, input.workspaceId, email);
      let matches = false;
      if (stored) matches = await passwordMatches(stored.passwordHash, input.password);
      else await spendPasswordCheckTime(input.password);
      if (!stored || !matches) {
        const at = now.toISOString();
        const windowFrom = new Date(
          now.getTime() - signInLimits.windowMinutes * 60_000,
        ).toISOString();
        await countFailure(db, ipKey, at, windowFrom);
        await countFailure(db, emailKey, at, windowFrom);
        throw new AppError('unauthorized', wrongSignIn);
      }
      await clearThrottle(db, emailKey);
      const user = userOf(stored);
      return { ...(await startSession(user)), user };
    },

    startSession,

    async authenticate(token) {
      if (token === '' || token.length > 100) return null;
      const session = await findSessionByHash(db, sessionTokenHash(token));
      if (!session || session.revokedAt !== null) return null;
      const now = clock();
      const idleEnds = Date.parse(session.lastSeenAt) + sessions.idleMinutes * 60_000;
      if (now.getTime() >= Date.parse(session.expiresAt) || now.getTime() >= idleEnds) return null;
      const stored = await findUserById(db, session.userId);
      if (!stored) return null;
      if (now.getTime() - Date.parse(session.lastSeenAt) >= touchEveryMs) {
        await touchSession(db, session.id, now.toISOString());
      }
      return { user: userOf(stored), sessionId: session.id };
    },

    async signOut(token) {
      const session = await findSessionByHash(db, sessionTokenHash(token));
      if (session) await revokeSession(db, session.id, clock().toISOString());
    },

    async signOutEverywhere(input) {
      const stored = await userOfWorkspace(db, input.workspaceId, input.userId);
      return db.transaction().execute(async (trx) => {
        const ended = await revokeSessionsOfUser(trx, stored.id, clock().toISOString());
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.signed_out_everywhere',
          subject: `user:${stored.email}`,
          after: { sessionsEnded: ended },
        });
        return ended;
      });
    },

    async issueSetupCode(workspaceId) {
      if ((await countUsers(db, workspaceId)) > 0) return null;
      const code = newSetupCode();
      const now = clock();
      await insertOneTimeCode(db, {
        code_hash: sessionTokenHash(normalSetupCode(code)),
        workspace_id: workspaceId,
        purpose: 'setup',
        user_id: null,
        created_at: now.toISOString(),
        expires_at: new Date(
          now.getTime() + oneTimeLifetimes.setupCodeHours * 3_600_000,
        ).toISOString(),
      });
      return code;
    },

    async setUpFirstOwner(input) {
      if ((await countUsers(db, input.workspaceId)) > 0) throw alreadySetUp();
      const { email, name } = checkNewUser({ ...input, role: 'owner' });
      const codeHash = sessionTokenHash(normalSetupCode(input.code));
      const now = clock().toISOString();
      const found = await findLiveCode(db, codeHash, 'setup', now);
      if (!found || found.workspace_id !== input.workspaceId) throw wrongSetupCode();
      const passwordHash = await hashPassword(input.password);
      const user = await db.transaction().execute(async (trx) => {
        if ((await countUsers(trx, input.workspaceId)) > 0) throw alreadySetUp();
        if (!(await useCode(trx, codeHash, now))) throw wrongSetupCode();
        await useAllSetupCodes(trx, input.workspaceId, now);
        return addUser(
          trx,
          { workspaceId: input.workspaceId, email, name, role: 'owner', passwordHash },
          (made) => personActor(made),
        );
      });
      return { ...(await startSession(user)), user };
    },

    async issueSignInCode(user) {
      const code = randomBytes(24).toString('base64url');
      const now = clock();
      await insertOneTimeCode(db, {
        code_hash: sessionTokenHash(code),
        workspace_id: user.workspaceId,
        purpose: 'sign_in',
        user_id: user.id,
        created_at: now.toISOString(),
        expires_at: new Date(
          now.getTime() + oneTimeLifetimes.signInLinkHours * 3_600_000,
        ).toISOString(),
      });
      return code;
    },

    async signInWithCode(code) {
      const refused = new AppError(
        'unauthorized',
        'This sign-in link is used, expired or not known here. Each link works once; start the demo again for a fresh one, or sign in with a password.',
      );
      if (code === '' || code.length > 100) throw refused;
      const codeHash = sessionTokenHash(code);
      const now = clock().toISOString();
      const found = await findLiveCode(db, codeHash, 'sign_in', now);
      if (!found?.user_id) throw refused;
      const stored = await findUserById(db, found.user_id);
      if (!stored || !(await useCode(db, codeHash, now))) throw refused;
      const user = userOf(stored);
      return { ...(await startSession(user)), user };
    },

    async invite(input) {
      const email = normalEmail(input.email);
      const problems = [];
      if (!emailPattern.test(email) || email.length > 320) {
        problems.push({
          field: 'email',
          message: 'needs an email address such as ann@example.com',
        });
      }
      if (!isRole(input.role))
        problems.push({ field: 'role', message: 'needs owner, admin or viewer' });
      if (problems.length > 0) throw AppError.validation(problems);
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      const stored: StoredInvite = {
        id: newId('inv'),
        tokenHash: sessionTokenHash(token),
        workspaceId: input.workspaceId,
        email,
        role: input.role,
        invitedBy: input.actor,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + oneTimeLifetimes.inviteHours * 3_600_000).toISOString(),
        acceptedAt: null,
        revokedAt: null,
      };
      await db.transaction().execute(async (trx) => {
        if (await findUserByEmail(trx, input.workspaceId, email)) throw emailTaken(email);
        await revokeInvitesOfEmail(trx, input.workspaceId, email, stored.createdAt);
        await insertInvite(trx, stored);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.invited',
          subject: `user:${email}`,
          after: { email, role: input.role, expiresAt: stored.expiresAt },
        });
      });
      return { invite: inviteOf(stored), token };
    },

    async listInvites(workspaceId) {
      return (await listPendingInvites(db, workspaceId, clock().toISOString())).map(inviteOf);
    },

    async revokeInvite(input) {
      const stored = await findInviteById(db, input.workspaceId, input.inviteId);
      if (!stored) throw new AppError('not_found', 'That invite is not known here.');
      const at = clock().toISOString();
      await db.transaction().execute(async (trx) => {
        if (!(await revokeInvite(trx, stored.id, at))) {
          throw new AppError(
            'conflict',
            `The invite for ${stored.email} was already ${stored.acceptedAt ? 'accepted' : 'withdrawn'}.`,
          );
        }
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.invite_revoked',
          subject: `user:${stored.email}`,
          before: { email: stored.email, role: stored.role },
        });
      });
      return inviteOf(stored);
    },

    async inviteState(token) {
      if (token === '' || token.length > 100) return { state: 'unknown' };
      const stored = await findInviteByHash(db, sessionTokenHash(token));
      if (!stored) return { state: 'unknown' };
      const state = stateOf(stored, clock().toISOString());
      return { state, invite: inviteOf(stored) } as InviteState;
    },

    async acceptInvite(input) {
      const stored =
        input.token === '' || input.token.length > 100
          ? undefined
          : await findInviteByHash(db, sessionTokenHash(input.token));
      if (!stored) throw new AppError('not_found', inviteRefusal('unknown'));
      const state = stateOf(stored, clock().toISOString());
      if (state !== 'pending') throw new AppError('conflict', inviteRefusal(state), { state });
      const role = isRole(stored.role) ? stored.role : 'viewer';
      const { email, name } = checkNewUser({ ...input, email: stored.email, role });
      const passwordHash = await hashPassword(input.password);
      const user = await db.transaction().execute(async (trx) => {
        if (!(await acceptInvite(trx, stored.id, clock().toISOString()))) {
          throw new AppError('conflict', inviteRefusal('accepted'), { state: 'accepted' });
        }
        const made = await addUser(
          trx,
          { workspaceId: stored.workspaceId, email, name, role, passwordHash },
          (person) => personActor(person),
        );
        await audit.record(trx, {
          workspaceId: stored.workspaceId,
          actor: personActor(made),
          action: 'user.invite_accepted',
          subject: `user:${email}`,
          after: { role, invitedBy: stored.invitedBy },
        });
        return made;
      });
      return { ...(await startSession(user)), user };
    },

    async changeRole(input) {
      if (!isRole(input.role)) {
        throw AppError.validation([{ field: 'role', message: 'needs owner, admin or viewer' }]);
      }
      return db.transaction().execute(async (trx) => {
        const stored = await userOfWorkspace(trx, input.workspaceId, input.userId);
        if (stored.role === input.role) return userOf(stored);
        if (stored.role === 'owner' && (await countOwners(trx, input.workspaceId)) <= 1) {
          throw lastOwner(`change ${stored.name}’s role`);
        }
        await updateUser(trx, stored.id, { role: input.role, updatedAt: clock().toISOString() });
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.role_changed',
          subject: `user:${stored.email}`,
          before: { role: stored.role },
          after: { role: input.role },
        });
        return { ...userOf(stored), role: input.role };
      });
    },

    async removeUser(input) {
      return db.transaction().execute(async (trx) => {
        const stored = await userOfWorkspace(trx, input.workspaceId, input.userId);
        if (stored.role === 'owner' && (await countOwners(trx, input.workspaceId)) <= 1) {
          throw lastOwner(`remove ${stored.name}`);
        }
        await revokeSessionsOfUser(trx, stored.id, clock().toISOString());
        await deleteUser(trx, stored.id);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.removed',
          subject: `user:${stored.email}`,
          before: { email: stored.email, name: stored.name, role: stored.role },
        });
        return userOf(stored);
      });
    },

    async resetPassword(input) {
      const weak = passwordProblem(input.password);
      if (weak) throw AppError.validation([{ field: 'password', message: weak }]);
      const stored = await userOfWorkspace(db, input.workspaceId, input.userId);
      const passwordHash = await hashPassword(input.password);
      await db.transaction().execute(async (trx) => {
        const at = clock().toISOString();
        await updateUser(trx, stored.id, { passwordHash, updatedAt: at });
        await revokeSessionsOfUser(trx, stored.id, at);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.password_reset',
          subject: `user:${stored.email}`,
        });
      });
      return userOf(stored);
    },

    async changeOwnPassword(input) {
      const stored = await userOfWorkspace(db, input.workspaceId, input.userId);
      const problems = [];
      if (!(await passwordMatches(stored.passwordHash, input.currentPassword))) {
        problems.push({ field: 'currentPassword', message: 'is not your current password' });
      }
      const weak = passwordProblem(input.newPassword);
      if (weak) problems.push({ field: 'newPassword', message: weak });
      if (problems.length > 0) throw AppError.validation(problems);
      const passwordHash = await hashPassword(input.newPassword);
      await db.transaction().execute(async (trx) => {
        const at = clock().toISOString();
        await updateUser(trx, stored.id, { passwordHash, updatedAt: at });
        await revokeOtherSessions(trx, stored.id, input.keepSessionId, at);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: personActor(stored),
          action: 'user.password_changed',
          subject: `user:${stored.email}`,
        });
      });
    },
  };
}

function alreadySetUp(): AppError {
  return new AppError(
    'conflict',
    'This workspace already has its first owner, so setup is closed. Sign in instead.',
    { setup: 'done' },
  );
}

function wrongSetupCode(): AppError {
  return new AppError(
    'unauthorized',
    'That setup code is not right, or was already used or has expired. Copy it again from the server’s output (restart the server for a fresh one).',
    {
      fields: [
        { field: 'code', message: 'is not the code this server printed, or is used or expired' },
      ],
    },
  );
}
