import type { FindingCode, FindingStatus } from '../doctor/finding.js';
import { escapeHtml } from '../http/pages.js';
import { badge, type Tone } from './forms.js';

/**
 * How the console names doctor's findings: the status in words, the code as a short title, and
 * the console screen that mends it, where there is one (the fixes themselves name CLI commands).
 */

const statusWords: Record<FindingStatus, { text: string; tone: Tone }> = {
  fail: { text: 'Failing', tone: 'fail' },
  warn: { text: 'Warning', tone: 'warn' },
  pass: { text: 'OK', tone: 'ok' },
};

export function findingBadge(status: FindingStatus): string {
  const words = statusWords[status];
  return badge(words.text, words.tone);
}

/** `webhook_endpoint_missing` → `Webhook endpoint missing`. */
export function findingTitle(code: string): string {
  const words = code.replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

/** Where a finding applies, in words: `us (test)`, or the whole setup. */
export function findingPlace(place: { account: string | null; mode: string | null }): string {
  if (place.account === null) return 'Whole setup';
  return place.mode === null ? place.account : `${place.account} (${place.mode})`;
}

const keyCodes = new Set<FindingCode>([
  'key_rejected',
  'key_expired',
  'key_missing_permissions',
  'key_mode_mismatch',
  'keys_from_different_accounts',
  'publishable_key_invalid',
  'key_age',
  'master_key_unreadable',
]);

const verifyCodes = new Set<FindingCode>([
  'oauth_revoked',
  'charges_disabled',
  'payouts_disabled',
  'requirements_due',
  'webhook_endpoint_missing',
  'webhook_endpoint_disabled',
  'webhook_endpoint_elsewhere',
  'webhook_events_missing',
  'webhook_signature_failures',
  'webhook_api_version_old',
  'circuit_open',
]);

const testPaymentCodes = new Set<FindingCode>([
  'test_payment_failed',
  'test_payment_stale',
  'no_recent_payment',
]);

/** The console screen that mends the finding, as a link; empty when only the CLI can. */
export function findingScreenLink(finding: { code: string; account: string | null }): string {
  const code = finding.code as FindingCode;
  const accountPage = finding.account
    ? `/admin/accounts/${encodeURIComponent(finding.account)}`
    : '/admin/accounts';
  const link = (href: string, words: string) =>
    `<a href="${escapeHtml(href)}">${escapeHtml(words)}</a>`;
  if (keyCodes.has(code)) {
    return link(
      accountPage,
      finding.account ? `Replace keys of ${finding.account}` : 'Open Payment gateways',
    );
  }
  if (verifyCodes.has(code)) {
    return link(
      accountPage,
      finding.account ? `Verify ${finding.account} now` : 'Open Payment gateways',
    );
  }
  if (testPaymentCodes.has(code)) {
    return link(
      accountPage,
      finding.account ? `Run a test payment on ${finding.account}` : 'Open Payment gateways',
    );
  }
  switch (code) {
    case 'no_primary':
    case 'currency_unserved':
    case 'live_funnel_without_live_account':
      return link('/admin/accounts', 'Open Payment gateways');
    case 'routing_invalid':
    case 'routing_warning':
    case 'offers_split_across_accounts':
      return link('/admin/routing', 'Open Routing');
    case 'cap_near':
    case 'cap_reached':
      return link(
        accountPage,
        finding.account ? `Change the caps of ${finding.account}` : 'Open Payment gateways',
      );
    case 'orders_stuck':
      return link('/admin/orders', 'Open Orders');
    case 'alert_channel_failing':
      return link('/admin/settings/alerts', 'Open Alerts');
    default:
      return '';
  }
}

/** A fix's words, with the commands it quotes (`…` or "switchyard …") set as code. */
export function fixHtml(fix: string): string {
  return escapeHtml(fix)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/&quot;(switchyard [^&]+?)&quot;/g, '<code>$1</code>');
}
