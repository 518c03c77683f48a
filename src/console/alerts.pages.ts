import type { FastifyRequest } from 'fastify';
import type { AlertSettingsChanges, AlertSettingsView } from '../alerts/alert-settings.js';
import { alertSettingsChangesSchema } from '../alerts/alert-settings.js';
import type { ChannelTestResult } from '../alerts/alerts.service.js';
import { parseInput } from '../catalog/catalog.schema.js';
import { isAppError } from '../errors.js';
import type { App } from '../http/app.js';
import { messageFor } from '../http/hints.js';
import { escapeHtml } from '../http/pages.js';
import { roleAllows } from '../users/roles.js';
import { actorHtml } from './actor-words.js';
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
  checkboxField,
  csrfInput,
  errorSummary,
  type FieldErrors,
  fieldErrorsOf,
  formatWhen,
  postButton,
  textareaField,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';

const path = '/admin/settings/alerts';

const labels: Record<string, string> = {
  slackWebhookUrl: 'Slack webhook URL',
  smtpUrl: 'SMTP server',
  emailFrom: 'Sender address',
  emailTo: 'Recipients',
  warnings: 'Send warnings too',
  digest: 'Send a daily digest',
};

/** What the form posted, as typed: secrets are never put back into the page. */
interface AlertsForm {
  emailFrom: string;
  emailTo: string;
  warnings: boolean;
  digest: boolean;
  removeSlack: boolean;
  removeEmail: boolean;
}

/**
 * `/admin/settings/alerts`: the alert channels as the API masks them. Owners change them and send
 * a test message; admins and viewers read only (channels hold secrets: a webhook URL, a password).
 */
export function registerAlertScreens(app: App, { services }: ConsoleDependencies): void {
  app.get(path, async function alertSettings(request, reply) {
    const visit = visitOf(request);
    const view = await services.alerts.showSettings(visit.user.workspaceId);
    return sendPage(reply, alertsPage(visit, view, {}));
  });

  app.post(path, async function saveAlertSettings(request, reply) {
    const visit = requireRole(request, 'owner', 'change the alert channels');
    const workspaceId = visit.user.workspaceId;
    const before = await services.alerts.showSettings(workspaceId);
    const form = formOf(request);
    try {
      const changes = parseInput(alertSettingsChangesSchema, changesOf(request, form, before));
      if (Object.keys(changes).length === 0) {
        return redirectWithNotice(reply, path, 'Nothing changed.');
      }
      await services.alerts.updateSettings(workspaceId, changes, consoleActor(visit));
      return redirectWithNotice(reply, path, 'Alert settings saved.');
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!errors) throw error;
      return sendPage(reply, alertsPage(visit, before, { form, errors: byField(errors) }), 400);
    }
  });

  app.post(`${path}/test`, async function sendTestMessage(request, reply) {
    const visit = requireRole(request, 'owner', 'send a test alert');
    const workspaceId = visit.user.workspaceId;
    const view = await services.alerts.showSettings(workspaceId);
    try {
      const results = await services.alerts.sendTest(workspaceId, consoleActor(visit));
      return sendPage(reply, alertsPage(visit, view, { results }));
    } catch (error) {
      if (!isAppError(error) || error.code !== 'unprocessable') throw error;
      return sendPage(
        reply,
        alertsPage(visit, view, { testProblem: messageFor(error, 'console') }),
        422,
      );
    }
  });
}

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

function formOf(request: FastifyRequest): AlertsForm {
  const body = (request.body ?? {}) as Record<string, unknown>;
  return {
    emailFrom: text(body, 'emailFrom'),
    emailTo: text(body, 'emailTo'),
    warnings: body.warnings !== undefined,
    digest: body.digest !== undefined,
    removeSlack: body.removeSlack !== undefined,
    removeEmail: body.removeEmail !== undefined,
  };
}

