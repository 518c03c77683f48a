import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { type Role, roleAllows } from '../users/roles.js';
import { personActor, type User } from '../users/users.service.js';

/** What the console's screens are given: every service, and the settings they read. */
export interface ConsoleDependencies {
  services: Services;
  config: Config;
}

/** Who is using the console on this request, and the token every change they post must carry. */
export interface ConsoleVisit {
  user: User;
  sessionId: string;
  csrfToken: string;
  /** The one-line message the previous post left for this page ("Saved."), if any. */
  notice: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's session check before any signed-in page runs. */
    consoleVisit: ConsoleVisit | null;
  }
}

/** The visit of a signed-in console page. */
export function visitOf(request: FastifyRequest): ConsoleVisit {
  if (!request.consoleVisit) {
    throw new AppError('unauthorized', 'Sign in to use the console.');
  }
  return request.consoleVisit;
}

const roleNames: Record<Role, string> = {
  owner: 'an owner',
  admin: 'an admin',
  viewer: 'a viewer',
};

/**
 * The visit, when its role may do `what`; otherwise a 403 that says so. Every change a page
 * offers is checked here on the server, whatever the page showed.
 */
export function requireRole(request: FastifyRequest, needed: Role, what: string): ConsoleVisit {
  const visit = visitOf(request);
  if (!roleAllows(visit.user.role, needed)) {
    throw new AppError(
      'forbidden',
      `You are ${roleNames[visit.user.role]} here, and only ${needed === 'owner' ? 'an owner' : 'an owner or an admin'} can ${what}. Ask an owner to change your role if you need to.`,
      { role: visit.user.role, needed },
    );
  }
  return visit;
}

/** How the audit log names the person on this visit. */
export function consoleActor(visit: ConsoleVisit): string {
  return personActor(visit.user);
}

const noticeCookie = 'sy_notice';

/**
 * Post/redirect/get: after a change, the browser goes to `location` (303) and that page shows
 * `notice` once. The notice rides in a short-lived cookie, so a reload does not post again.
 */
export function redirectWithNotice(reply: FastifyReply, location: string, notice: string) {
  // Strict: set on our own post and read on the page it redirects to; it holds no secret.
  reply.setCookie(noticeCookie, encodeURIComponent(notice.slice(0, 300)), {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    maxAge: 60,
  });
  return reply.redirect(location, 303);
}

/** Reads and clears the notice a post left. */
export function takeNotice(request: FastifyRequest, reply: FastifyReply): string | null {
  const value = request.cookies[noticeCookie];
  if (!value) return null;
  reply.clearCookie(noticeCookie, { path: '/admin' });
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

export function sendPage(reply: FastifyReply, html: string, status = 200) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(html);
}
