import type { Kysely } from 'kysely';
import { listCredentials, listLiveAccounts } from '../accounts/accounts.repository.js';
import type { Vault } from '../accounts/vault.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import type { JobDefinition } from '../jobs/job.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { EndpointUpkeep } from './endpoint-upkeep.js';
import type { EventsBackfill } from './events-backfill.js';
import { deleteSignatureFailuresBefore, requeueGivenUpEvents } from './webhooks.repository.js';
import { maxProcessingAttempts, type WebhooksService } from './webhooks.service.js';

export interface WebhookWatchdogDependencies {
  db: Kysely<Database>;
  clock: Clock;
  vault: Vault;
  endpointUpkeep: Pick<EndpointUpkeep, 'repair'>;
  eventsBackfill: Pick<EventsBackfill, 'backfill'>;
  webhooks: Pick<WebhooksService, 'processPending'>;
  intervalMinutes: number;
}

/** Signature failures are kept this long: doctor reads the last hour, a person the last week. */
const keptFailuresMs = 7 * 24 * 60 * 60 * 1000;

/**
 * The `webhook_watchdog` job: each account's endpoint for each mode compared with what Switchyard
 * expects and mended where that is safe (registered again, enabled, events added, replaced at the
 * SDK's API version); then the events no delivery brought fetched from Stripe's events list and
 * processed, and the events that ran out of attempts given another.
 */
export function webhookWatchdog(deps: WebhookWatchdogDependencies): JobDefinition {
  const { db, clock, vault, endpointUpkeep, eventsBackfill, webhooks } = deps;
  return {
    name: 'webhook_watchdog',
    intervalMs: deps.intervalMinutes * 60_000,
    async run({ workspaceId, signal }) {
      const said: string[] = [];
      let endpoints = 0;
      const accounts = await listLiveAccounts(db, workspaceId);
      const credentials = await listCredentials(
        db,
        accounts.map((account) => account.accountId),
      );
      for (const account of accounts) {
        for (const credential of credentials) {
          if (credential.accountId !== account.accountId || signal.aborted) continue;
          const where = `${account.handle} (${credential.mode})`;
          endpoints += 1;
          try {
            const repaired = await endpointUpkeep.repair({
              workspaceId,
              accountId: account.accountId,
              mode: credential.mode,
              secretKey: vault.open(credential.sealedSecret),
              operator: false,
            });
            said.push(...repaired.repairs.map((repair) => `${where}: ${repair}`));
            said.push(
              ...repaired.left.map(
                (left) =>
                  `${where}: ${left} \`switchyard accounts verify ${account.handle}\` mends it.`,
              ),
            );
          } catch (error) {
            if (!(error instanceof StripeGatewayError)) throw error;
            said.push(`${where}: could not compare the endpoint with Stripe's (${error.message}).`);
          }
        }
      }
      if (signal.aborted) return [...said, 'Stopped: the instance is shutting down.'].join(' ');
      const retried = await requeueGivenUpEvents(db, maxProcessingAttempts);
      const processed = await webhooks.processPending();
      // Processes what it fetches itself.
      const fetched = await eventsBackfill.backfill();
      await deleteSignatureFailuresBefore(
        db,
        new Date(clock().getTime() - keptFailuresMs).toISOString(),
      );
      if (said.length === 0) said.push(`${endpoints} endpoint(s) as expected.`);
      said.push(
        `Gave ${retried} event(s) out of attempts another try; processed ${processed} stored event(s); fetched ${fetched} event(s) no delivery brought.`,
      );
      return said.join(' ');
    },
  };
}
