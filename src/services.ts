import type { Logger } from 'pino';
import { type AccountsService, createAccountsService } from './accounts/accounts.service.js';
import {
  type ConnectService,
  createConnectService,
  createGrantRevoker,
} from './accounts/connect.service.js';
import { createHealthService, type HealthService } from './accounts/health.service.js';
import { createLiveAccountsCache } from './accounts/live-accounts.js';
import { createVault, loadMasterKey, type Vault } from './accounts/vault.js';
import { type AlertsService, createAlertsService } from './alerts/alerts.service.js';
import { createFunnelCounter, type FunnelCounter } from './analytics/funnel-counter.js';
import { createFunnelStats, type FunnelStatsService } from './analytics/stats.service.js';
import { type AuditLog, createAuditLog } from './audit/audit.service.js';
import {
  type CatalogForSale,
  type CatalogService,
  createCatalogService,
} from './catalog/catalog.service.js';
import { createCatalogForSale } from './catalog/catalog-for-sale.js';
import { refuseSplitPins } from './catalog/split-offers.js';
import { type CheckoutService, createCheckoutService } from './checkout/checkout.service.js';
import { createFailoverExecutor, type FailoverExecutor } from './checkout/failover.js';
import { createOrdersService, type OrdersService } from './checkout/orders.service.js';
import { createPaymentEvents, type PaymentEvents } from './checkout/payment-events.js';
import { createPaymentRecords } from './checkout/payment-records.js';
import { createReconciliation, type Reconciliation } from './checkout/reconciliation.js';
import {
  createUnrecordedPayments,
  type UnrecordedPayments,
} from './checkout/unrecorded-payments.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { type Coupons, createCoupons } from './coupons/coupons.service.js';
import type { Store } from './db/database.js';
import { createSetupRevisions, type SetupRevisions } from './db/setup-revision.js';
import { DEFAULT_WORKSPACE_ID } from './db/workspace.js';
import { allChecks } from './doctor/all-checks.js';
import { createDoctorService, type DoctorService } from './doctor/doctor.service.js';
import { allJobs } from './jobs/all-jobs.js';
import { createJobsService, type JobsService } from './jobs/jobs.service.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createTestPayments, type TestPayments } from './operations/test-payments.js';
import { type AbandonedCheckouts, createAbandonedCheckouts } from './recovery/abandoned.service.js';
import { createRecovery, type Recovery } from './recovery/recovery.service.js';
import { referencesTo } from './routing-config/references.js';
import {
  createRoutingConfigService,
  type RoutingConfigService,
} from './routing-config/routing-config.service.js';
import { createRampService, type RampService } from './routing-ramp/ramp.service.js';
import { createRoutingReplay, type RoutingReplay } from './routing-replay/replay.service.js';
import type { StripeGateway } from './stripe/gateway.js';
import { createStripeGateway, pinnedApiVersion } from './stripe/stripe-gateway.js';
import { createTokenService, type TokenService } from './tokens/tokens.service.js';
import {
  createTransactionsService,
  type TransactionsService,
} from './transactions/transactions.service.js';
import { createUsersService, type UsersService } from './users/users.service.js';
import { createEndpointUpkeep, type EndpointUpkeep } from './webhooks/endpoint-upkeep.js';
import { createEventsBackfill, type EventsBackfill } from './webhooks/events-backfill.js';
import { createWebhooksService, type WebhooksService } from './webhooks/webhooks.service.js';

export interface ServiceOptions {
  config: Config;
  store: Store;
  logger: Logger;
  clock?: Clock;
  /** Tests pass a gateway with short timeouts; by default one is made from the config. */
  gateway?: StripeGateway;
  /** The job runner's name among the instances; by default `host-pid-random`. */
  instanceId?: string;
}

