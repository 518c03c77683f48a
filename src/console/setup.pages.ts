import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { AppError, isAppError } from '../errors.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import { passwordLength } from '../users/passwords.js';
import { roleDescriptions } from '../users/roles.js';
import { inviteRefusal } from '../users/users.service.js';
import { type ConsoleDependencies, sendPage } from './console-app.js';
import { csrfField, errorSummary, type FieldErrors, fieldErrorsOf, textField } from './forms.js';
import { renderWelcomePage } from './layout.js';
import { setSessionCookie } from './session-cookie.js';
import { formTokenInput, requireFormToken } from './sign-in.pages.js';

const passwordHint = `At least ${passwordLength.min} characters; a few words you will remember work well.`;

const labels = {
  code: 'Setup code',
  name: 'Your name',
  email: 'Email',
  password: 'Password',
  passwordAgain: 'Password again',
};

const newPersonBody = z.object({
  code: z.string().max(200).default(''),
  name: z.string().max(400).default(''),
  email: z.string().max(400).default(''),
  password: z.string().max(1000).default(''),
  passwordAgain: z.string().max(1000).default(''),
  ...csrfField,
});
type NewPerson = z.output<typeof newPersonBody>;

/** The two password fields must agree before anything is stored. */
function passwordsDiffer(input: NewPerson): AppError | null {
  if (input.password === input.passwordAgain) return null;
  return AppError.validation([
    { field: 'passwordAgain', message: 'is not the same as the password above; type both again' },
  ]);
}

function passwordFields(errors: FieldErrors | null): string {
  return `${textField({ name: 'password', label: labels.password, type: 'password', autocomplete: 'new-password', hint: passwordHint, required: true, error: errors?.password })}
${textField({ name: 'passwordAgain', label: labels.passwordAgain, type: 'password', autocomplete: 'new-password', required: true, error: errors?.passwordAgain })}`;
}

function refusedSummary(error: unknown): string {
  if (!error || !isAppError(error)) return '';
  const message =
    error.code === 'validation_failed' ? 'Please check the fields marked below.' : error.message;
  return errorSummary(message, fieldErrorsOf(error), labels);
}

/**
 * The console's pages before sign-in besides sign-in itself: first-run setup with the setup
 * code, accepting an invite, and the demo's one-time sign-in link.
 */
