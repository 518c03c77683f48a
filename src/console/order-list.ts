import type { OrderPage, OrderQuery } from '../checkout/orders.service.js';
import { isAppError } from '../errors.js';
import { escapeHtml } from '../http/pages.js';
import type { ConsoleDependencies, ConsoleVisit } from './console-app.js';
import {
  badge,
  dataTable,
  errorSummary,
  type FieldErrors,
  fieldErrorsOf,
  formatWhen,
  selectField,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';
import { accountsCell, moneyText, orderStatusBadge, orderStatusOptions } from './order-badges.js';

/** `/admin/orders`: the API's filters as a form, a page of orders, and the link to the next. */

/** What the filter form holds, as typed (dates as `YYYY-MM-DD`). */
export type OrderListForm = Record<
  'email' | 'account' | 'status' | 'funnel' | 'from' | 'to',
  string
>;

const formFields = ['email', 'account', 'status', 'funnel', 'from', 'to'] as const;

export const orderFilterLabels: Record<string, string> = {
  email: "Buyer's email",
  account: 'Account',
  status: 'Status',
  funnel: 'Funnel',
  from: 'From',
  to: 'To',
  cursor: 'Page',
};

const pageSize = 25;

export function orderListFormOf(query: Record<string, unknown>): OrderListForm {
  const form = {} as OrderListForm;
  for (const field of formFields) {
    const value = query[field];
    form[field] = typeof value === 'string' ? value.trim().slice(0, 320) : '';
  }
  return form;
}

const day = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2026-11-01` → the ISO time of its first moment in UTC, or null when it is no real day. */
function startOfDay(value: string): string | null {
  const match = day.exec(value);
  if (!match) return null;
  const date = new Date(`${value}T00:00:00.000Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value
    ? null
    : date.toISOString();
}

/** The form as the service's query; each value it cannot use is named beside its field. */
export function orderQueryOf(form: OrderListForm): { query: OrderQuery; errors: FieldErrors } {
  const query: OrderQuery = {};
  const errors: FieldErrors = {};
  if (form.email) query.email = form.email;
  if (form.account) query.account = form.account;
  if (form.funnel) query.funnel = form.funnel;
  if (form.status) {
    if (orderStatusOptions.some((option) => option.value === form.status)) {
      query.status = form.status;
    } else errors.status = 'Choose a status from the list.';
  }
  if (form.from) {
    const from = startOfDay(form.from);
    if (from) query.from = from;
    else errors.from = 'Enter a day such as 2026-11-01.';
  }
  if (form.to) {
    const to = startOfDay(form.to);
    // "To" includes its day: orders before the next day's first moment.
    if (to) query.to = new Date(Date.parse(to) + 86_400_000).toISOString();
    else errors.to = 'Enter a day such as 2026-11-30.';
  }
  if (query.from && query.to && query.from >= query.to) {
    errors.to = 'Choose a day on or after the “From” day.';
  }
  return { query, errors };
}

/** The address of this list with these filters (and a cursor, for another page). */
export function orderListHref(form: OrderListForm, cursor?: string): string {
  const params = new URLSearchParams();
  for (const field of formFields) if (form[field]) params.set(field, form[field]);
  if (cursor) params.set('cursor', cursor);
  const search = params.toString();
  return `/admin/orders${search ? `?${search}` : ''}`;
}

function filtersForm(
  form: OrderListForm,
  errors: FieldErrors,
  choices: { accounts: string[]; funnels: Array<{ slug: string; name: string }> },
): string {
  const any = (label: string) => ({ value: '', label });
  const keep = (value: string, options: Array<{ value: string; label: string }>) =>
    value && !options.some((option) => option.value === value)
      ? [...options, { value, label: value }]
      : options;
  return `<form method="get" action="/admin/orders" class="panel order-filters" aria-label="Find orders">
<div class="filter-grid">
${textField({ name: 'email', label: orderFilterLabels.email ?? 'Email', type: 'email', value: form.email, autocomplete: 'off', hint: 'The whole address, e.g. ana@example.com', error: errors.email })}
${selectField({
  name: 'account',
  label: 'Account',
  value: form.account,
  error: errors.account,
  options: [
    any('Any account'),
    ...keep(
      form.account,
      choices.accounts.map((handle) => ({ value: handle, label: handle })),
    ),
  ],
})}
${selectField({ name: 'status', label: 'Status', value: form.status, hint: 'Of the order as a whole', error: errors.status, options: [any('Any status'), ...orderStatusOptions] })}
${selectField({
  name: 'funnel',
  label: 'Funnel',
  value: form.funnel,
  error: errors.funnel,
  options: [
    any('Any funnel'),
    ...keep(
      form.funnel,
      choices.funnels.map((funnel) => ({ value: funnel.slug, label: funnel.name })),
    ),
  ],
})}
${textField({ name: 'from', label: 'From', type: 'date', value: form.from, hint: 'Placed on or after this day (UTC)', error: errors.from })}
${textField({ name: 'to', label: 'To', type: 'date', value: form.to, hint: 'Placed up to and including this day (UTC)', error: errors.to })}
</div>
<div class="buttons"><button type="submit" class="button primary">Find orders</button><a class="button" href="/admin/orders">Clear filters</a></div>
</form>`;
}