/** Every service of the app, each by its contract. */
export interface Services {
  clock: Clock;
  /** What /metrics answers: counters fed by the services below, gauges read from the database. */
  metrics: Metrics;
  vault: Vault;
  gateway: StripeGateway;
  audit: AuditLog;
  tokens: TokenService;
  /** The console's people: users with roles, sessions, invites. */
  users: UsersService;
  accounts: AccountsService;
  webhooks: WebhooksService;
  /** Each account's webhook endpoints compared with what this server expects, and mended. */
  endpointUpkeep: EndpointUpkeep;
  connect: ConnectService;
  health: HealthService;
  routingConfig: RoutingConfigService;
  /** `route replay`: a candidate routing run over stored payments, writing nothing. */
  routingReplay: RoutingReplay;
  /** Migration ramps: a new account's split share raised step by step (`accounts ramp`). */
  ramps: RampService;
  catalog: CatalogService;
  /** The failover executor: every PaymentIntent is made through it. */
  payments: FailoverExecutor;
  /** The catalog as pages and checkout read it: without pins. */
  catalogForSale: CatalogForSale;
  /** The setup revision, which every cache of the setup is kept by. */
  setupRevisions: SetupRevisions;
  checkout: CheckoutService;
  paymentEvents: PaymentEvents;
  reconciliation: Reconciliation;
  eventsBackfill: EventsBackfill;
  orders: OrdersService;
  /** `switchyard doctor`: what is wrong with the setup and each account, and how to mend it. */
  doctor: DoctorService;
  /** Test payments per account and mode: charged and refunded (test), canceled unconfirmed (live). */
  testPayments: TestPayments;
  /** PaymentIntents at Stripe with Switchyard's metadata and no record here: adopted or kept. */
  unrecordedPayments: UnrecordedPayments;
  recovery: Recovery;
  funnelCounter: FunnelCounter;
  funnelStats: FunnelStatsService;
  /** The transaction log and the accounts report. */
  transactions: TransactionsService;
  /** The scheduled jobs: this instance's runner (started by the server) and the runs recorded. */
  jobs: JobsService;
  /** Alert channels (Slack, email), their test, and what the `alerts` job sends. */
  alerts: AlertsService;
  /** Checkouts begun with contact details and left unpaid (issue 17). */
  abandonedCheckouts: AbandonedCheckouts;
  /** Codes for a percent or an amount off on the payment step (issue 17). */
  coupons: Coupons;
}

/**
 * The composition root: builds every service once, with its collaborators passed in, each after
 * the ones it uses (no service reaches one built later).
 */
