import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Vault } from '../accounts/vault.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database, WebhookEndpointTable } from '../db/schema.js';
import { AppError, isAppError } from '../errors.js';
import { decodeStripeEvent, type StripeEventAction } from '../stripe/event-actions.js';
import type { StripeGateway, VerifiedWebhookEvent } from '../stripe/gateway.js';
import {
  findEndpoint,
  insertEndpoint,
  insertEventOnce,
  listEndpointsOfAccount,
  listUnprocessedEvents,
  markEventFailed,
  markEventProcessed,
  updateEndpoint,
} from './webhooks.repository.js';

/** The events Switchyard asks each account for. */
export const subscribedEvents = [
  'account.updated',
  'account.application.deauthorized',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.requires_action',
  'payment_intent.processing',
  'charge.failed',
  'charge.refunded',
  'refund.created',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
] as const;

/** Stripe's own default: a signature older than five minutes is a replay. */
const signatureToleranceSeconds = 300;
/** After this many failed attempts an event waits for a person (it stays stored, with its error). */
const maxAttempts = 8;

export interface StoredEventContext {
  workspaceId: string;
  accountId: string;
  mode: 'test' | 'live';
}

/** What the app does with one of Stripe's events, decoded (a repeat must change nothing). */
export type StripeEventReaction = (
  action: StripeEventAction,
  context: StoredEventContext,
) => Promise<void>;

export interface WebhooksDependencies {
  db: Kysely<Database>;
  gateway: StripeGateway;
  vault: Vault;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
}

function isLocal(url: string): boolean {
  const { hostname, protocol } = new URL(url);
  return (
    protocol !== 'https:' ||
    hostname === 'localhost' ||
    /^127\./.test(hostname) ||
    hostname === '[::1]' ||
    /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(hostname)
  );
}

/**
 * Webhooks from every connected account: registers an endpoint per account and mode, verifies and
 * stores each delivery once, and processes stored events through handlers by type, retrying failures
 * and resuming after a restart.
 */
