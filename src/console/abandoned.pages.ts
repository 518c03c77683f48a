import { formatMoney } from '../catalog/money.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import type { AbandonedCheckout } from '../recovery/abandoned.service.js';
import { type ConsoleDependencies, sendPage, visitOf } from './console-app.js';
import { badge, dataTable, formatWhen } from './forms.js';
import { renderConsolePage } from './layout.js';

function rowOf(checkout: AbandonedCheckout): string[] {
  return [
    escapeHtml(checkout.email),
    checkout.name ? escapeHtml(checkout.name) : '—',
    `${escapeHtml(checkout.funnel)}${checkout.mode === 'test' ? ` ${badge('Test', 'muted')}` : ''}`,
    checkout.amount !== null && checkout.currency
      ? escapeHtml(formatMoney(checkout.amount, checkout.currency))
      : '—',
    formatWhen(checkout.startedAt),
    checkout.consent
      ? `<span title="${escapeHtml(checkout.consent.wording)}">Yes, ${formatWhen(checkout.consent.agreedAt)}</span>`
      : 'No',
    checkout.recoveryEmailSentAt ? formatWhen(checkout.recoveryEmailSentAt) : 'Not sent',
  ];
}

/** Abandoned checkouts: contact given, unpaid, and whether a recovery email went out. */
export function registerAbandonedScreens(app: App, { services }: ConsoleDependencies): void {
  app.get('/admin/checkouts/abandoned', async function abandonedCheckouts(request, reply) {
    const visit = visitOf(request);
    const abandoned = services.abandonedCheckouts;
    const checkouts = await abandoned.list(visit.user.workspaceId);
    const body = [
      `<p>Buyers who gave their contact details and had not paid ${abandoned.afterMinutes} minutes later (ABANDONED_AFTER_MINUTES). Consent says whether they agreed to be written to.</p>`,
      dataTable({
        caption: 'Abandoned checkouts',
        headers: ['Email', 'Name', 'Funnel', 'Amount', 'Started', 'Consent', 'Recovery email'],
        rows: checkouts.map(rowOf),
        empty:
          'No abandoned checkouts: every buyer who gave their details has paid, or is still within the time allowed.',
      }),
    ].join('\n');
    return sendPage(
      reply,
      renderConsolePage({ visit, title: 'Abandoned checkouts', section: 'abandoned', body }),
    );
  });
}
