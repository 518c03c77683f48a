import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { CallLimit, StripeGateway, WebhookEndpointSummary } from '../stripe/gateway.js';
import {
  findCurrentEndpoint,
  listEndpointsOfAccount,
  summarizeSignatureFailures,
  updateEndpoint,
  type WebhookEndpoint,
} from './webhooks.repository.js';
import { subscribedEvents, type WebhooksService } from './webhooks.service.js';

type Mode = 'test' | 'live';

/** Signature failures this recent mean Stripe signs with a secret we do not hold. */
export const signatureFailureWindowMs = 60 * 60 * 1000;

/** An account's endpoint for one mode, here and at Stripe, against what this server expects. */
export interface EndpointState {
  /** Ours; undefined when none was ever made. */
  endpoint: WebhookEndpoint | undefined;
  /** Stripe's side; null when Stripe has none (deleted there, or never registered). */
  atStripe: WebhookEndpointSummary | null;
  /** Where this server expects Stripe to send: `${PUBLIC_URL}/webhooks/stripe/<id>`. */
  expectedUrl: string | null;
  /** Events Switchyard needs that the endpoint does not send. */
  missingEvents: string[];
  /** The version the endpoint's events should be rendered at: the SDK's. */
  expectedApiVersion: string;
  /** Its events are rendered at an older version, or the account's default (null). */
  apiVersionBehind: boolean;
}

export interface EndpointRepair {
  /** What was mended, one sentence each. */
  repairs: string[];
  /** What is still wrong and was left, one sentence each. */
  left: string[];
}

/**
 * Keeps each account's endpoint as Switchyard needs it: `inspect` compares, `repair` mends. An
 * operator's repair (`accounts verify`) also takes back an endpoint that points at another server
 * and replaces one whose signing secret we lack; the watchdog leaves those two to a person, since
 * another install may own the endpoint and anyone can post a bad signature.
 */
export interface EndpointUpkeep {
  inspect(
    input: { accountId: string; mode: Mode; secretKey: string } & CallLimit,
  ): Promise<EndpointState>;
  repair(input: {
    workspaceId: string;
    accountId: string;
    mode: Mode;
    secretKey: string;
    operator: boolean;
  }): Promise<EndpointRepair>;
}

export interface EndpointUpkeepDependencies {
  db: Kysely<Database>;
  gateway: StripeGateway;
  clock: Clock;
  webhooks: Pick<WebhooksService, 'registerEndpoint'>;
  publicUrl: string;
  apiVersion: string;
}

/** In the order `findCurrentEndpoint` reads them: by creation, then id. */
function isOlder(endpoint: WebhookEndpoint, than: WebhookEndpoint): boolean {
  return (
    endpoint.createdAt < than.createdAt ||
    (endpoint.createdAt === than.createdAt && endpoint.endpointId < than.endpointId)
  );
}

/** `2026-10-28.endive` and `2024-06-20` compare by their dates. */
function isOlderVersion(version: string | null, than: string): boolean {
  return version === null || version.slice(0, 10) < than.slice(0, 10);
}