export function createWebhooksService(deps: WebhooksDependencies) {
  const { db, gateway, vault, clock, logger, publicUrl } = deps;
  let react: StripeEventReaction | null = null;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | null = null;

  /**
   * Stores an event once per account and event id, however it came (a delivery or the events
   * list); true when it is new. Stored events are processed by `processPending`.
   */
  async function ingest(
    endpoint: WebhookEndpointTable,
    event: VerifiedWebhookEvent,
  ): Promise<boolean> {
    return insertEventOnce(db, {
      webhook_event_id: newId('wev'),
      workspace_id: endpoint.workspace_id,
      account_id: endpoint.account_id,
      endpoint_id: endpoint.endpoint_id,
      stripe_event_id: event.id,
      type: event.type,
      stripe_created: event.created,
      payload: JSON.stringify(event),
      received_at: clock().toISOString(),
      processed_at: null,
      attempts: 0,
      last_error: null,
    });
  }

  async function processPending(): Promise<number> {
    let processed = 0;
    for (;;) {
      const batch = await listUnprocessedEvents(db, { maxAttempts, limit: 50 });
      if (batch.length === 0) return processed;
      let progressed = false;
      for (const row of batch) {
        const endpoint = await findEndpoint(db, row.endpoint_id);
        const event = JSON.parse(row.payload) as VerifiedWebhookEvent;
        try {
          const action = decodeStripeEvent(event);
          if (action.kind === 'ignored') {
            logger.info(
              { event: row.stripe_event_id, type: row.type, reason: action.reason },
              'Stripe event ignored',
            );
          } else if (react) {
            await react(action, {
              workspaceId: row.workspace_id,
              accountId: row.account_id,
              mode: endpoint?.mode ?? (event.livemode ? 'live' : 'test'),
            });
          }
          await markEventProcessed(db, row.webhook_event_id, clock().toISOString());
          processed += 1;
          progressed = true;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          await markEventFailed(db, row.webhook_event_id, message);
          logger.warn(
            { event: row.stripe_event_id, type: row.type, attempt: row.attempts + 1, err: message },
            'webhook event handler failed; will retry',
          );
        }
      }
      // Only failures left in this batch: leave them for the next retry tick.
      if (!progressed) return processed;
    }
  }

  return {
    /** Says what the app does with each of Stripe's events. */
    reactWith(reaction: StripeEventReaction): void {
      react = reaction;
    },

    async registerEndpoint(input: {
      workspaceId: string;
      accountId: string;
      mode: 'test' | 'live';
      secretKey: string;
    }): Promise<{ warnings: string[] }> {
      const warnings: string[] = [];
      const endpointId = newId('whe');
      const url = `${publicUrl}/webhooks/stripe/${endpointId}`;
      if (input.mode === 'live' && isLocal(url)) {
        warnings.push(
          `PUBLIC_URL is ${publicUrl}, which Stripe cannot reach: live webhooks (payments, refunds, account changes) will not arrive. Set PUBLIC_URL to this server's public https address and run "switchyard accounts verify".`,
        );
      }
      await insertEndpoint(db, {
        endpoint_id: endpointId,
        workspace_id: input.workspaceId,
        account_id: input.accountId,
        mode: input.mode,
        stripe_endpoint_id: null,
        url,
        secret_encrypted: null,
        created_at: clock().toISOString(),
        removed_at: null,
      });
      try {
        const created = await gateway.createWebhookEndpoint({
          credentials: { secretKey: input.secretKey },
          url,
          events: [...subscribedEvents],
          description: 'Switchyard',
          idempotencyKey: `${endpointId}-create`,
        });
        await updateEndpoint(db, endpointId, {
          stripe_endpoint_id: created.id,
          secret_encrypted: vault.seal(created.secret),
        });
      } catch (error) {
        warnings.push(
          `Stripe did not register the ${input.mode} webhook endpoint (${(error as Error).message}). Switchyard will not hear about this account's events until "switchyard accounts verify" succeeds.`,
        );
      }
      return { warnings };
    },

    /** Deletes the account's endpoints at Stripe, best effort: the account is going either way. */
    async removeEndpoints(input: {
      accountId: string;
      secretKeyOf: (mode: 'test' | 'live') => Promise<string | null>;
    }) {
      for (const endpoint of await listEndpointsOfAccount(db, input.accountId)) {
        await updateEndpoint(db, endpoint.endpoint_id, { removed_at: clock().toISOString() });
        const secretKey = await input.secretKeyOf(endpoint.mode);
        if (!endpoint.stripe_endpoint_id || !secretKey) continue;
        try {
          await gateway.deleteWebhookEndpoint({
            credentials: { secretKey },
            id: endpoint.stripe_endpoint_id,
          });
        } catch (error) {
          logger.warn(
            { endpoint: endpoint.stripe_endpoint_id, err: (error as Error).message },
            'could not delete a webhook endpoint at Stripe; delete it in the dashboard',
          );
        }
      }
    },

    /** One delivery: verify, store once, answer. Processing happens after the answer. */
    async receive(input: {
      endpointId: string;
      rawBody: Buffer;
      signature: string | undefined;
    }): Promise<{ duplicate: boolean }> {
      const endpoint = await findEndpoint(db, input.endpointId);
      const refusal = new AppError('bad_request', 'Webhook signature verification failed.');
      if (!endpoint?.secret_encrypted || !input.signature) throw refusal;
      let event: VerifiedWebhookEvent;
      try {
        event = gateway.verifyWebhookEvent({
          payload: input.rawBody,
          signature: input.signature,
          secret: vault.open(endpoint.secret_encrypted),
          toleranceSeconds: signatureToleranceSeconds,
        });
      } catch (error) {
        // A verified delivery whose event is malformed says why; anything else gives nothing away.
        throw isAppError(error) ? error : refusal;
      }
      return { duplicate: !(await ingest(endpoint, event)) };
    },

    ingest,

    /** Processes stored events; concurrent calls share one run. */
    processPending(): Promise<number> {
      running ??= processPending().finally(() => {
        running = null;
      });
      return running;
    },

    /** Resumes what a restart left, then keeps retrying failures every `intervalMs`. */
    start(intervalMs = 5_000): void {
      const tick = () => {
        this.processPending().catch((error: unknown) =>
          logger.error({ err: error }, 'webhook processing failed'),
        );
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
