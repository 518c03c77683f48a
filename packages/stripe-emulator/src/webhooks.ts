import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookEndpointObject } from './objects.js';

/**
 * Webhook endpoints, events and signed deliveries of the Stripe emulator, as Stripe does them:
 * every state change becomes an `event`, stored for `GET /v1/events`, and POSTed to each enabled
 * endpoint of the account (and to the Connect platform's `connect` endpoints) with a
 * `Stripe-Signature` header that `stripe.webhooks.constructEvent` accepts. Failed deliveries are
 * retried on Stripe's schedule (live: exponential backoff for up to three days; test: three times
 * over a few hours), compressed: a Stripe minute passes in 0.1 s of real time by default, and
 * advancing the emulator's clock sends every retry that falls due at once.
 */

export interface PublishInput {
  /** The account (acct_…) the event is about. */
  accountId: string;
  livemode: boolean;
  /** 'payment_intent.succeeded', … */
  type: string;
  /** The Stripe object as JSON; the event keeps a snapshot of it. */
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  /** The Connect platform the account is connected to, whose `connect` endpoints also get the event. */
  platformAccountId?: string | null;
  /** The API request that caused the event; automatic events (renewals, …) have none. */
  request?: { id: string | null; idempotency_key: string | null } | null;
}

export interface WebhookHubOptions {
  /** Unix seconds on the emulator's clock. */
  now: () => number;
  newId: (prefix: string) => string;
  /** Stripe seconds before each retry, in both modes; its length bounds the attempts (default: Stripe's). */
  retryDelaysSeconds?: readonly number[];
  /** Real milliseconds per Stripe second of a retry's wait (default 100/60: a minute in 0.1 s). */
  realMsPerSecond?: number;
  /** How long an endpoint may take to answer before the attempt counts as failed. */
  timeoutMs?: number;
  /** Attempts in flight to one endpoint at once; 1 keeps deliveries in publish order. */
  concurrencyPerEndpoint?: number;
  /** Version stamped on events and endpoints' payloads. */
  apiVersion?: string;
  /** Source of randomness for shuffled deliveries. */
  random?: () => number;
}

export interface EndpointCreateParams {
  url: string;
  enabled_events: string[];
  connect?: boolean;
  description?: string;
  metadata?: Record<string, string>;
  api_version?: string | undefined;
}

export interface EndpointUpdateParams {
  url?: string;
  enabled_events?: string[];
  disabled?: boolean;
  description?: string;
  metadata?: Record<string, string>;
}

export interface WebhookChaos {
  /** Extra copies of every delivery. */
  duplicates?: number;
  /** Deliver queued events in random order. */
  shuffle?: boolean;
  /** The next this many deliveries are lost: never sent, never retried (Stripe gave up on them). */
  drop?: number;
  /** Every delivery attempt fails without reaching the endpoint, and is retried on schedule. */
  failing?: boolean;
}

export interface DeliveryAttempt {
  event_id: string;
  event_type: string;
  account: string;
  endpoint_id: string;
  url: string;
  attempt: number;
  duplicate: boolean;
  /** HTTP status of the answer, null when there was none. */
  status: number | null;
  /** Why the attempt failed without an answer (timeout, connection refused), else null. */
  error: string | null;
  succeeded: boolean;
  /** Emulator clock, unix seconds. */
  at: number;
}

/** The API version of stripe-node 23.1, which the emulator speaks. */
export const EMULATOR_API_VERSION = '2026-10-28.endive';

/** Stripe publishes the spans, not the steps: these are the emulator's reading of them. */
const retryDelaysSeconds = {
  live: stripeLiveRetryDelays(),
  test: [5 * 60, 60 * 60, 3 * 60 * 60],
};
const defaultRealMsPerSecond = 100 / 60;
/** Node fires longer timers at once; a retry that far off waits for the clock instead. */
const longestTimerMs = 2 ** 31 - 1;
const defaultTimeoutMs = 3_000;
/** Enough recent attempts for any test or benchmark check, without growing forever. */
const keptAttempts = 10_000;
/** Events kept per account and mode (at least this many, the newest): a long benchmark must not exhaust memory. */
const keptEventsPerAccount = 10_000;

interface Endpoint {
  id: string;
  accountId: string;
  livemode: boolean;
  url: string;
  enabledEvents: string[];
  connect: boolean;
  description: string | null;
  metadata: Record<string, string>;
  disabled: boolean;
  created: number;
  secret: string;
  apiVersion: string | null;
}

