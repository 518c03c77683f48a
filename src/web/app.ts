import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, LogController, type RouteOptions } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registerAccountHealthRoute, registerAccountRoutes } from '../accounts/accounts.routes.js';
import {
  registerConnectCallbackRoute,
  registerConnectStartRoute,
} from '../accounts/connect.routes.js';
import { registerAlertRoutes } from '../alerts/alerts.routes.js';
import { registerFunnelStatsRoutes } from '../analytics/stats.routes.js';
import { registerAuditRoutes } from '../audit/audit.routes.js';
import { registerCatalogRoutes } from '../catalog/catalog.routes.js';
import { registerCheckoutRoutes } from '../checkout/checkout.routes.js';
import { registerOrderRoutes } from '../checkout/orders.routes.js';
import { checkoutLimiters } from '../checkout/rate-limits.js';
import { registerUnrecordedPaymentRoutes } from '../checkout/unrecorded-payments.routes.js';
import type { Config } from '../config.js';
import { registerConsoleRoutes } from '../console/console.routes.js';
import { registerCouponRoutes } from '../coupons/coupons.routes.js';
import type { Store } from '../db/database.js';
import { registerDoctorRoutes } from '../doctor/doctor.routes.js';
import type { App } from '../http/app.js';
import { answerUnreadableRequest, handleError, handleNotFound } from '../http/error-handler.js';
import { registerJobRoutes } from '../jobs/jobs.routes.js';
import { registerMetricsRoute } from '../metrics/metrics.routes.js';
import { registerTestPaymentRoutes } from '../operations/test-payments.routes.js';
import { registerAbandonedCheckoutRoutes } from '../recovery/abandoned.routes.js';
import { registerRoutingConfigRoutes } from '../routing-config/routing-config.routes.js';
import { registerRampRoutes } from '../routing-ramp/ramp.routes.js';
import { registerRoutingReplayRoutes } from '../routing-replay/replay.routes.js';
import type { Services } from '../services.js';
import { registerTransactionRoutes } from '../transactions/transactions.routes.js';
import { registerWebhookRoutes } from '../webhooks/webhooks.routes.js';
import { registerAdminRoutes } from './admin.js';
import { registerHealthRoutes } from './health.routes.js';
import { parseJsonBodiesWithDepthLimit } from './json-body.js';
import { registerOpenApi } from './openapi.js';
import {
  addSecurityHeaders,
  checkoutPolicy,
  presetSecurityHeaders,
  stripeSourcesOf,
} from './security-headers.js';
import { refuseNulCharacters } from './text-guard.js';

export interface AppDependencies {
  config: Config;
  store: Store;
  logger: Logger;
  services: Services;
  /** Sees every route as it is added (the OpenAPI test lists the admin routes with it). */
  onRoute?: (route: RouteOptions) => void;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Assembles the HTTP application from its collaborators; it does not listen. */
export async function buildApp({
  config,
  store,
  logger,
  services,
  onRoute,
}: AppDependencies): Promise<App> {
  // Typed as Fastify's logger so the app and its plugin scopes share one instance type.
  const loggerInstance: FastifyBaseLogger = logger;
  const securitySettings = {
    stripeJsUrl: config.stripeJsUrl,
    publicUrl: config.publicUrl,
    connectAuthorizeUrl: config.stripeConnect?.authorizeUrl ?? null,
  };
  const presetHeaders = presetSecurityHeaders(securitySettings);
  // Node's refusals skip every hook: the buyer's error page gets its policy here (no embeds on it).
  const unreadablePageHeaders = {
    'content-security-policy': checkoutPolicy(
      { images: [], frames: [] },
      stripeSourcesOf(config.stripeJsUrl),
    ),
    'x-frame-options': 'DENY',
  };
  const app = Fastify({
    loggerInstance,
    genReqId: function requestId(request) {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming)
        ? incoming
        : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: 1024 * 1024,
    // Fastify's own answers to a bad URL or an over-long path segment would skip our error shape,
    // and they run no hook: the security headers are set first here.
    frameworkErrors: function answerFrameworkError(error, request, reply) {
      presetHeaders(request, reply);
      handleError(error, request, reply);
    },
    clientErrorHandler: function answerUnreadable(error, socket) {
      answerUnreadableRequest(error, socket, unreadablePageHeaders);
    },
    return503OnClosing: true,
    // Off unless TRUST_PROXY names the proxies: anyone could send X-Forwarded-For otherwise.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
  }).withTypeProvider<ZodTypeProvider>();
  if (onRoute) app.addHook('onRoute', onRoute);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  parseJsonBodiesWithDepthLimit(app);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('preValidation', refuseNulCharacters);
  // The route's pattern, never the URL: one series per route, whatever ids the paths carry.
  app.addHook('onResponse', async function timeRequest(request, reply) {
    services.metrics.observeRequest({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      statusCode: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
  app.addHook('onSend', async function echoRequestId(request, reply) {
    reply.header('x-request-id', request.id);
    // While shutting down, a kept-alive connection would hold the process open until it times out.
    if (!app.server.listening) reply.header('connection', 'close');
  });

  addSecurityHeaders(app, securitySettings);

  // Counted page views still held in memory are written before the store closes.
  app.addHook('onClose', () => services.funnelCounter.close());
  // Before every route: the document is built from the routes as they are added.
  await registerOpenApi(app);
  registerHealthRoutes(app, store);
  registerMetricsRoute(app, { metrics: services.metrics, access: config.metrics });
  await registerWebhookRoutes(app, services.webhooks);
  registerConnectCallbackRoute(app, services.connect);
  await registerAdminRoutes(app, services.tokens, function adminRoutes(admin) {
    registerAccountRoutes(admin, services.accounts);
    registerAccountHealthRoute(admin, services.health);
    registerRoutingConfigRoutes(admin, services.routingConfig);
    registerRoutingReplayRoutes(admin, services.routingReplay);
    registerRampRoutes(admin, services.ramps);
    registerConnectStartRoute(admin, services.connect);
    registerAuditRoutes(admin, services.audit);
    registerCatalogRoutes(admin, services.catalog);
    registerOrderRoutes(admin, services.orders);
    registerTestPaymentRoutes(admin, services.testPayments);
    registerUnrecordedPaymentRoutes(admin, services.unrecordedPayments);
    registerTransactionRoutes(admin, services.transactions);
    registerAlertRoutes(admin, services.alerts);
    registerDoctorRoutes(admin, services.doctor);
    registerJobRoutes(admin, services.jobs);
    registerAbandonedCheckoutRoutes(admin, services.abandonedCheckouts);
    registerFunnelStatsRoutes(admin, {
      stats: services.funnelStats,
      clock: services.clock,
      catalog: services.catalog,
    });
    registerCouponRoutes(admin, services.coupons);
  });
  await registerConsoleRoutes(app, { services, config });
  await registerCheckoutRoutes(app, {
    checkout: services.checkout,
    recovery: services.recovery,
    counter: services.funnelCounter,
    catalog: services.catalogForSale,
    revisions: services.setupRevisions,
    vault: services.vault,
    stripeJsUrl: config.stripeJsUrl,
    publicUrl: config.publicUrl,
    limiters: checkoutLimiters(app, {
      db: store.db,
      clock: services.clock,
      logger,
      limits: config.checkoutLimits,
    }),
  });
  return app;
}
