import type { Migration } from 'kysely';
import { workspaces } from './0001_workspaces.js';
import { accounts } from './0002_accounts.js';
import { routing } from './0003_routing.js';
import { catalog } from './0004_catalog.js';
import { checkout } from './0005_checkout.js';
import { attemptHistory } from './0006_attempt_history.js';
import { reconciliation } from './0007_reconciliation.js';
import { setupRevision } from './0008_setup_revision.js';
import { jobs } from './0009_jobs.js';
import { testPayments } from './0010_test_payments.js';
import { alerts } from './0011_alerts.js';
import { connectCallbackFailures } from './0012_connect_callback_failures.js';
import { webhookSignatureFailures } from './0013_webhook_signature_failures.js';
import { transactionLog } from './0014_transaction_log.js';
import { people } from './0015_people.js';
import { splitsCapsRamps } from './0016_splits_caps_ramps.js';
import { recovery } from './0018_recovery.js';
import { coupons } from './0019_coupons.js';
import { funnelEvents } from './0020_funnel_events.js';
import { sharedInstances } from './0021_shared_instances.js';
import { webhookClaims } from './0022_webhook_claims.js';

/**
 * Every migration, in order. Names sort in the order they run; one list serves SQLite and
 * PostgreSQL, so a migration uses only what both support.
 */
export const migrations: Record<string, Migration> = {
  '0001_workspaces': workspaces,
  '0002_accounts': accounts,
  '0003_routing': routing,
  '0004_catalog': catalog,
  '0005_checkout': checkout,
  '0006_attempt_history': attemptHistory,
  '0007_reconciliation': reconciliation,
  '0008_setup_revision': setupRevision,
  '0009_jobs': jobs,
  '0010_test_payments': testPayments,
  '0011_alerts': alerts,
  '0012_connect_callback_failures': connectCallbackFailures,
  '0013_webhook_signature_failures': webhookSignatureFailures,
  '0014_transaction_log': transactionLog,
  '0015_people': people,
  '0016_splits_caps_ramps': splitsCapsRamps,
  '0018_recovery': recovery,
  '0019_coupons': coupons,
  '0020_funnel_events': funnelEvents,
  '0021_shared_instances': sharedInstances,
  '0022_webhook_claims': webhookClaims,
};