interface StoredEvent {
  accountId: string;
  livemode: boolean;
  json: Record<string, unknown>;
  /** Endpoints that have not yet acknowledged the event: Stripe's `pending_webhooks`. */
  unacknowledged: Set<string>;
  /** How the delivery to each endpoint stands (duplicates from chaos do not count). */
  deliveryStates: Map<string, EndpointDeliveryState>;
}

export interface EndpointDeliveryState {
  endpoint_id: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  /** Emulator clock, unix seconds; null once nothing more will be tried. */
  next_attempt_at: number | null;
}

export interface WebhookHubState {
  endpoints: Endpoint[];
  events: Array<{
    accountId: string;
    livemode: boolean;
    json: Record<string, unknown>;
    unacknowledged: string[];
    deliveryStates: EndpointDeliveryState[];
  }>;
}

interface Delivery {
  event: StoredEvent;
  endpointId: string;
  attempt: number;
  duplicate: boolean;
}

interface PendingRetry {
  delivery: Delivery;
  timer: NodeJS.Timeout;
  /** Emulator clock, unix seconds. */
  dueAt: number;
}

export class WebhookHub {
  private readonly now: () => number;
  private readonly newId: (prefix: string) => string;
  private readonly retryDelaysSeconds: readonly number[] | undefined;
  private readonly realMsPerSecond: number;
  private readonly timeoutMs: number;
  private readonly concurrencyPerEndpoint: number;
  private readonly apiVersion: string;
  private readonly random: () => number;

  private endpoints = new Map<string, Endpoint>();
  private eventsById = new Map<string, StoredEvent>();
  private eventsByScope = new Map<string, StoredEvent[]>();
  private chaos = { duplicates: 0, shuffle: false, drop: 0, failing: false };
  private queues = new Map<string, Delivery[]>();
  private inFlight = new Map<string, number>();
  private retries = new Set<PendingRetry>();
  private attempts: DeliveryAttempt[] = [];
  /** Deliveries not finished yet: queued, in flight or waiting to be retried. */
  private unfinished = 0;
  private idleWaiters: Array<() => void> = [];
  private pumpScheduled = false;
  /** Bumped by reset and close so answers to earlier attempts are ignored. */
  private generation = 0;
  private abort = new AbortController();

  constructor(options: WebhookHubOptions) {
    this.now = options.now;
    this.newId = options.newId;
    this.retryDelaysSeconds = options.retryDelaysSeconds;
    this.realMsPerSecond = options.realMsPerSecond ?? defaultRealMsPerSecond;
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.concurrencyPerEndpoint = Math.max(1, options.concurrencyPerEndpoint ?? 1);
    this.apiVersion = options.apiVersion ?? EMULATOR_API_VERSION;
    this.random = options.random ?? Math.random;
  }

  createEndpoint(
    accountId: string,
    livemode: boolean,
    params: EndpointCreateParams,
  ): Record<string, unknown> {
    const endpoint: Endpoint = {
      id: this.newId('we'),
      accountId,
      livemode,
      url: params.url,
      enabledEvents: [...params.enabled_events],
      connect: params.connect === true,
      description: emptyToNull(params.description),
      metadata: mergeMetadata({}, params.metadata),
      disabled: false,
      created: this.now(),
      secret: generateSigningSecret(),
      apiVersion: params.api_version ?? null,
    };
    this.endpoints.set(endpoint.id, endpoint);
    return { ...presentEndpoint(endpoint), secret: endpoint.secret };
  }

  retrieveEndpoint(
    accountId: string,
    livemode: boolean,
    id: string,
  ): Record<string, unknown> | undefined {
    const endpoint = this.findEndpoint(accountId, livemode, id);
    return endpoint && presentEndpoint(endpoint);
  }

  listEndpoints(accountId: string, livemode: boolean): Record<string, unknown>[] {
    const owned = [...this.endpoints.values()].filter(
      (endpoint) => endpoint.accountId === accountId && endpoint.livemode === livemode,
    );
    return owned.reverse().map(presentEndpoint);
  }

  updateEndpoint(
    accountId: string,
    livemode: boolean,
    id: string,
    params: EndpointUpdateParams,
  ): Record<string, unknown> | undefined {
    const endpoint = this.findEndpoint(accountId, livemode, id);
    if (!endpoint) return undefined;
    if (params.url !== undefined) endpoint.url = params.url;
    if (params.enabled_events !== undefined) endpoint.enabledEvents = [...params.enabled_events];
    if (params.description !== undefined) endpoint.description = emptyToNull(params.description);
    if (params.metadata !== undefined) {
      endpoint.metadata = mergeMetadata(endpoint.metadata, params.metadata);
    }
    if (params.disabled !== undefined) {
      endpoint.disabled = params.disabled;
      // Stripe stops sending to a disabled endpoint, retries included.
      if (endpoint.disabled) this.dropDeliveriesTo(endpoint.id);
    }
    return presentEndpoint(endpoint);
  }

