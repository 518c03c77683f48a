import type { AccountView } from '../accounts/accounts.service.js';
import type { AlertCondition } from '../alerts/alerts.repository.js';
import type { AuditEntry } from '../audit/audit.service.js';
import { formatMoney } from '../catalog/money.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import type { JobRun } from '../jobs/jobs.repository.js';
import type { AccountDay } from '../transactions/transactions.service.js';
import { actorHtml } from './actor-words.js';
import { type ConsoleDependencies, sendPage, visitOf } from './console-app.js';
import { findingBadge, findingPlace, findingScreenLink, findingTitle } from './finding-words.js';
import { badge, dataTable, formatWhen, type Tone } from './forms.js';
import { renderConsolePage } from './layout.js';

/** The job whose runs record doctor's findings for the dashboard (`alert_conditions`). */
const findingsJob = 'alerts';
const recentChanges = 10;

/**
 * `/admin`: today's and this month's sales per account and currency (UTC days), each account's
 * health, the findings the last `alerts` run stored and the latest changes. Nothing here calls
 * Stripe: the page must stay quick however often it is opened.
 */
export function registerDashboardScreens(app: App, { services }: ConsoleDependencies): void {
  app.get('/admin', async function dashboard(request, reply) {
    const visit = visitOf(request);
    const workspaceId = visit.user.workspaceId;
    const now = services.clock();
    const today = now.toISOString().slice(0, 10);
    const monthStart = `${today.slice(0, 7)}-01`;
    const [report, accounts, conditions, runs, changes] = await Promise.all([
      services.transactions.accountsReport(workspaceId, { from: monthStart, to: today }),
      services.accounts.listAccounts(workspaceId),
      services.alerts.openConditions(workspaceId),
      services.jobs.list(workspaceId, { job: findingsJob, limit: 20 }),
      services.audit.list({ workspaceId, limit: recentChanges }),
    ]);
    const body = [
      salesSection(report.days, today, monthStart),
      healthSection(accounts),
      findingsSection(conditions, lastChecked(runs.runs)),
      changesSection(changes),
    ].join('\n');
    return sendPage(
      reply,
      renderConsolePage({ visit, title: 'Dashboard', section: 'dashboard', body }),
    );
  });
}

interface SalesRow {
  account: string;
  mode: string;
  currency: string;
  today: { payments: number; volume: number };
  month: { payments: number; volume: number };
}