function ordersTable(page: OrderPage, filtered: boolean): string {
  return dataTable({
    caption: 'Orders, newest first',
    headers: ['Placed', 'Buyer', 'Total', 'Status', 'Accounts'],
    rows: page.orders.map((order) => {
      const refunded =
        order.refunded > 0
          ? `<br><span class="muted small">${escapeHtml(moneyText(order.refunded, order.currency))} refunded</span>`
          : '';
      const buyer = order.name
        ? `<a href="/admin/orders/${escapeHtml(encodeURIComponent(order.id))}">${escapeHtml(order.name)}</a><br><span class="muted small">${escapeHtml(order.email)}</span>`
        : `<a href="/admin/orders/${escapeHtml(encodeURIComponent(order.id))}">${escapeHtml(order.email)}</a>`;
      return [
        formatWhen(order.createdAt),
        buyer,
        `<span class="amount">${escapeHtml(moneyText(order.paid, order.currency))}</span>${refunded}`,
        `${orderStatusBadge(order.status)}${order.mode === 'test' ? ` ${badge('Test', 'muted')}` : ''}`,
        accountsCell(order.accounts),
      ];
    }),
    empty: filtered
      ? 'No orders match these filters. Clear a filter or two to see more.'
      : 'No orders yet. An order starts when a buyer sends the contact form of a funnel.',
  });
}

export async function renderOrderList(
  visit: ConsoleVisit,
  deps: ConsoleDependencies,
  form: OrderListForm,
  cursor: string | undefined,
): Promise<{ html: string; status: number }> {
  const { services } = deps;
  const workspaceId = visit.user.workspaceId;
  const [accounts, funnels] = await Promise.all([
    services.accounts.listAccounts(workspaceId),
    services.catalog.listFunnels(workspaceId),
  ]);
  const { query, errors } = orderQueryOf(form);
  let page: OrderPage = { orders: [], nextCursor: null };
  let problem: string | null = null;
  if (Object.keys(errors).length > 0) {
    problem = 'These filters cannot be used yet.';
  } else {
    try {
      page = await services.orders.listOrders(workspaceId, { ...query, cursor, limit: pageSize });
    } catch (error) {
      if (!isAppError(error) || !fieldErrorsOf(error)?.cursor) throw error;
      // A page link from before (or mistyped): the first page with the same filters.
      problem = 'That page of orders is no longer there; here is the first page.';
      page = await services.orders.listOrders(workspaceId, { ...query, limit: pageSize });
      cursor = undefined;
    }
  }
  const filtered = formFields.some((field) => form[field] !== '');
  const paging = [
    cursor ? `<a class="button" href="${escapeHtml(orderListHref(form))}">First page</a>` : '',
    page.nextCursor
      ? `<a class="button" rel="next" href="${escapeHtml(orderListHref(form, page.nextCursor))}">Older orders</a>`
      : '',
  ].join('');
  const body = `${problem ? errorSummary(problem, errors, orderFilterLabels) : ''}
${filtersForm(form, errors, { accounts: accounts.map((account) => account.handle), funnels })}
<h2 class="visually-hidden">Orders</h2>
<div class="wide-table">${ordersTable(page, filtered)}</div>
${paging ? `<nav class="buttons pager" aria-label="Pages of orders">${paging}</nav>` : ''}`;
  return {
    html: renderConsolePage({ visit, title: 'Orders', section: 'orders', body }),
    status: Object.keys(errors).length > 0 ? 400 : 200,
  };
}
