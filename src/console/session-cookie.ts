import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The session cookie: HTTP-only, Secure behind https, only sent to /admin, and SameSite=Strict: no
 * console flow arrives signed in from another site. Sign-in, invite and one-time links set it on
 * our own form's post, and Stripe's connect callback answers on its own page without the session.
 * A console link followed from another site shows the sign-in page, which then goes on to it.
 */
export const sessionCookie = 'sy_session';
/** A random value of a signed-out browser, which the forms before sign-in are tied to. */
export const formCookie = 'sy_form';

export interface CookieSettings {
  /** PUBLIC_URL is https; a request that came over https (TRUST_PROXY) is Secure as well. */
  secure: boolean;
}

function secureFor(reply: FastifyReply, settings: CookieSettings): boolean {
  return settings.secure || reply.request.protocol === 'https';
}

export function setSessionCookie(
  reply: FastifyReply,
  token: string,
  settings: CookieSettings,
): void {
  reply.setCookie(sessionCookie, token, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    secure: secureFor(reply, settings),
  });
}

export function clearSessionCookie(reply: FastifyReply, settings: CookieSettings): void {
  reply.clearCookie(sessionCookie, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    secure: secureFor(reply, settings),
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
    secure: secureFor(reply, settings),
  });
  return secret;
}
