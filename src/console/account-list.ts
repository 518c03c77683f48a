import type { AccountView } from '../accounts/accounts.service.js';
import type { ModeHealth } from '../accounts/health.service.js';
import type { Mode } from '../accounts/key-verification.js';
import { escapeHtml } from '../http/pages.js';
import { roleAllows } from '../users/roles.js';
import {
  capsText,
  currenciesText,
  healthCell,
  keyAges,
  modesText,
  roleText,
  secondariesInOrder,
  stateBadges,
} from './account-words.js';
import type { ConsoleVisit } from './console-app.js';
import { postButton } from './forms.js';
import { renderConsolePage } from './layout.js';

export interface AccountListing {
  accounts: AccountView[];
  /** Health per handle and mode. */
  health: Map<string, Partial<Record<Mode, ModeHealth>>>;
  connectConfigured: boolean;
}

export const accountPath = (handle: string) => `/admin/accounts/${encodeURIComponent(handle)}`;

/** The buttons that change one account, for admins and owners; viewers get none. */
export function accountButtons(
  visit: ConsoleVisit,
  account: AccountView,
  secondaries: readonly AccountView[],
  options: { from: 'list' | 'detail' },
): string {
  if (!roleAllows(visit.user.role, 'admin')) return '';
  const path = accountPath(account.handle);
  const context = account.label;
  const back = { back: options.from };
  const buttons: string[] = [];
  if (account.role === 'secondary') {
    buttons.push(
      postButton({
        action: `${path}/primary`,
        label: 'Make primary',
        visit,
        context,
        fields: back,
        tone: 'primary',
      }),
    );
    const place = secondaries.findIndex((other) => other.handle === account.handle);
    if (place > 0) {
      buttons.push(
        postButton({
          action: `${path}/move`,
          label: 'Move up',
          visit,
          context,
          fields: { ...back, direction: 'up' },
        }),
      );
    }
    if (place >= 0 && place < secondaries.length - 1) {
      buttons.push(
        postButton({
          action: `${path}/move`,
          label: 'Move down',
          visit,
          context,
          fields: { ...back, direction: 'down' },
        }),
      );
    }
  }
  buttons.push(
    account.drain
      ? postButton({
          action: `${path}/drain`,
          label: 'Undrain: take new payments again',
          visit,
          context,
          fields: { ...back, drain: 'false' },
        })
      : postButton({
          action: `${path}/drain`,
          label: 'Drain: take no new payments',
          visit,
          context,
          fields: { ...back, drain: 'true' },
        }),
  );
  buttons.push(
    account.enabled
      ? postButton({
          action: `${path}/enabled`,
          label: 'Disable',
          visit,
          context,
          fields: { ...back, enabled: 'false' },
        })
      : postButton({
          action: `${path}/enabled`,
          label: 'Enable',
          visit,
          context,
          fields: { ...back, enabled: 'true' },
        }),
  );
  buttons.push(
    postButton({ action: `${path}/verify`, label: 'Verify now', visit, context, fields: back }),
  );
  buttons.push(
    `<a class="button secondary" href="${path}/keys">Replace keys<span class="visually-hidden"> of ${escapeHtml(context)}</span></a>`,
  );
  buttons.push(
    `<a class="button danger" href="${path}/remove">Remove<span class="visually-hidden"> ${escapeHtml(context)}</span></a>`,
  );
  return `<div class="buttons gw-buttons">${buttons.join('')}</div>`;
}

function accountCard(
  visit: ConsoleVisit,
  account: AccountView,
  listing: AccountListing,
  secondaries: AccountView[],
): string {
  const path = accountPath(account.handle);
  const states = stateBadges(account);
  return `<section class="panel gw-card" aria-labelledby="gw-${escapeHtml(account.handle)}">
<div class="gw-card-head"><h2 id="gw-${escapeHtml(account.handle)}"><a href="${path}">${escapeHtml(account.label)}</a></h2> <span class="mono muted">${escapeHtml(account.handle)}</span>${states ? ` <span class="gw-states">${states}</span>` : ''}</div>
<dl class="facts">
<dt>Role</dt><dd>${roleText(account, secondaries)}</dd>
<dt>Health</dt><dd>${healthCell(account, listing.health.get(account.handle) ?? {})}</dd>
<dt>Modes</dt><dd>${modesText(account)}</dd>
<dt>Currencies</dt><dd>${currenciesText(account)}</dd>
<dt>Caps</dt><dd>${capsText(account)}</dd>
<dt>Purpose</dt><dd>${account.purpose ? escapeHtml(account.purpose) : '<span class="muted">Not written yet</span>'}</dd>
<dt>Key age</dt><dd>${keyAges(account)}</dd>
</dl>
${accountButtons(visit, account, secondaries, { from: 'list' })}
</section>`;
}

/** `/admin/accounts`: every account, primary first then the secondaries in failover order. */
export function renderAccountList(visit: ConsoleVisit, listing: AccountListing): string {
  const canChange = roleAllows(visit.user.role, 'admin');
  const secondaries = secondariesInOrder(listing.accounts);
  const ordered = [
    ...listing.accounts.filter((account) => account.role === 'primary'),
    ...secondaries,
  ];
  const actions = canChange
    ? `${listing.connectConfigured ? '<a class="button primary" href="/admin/accounts/connect">Connect with Stripe</a>' : ''}<a class="button${listing.connectConfigured ? ' secondary' : ' primary'}" href="/admin/accounts/new">Add by API keys</a>`
    : '';
  const connectNote =
    canChange && !listing.connectConfigured
      ? `<p class="hint gw-note"><strong>Connect with Stripe</strong> is off on this server. To let people connect an account by signing in to Stripe instead of pasting keys, set <code>STRIPE_CONNECT_CLIENT_ID</code> and <code>STRIPE_CONNECT_SECRET_KEY</code> (your Stripe Connect platform's client id and secret key) and restart Switchyard.</p>`
      : '';
  const intro = `<p class="muted">Every payment lands on one of these Stripe accounts. New payments go to the primary unless routing says otherwise; when an account cannot take a payment, the secondaries are tried in the order shown.</p>`;
  const cards = ordered.length
    ? ordered.map((account) => accountCard(visit, account, listing, secondaries)).join('\n')
    : `<p class="empty">No Stripe account is connected yet. ${canChange ? 'Add one by its API keys to take payments.' : 'Ask an admin to connect one.'}</p>`;
  return renderConsolePage({
    visit,
    title: 'Payment gateways',
    section: 'accounts',
    actions,
    body: `${intro}${connectNote}${cards}`,
  });
}
