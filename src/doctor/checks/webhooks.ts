import type { Kysely } from 'kysely';
import type { Mode } from '../../accounts/key-verification.js';
import type { Vault } from '../../accounts/vault.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { StripeGatewayError } from '../../stripe/errors.js';
import type { StripeGateway, VerifiedWebhookEvent } from '../../stripe/gateway.js';
import {
  type EndpointState,
  type EndpointUpkeep,
  signatureFailureWindowMs,
} from '../../webhooks/endpoint-upkeep.js';
import {
  findCurrentEndpoint,
  findEventCursor,
  findStoredEventIds,
  summarizeFailedEvents,
  summarizeSignatureFailures,
  type WebhookEndpoint,
} from '../../webhooks/webhooks.repository.js';
import { maxProcessingAttempts, subscribedEvents } from '../../webhooks/webhooks.service.js';
import type { CheckTarget, DoctorCheck } from '../check.js';
import {
  type Finding,
  type FindingCode,
  type FindingScope,
  fail,
  findingCodes,
  pass,
  warn,
} from '../finding.js';

export const webhookCodes: readonly FindingCode[] = findingCodes.filter((code) =>
  code.startsWith('webhook_'),
);

/** The codes answered from Stripe's side of the endpoint. */
const stripeCodes = [
  'webhook_endpoint_missing',
  'webhook_endpoint_disabled',
  'webhook_endpoint_elsewhere',
  'webhook_events_missing',
  'webhook_api_version_old',
  'webhook_lag',
] as const satisfies readonly FindingCode[];

/** An event younger than this may still be on its way: it is not counted as lag. */
const inFlightSeconds = 60;
/** Stripe keeps events this long. */
const keptSeconds = 30 * 24 * 60 * 60;
/** Pages of the events list one check reads at most (a long gap is reported as "at least"). */
const lagPages = 5;

interface Place {
  scope: FindingScope;
  handle: string;
  mode: Mode;
  accountId: string;
  secretKey: string;
  now: Date;
  signal: AbortSignal;
}

/**
 * Each account's webhook endpoint for each mode: at Stripe (there, enabled, pointed here, every
 * event, the SDK's API version, nothing left undelivered) and here (signatures that verify,
 * events that were processed).
 */
export interface WebhookCheckDependencies {
  db: Kysely<Database>;
  config: Config;
  gateway: StripeGateway;
  vault: Vault;
  endpointUpkeep: Pick<EndpointUpkeep, 'inspect'>;
}

