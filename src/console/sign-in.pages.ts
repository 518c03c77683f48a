import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { AppError, isAppError } from '../errors.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import type { ConsoleDependencies } from './console-app.js';
import { sendPage } from './console-app.js';
import { csrfField, errorSummary, fieldErrorsOf, textField } from './forms.js';
import { renderWelcomePage } from './layout.js';
import {
  clearSessionCookie,
  csrfTokenMatches,
  csrfTokenOf,
  formSecretOf,
  sessionCookie,
  setSessionCookie,
} from './session-cookie.js';

const signInBody = z.object({
  email: z.string().max(400).default(''),
  password: z.string().max(1000).default(''),
  next: z.string().max(2000).optional(),
  ...csrfField,
});

/** A console path to go on to after sign-in; anything else (another site, `//evil`) is /admin. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/admin') || next.startsWith('//')) {
    return '/admin';
  }
  return /^\/admin(?:[/?#]|$)/.test(next) && !next.startsWith('/admin/sign-') ? next : '/admin';
}

/** The hidden form token of a signed-out browser's form. */
export function formTokenInput(request: FastifyRequest, reply: FastifyReply, secure: boolean) {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(csrfTokenOf(formSecretOf(request, reply, { secure })))}">`;
}

/** Refuses a signed-out form's post that does not carry the browser's form token. */
export function requireFormToken(request: FastifyRequest, given: unknown): void {
  const secret = request.cookies.sy_form ?? '';
  if (!secret || !csrfTokenMatches(secret, given)) {
    throw new AppError(
      'forbidden',
      'This form had no valid security token (it may have been open a long time, or cookies are blocked). Reload the page and try again.',
      { csrf: 'missing' },
    );
  }
}

/** Sign-in and sign-out. */
export function registerSignInScreens(app: App, deps: ConsoleDependencies): void {
  const { services, config } = deps;
  const secure = config.secureCookies;

  async function signInPage(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { email?: string; next?: string; error?: unknown },
    status = 200,
  ) {
    const noOneYet = (await services.users.countUsers(DEFAULT_WORKSPACE_ID)) === 0;
    const errors = fieldErrorsOf(input.error);
    const refused =
      input.error && isAppError(input.error)
        ? errorSummary(input.error.message, errors, { email: 'Email', password: 'Password' })
        : '';
    const first = noOneYet
      ? `<div class="panel"><p><strong>No one can sign in yet.</strong> Create the first owner at <a href="/admin/setup">/admin/setup</a> with the setup code this server printed when it started, or on the server with <code>npx switchyard users create-owner --email you@example.com</code>.</p></div>`
      : '';
    const body = `${first}${refused}<form method="post" action="/admin/sign-in" novalidate>
${formTokenInput(request, reply, secure)}<input type="hidden" name="next" value="${escapeHtml(safeNext(input.next))}">
${textField({ name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: input.email, required: true, error: errors?.email })}
${textField({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, error: errors?.password })}
<button type="submit" class="primary">Sign in</button>
</form>
<p class="hint">Forgot your password? An owner can set a new one for you under People, or on the server with <code>npx switchyard users reset-password --email you@example.com</code>.</p>`;
    return sendPage(reply, renderWelcomePage({ title: 'Sign in to Switchyard', body }), status);
  }

  app.get(
    '/admin/sign-in',
    { schema: { querystring: z.object({ next: z.string().max(2000).optional() }) } },
    async function showSignIn(request, reply) {
      const token = request.cookies[sessionCookie];
      if (token && (await services.users.authenticate(token))) {
        return reply.redirect(safeNext(request.query.next), 303);
      }
      return signInPage(request, reply, { next: request.query.next ?? '/admin' });
    },
  );

  app.post(
    '/admin/sign-in',
    { schema: { body: signInBody } },
    async function signIn(request, reply) {
      const { email, password, next } = request.body;
      requireFormToken(request, request.body._csrf);
      try {
        const { token } = await services.users.signIn({
          workspaceId: DEFAULT_WORKSPACE_ID,
          email,
          password,
          ip: request.ip,
        });
        setSessionCookie(reply, token, { secure });
        return reply.redirect(safeNext(next), 303);
      } catch (error) {
        if (!isAppError(error) || !['unauthorized', 'rate_limited'].includes(error.code))
          throw error;
        const minutes = (error.details as { retryAfterMinutes?: number } | null)?.retryAfterMinutes;
        if (minutes) reply.header('retry-after', String(minutes * 60));
        return signInPage(request, reply, { email, next: next ?? '/admin', error }, error.status);
      }
    },
  );

  app.post(
    '/admin/sign-out',
    { schema: { body: z.object(csrfField) } },
    async function signOut(request, reply) {
      const token = request.cookies[sessionCookie] ?? '';
      if (token && !csrfTokenMatches(token, request.body._csrf)) {
        throw new AppError(
          'forbidden',
          'This form had no valid security token, so you are still signed in. Reload the page and try again.',
          { csrf: 'missing' },
        );
      }
      if (token) await services.users.signOut(token);
      clearSessionCookie(reply, { secure });
      return reply.redirect('/admin/sign-in', 303);
    },
  );
}
