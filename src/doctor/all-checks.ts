import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { HealthService } from '../accounts/health.service.js';
import type { Vault } from '../accounts/vault.js';
import { alertChannelCheck } from '../alerts/alert-channel-check.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { UnrecordedPayments } from '../checkout/unrecorded-payments.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { TestPayments } from '../operations/test-payments.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import type { StripeGateway } from '../stripe/gateway.js';
import type { EndpointUpkeep } from '../webhooks/endpoint-upkeep.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import type { DoctorCheck } from './check.js';
import { capChecks } from './checks/caps.js';
import { configurationChecks } from './checks/configuration.js';
import { accountStateChecks } from './checks/state.js';
import { stripeAccountCheck } from './checks/stripe-account.js';
import { connectCallbacksCheck, connectPlatformCheck } from './checks/stripe-connect.js';
import { createTestPaymentChecks } from './checks/test-payments.js';
import { webhookChecks } from './checks/webhooks.js';

/**
 * What the checks are built from. Each area's factory takes what it needs from here; the
 * composition root (services.ts) fills it in.
 */
export interface CheckDependencies {
  db: Kysely<Database>;
  clock: Clock;
  config: Config;
  gateway: StripeGateway;
  vault: Vault;
  accounts: AccountsService;
  health: HealthService;
  routingConfig: RoutingConfigService;
  catalog: CatalogService;
  webhooks: WebhooksService;
  testPayments: TestPayments;
  unrecordedPayments: UnrecordedPayments;
  endpointUpkeep: EndpointUpkeep;
}

/** Every doctor check, one group per area; each area adds its factory here. */
export function allChecks(deps: CheckDependencies): DoctorCheck[] {
  return [
    configurationChecks(deps),
    accountStateChecks({ ...deps, quietAccountHours: deps.config.quietAccountHours }),
    capChecks(deps),
    alertChannelCheck(deps),
    stripeAccountCheck(deps),
    connectPlatformCheck(deps),
    connectCallbacksCheck(deps),
    createTestPaymentChecks({
      testPayments: deps.testPayments,
      unrecordedPayments: deps.unrecordedPayments,
      testPaymentMinutes: deps.config.jobs.testPaymentMinutes,
    }),
    webhookChecks(deps),
  ];
}
