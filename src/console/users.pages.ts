import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, isAppError } from '../errors.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import { passwordLength } from '../users/passwords.js';
import { type Role, roleDescriptions, roles } from '../users/roles.js';
import { inviteLink, type User } from '../users/users.service.js';
import {
  type ConsoleDependencies,
  type ConsoleVisit,
  consoleActor,
  redirectWithNotice,
  requireRole,
  sendPage,
  visitOf,
} from './console-app.js';
import {
  badge,
  csrfField,
  csrfInput,
  dataTable,
  errorSummary,
  type FieldErrors,
  fieldErrorsOf,
  formatWhen,
  postButton,
  selectField,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';
import { clearSessionCookie } from './session-cookie.js';

const roleOptions = roles.map((role) => ({ value: role, label: roleDescriptions[role] }));
const roleTone: Record<Role, 'info' | 'ok' | 'muted'> = {
  owner: 'info',
  admin: 'ok',
  viewer: 'muted',
};
const passwordHint = `At least ${passwordLength.min} characters; a few words you will remember work well.`;

const idParams = z.object({ id: z.string().min(1).max(60) });
const csrfOnly = z.object(csrfField);
const inviteBody = z.object({
  email: z.string().max(400).default(''),
  role: z.string().max(20).default('viewer'),
  ...csrfField,
});
const roleBody = z.object({
  role: z.string().max(20).default(''),
  ...csrfField,
});
const newPasswordBody = z.object({
  currentPassword: z.string().max(1000).default(''),
  newPassword: z.string().max(1000).default(''),
  newPasswordAgain: z.string().max(1000).default(''),
  ...csrfField,
});

/** The two new-password fields must agree before anything is stored. */
function checkSamePassword(input: { newPassword: string; newPasswordAgain: string }): void {
  if (input.newPassword !== input.newPasswordAgain) {
    throw AppError.validation([
      {
        field: 'newPasswordAgain',
        message: 'is not the same as the new password; type both again',
      },
    ]);
  }
}

function summaryOf(error: unknown, labels: Record<string, string>): string {
  if (!error || !isAppError(error)) return '';
  const message =
    error.code === 'validation_failed' ? 'Please check the fields marked below.' : error.message;
  return errorSummary(message, fieldErrorsOf(error), labels);
}

function newPasswordFields(errors: FieldErrors | null): string {
  return `${textField({ name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password', hint: passwordHint, required: true, error: errors?.newPassword })}
${textField({ name: 'newPasswordAgain', label: 'New password again', type: 'password', autocomplete: 'new-password', required: true, error: errors?.newPasswordAgain })}`;
}

/** People (/admin/users): who is here with which role, invites, and each person's own password. */
export function registerUserScreens(app: App, { services, config }: ConsoleDependencies): void {
  async function personOf(visit: ConsoleVisit, id: string): Promise<User> {
    const person = await services.users.findUser(visit.user.workspaceId, id);
    if (!person) throw new AppError('not_found', 'That person is not here (any more).');
    return person;
  }

  function roleForm(visit: ConsoleVisit, person: User): string {
    const id = `role-${person.id}`;
    const options = roles
      .map(
        (role) =>
          `<option value="${role}"${role === person.role ? ' selected' : ''}>${escapeHtml(role)}</option>`,
      )
      .join('');
    return `<form method="post" action="/admin/users/${escapeHtml(person.id)}/role" class="role-form">${csrfInput(visit)}<label class="visually-hidden" for="${id}">Role of ${escapeHtml(person.name)}</label><select id="${id}" name="role">${options}</select><button type="submit" class="button secondary">Change<span class="visually-hidden"> ${escapeHtml(person.name)}’s role</span></button></form>`;
  }

  async function peoplePage(
    request: FastifyRequest,
    reply: FastifyReply,
    input: {
      invite?: { email?: string; role?: string; error?: unknown };
      link?: { email: string; url: string; expiresAt: string };
    } = {},
    status = 200,
  ) {
    const visit = visitOf(request);
    const owner = visit.user.role === 'owner';
    const [people, invites] = await Promise.all([
      services.users.listUsers(visit.user.workspaceId),
      services.users.listInvites(visit.user.workspaceId),
    ]);
    const rows = people.map((person) => {
      const me = person.id === visit.user.id;
      const name = `${escapeHtml(person.name)}${me ? ` ${badge('you', 'muted')}` : ''}`;
      const role = owner ? roleForm(visit, person) : badge(person.role, roleTone[person.role]);
      const actions = me
        ? `<a href="/admin/users/me">Your password</a>`
        : owner
          ? `<div class="row-actions"><a href="/admin/users/${escapeHtml(person.id)}/password">Reset password<span class="visually-hidden"> of ${escapeHtml(person.name)}</span></a> <a href="/admin/users/${escapeHtml(person.id)}/remove">Remove<span class="visually-hidden"> ${escapeHtml(person.name)}</span></a></div>`
          : '';
      return [name, escapeHtml(person.email), role, formatWhen(person.createdAt), actions];
    });
    const table = dataTable({
      caption: 'People with access to this console',
      headers: ['Name', 'Email', 'Role', 'Joined', ''],
      rows,
      empty: 'No one yet.',
    });
    const link = input.link
      ? `<div class="panel invite-link" role="status"><h2>Invite link for ${escapeHtml(input.link.email)}</h2><p>Send this link to them yourself (email or chat). It works once, until ${formatWhen(input.link.expiresAt)}. <strong>It is shown only now</strong>: copy it before you leave this page.</p><p><label for="invite-url">Invite link</label><input id="invite-url" type="text" readonly value="${escapeHtml(input.link.url)}"></p></div>`
      : '';
    const errors = fieldErrorsOf(input.invite?.error);
    const inviteForm = owner
      ? `<section class="panel" aria-labelledby="invite-heading"><h2 id="invite-heading">Invite someone</h2>
${summaryOf(input.invite?.error, { email: 'Email', role: 'Role' })}<form method="post" action="/admin/users/invites" novalidate>${csrfInput(visit)}
${textField({ name: 'email', label: 'Email', type: 'email', autocomplete: 'off', value: input.invite?.email, required: true, error: errors?.email })}
${selectField({ name: 'role', label: 'Role', options: roleOptions, value: input.invite?.role ?? 'viewer', error: errors?.role })}
<button type="submit" class="primary">Create invite link</button>
<p class="hint">You get a link to send; it lasts 72 hours and works once. The person chooses their own name and password.</p>
</form></section>`
      : `<p class="muted">Only an owner can invite people, change roles or remove someone.</p>`;
    const inviteRows = invites.map((invite) => [
      escapeHtml(invite.email),
      badge(invite.role, roleTone[invite.role]),
      escapeHtml(invite.invitedBy),
      formatWhen(invite.expiresAt),
      owner
        ? postButton({
            action: `/admin/users/invites/${invite.id}/revoke`,
            label: 'Withdraw',
            context: `the invite for ${invite.email}`,
            visit,
          })
        : '',
    ]);
    const pending = `<section aria-labelledby="invites-heading"><h2 id="invites-heading">Invites waiting</h2>${dataTable(
      {
        caption: 'Invites not yet accepted',
        headers: ['Email', 'Role', 'Invited by', 'Link works until', ''],
        rows: inviteRows,
        empty: 'No invites are waiting.',
      },
    )}</section>`;
    const rolesNote = `<details class="panel"><summary>What each role may do</summary><ul>${roles.map((role) => `<li>${escapeHtml(roleDescriptions[role])}</li>`).join('')}</ul></details>`;
    const body = `${link}<div class="people-list">${table}</div>${inviteForm}<div class="people-list">${pending}</div>${rolesNote}`;
    return sendPage(
      reply,
      renderConsolePage({
        visit,
        title: 'People',
        section: 'users',
        body,
        actions: '<a class="button" href="/admin/users/me">Your password</a>',
      }),
      status,
    );
  }

  app.get('/admin/users', async function showPeople(request, reply) {
    return peoplePage(request, reply);
  });

  app.post(
    '/admin/users/invites',
    { schema: { body: inviteBody } },
    async function invite(request, reply) {
      const visit = requireRole(request, 'owner', 'invite people');
      const { email, role } = request.body;
      try {
        const made = await services.users.invite({
          workspaceId: visit.user.workspaceId,
          email,
          role: role as Role,
          actor: consoleActor(visit),
        });
        return peoplePage(request, reply, {
          link: {
            email: made.invite.email,
            url: inviteLink(config.publicUrl, made.token),
            expiresAt: made.invite.expiresAt,
          },
        });
      } catch (error) {
        if (!isAppError(error) || !['validation_failed', 'conflict'].includes(error.code))
          throw error;
        return peoplePage(request, reply, { invite: { email, role, error } }, error.status);
      }
    },
  );

  app.post(
    '/admin/users/invites/:id/revoke',
    { schema: { params: idParams, body: csrfOnly } },
    async function revokeInvite(request, reply) {
      const visit = requireRole(request, 'owner', 'withdraw invites');
      const invite = await services.users.revokeInvite({
        workspaceId: visit.user.workspaceId,
        inviteId: request.params.id,
        actor: consoleActor(visit),
      });
      return redirectWithNotice(
        reply,
        '/admin/users',
        `Withdrew the invite for ${invite.email}; its link no longer works.`,
      );
    },
  );

  app.post(
    '/admin/users/:id/role',
    { schema: { params: idParams, body: roleBody } },
    async function changeRole(request, reply) {
      const visit = requireRole(request, 'owner', 'change roles');
      const person = await services.users.changeRole({
        workspaceId: visit.user.workspaceId,
        userId: request.params.id,
        role: request.body.role as Role,
        actor: consoleActor(visit),
      });
      return redirectWithNotice(reply, '/admin/users', `${person.name} is now ${person.role}.`);
    },
  );

  app.get(
    '/admin/users/:id/remove',
    { schema: { params: idParams } },
    async function confirmRemove(request, reply) {
      const visit = requireRole(request, 'owner', 'remove people');
      const person = await personOf(visit, request.params.id);
      const body = `<div class="panel"><p>Remove <strong>${escapeHtml(person.name)}</strong> (${escapeHtml(person.email)}, ${escapeHtml(person.role)})? They are signed out everywhere at once and can no longer sign in. What they changed stays in the audit log.</p>
<div class="buttons">${postButton({ action: `/admin/users/${person.id}/remove`, label: `Remove ${person.name}`, tone: 'danger', visit })}<a class="button" href="/admin/users">Cancel</a></div></div>`;
      return sendPage(
        reply,
        renderConsolePage({
          visit,
          title: `Remove ${person.name}?`,
          section: 'users',
          body,
          breadcrumbs: [{ href: '/admin/users', label: 'People' }],
        }),
      );
    },
  );

  app.post(
    '/admin/users/:id/remove',
    { schema: { params: idParams, body: csrfOnly } },
    async function removePerson(request, reply) {
      const visit = requireRole(request, 'owner', 'remove people');
      if (request.params.id === visit.user.id) {
        throw new AppError(
          'conflict',
          'You cannot remove yourself here; ask another owner to do it.',
        );
      }
      const person = await services.users.removeUser({
        workspaceId: visit.user.workspaceId,
        userId: request.params.id,
        actor: consoleActor(visit),
      });
      return redirectWithNotice(
        reply,
        '/admin/users',
        `Removed ${person.name}; their sessions have ended.`,
      );
    },
  );

  async function resetPage(
    request: FastifyRequest,
    reply: FastifyReply,
    person: User,
    error?: unknown,
  ) {
    const visit = visitOf(request);
    const errors = fieldErrorsOf(error);
    const body = `<p>Set a new password for <strong>${escapeHtml(person.name)}</strong> (${escapeHtml(person.email)}). They are signed out everywhere; tell them the new password in person or another safe way, and ask them to change it under “Your password”.</p>
${summaryOf(error, { newPassword: 'New password', newPasswordAgain: 'New password again' })}<form method="post" action="/admin/users/${escapeHtml(person.id)}/password" novalidate class="panel">${csrfInput(visit)}
${newPasswordFields(errors)}
<div class="buttons"><button type="submit" class="primary">Set new password</button><a class="button" href="/admin/users">Cancel</a></div>
</form>`;
    return sendPage(
      reply,
      renderConsolePage({
        visit,
        title: `New password for ${person.name}`,
        section: 'users',
        body,
        breadcrumbs: [{ href: '/admin/users', label: 'People' }],
      }),
      isAppError(error) ? error.status : 200,
    );
  }

  app.get(
    '/admin/users/:id/password',
    { schema: { params: idParams } },
    async function showReset(request, reply) {
      const visit = requireRole(request, 'owner', 'set someone’s password');
      return resetPage(request, reply, await personOf(visit, request.params.id));
    },
  );

  app.post(
    '/admin/users/:id/password',
    { schema: { params: idParams, body: newPasswordBody } },
    async function resetPassword(request, reply) {
      const visit = requireRole(request, 'owner', 'set someone’s password');
      const person = await personOf(visit, request.params.id);
      try {
        checkSamePassword(request.body);
        await services.users.resetPassword({
          workspaceId: visit.user.workspaceId,
          userId: person.id,
          password: request.body.newPassword,
          actor: consoleActor(visit),
        });
      } catch (error) {
        if (!isAppError(error) || error.code !== 'validation_failed') throw error;
        // The service names the field `password`; this form calls it `newPassword`.
        const fields = fieldErrorsOf(error) ?? {};
        const renamed = AppError.validation(
          Object.entries(fields).map(([field, message]) => ({
            field: field === 'password' ? 'newPassword' : field,
            message,
          })),
        );
        return resetPage(request, reply, person, renamed);
      }
      return redirectWithNotice(
        reply,
        '/admin/users',
        `New password set for ${person.name}; they were signed out everywhere.`,
      );
    },
  );

  async function ownPage(request: FastifyRequest, reply: FastifyReply, error?: unknown) {
    const visit = visitOf(request);
    const errors = fieldErrorsOf(error);
    const labels = {
      currentPassword: 'Current password',
      newPassword: 'New password',
      newPasswordAgain: 'New password again',
    };
    const body = `<dl class="facts"><dt>Name</dt><dd>${escapeHtml(visit.user.name)}</dd><dt>Email</dt><dd>${escapeHtml(visit.user.email)}</dd><dt>Role</dt><dd>${escapeHtml(roleDescriptions[visit.user.role])}</dd></dl>
<section class="panel" aria-labelledby="password-heading"><h2 id="password-heading">Change your password</h2>
${summaryOf(error, labels)}<form method="post" action="/admin/users/me/password" novalidate>${csrfInput(visit)}
<input type="hidden" name="email" value="${escapeHtml(visit.user.email)}" autocomplete="username">
${textField({ name: 'currentPassword', label: labels.currentPassword, type: 'password', autocomplete: 'current-password', required: true, error: errors?.currentPassword })}
${newPasswordFields(errors)}
<button type="submit" class="primary">Change password</button>
<p class="hint">You stay signed in here; every other browser or device you used is signed out.</p>
</form></section>
<section class="panel" aria-labelledby="everywhere-heading"><h2 id="everywhere-heading">Sign out everywhere</h2>
<p>Ends every session of yours, on every device, including this one. Use it if you signed in on a computer you no longer use, or lost a phone.</p>
${postButton({ action: '/admin/users/me/sign-out-everywhere', label: 'Sign out everywhere', tone: 'danger', visit })}</section>`;
    return sendPage(
      reply,
      renderConsolePage({
        visit,
        title: 'Your password',
        section: 'users',
        body,
        breadcrumbs: [{ href: '/admin/users', label: 'People' }],
      }),
      isAppError(error) ? error.status : 200,
    );
  }

  app.get('/admin/users/me', async function showOwn(request, reply) {
    return ownPage(request, reply);
  });

  app.post(
    '/admin/users/me/password',
    { schema: { body: newPasswordBody } },
    async function changeOwn(request, reply) {
      const visit = requireRole(request, 'viewer', 'change your password');
      try {
        checkSamePassword(request.body);
        await services.users.changeOwnPassword({
          workspaceId: visit.user.workspaceId,
          userId: visit.user.id,
          currentPassword: request.body.currentPassword,
          newPassword: request.body.newPassword,
          keepSessionId: visit.sessionId,
        });
      } catch (error) {
        if (!isAppError(error) || error.code !== 'validation_failed') throw error;
        return ownPage(request, reply, error);
      }
      return redirectWithNotice(
        reply,
        '/admin/users/me',
        'Password changed. Every other session of yours has ended.',
      );
    },
  );

  app.post(
    '/admin/users/me/sign-out-everywhere',
    { schema: { body: csrfOnly } },
    async function signOutEverywhere(request, reply) {
      const visit = requireRole(request, 'viewer', 'sign out');
      await services.users.signOutEverywhere({
        workspaceId: visit.user.workspaceId,
        userId: visit.user.id,
        actor: consoleActor(visit),
      });
      clearSessionCookie(reply, { secure: config.secureCookies });
      return reply.redirect('/admin/sign-in', 303);
    },
  );
}