  deleteEndpoint(
    accountId: string,
    livemode: boolean,
    id: string,
  ): Record<string, unknown> | undefined {
    const endpoint = this.findEndpoint(accountId, livemode, id);
    if (!endpoint) return undefined;
    this.endpoints.delete(endpoint.id);
    this.dropDeliveriesTo(endpoint.id);
    return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
  }

  publish(input: PublishInput): Record<string, unknown> {
    const connected = typeof input.platformAccountId === 'string';
    const json: Record<string, unknown> = {
      id: this.newId('evt'),
      object: 'event',
      ...(connected ? { account: input.accountId } : {}),
      api_version: this.apiVersion,
      created: this.now(),
      data: {
        object: snapshot(input.object),
        ...(input.previousAttributes
          ? { previous_attributes: snapshot(input.previousAttributes) }
          : {}),
      },
      livemode: input.livemode,
      pending_webhooks: 0,
      request: input.request === undefined ? { id: null, idempotency_key: null } : input.request,
      type: input.type,
    };
    const targets = this.selectTargets(input);
    const event: StoredEvent = {
      accountId: input.accountId,
      livemode: input.livemode,
      json,
      unacknowledged: new Set(targets.map((endpoint) => endpoint.id)),
      deliveryStates: new Map(
        targets.map((endpoint) => [
          endpoint.id,
          { endpoint_id: endpoint.id, state: 'pending', attempts: 0, next_attempt_at: this.now() },
        ]),
      ),
    };
    json.pending_webhooks = event.unacknowledged.size;
    this.storeEvent(event);

    for (const endpoint of targets) {
      for (let copy = 0; copy <= this.chaos.duplicates; copy += 1) {
        this.enqueue({ event, endpointId: endpoint.id, attempt: 1, duplicate: copy > 0 });
      }
    }
    // Shallow: callers read the event; only pending_webhooks changes later, on the stored copy.
    return { ...json };
  }

  retrieveEvent(
    accountId: string,
    livemode: boolean,
    id: string,
  ): Record<string, unknown> | undefined {
    const event = this.eventsById.get(id);
    if (!event || event.accountId !== accountId || event.livemode !== livemode) return undefined;
    return snapshot(event.json);
  }

  /**
   * Newest first; `type` may hold `*` wildcards as Stripe allows (`payment_intent.*`);
   * `deliverySuccess` false keeps the events some endpoint has not acknowledged yet.
   */
  listEvents(
    accountId: string,
    livemode: boolean,
    filter: { type?: string; deliverySuccess?: boolean },
  ): Record<string, unknown>[] {
    return this.storedEvents(accountId, livemode, filter).map((event) => snapshot(event.json));
  }

  /** Each event with how its delivery to each endpoint stands, newest first (control API). */
  eventDeliveries(accountId: string, livemode: boolean): Record<string, unknown>[] {
    return this.storedEvents(accountId, livemode, {}).map((event) => {
      const endpoints = [...event.deliveryStates.values()].map((state) => ({ ...state }));
      return {
        id: event.json.id,
        type: event.json.type,
        created: event.json.created,
        pending_webhooks: event.unacknowledged.size,
        delivery: overallDelivery(endpoints),
        endpoints,
      };
    });
  }

  /** Sends now every retry the emulator's clock has reached (after `/_emulator/clock/advance`). */
  sendDueRetries(): void {
    const now = this.now();
    for (const pending of this.retries) {
      if (pending.dueAt > now) continue;
      clearTimeout(pending.timer);
      this.retries.delete(pending);
      this.requeue(pending.delivery);
    }
  }

  /** Replaces the whole chaos setting: `{}` delivers each event once, in order. */
  setChaos(chaos: WebhookChaos): void {
    this.chaos = {
      duplicates: Math.max(0, Math.floor(chaos.duplicates ?? 0)),
      shuffle: chaos.shuffle === true,
      drop: Math.max(0, Math.floor(chaos.drop ?? 0)),
      failing: chaos.failing === true,
    };
  }

