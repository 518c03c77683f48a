import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Vault } from '../accounts/vault.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError, isAppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { decodeStripeEvent, type StripeEventAction } from '../stripe/event-actions.js';
import type { StripeGateway, VerifiedWebhookEvent } from '../stripe/gateway.js';
import {
  claimUnprocessedEvents,
  findEndpoint,
  insertEndpoint,
  insertEventOnce,
  insertSignatureFailure,
  listEndpointsOfAccount,
  markEventFailed,
  markEventProcessed,
  renewEventClaim,
  type SignatureFailure,
  updateEndpoint,
  type WebhookEndpoint,
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
/** After this many failed attempts an event waits (stored, with its error) for the watchdog. */
export const maxProcessingAttempts = 8;
const maxAttempts = maxProcessingAttempts;
/**
 * Events are claimed a few at a time for a minute, and each claim is renewed just before its
 * event is reacted to, so that instances share the work and an event delivered to two of them at
 * once is reacted to by one; a crashed instance's claim runs out. One reaction's Stripe calls end
 * within the claim (a 20 s timeout and one retry).
 */
const claimBatch = 10;
const claimMs = 60_000;
/** A failed event is due again after 5 s, 10 s, 20 s … at most 10 minutes. */
function retryDelayMs(attempts: number): number {
  return Math.min(600_000, 5_000 * 2 ** attempts);
}

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

/**
 * Webhooks from every connected account: an endpoint per account and mode, each delivery verified
 * and stored once, stored events processed after the answer and retried until they succeed.
 */
export interface WebhooksService {
  /** Says what the app does with each of Stripe's events. */
  reactWith(reaction: StripeEventReaction): void;
  /**
   * Registers the account's endpoint for the mode at Stripe; a failure is a warning, not an error
   * (the endpoint is then kept without its Stripe side, which the watchdog registers later).
   */
  registerEndpoint(input: {
    workspaceId: string;
    accountId: string;
    mode: 'test' | 'live';
    secretKey: string;
  }): Promise<{ endpoint: WebhookEndpoint; warnings: string[] }>;
  /** Deletes the account's endpoints at Stripe, best effort: the account is going either way. */
  removeEndpoints(input: {
    accountId: string;
    secretKeyOf: (mode: 'test' | 'live') => Promise<string | null>;
  }): Promise<void>;
  /** One delivery: verify, store once, answer. Processing happens after the answer. */
  receive(input: {
    endpointId: string;
    rawBody: Buffer;
    signature: string | undefined;
  }): Promise<{ duplicate: boolean }>;
  /**
   * Stores an event once per account and event id, however it came (a delivery or the events
   * list); true when it is new. Stored events are processed by `processPending`.
   */
  ingest(
    endpoint: Pick<WebhookEndpoint, 'endpointId' | 'workspaceId' | 'accountId'>,
    event: VerifiedWebhookEvent,
  ): Promise<boolean>;
  /** Processes stored events; concurrent calls share one run. Answers how many were processed. */
  processPending(): Promise<number>;
  /** Resumes what a restart left, then keeps retrying failures every `intervalMs`. */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

export interface WebhooksDependencies {
  db: Kysely<Database>;
  gateway: StripeGateway;
  vault: Vault;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'countWebhookEvent' | 'countWebhookFailure'>;
  publicUrl: string;
  /** The API version endpoints are registered at: the SDK's, which our code reads events as. */
  apiVersion: string;
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

export function createWebhooksService(deps: WebhooksDependencies): WebhooksService {
  const { db, gateway, vault, clock, logger, metrics, publicUrl, apiVersion } = deps;
  let react: StripeEventReaction | null = null;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | null = null;
  // This instance's name on the events it claims.
  const claimToken = newId('wcl');

  const ingest: WebhooksService['ingest'] = async (endpoint, event) => {
    const stored = await insertEventOnce(db, {
      id: newId('wev'),
      workspaceId: endpoint.workspaceId,
      accountId: endpoint.accountId,
      endpointId: endpoint.endpointId,
      stripeEventId: event.id,
      type: event.type,
      stripeCreated: event.created,
      event,
      receivedAt: clock().toISOString(),
      processedAt: null,
      attempts: 0,
      lastError: null,
    });
    metrics.countWebhookEvent({ duplicate: !stored });
    return stored;
  };

  /** Kept for doctor (webhook_signature_failures): when and why, never what was sent. */
  async function recordSignatureFailure(
    endpoint: WebhookEndpoint,
    reason: SignatureFailure['reason'],
  ): Promise<void> {
    await insertSignatureFailure(db, {
      failureId: newId('wsf'),
      workspaceId: endpoint.workspaceId,
      accountId: endpoint.accountId,
      endpointId: endpoint.endpointId,
      mode: endpoint.mode,
      reason,
      receivedAt: clock().toISOString(),
    });
  }

  /** The header's own timestamp (`t=`) outside the tolerance: an old or replayed delivery. */
  function isStale(signature: string): boolean {
    const stamp = /(?:^|,)t=(\d+)/.exec(signature)?.[1];
    if (stamp === undefined) return false;
    return Math.abs(clock().getTime() / 1000 - Number(stamp)) > signatureToleranceSeconds;
  }

  async function processPending(): Promise<number> {
    let processed = 0;
    for (;;) {
      const claimedAt = clock().getTime();
      const batch = await claimUnprocessedEvents(db, {
        maxAttempts,
        limit: claimBatch,
        now: new Date(claimedAt).toISOString(),
        until: new Date(claimedAt + claimMs).toISOString(),
        holder: claimToken,
      });
      if (batch.length === 0) return processed;
      for (const stored of batch) {
        const now = clock().getTime();
        const stillOurs = await renewEventClaim(db, {
          id: stored.id,
          holder: claimToken,
          until: new Date(now + claimMs).toISOString(),
        });
        if (!stillOurs) continue;
        const endpoint = await findEndpoint(db, stored.endpointId);
        const { event } = stored;
        try {
          const action = decodeStripeEvent(event);
          if (action.kind === 'ignored') {
            logger.info(
              { event: stored.stripeEventId, type: stored.type, reason: action.reason },
              'Stripe event ignored',
            );
          } else if (react) {
            await react(action, {
              workspaceId: stored.workspaceId,
              accountId: stored.accountId,
              mode: endpoint?.mode ?? (event.livemode ? 'live' : 'test'),
            });
          }
          await markEventProcessed(db, stored.id, clock().toISOString());
          processed += 1;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          metrics.countWebhookFailure();
          await markEventFailed(db, {
            id: stored.id,
            holder: claimToken,
            error: message,
            retryAt: new Date(clock().getTime() + retryDelayMs(stored.attempts)).toISOString(),
          });
          logger.warn(
            {
              event: stored.stripeEventId,
              type: stored.type,
              attempt: stored.attempts + 1,
              err: message,
            },
            'webhook event handler failed; will retry',
          );
        }
      }
    }
  }

  return {
    reactWith(reaction) {
      react = reaction;
    },

    async registerEndpoint(input) {
      const warnings: string[] = [];
      const endpointId = newId('whe');
      const url = `${publicUrl}/webhooks/stripe/${endpointId}`;
      if (input.mode === 'live' && isLocal(url)) {
        warnings.push(
          `PUBLIC_URL is ${publicUrl}, which Stripe cannot reach: live webhooks (payments, refunds, account changes) will not arrive. Set PUBLIC_URL to this server's public https address and verify the account again.`,
        );
      }
      const endpoint: WebhookEndpoint = {
        endpointId,
        workspaceId: input.workspaceId,
        accountId: input.accountId,
        mode: input.mode,
        stripeEndpointId: null,
        url,
        sealedSecret: null,
        createdAt: clock().toISOString(),
        removedAt: null,
      };
      await insertEndpoint(db, endpoint);
      try {
        const created = await gateway.createWebhookEndpoint({
          credentials: { secretKey: input.secretKey },
          url,
          events: [...subscribedEvents],
          description: 'Switchyard',
          idempotencyKey: `${endpointId}-create`,
          apiVersion,
        });
        endpoint.stripeEndpointId = created.id;
        endpoint.sealedSecret = vault.seal(created.secret);
        await updateEndpoint(db, endpointId, {
          stripeEndpointId: endpoint.stripeEndpointId,
          sealedSecret: endpoint.sealedSecret,
        });
      } catch (error) {
        warnings.push(
          `Stripe did not register the ${input.mode} webhook endpoint (${(error as Error).message}). Switchyard will not hear about this account's events until verifying the account again succeeds.`,
        );
      }
      return { endpoint, warnings };
    },

    async removeEndpoints(input) {
      for (const endpoint of await listEndpointsOfAccount(db, input.accountId)) {
        await updateEndpoint(db, endpoint.endpointId, { removedAt: clock().toISOString() });
        const secretKey = await input.secretKeyOf(endpoint.mode);
        if (!endpoint.stripeEndpointId || !secretKey) continue;
        try {
          await gateway.deleteWebhookEndpoint({
            credentials: { secretKey },
            id: endpoint.stripeEndpointId,
          });
        } catch (error) {
          logger.warn(
            { endpoint: endpoint.stripeEndpointId, err: (error as Error).message },
            'could not delete a webhook endpoint at Stripe; delete it in the dashboard',
          );
        }
      }
    },

    async receive(input) {
      const endpoint = await findEndpoint(db, input.endpointId);
      const refusal = new AppError('bad_request', 'Webhook signature verification failed.');
      if (!endpoint?.sealedSecret) throw refusal;
      if (!input.signature) {
        await recordSignatureFailure(endpoint, 'unsigned');
        throw refusal;
      }
      let event: VerifiedWebhookEvent;
      try {
        event = gateway.verifyWebhookEvent({
          payload: input.rawBody,
          signature: input.signature,
          secret: vault.open(endpoint.sealedSecret),
          toleranceSeconds: signatureToleranceSeconds,
        });
      } catch (error) {
        // A verified delivery whose event is malformed says why; anything else gives nothing away.
        if (isAppError(error)) throw error;
        await recordSignatureFailure(endpoint, isStale(input.signature) ? 'stale' : 'mismatch');
        throw refusal;
      }
      return { duplicate: !(await ingest(endpoint, event)) };
    },

    ingest,

    processPending() {
      running ??= processPending().finally(() => {
        running = null;
      });
      return running;
    },

    start(intervalMs = 5_000) {
      const tick = () => {
        this.processPending().catch((error: unknown) =>
          logger.error({ err: error }, 'webhook processing failed'),
        );
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
