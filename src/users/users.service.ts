import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
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
  revokeSession,
  type StoredSession,
  touchSession,
} from './sessions.repository.js';
import {
  countUsers,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  type StoredUser,
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
  /** How many people the workspace has (none: the first owner is still to be made). */
  countUsers(workspaceId: string): Promise<number>;
  /**
   * Checks an email and password and starts a session. A wrong email and a wrong password get the
   * same answer, in the same time.
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

  return {
    async createUser(input) {
      const email = normalEmail(input.email);
      const name = input.name.trim();
      const problems = [];
      if (!emailPattern.test(email) || email.length > 320) {
        problems.push({
          field: 'email',
          message: 'needs an email address such as ann@example.com',
        });
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
      if (await findUserByEmail(db, input.workspaceId, email)) {
        throw new AppError('conflict', `${email} already has an account here.`, {
          fields: [{ field: 'email', message: 'already has an account here' }],
        });
      }
      const at = clock().toISOString();
      const stored: StoredUser = {
        id: newId('usr'),
        workspaceId: input.workspaceId,
        email,
        name,
        role: input.role,
        passwordHash: await hashPassword(input.password),
        createdAt: at,
        updatedAt: at,
      };
      await db.transaction().execute(async (trx) => {
        await insertUser(trx, stored);
        await audit.record(trx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: 'user.created',
          subject: `user:${email}`,
          after: { email, name, role: stored.role },
        });
      });
      return userOf(stored);
    },

    async listUsers(workspaceId) {
      return (await listUsers(db, workspaceId)).map(userOf);
    },

    countUsers: (workspaceId) => countUsers(db, workspaceId),

    async signIn(input) {
      const stored = await findUserByEmail(db, input.workspaceId, normalEmail(input.email));
      if (!stored) {
        await spendPasswordCheckTime(input.password);
        throw new AppError('unauthorized', wrongSignIn);
      }
      if (!(await passwordMatches(stored.passwordHash, input.password))) {
        throw new AppError('unauthorized', wrongSignIn);
      }
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
  };
}