export function createEndpointUpkeep(deps: EndpointUpkeepDependencies): EndpointUpkeep {
  const { db, gateway, clock, webhooks, publicUrl, apiVersion } = deps;

  async function inspect(
    input: { accountId: string; mode: Mode; secretKey: string } & CallLimit,
  ): Promise<EndpointState> {
    const endpoint = await findCurrentEndpoint(db, input);
    let atStripe: WebhookEndpointSummary | null = null;
    if (endpoint?.stripeEndpointId) {
      try {
        atStripe = await gateway.retrieveWebhookEndpoint({
          credentials: { secretKey: input.secretKey },
          id: endpoint.stripeEndpointId,
          timeoutMs: input.timeoutMs,
          signal: input.signal,
        });
      } catch (error) {
        if (!(error instanceof StripeGatewayError) || error.stripeCode !== 'resource_missing') {
          throw error;
        }
      }
    }
    const enabled = atStripe?.enabledEvents ?? [];
    return {
      endpoint,
      atStripe,
      expectedUrl: endpoint ? `${publicUrl}/webhooks/stripe/${endpoint.endpointId}` : null,
      missingEvents:
        atStripe === null || enabled.includes('*')
          ? []
          : subscribedEvents.filter((type) => !enabled.includes(type)),
      expectedApiVersion: apiVersion,
      apiVersionBehind: atStripe !== null && isOlderVersion(atStripe.apiVersion, apiVersion),
    };
  }

  async function signatureFailuresOf(endpoint: WebhookEndpoint): Promise<number> {
    const since = new Date(clock().getTime() - signatureFailureWindowMs).toISOString();
    return (await summarizeSignatureFailures(db, { endpointId: endpoint.endpointId, since })).count;
  }

  /** Why the endpoint must be made anew, or null when mending it in place will do. */
  async function replacementReason(state: EndpointState, operator: boolean) {
    const { endpoint, atStripe } = state;
    if (!endpoint?.stripeEndpointId) return 'Stripe had not registered one';
    if (!atStripe) return `${endpoint.stripeEndpointId} is gone at Stripe`;
    if (state.apiVersionBehind) {
      return `${atStripe.id} rendered events at ${atStripe.apiVersion ?? "the account's default API version"}, not ${apiVersion}`;
    }
    if (operator && (await signatureFailuresOf(endpoint)) > 0) {
      return `Stripe signed deliveries to ${atStripe.id} with a secret Switchyard does not hold`;
    }
    return null;
  }

  /** Registers a new endpoint, then removes the ones it replaces, here and at Stripe. */
  async function replace(
    input: { workspaceId: string; accountId: string; mode: Mode; secretKey: string },
    reason: string,
  ): Promise<EndpointRepair> {
    const registered = await webhooks.registerEndpoint(input);
    const fresh = registered.endpoint;
    const removedAt = clock().toISOString();
    if (!fresh.stripeEndpointId) {
      await updateEndpoint(db, fresh.endpointId, { removedAt });
      return { repairs: [], left: registered.warnings };
    }
    for (const old of await listEndpointsOfAccount(db, input.accountId)) {
      // Only older ones: of two repairs at once, the newer endpoint survives, not neither.
      if (old.mode !== input.mode || !isOlder(old, fresh)) continue;
      await updateEndpoint(db, old.endpointId, { removedAt });
      if (!old.stripeEndpointId) continue;
      await gateway
        .deleteWebhookEndpoint({
          credentials: { secretKey: input.secretKey },
          id: old.stripeEndpointId,
        })
        .catch((error: unknown) => {
          if (!(error instanceof StripeGatewayError) || error.stripeCode !== 'resource_missing') {
            throw error;
          }
        });
    }
    return {
      repairs: [
        `Registered a new ${input.mode} webhook endpoint ${fresh.stripeEndpointId} at ${fresh.url}: ${reason}.`,
      ],
      left: registered.warnings,
    };
  }

  return {
    inspect,

    async repair(input) {
      const state = await inspect(input);
      const reason = await replacementReason(state, input.operator);
      const { endpoint, atStripe, expectedUrl } = state;
      if (reason !== null || !endpoint || !atStripe || !expectedUrl) {
        return replace(input, reason ?? 'Stripe had not registered one');
      }
      const named = `the ${input.mode} webhook endpoint ${atStripe.id}`;
      const repairs: string[] = [];
      const left: string[] = [];
      const change: { url?: string; events?: string[]; disabled?: boolean } = {};
      if (atStripe.status !== 'enabled') {
        change.disabled = false;
        repairs.push(`Enabled ${named} again (Stripe had it ${atStripe.status}).`);
      }
      if (atStripe.url !== expectedUrl) {
        if (input.operator) {
          change.url = expectedUrl;
          repairs.push(`Pointed ${named} at ${expectedUrl} (it pointed at ${atStripe.url}).`);
        } else {
          left.push(
            `${named} points at ${atStripe.url}, not at this server (${expectedUrl}); left as it is, since another server may own it.`,
          );
        }
      }
      if (state.missingEvents.length > 0) {
        change.events = [...atStripe.enabledEvents, ...state.missingEvents];
        repairs.push(`Subscribed ${named} to ${state.missingEvents.join(', ')}.`);
      }
      if (!input.operator) {
        const failures = await signatureFailuresOf(endpoint);
        if (failures > 0) {
          left.push(
            `${failures} deliveries to ${named} failed signature verification in the last hour; it was not replaced, since anyone can send a bad signature.`,
          );
        }
      }
      if (Object.keys(change).length > 0) {
        await gateway.updateWebhookEndpoint({
          credentials: { secretKey: input.secretKey },
          id: atStripe.id,
          ...change,
        });
        if (change.url) await updateEndpoint(db, endpoint.endpointId, { url: change.url });
      }
      return { repairs, left };
    },
  };
}
