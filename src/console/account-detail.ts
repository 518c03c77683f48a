import type { AccountView } from '../accounts/accounts.service.js';
import type { AccountHealth, ModeHealth } from '../accounts/health.service.js';
import type { Mode } from '../accounts/key-verification.js';
import type { AuditEntry } from '../audit/audit.repository.js';
import { formatMoney } from '../catalog/money.js';
import type { CapReading } from '../doctor/checks/cap-readings.js';
import { escapeHtml } from '../http/pages.js';
import type { TestPayment } from '../operations/test-payments.js';
import type { TransactionView } from '../transactions/transactions.service.js';
import { roleAllows } from '../users/roles.js';
import type { EndpointState } from '../webhooks/endpoint-upkeep.js';
import { type CapForm, capsPanel } from './account-caps.js';
import { accountButtons, accountPath } from './account-list.js';
import {
  currenciesText,
  healthBadge,
  keyAgeText,
  keyTypeName,
  modeNames,
  modesText,
  roleText,
  secondariesInOrder,
  stateBadges,
} from './account-words.js';
import type { ConsoleVisit } from './console-app.js';
import {
  badge,
  csrfInput,
  dataTable,
  type FieldErrors,
  formatWhen,
  postButton,
  textareaField,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';

/** A mode's webhook endpoint as read for the page, or why it could not be read. */
export type EndpointReading =
  | { mode: Mode; state: EndpointState }
  | { mode: Mode; problem: string };

export interface AccountDetail {
  account: AccountView;
  /** Every account, for the account's place among the secondaries. */
  accounts: AccountView[];
  health: AccountHealth;
  audit: AuditEntry[];
  payments: TransactionView[];
  testPayments: TestPayment[];
  endpoints: EndpointReading[];
  /** Every rule and pin of the active routing that names the account. */
  references: string[];
  /** Its volume caps with this UTC day's and month's usage, per mode it has keys for. */
  capReadings: Partial<Record<Mode, CapReading[]>>;
}

/** What a refused form of the page shows again, with the problem beside each field. */
export interface TypedForms {
  purpose?: Record<string, string> | null;
  caps?: { form: CapForm; errors: FieldErrors } | null;
}

const modes = ['live', 'test'] as const;

function factsPanel(detail: AccountDetail, secondaries: AccountView[]): string {
  const { account } = detail;
  const states = stateBadges(account);
  return `<section class="panel" aria-labelledby="gw-facts"><h2 id="gw-facts">Account</h2>
<dl class="facts">
<dt>Handle</dt><dd class="mono">${escapeHtml(account.handle)}</dd>
<dt>Role</dt><dd>${roleText(account, secondaries)}</dd>
<dt>State</dt><dd>${states || badge(account.enabled ? 'Taking payments' : 'Disabled', account.enabled ? 'ok' : 'fail')}</dd>
<dt>Modes</dt><dd>${modesText(account)}</dd>
<dt>Currencies</dt><dd>${currenciesText(account)}</dd>
<dt>Stripe account</dt><dd class="mono">${escapeHtml(account.stripeAccountId)}</dd>
<dt>Country</dt><dd>${escapeHtml(account.country ?? '—')}${account.defaultCurrency ? `, pays out in ${escapeHtml(account.defaultCurrency.toUpperCase())}` : ''}</dd>
<dt>Connected</dt><dd>${formatWhen(account.createdAt)} ${account.connectedBy === 'oauth' ? 'with Connect with Stripe' : 'by API keys'}</dd>
<dt>Last verified</dt><dd>${formatWhen(account.verifiedAt)}</dd>
</dl></section>`;
}

function purposePanel(
  visit: ConsoleVisit,
  account: AccountView,
  errors: Record<string, string> | null,
): string {
  const canChange = roleAllows(visit.user.role, 'admin');
  const shown = account.purpose
    ? `<p class="gw-purpose">${escapeHtml(account.purpose)}</p>`
    : '<p class="muted">No one has written down what this account is for yet.</p>';
  const form = canChange
    ? `<details class="gw-edit"${errors ? ' open' : ''}><summary>Edit the name and purpose</summary>
<form method="post" action="${accountPath(account.handle)}/purpose" novalidate>${csrfInput(visit)}
${textField({ name: 'label', label: 'Name', value: account.label, required: true, error: errors?.label })}
${textareaField({ name: 'purpose', label: 'Purpose', rows: 4, hint: 'Which company, which sales, why it exists: what the team should know before changing its routing.', value: account.purpose, error: errors?.purpose })}
<button type="submit" class="primary">Save</button>
</form></details>`
    : '';
  return `<section class="panel" aria-labelledby="gw-purpose"><h2 id="gw-purpose">Purpose</h2>${shown}${form}</section>`;
}

function breakerWords(health: ModeHealth): string {
  if (health.breaker === 'open') {
    return `${badge('Open', 'fail')} calls are refused since ${formatWhen(health.openedAt)}; one trial call goes through at ${formatWhen(health.trialAt)}.`;
  }
  if (health.breaker === 'half_open') {
    return `${badge('Half-open', 'warn')} the next call is a trial: success closes it, failure opens it again.`;
  }
  return `${badge('Closed', 'ok')} calls go through.`;
}

function healthPanel(detail: AccountDetail): string {
  const rows = modes.flatMap((mode) => {
    const health = detail.health.modes[mode];
    if (!health) return [];
    return [
      `<h3>${modeNames[mode]} mode</h3>
<dl class="facts">
<dt>Health</dt><dd>${healthBadge(health.health)} ${escapeHtml(health.reason)}</dd>
<dt>Circuit breaker</dt><dd>${breakerWords(health)}</dd>
<dt>Recent calls</dt><dd>${health.recentAttempts} since the breaker last changed, ${health.recentFailureCount} failed; ${health.consecutiveFailures} failed in a row now</dd>
</dl>`,
    ];
  });
  return `<section class="panel" aria-labelledby="gw-health"><h2 id="gw-health">Health</h2>${rows.join('') || `<p>${healthBadge(detail.account.health)} ${escapeHtml(detail.account.healthReason ?? 'No keys, so no calls yet.')}</p>`}</section>`;
}

/** `pk_test_51Hx…VpV`: enough to tell keys apart; the whole key is in the title. */
function shortKey(key: string): string {
  return key.length > 24 ? `${key.slice(0, 14)}…${key.slice(-4)}` : key;
}

/** `Ada Admin <ada@example.com>` → `Ada Admin`: the timeline names people, the audit log has the rest. */
function whoOf(actor: string): string {
  return actor.replace(/ <[^>]+>$/, '');
}

function keysPanel(account: AccountView): string {
  const rows = modes.flatMap((mode) => {
    const keys = account.modes[mode];
    return keys
      ? [
          [
            escapeHtml(modeNames[mode]),
            escapeHtml(keyTypeName(keys.keyType)),
            `<span class="mono gw-secret">${escapeHtml(keys.secretKey)}</span>`,
            `<span class="mono gw-secret" title="${escapeHtml(keys.publishableKey)}">${escapeHtml(shortKey(keys.publishableKey))}</span>`,
            `${formatWhen(keys.keyAddedAt)}<br>${keyAgeText(keys.keyAgeDays)}`,
          ],
        ]
      : [];
  });
  return `<section class="gw-table" aria-labelledby="gw-keys"><h2 id="gw-keys">Keys</h2>${dataTable(
    {
      caption: 'Keys, masked',
      headers: ['Mode', 'Type', 'Secret key', 'Publishable key', 'Added'],
      rows,
      empty: 'No keys are stored for this account.',
    },
  )}<p class="hint">Secret keys are stored encrypted and only ever shown masked.</p></section>`;
}

function endpointWords(reading: EndpointReading): string {
  if ('problem' in reading) return `${badge('Unknown', 'warn')} ${escapeHtml(reading.problem)}`;
  const { state } = reading;
  if (!state.endpoint)
    return `${badge('Not registered', 'fail')} Switchyard has no endpoint for this mode. Verify now registers one.`;
  if (!state.atStripe)
    return `${badge('Missing at Stripe', 'fail')} Stripe has no endpoint sending here, so no events arrive. Verify now registers it again.`;
  const problems: string[] = [];
  if (state.atStripe.status !== 'enabled') problems.push('it is disabled at Stripe');
  if (state.expectedUrl && state.atStripe.url !== state.expectedUrl)
    problems.push(`it sends to ${state.atStripe.url}, not to this server`);
  if (state.missingEvents.length)
    problems.push(`it does not send ${state.missingEvents.join(', ')}`);
  if (state.apiVersionBehind)
    problems.push(`its events use an older API version than ${state.expectedApiVersion}`);
  return problems.length
    ? `${badge('Needs mending', 'warn')} ${escapeHtml(`${problems.join('; ')}.`)} Verify now mends it.`
    : `${badge('Working', 'ok')} registered, enabled, sending every event Switchyard needs to <span class="mono">${escapeHtml(state.atStripe.url)}</span>.`;
}

function endpointsPanel(detail: AccountDetail): string {
  const items = detail.endpoints.map(
    (reading) => `<dt>${modeNames[reading.mode]}</dt><dd>${endpointWords(reading)}</dd>`,
  );
  return `<section class="panel" aria-labelledby="gw-webhooks"><h2 id="gw-webhooks">Webhook endpoint</h2>${items.length ? `<dl class="facts">${items.join('')}</dl>` : '<p class="muted">No keys, so no endpoint.</p>'}</section>`;
}

function routingPanel(detail: AccountDetail): string {
  const { account, references } = detail;
  const primary =
    account.role === 'primary'
      ? '<p>As the primary, it takes every payment that no pin or rule sends elsewhere.</p>'
      : '';
  const list = references.length
    ? `<p>Routing names it in:</p><ul>${references.map((reference) => `<li>${escapeHtml(reference)}</li>`).join('')}</ul>`
    : '<p class="muted">No funnel, product, step pin or rule names this account.</p>';
  return `<section class="panel" aria-labelledby="gw-routing"><h2 id="gw-routing">What routes to it</h2>${primary}${list}<p><a href="/admin/routing">Open routing</a></p></section>`;
}

const outcomeTones: Record<string, Parameters<typeof badge>[1]> = {
  succeeded: 'ok',
  created: 'info',
  pending: 'muted',
  declined: 'warn',
  authentication_failed: 'warn',
  failed: 'fail',
  unsure: 'warn',
  canceled: 'muted',
  running: 'muted',
};

const words = (code: string) =>
  `${code.charAt(0).toUpperCase()}${code.slice(1)}`.replaceAll('_', ' ');

function paymentsPanel(detail: AccountDetail): string {
  const rows = detail.payments.map((entry) => [
    formatWhen(entry.at),
    `<a href="/admin/orders/${encodeURIComponent(entry.order)}">${escapeHtml(entry.order)}</a>`,
    escapeHtml(`${words(entry.entry)}, ${entry.kind}`),
    `<span class="gw-num">${escapeHtml(formatMoney(entry.amount, entry.currency))}</span>`,
    badge(words(entry.outcome), outcomeTones[entry.outcome] ?? 'muted'),
    escapeHtml(modeNames[entry.mode]),
  ]);
  return `<section class="gw-table" aria-labelledby="gw-payments"><h2 id="gw-payments">Recent payments</h2>${dataTable(
    {
      caption: 'Recent payments on this account',
      headers: ['When', 'Order', 'What', 'Amount', 'Outcome', 'Mode'],
      rows,
      empty: 'No payment has been made on this account yet.',
    },
  )}</section>`;
}

function testPaymentsPanel(visit: ConsoleVisit, detail: AccountDetail): string {
  const { account } = detail;
  const rows = detail.testPayments.map((run) => [
    formatWhen(run.startedAt),
    escapeHtml(modeNames[run.mode]),
    badge(words(run.outcome), outcomeTones[run.outcome] ?? 'muted'),
    run.outcome === 'failed'
      ? escapeHtml(run.errorMessage ?? run.errorCode ?? 'Failed')
      : run.mode === 'test'
        ? 'Charged with a test card and refunded'
        : 'Created and canceled, never charged',
    run.latencyMs === null ? '—' : escapeHtml(`${run.latencyMs} ms`),
    escapeHtml(whoOf(run.actor)),
  ]);
  const buttons = roleAllows(visit.user.role, 'admin')
    ? `<div class="buttons">${modes
        .filter((mode) => account.modes[mode])
        .map((mode) =>
          postButton({
            action: `${accountPath(account.handle)}/test-payment`,
            label: `Run a test payment (${mode})`,
            visit,
            fields: { mode },
          }),
        )
        .join('')}</div>`
    : '';
  return `<section class="gw-table" aria-labelledby="gw-tests"><h2 id="gw-tests">Test payments</h2><p class="hint">Proof that the account still takes a payment, made the way checkout makes one. In test mode a test card is charged and refunded; in live mode a payment is created and canceled, so nothing is charged.</p>${buttons}${dataTable(
    {
      caption: 'Test payments on this account',
      headers: ['When', 'Mode', 'Outcome', 'What happened', 'Took', 'Run by'],
      rows,
      empty: 'No test payment has run on this account yet.',
    },
  )}</section>`;
}

/** One line of the health timeline: when, what, who. */
interface Moment {
  at: string;
  text: string;
  tone: Parameters<typeof badge>[1];
  label: string;
  who: string;
}

function changedFields(before: unknown, after: unknown): string {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const said: string[] = [];
  if (a.drain !== b.drain)
    said.push(b.drain ? 'drained: takes no new payments' : 'undrained: takes new payments again');
  if (a.enabled !== b.enabled) said.push(b.enabled ? 'enabled' : 'disabled');
  if (a.priority !== b.priority)
    said.push(`priority ${String(a.priority)} → ${String(b.priority)}`);
  if (a.label !== b.label) said.push(`name changed to "${String(b.label)}"`);
  if (a.purpose !== b.purpose) said.push('purpose rewritten');
  if (JSON.stringify(a.currencies) !== JSON.stringify(b.currencies))
    said.push('currencies changed');
  if (JSON.stringify(a.caps ?? null) !== JSON.stringify(b.caps ?? null))
    said.push('volume caps changed');
  return said.length ? said.join(', ') : 'saved without a change';
}

function momentOfAudit(entry: AuditEntry): Moment {
  const after = (entry.after ?? {}) as Record<string, unknown>;
  const before = (entry.before ?? {}) as Record<string, unknown>;
  const base = { at: entry.at, who: entry.actor };
  switch (entry.action) {
    case 'account.connected':
      return { ...base, label: 'Connected', tone: 'info', text: 'The account was connected.' };
    case 'account.made_primary':
      return {
        ...base,
        label: 'Primary',
        tone: 'info',
        text: `Made the primary${before.primary ? ` in place of ${String(before.primary)}` : ''}.`,
      };
    case 'account.keys_replaced':
      return { ...base, label: 'Keys', tone: 'info', text: 'Keys replaced after a roll.' };
    case 'account.verified':
      return before.health === after.health
        ? {
            ...base,
            label: 'Verified',
            tone: 'ok',
            text: `Verified with Stripe: still ${String(after.health)}.`,
          }
        : {
            ...base,
            label: 'Verified',
            tone: after.health === 'healthy' ? 'ok' : 'fail',
            text: `Verified with Stripe: ${String(before.health)} → ${String(after.health)}.`,
          };
    case 'account.disconnected':
      return {
        ...base,
        label: 'Disconnected',
        tone: 'fail',
        text: `Stripe access lost: ${String(after.reason ?? '')}`,
      };
    case 'account.updated':
      return {
        ...base,
        label: 'Changed',
        tone: 'muted',
        text: `${words(changedFields(entry.before, entry.after))}.`,
      };
    default:
      return {
        ...base,
        label: words(entry.action.replace(/^account\./, '')),
        tone: 'muted',
        text: '',
      };
  }
}

function timelinePanel(detail: AccountDetail): string {
  const moments: Moment[] = detail.audit.map(momentOfAudit);
  for (const mode of modes) {
    const health = detail.health.modes[mode];
    if (!health) continue;
    if (health.openedAt) {
      moments.push({
        at: health.openedAt,
        label: 'Breaker opened',
        tone: 'fail',
        who: 'Switchyard',
        text: `${modeNames[mode]} mode: calls refused after failures in a row.`,
      });
    }
    for (const failure of health.recentFailures.slice(0, 5)) {
      moments.push({
        at: failure.at,
        label: 'Call failed',
        tone: 'warn',
        who: 'Stripe',
        text: `${modeNames[mode]} mode: ${failure.message ?? failure.stripeCode ?? failure.kind ?? 'failed'}${failure.httpStatus ? ` (HTTP ${failure.httpStatus})` : ''}.`,
      });
    }
  }
  for (const run of detail.testPayments.slice(0, 5)) {
    moments.push({
      at: run.startedAt,
      label: run.outcome === 'failed' ? 'Test failed' : 'Test payment',
      tone: run.outcome === 'failed' ? 'fail' : 'ok',
      who: run.actor,
      text: `${modeNames[run.mode]} mode: ${run.outcome === 'failed' ? (run.errorMessage ?? 'failed') : run.outcome}.`,
    });
  }
  moments.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const items = moments
    .slice(0, 25)
    .map(
      (moment) =>
        `<li>${formatWhen(moment.at)} ${badge(moment.label, moment.tone)} ${escapeHtml(moment.text)} <span class="muted">by ${escapeHtml(whoOf(moment.who))}</span></li>`,
    )
    .join('');
  return `<section class="panel" aria-labelledby="gw-timeline"><h2 id="gw-timeline">Health timeline</h2>${items ? `<ol class="gw-timeline">${items}</ol>` : '<p class="muted">Nothing has happened to this account yet.</p>'}<p class="hint">From the audit log, the circuit breaker's recent failures and the test payments.</p></section>`;
}

/** `/admin/accounts/{handle}`: everything about one account. */
export function renderAccountDetail(
  visit: ConsoleVisit,
  detail: AccountDetail,
  typed: TypedForms = {},
): string {
  const secondaries = secondariesInOrder(detail.accounts);
  const { account } = detail;
  return renderConsolePage({
    visit,
    title: account.label,
    section: 'accounts',
    breadcrumbs: [{ href: '/admin/accounts', label: 'Payment gateways' }],
    body: `${accountButtons(visit, account, secondaries, { from: 'detail' })}
<div class="gw-columns">
${factsPanel(detail, secondaries)}
${purposePanel(visit, account, typed.purpose ?? null)}
${capsPanel(visit, account, detail.capReadings, typed.caps ?? null)}
${healthPanel(detail)}
${endpointsPanel(detail)}
${routingPanel(detail)}
${timelinePanel(detail)}
</div>
${keysPanel(account)}
${testPaymentsPanel(visit, detail)}
${paymentsPanel(detail)}`,
  });
}
