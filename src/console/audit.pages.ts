import type { AuditEntry } from '../audit/audit.service.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import { type ConsoleDependencies, sendPage, visitOf } from './console-app.js';
import { dataTable, errorSummary, formatWhen, textField } from './forms.js';
import { renderConsolePage } from './layout.js';
import { actorCell } from './order-badges.js';

const pageSize = 50;
/** At most this many changed fields are listed per entry; the rest are counted. */
const fieldsShown = 12;

/** What an action code means, in the merchant's words; others are spelled out from the code. */
const actionWords: Record<string, string> = {
  'account.connected': 'Connected a payment gateway',
  'account.updated': 'Changed a payment gateway',
  'account.made_primary': 'Made a payment gateway primary',
  'account.verified': 'Verified a payment gateway',
  'account.keys_replaced': "Replaced a payment gateway's keys",
  'account.removed': 'Removed a payment gateway',
  'account.disconnected': 'Disconnected a payment gateway',
  'routing.applied': 'Saved the routing',
  'payment.refunded': 'Refunded a payment',
  'payment.recorded': 'Recorded a payment',
  'product.created': 'Added a product',
  'product.updated': 'Changed a product',
  'product.deleted': 'Removed a product',
  'funnel.created': 'Added a funnel',
  'funnel.updated': 'Changed a funnel',
  'funnel.deleted': 'Removed a funnel',
  'token.created': 'Created an API token',
  'token.revoked': 'Revoked an API token',
  'user.created': 'Added a person',
  'user.invited': 'Invited a person',
  'user.invite_accepted': 'Accepted an invitation',
  'user.invite_revoked': 'Withdrew an invitation',
  'user.password_changed': 'Changed their password',
  'user.password_reset': "Reset a person's password",
  'user.removed': 'Removed a person',
  'user.role_changed': "Changed a person's role",
  'user.signed_out_everywhere': 'Signed out everywhere',
  'alerts.updated': 'Changed the alerts',
};

function actionText(action: string): string {
  const known = actionWords[action];
  if (known) return known;
  const spelled = action.replace(/[._]+/g, ' ').trim();
  return spelled ? `${spelled[0]?.toUpperCase()}${spelled.slice(1)}` : action;
}

/** Nested values as `modes.test.publishableKey`: one line per leaf a person can compare. */
function flatten(value: unknown, prefix = '', into = new Map<string, unknown>()) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) into.set(prefix, value);
    for (const [key, inner] of entries) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into.set(prefix || 'value', value);
  }
  return into;
}

function valueText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  let text: string;
  if (Array.isArray(value)) {
    // A list of small records (a product's prices) reads as one line per record's values.
    text = value.length
      ? value
          .map((item) =>
            item !== null && typeof item === 'object'
              ? Object.values(item as Record<string, unknown>)
                  .map((inner) =>
                    typeof inner === 'object' ? JSON.stringify(inner) : String(inner),
                  )
                  .join(' ')
              : String(item),
          )
          .join('; ')
      : '(none)';
  } else text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** Before and after as the fields that changed: what was, and what is now. */
function changeCell(entry: AuditEntry): string {
  const before = entry.before === null ? new Map<string, unknown>() : flatten(entry.before);
  const after = entry.after === null ? new Map<string, unknown>() : flatten(entry.after);
  const keys = [...new Set([...before.keys(), ...after.keys()])].filter(
    (key) => JSON.stringify(before.get(key)) !== JSON.stringify(after.get(key)),
  );
  if (keys.length === 0) return '<span class="muted">No details</span>';
  const items = keys.slice(0, fieldsShown).map((key) => {
    const was = before.has(key)
      ? `<del class="diff-del"><span class="visually-hidden">was </span>${escapeHtml(valueText(before.get(key)))}</del>`
      : '';
    const now = after.has(key)
      ? `<ins class="diff-add"><span class="visually-hidden">now </span>${escapeHtml(valueText(after.get(key)))}</ins>`
      : '<span class="muted">removed</span>';
    return `<li><span class="change-field">${escapeHtml(key)}</span> ${was}${was ? ' <span aria-hidden="true">→</span> ' : ''}${now}</li>`;
  });
  const more =
    keys.length > fieldsShown ? `<li class="muted">and ${keys.length - fieldsShown} more</li>` : '';
  return `<ul class="change">${items.join('')}${more}</ul>`;
}

function encodeCursor(entry: AuditEntry): string {
  return Buffer.from(JSON.stringify([entry.at, entry.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } | null {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    return typeof at === 'string' && typeof id === 'string' ? { at, id } : null;
  } catch {
    return null;
  }
}

function auditHref(subject: string, cursor?: string): string {
  const params = new URLSearchParams();
  if (subject) params.set('subject', subject);
  if (cursor) params.set('cursor', cursor);
  const search = params.toString();
  return `/admin/audit${search ? `?${search}` : ''}`;
}

/** The console's audit screen (issue 15): every change, newest first, who made it and what. */
export function registerAuditScreens(app: App, { services }: ConsoleDependencies): void {
  app.get('/admin/audit', async function auditScreen(request, reply) {
    const visit = visitOf(request);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const subject = typeof query.subject === 'string' ? query.subject.trim().slice(0, 200) : '';
    const cursorText = typeof query.cursor === 'string' ? query.cursor.slice(0, 500) : '';
    const before = cursorText ? decodeCursor(cursorText) : null;
    const stale = cursorText !== '' && before === null;
    const entries = await services.audit.list({
      workspaceId: visit.user.workspaceId,
      limit: pageSize + 1,
      ...(subject ? { subject } : {}),
      ...(before ? { before } : {}),
    });
    const page = entries.slice(0, pageSize);
    const last = page.at(-1);
    const next = entries.length > pageSize && last ? encodeCursor(last) : null;
    const table = dataTable({
      caption: 'Changes, newest first',
      headers: ['When', 'Who', 'What', 'Subject', 'Change'],
      rows: page.map((entry) => [
        formatWhen(entry.at),
        actorCell(entry.actor),
        escapeHtml(actionText(entry.action)),
        `<a href="${escapeHtml(auditHref(entry.subject))}"><code>${escapeHtml(entry.subject)}</code></a>`,
        changeCell(entry),
      ]),
      empty: subject
        ? `No change to ${subject} is in the log.`
        : 'No change is in the log yet. Connecting an account, saving the routing or refunding a payment writes one.',
    });
    const paging = [
      cursorText
        ? `<a class="button" href="${escapeHtml(auditHref(subject))}">Newest changes</a>`
        : '',
      next
        ? `<a class="button" rel="next" href="${escapeHtml(auditHref(subject, next))}">Older changes</a>`
        : '',
    ].join('');
    const body = `${stale ? errorSummary('That page of the log is no longer there; here are the newest changes.', null) : ''}
<form method="get" action="/admin/audit" class="panel audit-filter" aria-label="Filter the log">
${textField({ name: 'subject', label: 'Subject', type: 'search', value: subject, hint: 'As the log names it, e.g. account:us, routing or product:course; or choose one in the list.' })}
<div class="buttons"><button type="submit" class="button primary">Show changes</button>${subject ? '<a class="button" href="/admin/audit">Show every change</a>' : ''}</div>
</form>
<p class="muted">Secrets never appear here: keys are masked before a change is logged.</p>
<div class="wide-table audit-table">${table}</div>
${paging ? `<nav class="buttons pager" aria-label="Pages of the log">${paging}</nav>` : ''}`;
    return sendPage(
      reply,
      renderConsolePage({ visit, title: 'Audit log', section: 'audit', body }),
    );
  });
}
