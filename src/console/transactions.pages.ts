import { parseInput } from '../catalog/catalog.schema.js';
import { formatMoney } from '../catalog/money.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import {
  type TransactionOutcome,
  transactionFilters,
  transactionKinds,
  transactionOutcomes,
  transactionQuery,
} from '../transactions/transactions.schema.js';
import type { TransactionPage, TransactionView } from '../transactions/transactions.service.js';
import { type ConsoleDependencies, sendPage, visitOf } from './console-app.js';
import {
  badge,
  dataTable,
  errorSummary,
  type FieldErrors,
  fieldErrorsOf,
  formatWhen,
  selectField,
  type Tone,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';

/** The filters as the form names them: the API's query fields. */
const filterNames = [
  'account',
  'outcome',
  'kind',
  'error',
  'funnel',
  'mode',
  'from',
  'to',
] as const;
type FilterName = (typeof filterNames)[number];
type FilterValues = Partial<Record<FilterName, string>>;

/** Paging: where the page starts, and how many it shows (50 unless the address says). */
type Paging = { cursor?: string; limit?: string };

const labels: Record<FilterName | keyof Paging, string> = {
  account: 'Account',
  outcome: 'Outcome',
  kind: 'Kind',
  error: 'Error or decline code',
  funnel: 'Funnel',
  mode: 'Mode',
  from: 'From (day, UTC)',
  to: 'Until (day, UTC, included)',
  cursor: 'Page',
  limit: 'Entries a page',
};

const outcomeWords: Record<TransactionOutcome, { text: string; tone: Tone }> = {
  pending: { text: 'Waiting for Stripe', tone: 'info' },
  created: { text: 'Card form shown', tone: 'muted' },
  succeeded: { text: 'Succeeded', tone: 'ok' },
  declined: { text: 'Declined', tone: 'fail' },
  authentication_failed: { text: '3-D Secure failed', tone: 'fail' },
  failed: { text: 'Failed', tone: 'fail' },
  unsure: { text: 'Unsure: check at Stripe', tone: 'warn' },
  canceled: { text: 'Canceled', tone: 'muted' },
};

const entryWords = { attempt: 'Attempt', charge: 'Charge', refund: 'Refund' } as const;

/** What the form filled in, each given filter as typed. */
function filterValuesOf(query: unknown): FilterValues & Paging {
  const given = (query ?? {}) as Record<string, unknown>;
  const values: FilterValues & Paging = {};
  for (const name of [...filterNames, 'cursor', 'limit'] as const) {
    const value = given[name];
    if (typeof value === 'string' && value.trim() !== '') values[name] = value.trim();
  }
  return values;
}

const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/** The API's filters: "until" a day includes that day, so the log's `to` is the next midnight. */
function apiFiltersOf(values: FilterValues & Paging): Record<string, string> {
  const filters: Record<string, string> = { ...values };
  if (values.to !== undefined && isoDay.test(values.to)) {
    const next = new Date(Date.parse(`${values.to}T00:00:00Z`) + 86_400_000);
    if (!Number.isNaN(next.getTime())) filters.to = next.toISOString();
  }
  return filters;
}

function searchOf(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * `/admin/transactions`: the transaction log with the API's filters and cursor paging, and
 * `/admin/transactions.csv`, the same CSV as `GET /api/transactions.csv`, for the signed-in.
 */
export function registerTransactionScreens(app: App, { services }: ConsoleDependencies): void {
  app.get('/admin/transactions', async function transactionLog(request, reply) {
    const visit = visitOf(request);
    const workspaceId = visit.user.workspaceId;
    const values = filterValuesOf(request.query);
    const accounts = await services.accounts.listAccounts(workspaceId);
    let page: TransactionPage | null = null;
    let errors: FieldErrors | null = null;
    try {
      const query = parseInput(transactionQuery, apiFiltersOf(values));
      page = await services.transactions.listTransactions(workspaceId, query);
    } catch (error) {
      errors = fieldErrorsOf(error);
      if (!errors) throw error;
      errors = inWords(errors);
    }
    const { cursor: _cursor, limit, ...filters } = values;
    const body = [
      errors
        ? errorSummary(
            'Those filters could not be used. Check the fields marked below.',
            errors,
            labels,
          )
        : '',
      filterForm(
        filters,
        errors,
        accounts.map((account) => account.handle),
      ),
      page ? logHtml(page, filters, limit, values.cursor !== undefined) : '',
    ].join('\n');
    return sendPage(
      reply,
      renderConsolePage({ visit, title: 'Transactions', section: 'transactions', body }),
      errors ? 400 : 200,
    );
  });

  app.get('/admin/transactions.csv', async function transactionsCsv(request, reply) {
    const visit = visitOf(request);
    const { cursor: _cursor, limit: _limit, ...values } = filterValuesOf(request.query);
    const filters = parseInput(transactionFilters, apiFiltersOf(values));
    const csv = await services.transactions.exportCsv(visit.user.workspaceId, filters);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="transactions.csv"')
      .header('cache-control', 'no-store')
      .send(csv);
  });
}

/** The schema's terse words ("a funnel slug, e.g. launch") as a sentence for the form. */
function inWords(errors: FieldErrors): FieldErrors {
  const words: FieldErrors = {};
  for (const [field, problem] of Object.entries(errors)) {
    words[field] =
      field === 'to' && problem.includes('not before')
        ? 'Choose an "until" day on or after the "from" day.'
        : `Expected ${problem}.`;
  }
  return words;
}

function filterForm(values: FilterValues, errors: FieldErrors | null, handles: string[]): string {
  const error = (name: FilterName) => {
    const problem = errors?.[name];
    return problem ? { error: problem } : {};
  };
  const any = (label: string) => ({ value: '', label });
  return `<form method="get" action="/admin/transactions" class="panel tx-filters">
<h2>Filters</h2>
<div class="tx-filter-grid">
${selectField({
  name: 'account',
  label: labels.account,
  value: values.account,
  options: [any('Every account'), ...handles.map((handle) => ({ value: handle, label: handle }))],
  ...error('account'),
})}
${selectField({
  name: 'outcome',
  label: labels.outcome,
  value: values.outcome,
  options: [
    any('Any outcome'),
    ...transactionOutcomes.map((outcome) => ({
      value: outcome,
      label: outcomeWords[outcome].text,
    })),
  ],
  ...error('outcome'),
})}
${selectField({
  name: 'kind',
  label: labels.kind,
  value: values.kind,
  options: [
    any('Any kind'),
    ...transactionKinds.map((kind) => ({
      value: kind,
      label: `${kind.charAt(0).toUpperCase()}${kind.slice(1)}`,
    })),
  ],
  ...error('kind'),
})}
${selectField({
  name: 'mode',
  label: labels.mode,
  value: values.mode,
  options: [
    any('Test and live'),
    { value: 'live', label: 'Live' },
    { value: 'test', label: 'Test' },
  ],
  ...error('mode'),
})}
${textField({ name: 'error', label: labels.error, value: values.error, placeholder: 'card_declined', ...error('error') })}
${textField({ name: 'funnel', label: labels.funnel, value: values.funnel, placeholder: 'launch', ...error('funnel') })}
${textField({ name: 'from', label: labels.from, type: 'date', value: values.from, ...error('from') })}
${textField({ name: 'to', label: labels.to, type: 'date', value: values.to, ...error('to') })}
</div>
<div class="buttons"><button type="submit" class="button primary">Show transactions</button><a class="button" href="/admin/transactions">Clear filters</a></div>
</form>`;
}

function logHtml(
  page: TransactionPage,
  filters: FilterValues,
  limit: string | undefined,
  paged: boolean,
): string {
  const table = dataTable({
    caption: 'Transactions, newest first',
    headers: [
      'When',
      'What',
      'Order',
      'Account',
      'Amount',
      'Outcome',
      'Stripe said',
      'Why this account',
    ],
    rows: page.transactions.map(rowOf),
    empty: paged ? 'No older transactions.' : 'No transaction matches these filters.',
  });
  const csv = `/admin/transactions.csv${searchOf(filters)}`;
  const older = page.nextCursor
    ? `<a class="button" href="/admin/transactions${escapeHtml(searchOf({ ...filters, limit, cursor: page.nextCursor }))}">Older transactions</a>`
    : '';
  const newest = paged
    ? `<a class="button" href="/admin/transactions${escapeHtml(searchOf({ ...filters, limit }))}">Back to the newest</a>`
    : '';
  return `<section aria-labelledby="log-heading">
<div class="page-head log-head"><h2 id="log-heading">Transaction log</h2><div class="actions"><a class="button" href="${escapeHtml(csv)}" download>Download CSV</a></div></div>
<p class="muted">Every attempt, charge and refund, with Stripe's codes. Times are UTC. The CSV holds every entry these filters match, not only this page.</p>
${table}
${older || newest ? `<div class="buttons">${newest}${older}</div>` : ''}
</section>`;
}

function rowOf(entry: TransactionView): string[] {
  const outcome = outcomeWords[entry.outcome];
  const said = [entry.errorCode, entry.declineCode].filter(Boolean).join(' / ');
  return [
    formatWhen(entry.at),
    `${escapeHtml(entryWords[entry.entry])}<br><span class="muted">${escapeHtml(entry.kind)} · ${escapeHtml(entry.funnel)}</span>`,
    `<a href="/admin/orders/${encodeURIComponent(entry.order)}" class="mono">${escapeHtml(entry.order)}</a>`,
    entry.account
      ? `${escapeHtml(entry.account)}${entry.mode === 'test' ? ` ${badge('Test', 'muted')}` : ''}`
      : '—',
    `<span class="num">${escapeHtml(formatMoney(entry.amount, entry.currency))}</span>`,
    badge(outcome.text, outcome.tone),
    said
      ? `<code>${escapeHtml(said)}</code>${entry.message ? `<br><span class="muted">${escapeHtml(entry.message)}</span>` : ''}`
      : entry.message
        ? escapeHtml(entry.message)
        : '—',
    entry.routing ? escapeHtml(entry.routing.reason) : '—',
  ];
}