/** Only what differs from what is in effect is sent: a blank secret keeps the one stored. */
function changesOf(
  request: FastifyRequest,
  form: AlertsForm,
  before: AlertSettingsView,
): Record<string, unknown> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  const slack = text(body, 'slackWebhookUrl');
  if (form.removeSlack) changes.slackWebhookUrl = null;
  else if (slack !== '') changes.slackWebhookUrl = slack;
  if (form.removeEmail) {
    changes.smtpUrl = null;
    changes.emailFrom = null;
    changes.emailTo = null;
  } else {
    const smtp = text(body, 'smtpUrl');
    if (smtp !== '') changes.smtpUrl = smtp;
    if (form.emailFrom !== (before.email.from ?? '')) changes.emailFrom = form.emailFrom || null;
    const recipients = form.emailTo.split(/[\s,;]+/).filter(Boolean);
    if (recipients.join(',') !== before.email.to.join(',')) {
      changes.emailTo = recipients.length ? recipients : null;
    }
  }
  if (form.warnings !== before.warnings) changes.warnings = form.warnings;
  if (form.digest !== before.digest) changes.digest = form.digest;
  return changes satisfies Partial<Record<keyof AlertSettingsChanges, unknown>>;
}

/** `emailTo[1]` → `emailTo`: the form has one field for every recipient. */
function byField(errors: FieldErrors): FieldErrors {
  const fields: FieldErrors = {};
  for (const [field, problem] of Object.entries(errors)) {
    const name = field.split(/[.[]/)[0] ?? field;
    const words = problem.replace(/^needs/, 'Needs');
    fields[name] ??= /^[A-Z]/.test(words) ? words : `Needs ${words}`;
  }
  return fields;
}

const sourceWords = { stored: 'set here', environment: 'from the server environment' } as const;

function alertsPage(
  visit: ConsoleVisit,
  view: AlertSettingsView,
  state: {
    form?: AlertsForm;
    errors?: FieldErrors;
    results?: ChannelTestResult[];
    testProblem?: string;
  },
): string {
  const owner = roleAllows(visit.user.role, 'owner');
  const body = [
    state.results ? resultsHtml(state.results) : '',
    state.testProblem
      ? `<div class="error-summary" role="alert"><p><strong>${escapeHtml(state.testProblem)}</strong></p></div>`
      : '',
    channelsHtml(view),
    owner
      ? formHtml(visit, view, state.form, state.errors ?? null)
      : '<p class="panel muted">Only an owner can change the alert channels or send a test message: they hold secrets (a webhook address, a mail password).</p>',
  ].join('\n');
  return renderConsolePage({
    visit,
    title: 'Alerts',
    section: 'alerts',
    body,
    ...(owner
      ? {
          actions: postButton({
            action: `${path}/test`,
            label: 'Send a test message',
            visit,
            tone: 'secondary',
          }),
        }
      : {}),
  });
}

function resultsHtml(results: ChannelTestResult[]): string {
  const names = { slack: 'Slack', email: 'Email' } as const;
  return `<section class="panel test-results" role="status" aria-labelledby="test-heading">
<h2 id="test-heading">Test message</h2>
<ul>${results
    .map(
      (result) =>
        `<li><strong>${names[result.channel]}</strong>: ${result.delivered ? badge('Delivered', 'ok') : badge('Not delivered', 'fail')} ${result.delivered ? '' : escapeHtml(result.detail)}</li>`,
    )
    .join('')}</ul>
</section>`;
}

function channelsHtml(view: AlertSettingsView): string {
  const source = (value: keyof typeof sourceWords | null) =>
    value ? ` <span class="muted">(${sourceWords[value]})</span>` : '';
  const onOff = (on: boolean) => (on ? badge('On', 'ok') : badge('Off', 'muted'));
  const missing = view.email.missing.map((field) => labels[field] ?? field);
  return `<section class="panel" aria-labelledby="channels-heading">
<h2 id="channels-heading">Where alerts go</h2>
<dl class="facts">
<dt>Slack</dt><dd>${view.slack.webhookUrl ? `<code>${escapeHtml(view.slack.webhookUrl)}</code>${source(view.slack.source)}` : 'Not set'}</dd>
<dt>Email server</dt><dd>${view.email.smtpUrl ? `<code>${escapeHtml(view.email.smtpUrl)}</code>${source(view.email.source)}` : 'Not set'}</dd>
<dt>Sender</dt><dd>${view.email.from ? escapeHtml(view.email.from) : 'Not set'}</dd>
<dt>Recipients</dt><dd>${view.email.to.length ? escapeHtml(view.email.to.join(', ')) : 'Not set'}</dd>
<dt>Warnings</dt><dd>${onOff(view.warnings)} <span class="muted">failures are always sent</span></dd>
<dt>Daily digest</dt><dd>${onOff(view.digest)}</dd>
<dt>Last changed</dt><dd>${view.updatedAt ? `${formatWhen(view.updatedAt)} by ${actorHtml(view.updatedBy ?? 'someone')}` : 'Never here'}</dd>
</dl>
${missing.length ? `<p>${badge('Email cannot send yet', 'warn')} It still needs: ${escapeHtml(missing.join(', '))}.</p>` : ''}
</section>`;
}

function formHtml(
  visit: ConsoleVisit,
  view: AlertSettingsView,
  form: AlertsForm | undefined,
  errors: FieldErrors | null,
): string {
  const error = (name: string) => (errors?.[name] ? { error: errors[name] } : {});
  return `<form method="post" action="${path}" class="panel alerts-form" novalidate>
<h2>Change the channels</h2>
${csrfInput(visit)}
${errors ? errorSummary('The alert settings were not saved. Check the fields marked below.', errors, labels) : ''}
<fieldset><legend>Slack</legend>
${textField({
  name: 'slackWebhookUrl',
  label: labels.slackWebhookUrl ?? '',
  type: 'password',
  autocomplete: 'off',
  hint: view.slack.webhookUrl
    ? 'Leave empty to keep the one set. An incoming webhook from Slack, or any Slack-compatible chat.'
    : 'An incoming webhook from Slack (https://hooks.slack.com/services/…), or any Slack-compatible chat.',
  ...error('slackWebhookUrl'),
})}
${view.slack.source === 'stored' ? checkboxField({ name: 'removeSlack', label: 'Stop sending to Slack', checked: form?.removeSlack ?? false }) : ''}
</fieldset>
<fieldset><legend>Email</legend>
${textField({
  name: 'smtpUrl',
  label: labels.smtpUrl ?? '',
  type: 'password',
  autocomplete: 'off',
  hint: view.email.smtpUrl
    ? 'Leave empty to keep the one set. smtp://user:password@host:port, or smtps://… for TLS.'
    : 'smtp://user:password@host:port, or smtps://… for TLS.',
  ...error('smtpUrl'),
})}
${textField({ name: 'emailFrom', label: labels.emailFrom ?? '', type: 'email', value: form ? form.emailFrom : (view.email.from ?? ''), ...error('emailFrom') })}
${textareaField({ name: 'emailTo', label: labels.emailTo ?? '', rows: 2, hint: 'One or more addresses, separated by commas.', value: form ? form.emailTo : view.email.to.join(', '), ...error('emailTo') })}
${view.email.source === 'stored' ? checkboxField({ name: 'removeEmail', label: 'Stop sending email', checked: form?.removeEmail ?? false }) : ''}
</fieldset>
<fieldset><legend>What is sent</legend>
${checkboxField({ name: 'warnings', label: labels.warnings ?? '', hint: 'Failures are always sent; warnings (a key getting old, a slow webhook) only when this is on.', checked: form ? form.warnings : view.warnings, ...error('warnings') })}
${checkboxField({ name: 'digest', label: labels.digest ?? '', hint: "Once a day: the day's changes and the findings still open.", checked: form ? form.digest : view.digest, ...error('digest') })}
</fieldset>
<button type="submit" class="button primary">Save alert settings</button>
</form>`;
}