  rollEndpointSecret(id: string): Record<string, unknown> | undefined {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) return undefined;
    endpoint.secret = generateSigningSecret();
    return { ...presentEndpoint(endpoint), secret: endpoint.secret };
  }

  /** Every delivery attempt, oldest first (the most recent 10,000). */
  deliveries(): Record<string, unknown>[] {
    return this.attempts.map((attempt) => ({ ...attempt }));
  }

  /** Resolves once nothing is queued, in flight or waiting to be retried. */
  idle(): Promise<void> {
    if (this.unfinished === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  /** Endpoints and events as plain data, for the state file (state-file.ts). */
  exportState(): WebhookHubState {
    return {
      endpoints: [...this.endpoints.values()].map((endpoint) => ({ ...endpoint })),
      events: [...this.eventsById.values()].map((event) => ({
        accountId: event.accountId,
        livemode: event.livemode,
        json: event.json,
        unacknowledged: [...event.unacknowledged],
        deliveryStates: [...event.deliveryStates.values()],
      })),
    };
  }

  /** Replaces endpoints and events with saved ones; deliveries still pending are sent again. */
  restoreState(state: WebhookHubState): void {
    this.reset();
    for (const endpoint of state.endpoints) this.endpoints.set(endpoint.id, { ...endpoint });
    for (const saved of state.events) {
      const event: StoredEvent = {
        accountId: saved.accountId,
        livemode: saved.livemode,
        json: saved.json,
        unacknowledged: new Set(saved.unacknowledged),
        deliveryStates: new Map(saved.deliveryStates.map((state) => [state.endpoint_id, state])),
      };
      this.storeEvent(event);
      for (const delivery of event.deliveryStates.values()) {
        if (delivery.state !== 'pending' || !this.endpoints.has(delivery.endpoint_id)) continue;
        this.enqueue({
          event,
          endpointId: delivery.endpoint_id,
          attempt: delivery.attempts + 1,
          duplicate: false,
        });
      }
    }
  }

  reset(): void {
    this.stopDeliveries();
    this.endpoints.clear();
    this.eventsById.clear();
    this.eventsByScope.clear();
    this.attempts = [];
    this.chaos = { duplicates: 0, shuffle: false, drop: 0, failing: false };
  }

  close(): void {
    this.stopDeliveries();
  }

  private findEndpoint(accountId: string, livemode: boolean, id: string): Endpoint | undefined {
    const endpoint = this.endpoints.get(id);
    if (!endpoint || endpoint.accountId !== accountId || endpoint.livemode !== livemode) {
      return undefined;
    }
    return endpoint;
  }

  private selectTargets(input: PublishInput): Endpoint[] {
    const targets: Endpoint[] = [];
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.disabled || endpoint.livemode !== input.livemode) continue;
      if (!listensTo(endpoint, input.type)) continue;
      const ownEvent = endpoint.accountId === input.accountId && !endpoint.connect;
      const connectedEvent =
        endpoint.connect &&
        typeof input.platformAccountId === 'string' &&
        endpoint.accountId === input.platformAccountId;
      if (ownEvent || connectedEvent) targets.push(endpoint);
    }
    return targets;
  }

  private storedEvents(
    accountId: string,
    livemode: boolean,
    filter: { type?: string; deliverySuccess?: boolean },
  ): StoredEvent[] {
    const stored = this.eventsByScope.get(scopeKey(accountId, livemode)) ?? [];
    const matchesType = filter.type === undefined ? () => true : typeMatcher(filter.type);
    const listed: StoredEvent[] = [];
    for (let index = stored.length - 1; index >= 0; index -= 1) {
      const event = stored[index];
      if (!event || !matchesType(String(event.json.type))) continue;
      if (
        filter.deliverySuccess !== undefined &&
        filter.deliverySuccess !== (event.unacknowledged.size === 0)
      ) {
        continue;
      }
      listed.push(event);
    }
    return listed;
  }

  private storeEvent(event: StoredEvent): void {
    this.eventsById.set(String(event.json.id), event);
    const key = scopeKey(event.accountId, event.livemode);
    const scoped = this.eventsByScope.get(key);
    if (!scoped) {
      this.eventsByScope.set(key, [event]);
      return;
    }
    scoped.push(event);
    if (scoped.length > keptEventsPerAccount * 2) {
      for (const forgotten of scoped.splice(0, keptEventsPerAccount)) {
        this.eventsById.delete(String(forgotten.json.id));
      }
    }
  }

  private enqueue(delivery: Delivery): void {
    this.unfinished += 1;
    this.requeue(delivery);
  }

  private requeue(delivery: Delivery): void {
    const queue = this.queues.get(delivery.endpointId);
    if (queue) queue.push(delivery);
    else this.queues.set(delivery.endpointId, [delivery]);
    this.schedulePump();
  }

  /** Deferred so that the events of one API call are queued together (and shuffled together). */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    for (const [endpointId, queue] of this.queues) {
      while (
        queue.length > 0 &&
        (this.inFlight.get(endpointId) ?? 0) < this.concurrencyPerEndpoint
      ) {
        const index = this.chaos.shuffle ? Math.floor(this.random() * queue.length) : 0;
        const [delivery] = queue.splice(index, 1);
        if (delivery) void this.attemptDelivery(delivery);
      }
      if (queue.length === 0) this.queues.delete(endpointId);
    }
  }

  private async attemptDelivery(delivery: Delivery): Promise<void> {
    const endpoint = this.endpoints.get(delivery.endpointId);
    if (!endpoint || endpoint.disabled) {
      this.finish();
      return;
    }
    if (this.chaos.drop > 0 && !delivery.duplicate) {
      this.chaos.drop -= 1;
      this.record(
        this.attemptOf(delivery, endpoint, {
          status: null,
          error: 'dropped by the emulator',
          succeeded: false,
        }),
      );
      this.noteDelivery(delivery, 'failed', null);
      this.finish();
      return;
    }
    const generation = this.generation;
    this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 0) + 1);
    const answer = this.chaos.failing
      ? { status: null, error: 'failed by the emulator', succeeded: false }
      : await this.post(endpoint, delivery);
    if (generation !== this.generation) return;
    this.inFlight.set(endpoint.id, (this.inFlight.get(endpoint.id) ?? 1) - 1);

    this.record(this.attemptOf(delivery, endpoint, answer));

    if (answer.succeeded) {
      this.acknowledge(delivery.event, endpoint.id);
      this.noteDelivery(delivery, 'succeeded', null);
      this.finish();
    } else {
      this.retryLater(delivery);
    }
    this.schedulePump();
  }

  private attemptOf(
    delivery: Delivery,
    endpoint: Endpoint,
    answer: { status: number | null; error: string | null; succeeded: boolean },
  ): DeliveryAttempt {
    return {
      event_id: String(delivery.event.json.id),
      event_type: String(delivery.event.json.type),
      account: endpoint.accountId,
      endpoint_id: endpoint.id,
      url: endpoint.url,
      attempt: delivery.attempt,
      duplicate: delivery.duplicate,
      ...answer,
      at: this.now(),
    };
  }

  private async post(
    endpoint: Endpoint,
    delivery: Delivery,
  ): Promise<{ status: number | null; error: string | null; succeeded: boolean }> {
    const payload = JSON.stringify(delivery.event.json, null, 2);
    const signature = signWebhookPayload(payload, endpoint.secret, this.now());
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signature,
        },
        body: payload,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      // Read the answer to the end so the connection can be reused.
      await response.arrayBuffer();
      const succeeded = response.status >= 200 && response.status < 300;
      return { status: response.status, error: null, succeeded };
    } catch (error) {
      return { status: null, error: this.describeFailure(error), succeeded: false };
    }
  }

  private describeFailure(error: unknown): string {
    if (error instanceof Error) {
      if (error.name === 'TimeoutError') return `no answer within ${this.timeoutMs} ms`;
      const cause: unknown = error.cause;
      if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') {
        return `${cause.code}: ${cause.message}`;
      }
      return error.message;
    }
    return String(error);
  }

  private retryLater(delivery: Delivery): void {
    const schedule =
      this.retryDelaysSeconds ?? retryDelaysSeconds[delivery.event.livemode ? 'live' : 'test'];
    const delay = schedule[delivery.attempt - 1];
    const endpoint = this.endpoints.get(delivery.endpointId);
    if (delay === undefined || !endpoint || endpoint.disabled) {
      this.noteDelivery(delivery, 'failed', null);
      this.finish();
      return;
    }
    const dueAt = this.now() + delay;
    this.noteDelivery(delivery, 'pending', dueAt);
    const next: Delivery = { ...delivery, attempt: delivery.attempt + 1 };
    const pending: PendingRetry = {
      delivery: next,
      dueAt,
      timer: setTimeout(
        () => {
          this.retries.delete(pending);
          this.requeue(next);
        },
        Math.min(delay * this.realMsPerSecond, longestTimerMs),
      ),
    };
    // A retry must not keep a finished process alive; close() clears them anyway.
    pending.timer.unref();
    this.retries.add(pending);
  }

  private noteDelivery(
    delivery: Delivery,
    state: EndpointDeliveryState['state'],
    nextAttemptAt: number | null,
  ): void {
    const current = delivery.event.deliveryStates.get(delivery.endpointId);
    // A duplicate's success acknowledges the event too; its failures are not the event's.
    if (!current || (delivery.duplicate && state !== 'succeeded')) return;
    if (!delivery.duplicate) current.attempts = delivery.attempt;
    // Once acknowledged, an event stays delivered to that endpoint.
    current.state = current.state === 'succeeded' ? 'succeeded' : state;
    current.next_attempt_at = current.state === 'pending' ? nextAttemptAt : null;
  }

  private acknowledge(event: StoredEvent, endpointId: string): void {
    if (event.unacknowledged.delete(endpointId)) {
      event.json.pending_webhooks = event.unacknowledged.size;
    }
  }

  private dropDeliveriesTo(endpointId: string): void {
    const queue = this.queues.get(endpointId);
    if (queue) {
      this.queues.delete(endpointId);
      for (let index = 0; index < queue.length; index += 1) this.finish();
    }
    for (const pending of this.retries) {
      if (pending.delivery.endpointId !== endpointId) continue;
      clearTimeout(pending.timer);
      this.retries.delete(pending);
      this.noteDelivery(pending.delivery, 'failed', null);
      this.finish();
    }
  }

  private record(attempt: DeliveryAttempt): void {
    this.attempts.push(attempt);
    if (this.attempts.length > keptAttempts * 2) this.attempts.splice(0, keptAttempts);
  }

  private finish(): void {
    this.unfinished -= 1;
    if (this.unfinished > 0) return;
    this.unfinished = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private stopDeliveries(): void {
    this.generation += 1;
    this.abort.abort();
    this.abort = new AbortController();
    for (const pending of this.retries) clearTimeout(pending.timer);
    this.retries.clear();
    this.queues.clear();
    this.inFlight.clear();
    this.unfinished = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** The `Stripe-Signature` header Stripe sends: HMAC-SHA256 of `t.payload` keyed by the whsec_ secret. */
export function signWebhookPayload(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/** Exponential backoff from a minute, each wait at most 12 hours, until three days have passed. */
function stripeLiveRetryDelays(): number[] {
  const span = 3 * 24 * 60 * 60;
  const delays: number[] = [];
  let total = 0;
  for (let delay = 60; total < span; delay = Math.min(delay * 2, 12 * 60 * 60)) {
    const wait = Math.min(delay, span - total);
    delays.push(wait);
    total += wait;
  }
  return delays;
}

function overallDelivery(states: EndpointDeliveryState[]): string {
  if (states.length === 0) return 'none';
  if (states.some((state) => state.state === 'failed')) return 'failed';
  if (states.some((state) => state.state === 'pending')) return 'pending';
  return 'succeeded';
}

function presentEndpoint(endpoint: Endpoint): WebhookEndpointObject {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    api_version: endpoint.apiVersion,
    application: null,
    created: endpoint.created,
    description: endpoint.description,
    enabled_events: [...endpoint.enabledEvents],
    livemode: endpoint.livemode,
    metadata: { ...endpoint.metadata },
    status: endpoint.disabled ? 'disabled' : 'enabled',
    url: endpoint.url,
  };
}

function listensTo(endpoint: Endpoint, type: string): boolean {
  return endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(type);
}

function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (type) => type === pattern;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const expression = new RegExp(`^${escaped.join('.*')}$`);
  return (type) => expression.test(type);
}

/** Stripe's metadata update: keys merge, an empty value removes its key. */
function mergeMetadata(
  current: Record<string, string>,
  changes: Record<string, string> | undefined,
): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function scopeKey(accountId: string, livemode: boolean): string {
  return `${accountId}/${livemode ? 'live' : 'test'}`;
}

/** Events keep the object as it was when they happened, not as it becomes later. */
function snapshot(value: Record<string, unknown>): Record<string, unknown> {
  // A JSON round trip is several times faster than structuredClone for these plain objects.
  return JSON.parse(JSON.stringify(value));
}

const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function generateSigningSecret(): string {
  const bytes = randomBytes(32);
  let secret = 'whsec_';
  for (const byte of bytes) secret += secretAlphabet[byte % secretAlphabet.length];
  return secret;
}