function salesRowsOf(days: AccountDay[], today: string): SalesRow[] {
  const rows = new Map<string, SalesRow>();
  for (const day of days) {
    const key = `${day.account}|${day.mode}|${day.currency}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        account: day.account,
        mode: day.mode,
        currency: day.currency,
        today: { payments: 0, volume: 0 },
        month: { payments: 0, volume: 0 },
      };
      rows.set(key, row);
    }
    row.month.payments += day.payments;
    row.month.volume += day.volume;
    if (day.day === today) {
      row.today.payments += day.payments;
      row.today.volume += day.volume;
    }
  }
  // Live sales first: they are the money; test payments follow.
  return [...rows.values()]
    .filter((row) => row.month.payments > 0)
    .sort(
      (a, b) =>
        (a.mode === 'live' ? 0 : 1) - (b.mode === 'live' ? 0 : 1) ||
        a.account.localeCompare(b.account) ||
        a.currency.localeCompare(b.currency),
    );
}

function salesSection(days: AccountDay[], today: string, monthStart: string): string {
  const rows = salesRowsOf(days, today);
  const figures = (sold: { payments: number; volume: number }, currency: string) =>
    `<span class="figure">${escapeHtml(formatMoney(sold.volume, currency))}</span><br><span class="muted">${sold.payments} payment${sold.payments === 1 ? '' : 's'}</span>`;
  const table = dataTable({
    caption: 'Payments and volume per account and currency',
    headers: ['Account', 'Today', 'This month'],
    rows: rows.map((row) => [
      `<a href="/admin/accounts/${encodeURIComponent(row.account)}">${escapeHtml(row.account)}</a> · ${escapeHtml(row.currency.toUpperCase())}${row.mode === 'test' ? ` ${badge('Test', 'muted')}` : ''}`,
      figures(row.today, row.currency),
      figures(row.month, row.currency),
    ]),
    empty: 'No payment has succeeded this month yet.',
  });
  return `<section class="panel ops" aria-labelledby="sales-heading">
<h2 id="sales-heading">Sales</h2>
<p class="muted">Payments that succeeded, by the day they were paid (UTC): today is ${escapeHtml(today)}, this month runs from ${escapeHtml(monthStart)}. Refunds are not taken off. <a href="/admin/transactions">See every transaction</a>.</p>
${table}
</section>`;
}

const healthWords: Record<AccountView['health'], { text: string; tone: Tone }> = {
  healthy: { text: 'Healthy', tone: 'ok' },
  restricted: { text: 'Restricted by Stripe', tone: 'warn' },
  disconnected: { text: 'Disconnected', tone: 'fail' },
};

function healthSection(accounts: AccountView[]): string {
  const table = dataTable({
    caption: 'Health of each payment gateway',
    headers: ['Account', 'Health', 'Payments'],
    rows: accounts.map((account) => {
      const health = healthWords[account.health];
      const taking = !account.enabled
        ? badge('Disabled', 'muted')
        : account.drain
          ? badge('Drained: no new payments', 'warn')
          : account.chargesEnabled
            ? badge('Yes', 'ok')
            : badge('Stripe refuses charges', 'fail');
      return [
        `<a href="/admin/accounts/${encodeURIComponent(account.handle)}">${escapeHtml(account.handle)}</a>${account.label && account.label !== account.handle ? ` <span class="muted">${escapeHtml(account.label)}</span>` : ''}<br><span class="muted">${account.role === 'primary' ? 'Primary' : `Secondary, priority ${account.priority}`}</span>`,
        `${badge(health.text, health.tone)}${account.healthReason ? `<br><span class="muted">${escapeHtml(account.healthReason)}</span>` : ''}`,
        taking,
      ];
    }),
    empty: 'No payment gateway is connected yet.',
  });
  return `<section class="panel ops" aria-labelledby="health-heading">
<h2 id="health-heading">Payment gateways</h2>
${table}
${accounts.length === 0 ? '<p><a class="button primary" href="/admin/accounts">Connect a Stripe account</a></p>' : ''}
</section>`;
}

/** When doctor's findings were last stored, by the latest `alerts` run that finished well. */
function lastChecked(runs: JobRun[]): string | null {
  const done = runs.find((run) => run.outcome === 'ok' && run.finishedAt !== null);
  return done?.finishedAt ?? null;
}

const statusOrder = { fail: 0, warn: 1 } as const;

function findingsSection(conditions: AlertCondition[], checkedAt: string | null): string {
  const sorted = [...conditions].sort(
    (a, b) =>
      statusOrder[a.status] - statusOrder[b.status] ||
      (a.account ?? '').localeCompare(b.account ?? '') ||
      a.code.localeCompare(b.code),
  );
  const checked = checkedAt
    ? `Last checked ${formatWhen(checkedAt)} by the scheduled alerts job.`
    : 'Not checked yet: the scheduled alerts job has not run.';
  const list = sorted.length
    ? `<ul class="findings">${sorted
        .map((condition) => {
          const link = findingScreenLink(condition);
          return `<li>${findingBadge(condition.status)} <strong>${escapeHtml(findingTitle(condition.code))}</strong> <span class="muted">· ${escapeHtml(findingPlace(condition))} · since ${formatWhen(condition.since)}</span><br>${escapeHtml(condition.detail)}${link ? `<br>${link}` : ''}</li>`;
        })
        .join('')}</ul>`
    : `<p class="empty">${checkedAt ? 'No open finding: every check passed at the last check.' : 'No findings recorded yet.'}</p>`;
  return `<section class="panel" aria-labelledby="findings-heading">
<h2 id="findings-heading">Open findings</h2>
<p class="muted">${checked}</p>
${list}
<p><a class="button" href="/admin/doctor?run=all">Run doctor now</a></p>
</section>`;
}

function changesSection(entries: AuditEntry[]): string {
  const list = entries.length
    ? `<ul class="changes">${entries
        .map(
          (entry) =>
            `<li><strong>${escapeHtml(actionWords(entry.action))}</strong> <span class="mono">${escapeHtml(entry.subject)}</span><br><span class="muted">${formatWhen(entry.at)} · by ${actorHtml(entry.actor)}</span></li>`,
        )
        .join('')}</ul>`
    : '<p class="empty">Nothing has changed yet.</p>';
  return `<section class="panel" aria-labelledby="changes-heading">
<h2 id="changes-heading">Recent changes</h2>
${list}
<p><a href="/admin/audit">See the whole audit log</a></p>
</section>`;
}

/** `accounts.primary_changed` → `Accounts: primary changed`. */
function actionWords(action: string): string {
  const [area = '', ...rest] = action.split('.');
  const what = rest.join(' ').replace(/_/g, ' ');
  const title = `${area.charAt(0).toUpperCase()}${area.slice(1)}`;
  return what ? `${title}: ${what}` : title;
}
