import type { Mode } from '../accounts/key-verification.js';

/**
 * What `switchyard doctor` answers: one finding per check, for the workspace or for one account
 * and mode. The codes are stable: alerts, the console and the README's Troubleshooting section
 * name them.
 */
export const findingCodes = [
  // Authorization.
  'oauth_revoked',
  'oauth_client_invalid',
  'connect_callback_errors',
  // Keys.
  'key_rejected',
  'key_expired',
  'key_missing_permissions',
  'key_mode_mismatch',
  'keys_from_different_accounts',
  'publishable_key_invalid',
  'key_age',
  // Configuration.
  'no_primary',
  'routing_invalid',
  'routing_warning',
  'currency_unserved',
  'live_funnel_without_live_account',
  'offers_split_across_accounts',
  'public_url_local',
  'stripe_js_not_stripe',
  'master_key_unreadable',
  // Webhooks.
  'webhook_endpoint_missing',
  'webhook_endpoint_disabled',
  'webhook_endpoint_elsewhere',
  'webhook_events_missing',
  'webhook_signature_failures',
  'webhook_api_version_old',
  'webhook_lag',
  'webhook_processing_failed',
  // Connection and account state.
  'stripe_unreachable',
  'charges_disabled',
  'payouts_disabled',
  'requirements_due',
  'circuit_open',
  'rate_limited_recently',
  // Maintenance.
  'no_recent_payment',
  'test_payment_failed',
  'test_payment_stale',
  'orders_stuck',
  'unrecorded_payments',
  // Volume caps (issue 16).
  'cap_near',
  'cap_reached',
  // Alerts: a channel that keeps failing.
  'alert_channel_failing',
] as const;

export type FindingCode = (typeof findingCodes)[number];

export type FindingStatus = 'pass' | 'warn' | 'fail';

export interface Finding {
  status: FindingStatus;
  code: FindingCode;
  /** The account's handle, or null for a workspace finding. */
  account: string | null;
  mode: Mode | null;
  /** What was seen, in Stripe's own words and ids where they exist. */
  detail: string;
  /** The exact step that mends it (a command or the place in Stripe's dashboard); null on pass. */
  fix: string | null;
}

/** Where a finding applies. */
export interface FindingScope {
  account: string | null;
  mode: Mode | null;
}

export const workspaceScope: FindingScope = { account: null, mode: null };

export function pass(code: FindingCode, scope: FindingScope, detail: string): Finding {
  return { status: 'pass', code, ...scope, detail, fix: null };
}

export function warn(code: FindingCode, scope: FindingScope, detail: string, fix: string): Finding {
  return { status: 'warn', code, ...scope, detail, fix };
}

export function fail(code: FindingCode, scope: FindingScope, detail: string, fix: string): Finding {
  return { status: 'fail', code, ...scope, detail, fix };
}

const severity: Record<FindingStatus, number> = { fail: 0, warn: 1, pass: 2 };

/** Fails first, then warnings, then passes; within each, workspace first, then by account and mode. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severity[a.status] - severity[b.status] ||
    (a.account ?? '').localeCompare(b.account ?? '') ||
    (a.mode ?? '').localeCompare(b.mode ?? '') ||
    a.code.localeCompare(b.code)
  );
}