export function webhookChecks(deps: WebhookCheckDependencies): DoctorCheck {
  const { db, config, gateway, vault, endpointUpkeep } = deps;
  const watchdog = `the webhook watchdog (every ${config.jobs.webhookWatchdogMinutes} min, JOB_WEBHOOK_WATCHDOG_MINUTES)`;
  const verify = (place: Place) => `switchyard accounts verify ${place.handle}`;

  function endpointFindings(place: Place, state: EndpointState): Finding[] {
    const { scope } = place;
    const { endpoint, atStripe, expectedUrl } = state;
    if (!atStripe || !endpoint || !expectedUrl) {
      const detail = endpoint?.stripeEndpointId
        ? `Stripe has no webhook endpoint ${endpoint.stripeEndpointId} for ${place.handle} (${place.mode}): it was deleted at Stripe, so Switchyard hears none of this account's events.`
        : `Stripe has no webhook endpoint for ${place.handle} (${place.mode}): it was never registered, so Switchyard hears none of this account's events.`;
      const nothing = 'Nothing to compare: Stripe has no endpoint (see webhook_endpoint_missing).';
      return [
        fail(
          'webhook_endpoint_missing',
          scope,
          detail,
          `Run \`${verify(place)}\`: it registers a new endpoint at ${config.publicUrl}/webhooks/stripe/… (${watchdog} does the same).`,
        ),
        pass('webhook_endpoint_disabled', scope, nothing),
        pass('webhook_endpoint_elsewhere', scope, nothing),
        pass('webhook_events_missing', scope, nothing),
        pass('webhook_api_version_old', scope, nothing),
      ];
    }
    const id = atStripe.id;
    const dashboard = `Stripe's dashboard: Developers → Webhooks → ${id}`;
    const findings: Finding[] = [
      pass('webhook_endpoint_missing', scope, `Stripe has the webhook endpoint ${id}.`),
    ];
    findings.push(
      atStripe.status === 'enabled'
        ? pass('webhook_endpoint_disabled', scope, `${id} is enabled.`)
        : fail(
            'webhook_endpoint_disabled',
            scope,
            `Stripe shows the webhook endpoint ${id} as ${atStripe.status}: it sends it no events (Stripe disables an endpoint whose deliveries keep failing for days).`,
            `Run \`${verify(place)}\` to enable it again (${watchdog} does too), or enable it in ${dashboard}; if Stripe disabled it, make sure ${expectedUrl} reaches this server.`,
          ),
    );
    findings.push(
      atStripe.url === expectedUrl
        ? pass('webhook_endpoint_elsewhere', scope, `${id} sends to ${expectedUrl}.`)
        : fail(
            'webhook_endpoint_elsewhere',
            scope,
            `The webhook endpoint ${id} sends to ${atStripe.url}, not to this server's ${expectedUrl}.`,
            `If this server should hear ${place.handle}, run \`${verify(place)}\`: it points ${id} at ${expectedUrl} (set PUBLIC_URL first if ${config.publicUrl} is not this server's public address).`,
          ),
    );
    findings.push(
      state.missingEvents.length === 0
        ? pass(
            'webhook_events_missing',
            scope,
            `${id} sends all ${subscribedEvents.length} events Switchyard needs.`,
          )
        : fail(
            'webhook_events_missing',
            scope,
            `The webhook endpoint ${id} does not send ${state.missingEvents.length} of the events Switchyard needs: ${state.missingEvents.join(', ')}.`,
            `Run \`${verify(place)}\`: it adds them (${watchdog} does too), or add them in ${dashboard} → Update details → Select events.`,
          ),
    );
    findings.push(
      state.apiVersionBehind
        ? warn(
            'webhook_api_version_old',
            scope,
            `The webhook endpoint ${id} renders events at ${atStripe.apiVersion ?? "the account's default API version"}, not ${state.expectedApiVersion}, the version Switchyard's Stripe library reads.`,
            `Run \`${verify(place)}\`: it replaces ${id} with an endpoint at ${state.expectedApiVersion} (Stripe cannot change an endpoint's version in place; ${watchdog} does the same).`,
          )
        : pass(
            'webhook_api_version_old',
            scope,
            `${id} renders events at ${atStripe.apiVersion}, the version Switchyard's Stripe library reads.`,
          ),
    );
    return findings;
  }

  /** Events at Stripe since the last one read from its list (or since registration) not stored here. */
  async function lagFinding(place: Place, endpoint: WebhookEndpoint | undefined): Promise<Finding> {
    const { scope } = place;
    if (!endpoint) return pass('webhook_lag', scope, 'Nothing to compare: no endpoint.');
    const cursor = await findEventCursor(db, { accountId: place.accountId, mode: place.mode });
    const nowSeconds = Math.floor(place.now.getTime() / 1000);
    const since = Math.max(
      cursor?.lastEventCreated ?? Math.floor(Date.parse(endpoint.createdAt) / 1000),
      nowSeconds - keptSeconds,
    );
    const missed: VerifiedWebhookEvent[] = [];
    let startingAfter: string | undefined;
    let more = false;
    for (let page = 0; page < lagPages && !place.signal.aborted; page += 1) {
      const { events, hasMore } = await gateway.listEvents({
        credentials: { secretKey: place.secretKey },
        types: subscribedEvents,
        createdSince: since,
        startingAfter,
        limit: 100,
        timeoutMs: config.doctorTimeoutMs,
        signal: place.signal,
      });
      const stored = await findStoredEventIds(
        db,
        place.accountId,
        events.map((event) => event.id),
      );
      missed.push(
        ...events.filter(
          (event) => !stored.has(event.id) && event.created <= nowSeconds - inFlightSeconds,
        ),
      );
      startingAfter = events.at(-1)?.id;
      more = hasMore;
      if (!hasMore || !startingAfter) break;
    }
    const sinceText = new Date(since * 1000).toISOString();
    const oldest = missed.at(-1);
    if (!oldest) {
      return pass('webhook_lag', scope, `Every event at Stripe since ${sinceText} was received.`);
    }
    return warn(
      'webhook_lag',
      scope,
      `${more ? 'At least ' : ''}${missed.length} event(s) at Stripe since ${sinceText} were not received here; the oldest is ${oldest.id} (${oldest.type}, ${new Date(oldest.created * 1000).toISOString()}).`,
      `Switchyard fetches them from Stripe's events list every ${config.reconciliation.intervalSeconds} s (RECONCILE_INTERVAL_SECONDS) while it serves, and ${watchdog}; if the count keeps growing, mend the endpoint (the other webhook findings) and see the failed deliveries in Stripe's dashboard: Developers → Webhooks → ${endpoint.stripeEndpointId ?? 'the endpoint'}.`,
    );
  }

  async function signatureFinding(
    place: Place,
    endpoint: WebhookEndpoint | undefined,
  ): Promise<Finding> {
    const { scope } = place;
    if (!endpoint) return pass('webhook_signature_failures', scope, 'No endpoint to receive at.');
    const since = new Date(place.now.getTime() - signatureFailureWindowMs).toISOString();
    const failures = await summarizeSignatureFailures(db, {
      endpointId: endpoint.endpointId,
      since,
    });
    const named = endpoint.stripeEndpointId ?? endpoint.endpointId;
    if (failures.count === 0) {
      return pass(
        'webhook_signature_failures',
        scope,
        `Every delivery to ${named} in the last hour had a valid signature.`,
      );
    }
    const reasons = signatureReasons
      .filter((reason) => failures.byReason[reason])
      .map((reason) => `${reasonWords[reason]}: ${failures.byReason[reason]}`)
      .join(', ');
    return fail(
      'webhook_signature_failures',
      scope,
      `${failures.count} deliveries to the webhook endpoint ${named} failed signature verification in the last hour (${reasons}), the last at ${failures.lastAt}: Stripe signs with a secret Switchyard does not hold, or someone else is posting.`,
      `If the endpoint's signing secret was rolled in Stripe's dashboard (Developers → Webhooks → ${named} → Roll secret), run \`${verify(place)}\`: it registers a new endpoint whose secret Switchyard keeps and removes ${named}. If nobody rolled it, the requests were not Stripe's and were refused.`,
    );
  }

  async function processingFinding(place: Place): Promise<Finding> {
    const { scope } = place;
    const failed = await summarizeFailedEvents(db, {
      accountId: place.accountId,
      mode: place.mode,
      maxAttempts: maxProcessingAttempts,
    });
    if (failed.count === 0 || !failed.oldest) {
      return pass('webhook_processing_failed', scope, 'Every stored event was processed.');
    }
    const detail = `${failed.count} stored event(s) failed processing${failed.givenUp > 0 ? ` (${failed.givenUp} out of attempts)` : ', still retried'}; the oldest is ${failed.oldest.stripeEventId} (${failed.oldest.type}); the last error: ${failed.lastError}`;
    const fix = `Mend what the error names; stored events are retried every few seconds while Switchyard serves, and ${watchdog} gives those out of attempts another try.`;
    return failed.givenUp > 0
      ? fail('webhook_processing_failed', scope, detail, fix)
      : warn('webhook_processing_failed', scope, detail, fix);
  }

  /** Stripe refused or did not answer: its codes are not checked (key_rejected, stripe_unreachable say why). */
  function notChecked(place: Place, error: StripeGatewayError): Finding[] {
    const see =
      error.kind === 'authentication' || error.kind === 'permission'
        ? 'key_rejected and key_missing_permissions'
        : 'stripe_unreachable';
    return stripeCodes.map((code) =>
      warn(
        code,
        place.scope,
        `Not checked: Stripe answered "${error.message}".`,
        `See ${see}, then run \`switchyard doctor --account ${place.handle}\` again.`,
      ),
    );
  }

  return {
    name: 'webhooks',
    scope: 'account',
    codes: webhookCodes,
    callsStripe: true,
    async run(target: CheckTarget) {
      const { account, mode, credential } = target;
      if (!account || !mode || !credential) return [];
      const place: Place = {
        scope: { account: account.handle, mode },
        handle: account.handle,
        mode,
        accountId: account.accountId,
        secretKey: vault.open(credential.sealedSecret),
        now: target.now,
        signal: target.signal,
      };
      const endpoint = await findCurrentEndpoint(db, { accountId: place.accountId, mode });
      let atStripe: Finding[];
      try {
        const state = await endpointUpkeep.inspect({
          accountId: place.accountId,
          mode,
          secretKey: place.secretKey,
          timeoutMs: config.doctorTimeoutMs,
          signal: place.signal,
        });
        atStripe = [...endpointFindings(place, state), await lagFinding(place, state.endpoint)];
      } catch (error) {
        if (!(error instanceof StripeGatewayError)) throw error;
        atStripe = notChecked(place, error);
      }
      return [...atStripe, await signatureFinding(place, endpoint), await processingFinding(place)];
    },
  };
}

const signatureReasons = ['mismatch', 'stale', 'unsigned'] as const;
const reasonWords: Record<(typeof signatureReasons)[number], string> = {
  mismatch: 'signed with another secret',
  stale: 'timestamp outside the five minutes allowed',
  unsigned: 'no signature',
};
