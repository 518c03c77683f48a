import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The session cookie: HTTP-only, SameSite=Lax, Secure behind https, only sent to /admin. */
export const sessionCookie = 'sy_session';
/** A random value of a signed-out browser, which the forms before sign-in are tied to. */
export const formCookie = 'sy_form';

export interface CookieSettings {
  secure: boolean;
}

export function setSessionCookie(
  reply: FastifyReply,
  token: string,
  settings: CookieSettings,
): void {
  reply.setCookie(sessionCookie, token, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
  });
}

export function clearSessionCookie(reply: FastifyReply, settings: CookieSettings): void {
  reply.clearCookie(sessionCookie, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
  });
}

/**
 * The CSRF token of a session: an HMAC of its token, so it is never stored, changes with the
 * session, and does not reveal the session token that the page must never hold.
 */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('switchyard-console-csrf').digest('base64url');
}

export function csrfTokenMatches(secret: string, given: unknown): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The form token of a signed-out browser (sign-in, setup, accepting an invite): the cookie is
 * made on the first page view, and a post must carry the HMAC of it (double submit).
 */
export function formSecretOf(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: CookieSettings,
): string {
  const existing = request.cookies[formCookie];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const secret = randomBytes(32).toString('base64url');
  reply.setCookie(formCookie, secret, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    secure: settings.secure,
  });
  return secret;
}