export function createServices(options: ServiceOptions): Services {
  const { config, store, logger } = options;
  const clock = options.clock ?? systemClock;
  const masterKey = loadMasterKey({ fromEnvironment: config.masterKey, dataDir: config.dataDir });
  if (masterKey.created) {
    logger.warn(
      { path: masterKey.origin },
      'generated a new master key for secrets at rest; back this file up, without it stored Stripe keys cannot be read',
    );
  }
  const vault = createVault(masterKey.key, masterKey.previous);
  const metrics = createMetrics({
    db: store.db,
    clock,
    workspaceId: DEFAULT_WORKSPACE_ID,
    breakerCooldownSeconds: config.breaker.cooldownSeconds,
    processMetrics: config.metrics.token !== null || config.metrics.port !== null,
  });
  const gateway =
    options.gateway ??
    createStripeGateway({
      endpoint: config.stripeApi,
      checkoutTimeoutMs: config.stripeCheckoutTimeoutMs,
    });
  const audit = createAuditLog({ db: store.db, clock });
  const tokens = createTokenService({ db: store.db, clock, audit });
  const users = createUsersService({ db: store.db, clock, audit, sessions: config.sessions });
  const webhooks = createWebhooksService({
    db: store.db,
    gateway,
    vault,
    clock,
    logger,
    metrics,
    publicUrl: config.publicUrl,
    apiVersion: pinnedApiVersion,
  });
  const endpointUpkeep = createEndpointUpkeep({
    db: store.db,
    gateway,
    clock,
    webhooks,
    publicUrl: config.publicUrl,
    apiVersion: pinnedApiVersion,
  });
  // What every payment reads of the setup (accounts, keys, routing, catalog) is kept in the
  // process and read again only when the setup revision says something changed.
  const revisions = createSetupRevisions(store.db);
  const liveAccounts = createLiveAccountsCache({ db: store.db, revisions });
  const accounts = createAccountsService({
    db: store.db,
    liveAccounts,
    gateway,
    vault,
    audit,
    clock,
    logger,
    webhooks,
    endpoints: endpointUpkeep,
    deauthorize: createGrantRevoker({ gateway, logger, connect: config.stripeConnect }),
    referencesTo: (workspaceId, handle) => referencesTo(store.db, workspaceId, handle),
  });
  const connect = createConnectService({
    db: store.db,
    gateway,
    vault,
    clock,
    logger,
    accounts,
    connect: config.stripeConnect,
    publicUrl: config.publicUrl,
  });
  const health = createHealthService({
    db: store.db,
    clock,
    settings: config.breaker,
    liveAccounts,
  });
  const routingConfig = createRoutingConfigService({
    db: store.db,
    clock,
    audit,
    accounts,
    health,
    liveAccounts,
    revisions,
    refuseCatalogConflicts: (trx, workspaceId, document) =>
      refuseSplitPins(trx, workspaceId, document.products),
  });
  const catalog = createCatalogService({ db: store.db, clock, audit, routing: routingConfig });
  const payments = createFailoverExecutor({
    logger,
    db: store.db,
    clock,
    gateway,
    routing: routingConfig,
    health,
    secretKeyOf: accounts.secretKeyOf,
    metrics,
  });
  const records = createPaymentRecords({ db: store.db, clock });
  // Pages and checkout read the catalog without pins (routing reads those itself), kept until
  // the setup changes.
  const catalogForSale = createCatalogForSale({ catalog, revisions });
  const coupons = createCoupons({ db: store.db, clock, audit });
  const checkout = createCheckoutService({
    db: store.db,
    clock,
    gateway,
    catalog: catalogForSale,
    payments,
    accounts,
    records,
    coupons,
  });
  const paymentEvents = createPaymentEvents({
    db: store.db,
    clock,
    gateway,
    routing: routingConfig,
    accounts,
    records,
    logger,
  });
  const reconciliation = createReconciliation({
    db: store.db,
    clock,
    gateway,
    accounts,
    records,
    events: paymentEvents,
    logger,
  });
  const orders = createOrdersService({
    db: store.db,
    clock,
    gateway,
    audit,
    routing: routingConfig,
    accounts,
    payments,
    records,
  });
  const eventsBackfill = createEventsBackfill({
    db: store.db,
    clock,
    gateway,
    webhooks,
    secretKeyOf: accounts.secretKeyOf,
    logger,
  });
  const testPayments = createTestPayments({
    db: store.db,
    clock,
    gateway,
    secretKeyOf: accounts.secretKeyOf,
    timeoutMs: 20_000,
  });
  const unrecordedPayments = createUnrecordedPayments({
    db: store.db,
    clock,
    gateway,
    accounts,
    records,
    events: paymentEvents,
    logger,
    graceSeconds: config.reconciliation.graceSeconds,
    timeoutMs: 20_000,
  });
  const checkDependencies = {
    db: store.db,
    clock,
    config,
    gateway,
    vault,
    accounts,
    health,
    routingConfig,
    catalog,
    webhooks,
    testPayments,
    unrecordedPayments,
    endpointUpkeep,
  };
  const doctor = createDoctorService({
    db: store.db,
    clock,
    timeoutMs: config.doctorTimeoutMs,
    checks: allChecks(checkDependencies),
  });
  const ramps = createRampService({ db: store.db, clock, routingConfig });
  const recovery = createRecovery({ db: store.db, clock, vault, config });
  const funnelCounter = createFunnelCounter({
    db: store.db,
    clock,
    logger,
    enabled: config.funnelStats,
  });
  const jobs = createJobsService({
    db: store.db,
    clock,
    logger,
    workspaceId: DEFAULT_WORKSPACE_ID,
    enabled: config.jobs.enabled,
    metrics,
    jobs: allJobs({ ...checkDependencies, logger, doctor, eventsBackfill, ramps, recovery }),
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
  });
  const alerts = createAlertsService({ db: store.db, clock, config, vault, audit, doctor });
  webhooks.reactWith(async function reactToStripe(action, context) {
    switch (action.kind) {
      case 'account_updated':
        await accounts.refreshAccount(context.accountId, 'stripe:account.updated');
        return;
      case 'account_deauthorized':
        await accounts.markDisconnected(
          context.accountId,
          "The Stripe account revoked Switchyard's access. Connect it again to take payments on it.",
          'stripe:account.application.deauthorized',
        );
        return;
      default:
        return paymentEvents.react(action, context);
    }
  });
  return {
    clock,
    metrics,
    vault,
    gateway,
    audit,
    tokens,
    users,
    accounts,
    webhooks,
    endpointUpkeep,
    connect,
    health,
    routingConfig,
    routingReplay: createRoutingReplay({ db: store.db, routing: routingConfig }),
    ramps,
    catalog,
    payments,
    catalogForSale,
    setupRevisions: revisions,
    checkout,
    paymentEvents,
    reconciliation,
    eventsBackfill,
    orders,
    doctor,
    testPayments,
    unrecordedPayments,
    transactions: createTransactionsService({ db: store.db }),
    jobs,
    alerts,
    abandonedCheckouts: createAbandonedCheckouts({
      db: store.db,
      clock,
      afterMinutes: config.abandonedAfterMinutes,
    }),
    recovery,
    funnelCounter,
    funnelStats: createFunnelStats({ db: store.db, catalog, counter: funnelCounter }),
    coupons,
  };
}
