import type { AccountView } from '../accounts/accounts.service.js';
import { escapeHtml } from '../http/pages.js';
import { accountPath } from './account-list.js';
import type { ConsoleVisit } from './console-app.js';
import { postButton, textField } from './forms.js';
import { renderConsolePage } from './layout.js';

/** Why an account cannot be removed now: what routing names it in, or its being the primary. */
export interface RemovalBlocks {
  references: string[];
  isPrimaryOfOthers: boolean;
}

/** `/admin/accounts/{handle}/remove`: what removal does, or why it is refused and what to change. */
export function renderRemovePage(
  visit: ConsoleVisit,
  account: AccountView,
  blocks: RemovalBlocks,
  refused: boolean,
): string {
  const path = accountPath(account.handle);
  const blocked = blocks.references.length > 0 || blocks.isPrimaryOfOthers;
  const reasons = [
    ...blocks.references.map((reference) => `Routing uses it in ${reference}.`),
    ...(blocks.isPrimaryOfOthers
      ? ['It is the primary account. Make another account primary first.']
      : []),
  ];
  const body = blocked
    ? `<div class="${refused ? 'error-summary' : 'panel gw-blocked'}" role="${refused ? 'alert' : 'status'}"><p><strong>${escapeHtml(account.label)} cannot be removed while routing uses it.</strong> Change these first, then come back:</p>
<ul class="gw-reasons">${reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul></div>
<div class="buttons">${blocks.references.length ? '<a class="button primary" href="/admin/routing">Open routing</a>' : ''}${blocks.isPrimaryOfOthers ? '<a class="button primary" href="/admin/accounts">Choose another primary</a>' : ''}<a href="${path}">Back to ${escapeHtml(account.label)}</a></div>`
    : `<div class="panel"><p>Removing <strong>${escapeHtml(account.label)}</strong> (<span class="mono">${escapeHtml(account.handle)}</span>, Stripe account <span class="mono">${escapeHtml(account.stripeAccountId)}</span>):</p>
<ul>
<li>takes it out of this list and out of routing: no new payment goes to it;</li>
<li>keeps its past orders, payments and refunds, which still name it;</li>
<li>deletes the webhook endpoints Switchyard registered on it${account.connectedBy === 'oauth' ? ', and revokes the access granted by Connect with Stripe' : ''};</li>
<li>leaves the Stripe account itself and its money untouched.</li>
</ul>
<p>No funnel, product, pin or rule uses it now.</p>
<div class="buttons">${postButton({ action: `${path}/remove`, label: `Remove ${account.label}`, visit, tone: 'danger' })}<a href="${path}">Keep it</a></div></div>`;
  return renderConsolePage({
    visit,
    title: `Remove ${account.label}?`,
    section: 'accounts',
    breadcrumbs: [
      { href: '/admin/accounts', label: 'Payment gateways' },
      { href: path, label: account.label },
    ],
    body,
  });
}

/** `/admin/accounts/connect`: the handle to connect under, or how to turn Connect on. */
export function renderConnectPage(
  visit: ConsoleVisit,
  input: { configured: boolean; handle: string; error?: string | undefined; csrf: string },
): string {
  const body = input.configured
    ? `<p class="muted">Stripe asks you to sign in and choose the account, then sends you back here. No key is pasted or shown.</p>
<form method="post" action="/admin/accounts/connect" class="panel gw-form" novalidate>${input.csrf}
${textField({ name: 'handle', label: 'Handle', required: true, hint: 'A short name routing and reports use: lowercase letters, digits or "-", such as us or eu-ltd.', value: input.handle, error: input.error, autocomplete: 'off' })}
<div class="buttons"><button type="submit" class="primary">Continue to Stripe</button><a href="/admin/accounts">Cancel</a></div>
</form>`
    : `<div class="panel"><p><strong>Connect with Stripe is not set up on this server.</strong> It needs a Stripe Connect platform. Set <code>STRIPE_CONNECT_CLIENT_ID</code> (the platform's client id, <code>ca_…</code>) and <code>STRIPE_CONNECT_SECRET_KEY</code> (the platform's secret key) in the server's environment and restart Switchyard.</p>
<p>Until then, <a href="/admin/accounts/new">add the account by its API keys</a>.</p></div>`;
  return renderConsolePage({
    visit,
    title: 'Connect with Stripe',
    section: 'accounts',
    breadcrumbs: [{ href: '/admin/accounts', label: 'Payment gateways' }],
    body,
  });
}