export function registerSetupScreens(app: App, { services, config }: ConsoleDependencies): void {
  const secure = config.secureCookies;

  async function setupPage(
    request: FastifyRequest,
    reply: FastifyReply,
    input: Partial<NewPerson> & { error?: unknown },
    status = 200,
  ) {
    if ((await services.users.countUsers(DEFAULT_WORKSPACE_ID)) > 0) {
      const body = `<div class="panel"><p>This workspace already has its first owner, so setup is closed.</p><p><a class="button primary" href="/admin/sign-in">Go to sign-in</a></p><p class="hint">New people join by an invite from an owner (People in the console).</p></div>`;
      return sendPage(reply, renderWelcomePage({ title: 'Setup is done', body }), status);
    }
    const errors = fieldErrorsOf(input.error);
    const body = `<p>Create the first owner of this Switchyard. You need the <strong>setup code</strong> the server printed when it started (look in the terminal or the service’s output, on the line that starts with “Setup code”).</p>
${refusedSummary(input.error)}<form method="post" action="/admin/setup" novalidate>
${formTokenInput(request, reply, secure)}
${textField({ name: 'code', label: labels.code, autocomplete: 'one-time-code', hint: 'Like ABCD-EFGH-JKLM-NPQR; it works once.', value: input.code, required: true, error: errors?.code })}
${textField({ name: 'name', label: labels.name, autocomplete: 'name', value: input.name, required: true, error: errors?.name })}
${textField({ name: 'email', label: labels.email, type: 'email', autocomplete: 'username', value: input.email, required: true, error: errors?.email })}
${passwordFields(errors)}
<button type="submit" class="primary">Create owner and sign in</button>
</form>
<p class="hint">Lost the code? Restart the server for a new one, or on the server run <code>npx switchyard users create-owner --email you@example.com</code>.</p>`;
    return sendPage(reply, renderWelcomePage({ title: 'Set up Switchyard', body }), status);
  }

  app.get('/admin/setup', async function showSetup(request, reply) {
    return setupPage(request, reply, {});
  });

  app.post(
    '/admin/setup',
    { schema: { body: newPersonBody } },
    async function setUp(request, reply) {
      const input = request.body;
      requireFormToken(request, input._csrf);
      try {
        const differ = passwordsDiffer(input);
        if (differ) throw differ;
        const { token } = await services.users.setUpFirstOwner({
          workspaceId: DEFAULT_WORKSPACE_ID,
          code: input.code,
          name: input.name,
          email: input.email,
          password: input.password,
        });
        setSessionCookie(reply, token, { secure });
        return reply.redirect('/admin/users', 303);
      } catch (error) {
        if (!isAppError(error)) throw error;
        return setupPage(request, reply, { ...input, error }, error.status);
      }
    },
  );

  const inviteParams = z.object({ token: z.string().max(200) });

  async function invitePage(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    input: Partial<NewPerson> & { error?: unknown },
    status = 200,
  ) {
    const found = await services.users.inviteState(token);
    if (found.state !== 'pending') {
      const body = `<div class="panel" role="alert"><p>${escapeHtml(inviteRefusal(found.state))}</p><p><a href="/admin/sign-in">Go to sign-in</a></p></div>`;
      const titles = {
        expired: 'This invite has expired',
        accepted: 'This invite was already used',
        revoked: 'This invite was withdrawn',
        unknown: 'Invite not found',
      };
      return sendPage(
        reply,
        renderWelcomePage({ title: titles[found.state], body }),
        status === 200 ? (found.state === 'unknown' ? 404 : 410) : status,
      );
    }
    const { invite } = found;
    const errors = fieldErrorsOf(input.error);
    const body = `<p>You are invited to this Switchyard as <strong>${escapeHtml(invite.role)}</strong> (${escapeHtml(roleDescriptions[invite.role].split(': ')[1] ?? '')}), by ${escapeHtml(invite.invitedBy)}.</p>
<dl class="facts"><dt>Your email</dt><dd>${escapeHtml(invite.email)}</dd></dl>
${refusedSummary(input.error)}<form method="post" action="/admin/invites/${escapeHtml(encodeURIComponent(token))}" novalidate>
${formTokenInput(request, reply, secure)}
<input type="hidden" name="email" value="${escapeHtml(invite.email)}" autocomplete="username">
${textField({ name: 'name', label: labels.name, autocomplete: 'name', value: input.name, required: true, error: errors?.name })}
${passwordFields(errors)}
<button type="submit" class="primary">Join and sign in</button>
</form>`;
    return sendPage(reply, renderWelcomePage({ title: 'Join Switchyard', body }), status);
  }

  app.get(
    '/admin/invites/:token',
    { schema: { params: inviteParams } },
    async function showInvite(request, reply) {
      return invitePage(request, reply, request.params.token, {});
    },
  );

  app.post(
    '/admin/invites/:token',
    { schema: { params: inviteParams, body: newPersonBody } },
    async function acceptInvite(request, reply) {
      const input = request.body;
      requireFormToken(request, input._csrf);
      try {
        const differ = passwordsDiffer(input);
        if (differ) throw differ;
        const { token } = await services.users.acceptInvite({
          token: request.params.token,
          name: input.name,
          password: input.password,
        });
        setSessionCookie(reply, token, { secure });
        return reply.redirect('/admin', 303);
      } catch (error) {
        if (!isAppError(error)) throw error;
        return invitePage(request, reply, request.params.token, { ...input, error }, error.status);
      }
    },
  );

  const linkQuery = z.object({ code: z.string().max(200).default('') });

  // The link only shows a button: a link preview or prefetch must not use up the one sign-in.
  app.get(
    '/admin/sign-in/link',
    { schema: { querystring: linkQuery } },
    async function showSignInLink(request, reply) {
      const body = `<p>This one-time link signs you in to the demo’s console as its owner. It works once.</p>
<form method="post" action="/admin/sign-in/link">
${formTokenInput(request, reply, secure)}<input type="hidden" name="code" value="${escapeHtml(request.query.code)}">
<button type="submit" class="primary">Sign in as the demo owner</button>
</form>`;
      return sendPage(reply, renderWelcomePage({ title: 'Sign in with a link', body }));
    },
  );

  app.post(
    '/admin/sign-in/link',
    {
      schema: {
        body: z.object({
          code: z.string().max(200).default(''),
          ...csrfField,
        }),
      },
    },
    async function signInWithLink(request, reply) {
      requireFormToken(request, request.body._csrf);
      try {
        const { token } = await services.users.signInWithCode(request.body.code);
        setSessionCookie(reply, token, { secure });
        return reply.redirect('/admin', 303);
      } catch (error) {
        if (!isAppError(error) || error.code !== 'unauthorized') throw error;
        const body = `<div class="panel" role="alert"><p>${escapeHtml(error.message)}</p><p><a href="/admin/sign-in">Go to sign-in</a></p></div>`;
        return sendPage(reply, renderWelcomePage({ title: 'This link does not work', body }), 401);
      }
    },
  );
}
