import type { Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import type {
  Database,
  StripeEventCursorTable,
  WebhookEndpointTable,
  WebhookEventTable,
  WebhookSignatureFailureTable,
} from '../db/schema.js';
import type { VerifiedWebhookEvent } from '../stripe/gateway.js';

type Mode = 'test' | 'live';

/** Where one account and mode's events arrive; its Stripe side is made after the row. */
export interface WebhookEndpoint {
  endpointId: string;
  workspaceId: string;
  accountId: string;
  mode: Mode;
  /** Null until Stripe registered it. */
  stripeEndpointId: string | null;
  url: string;
  /** The signing secret, sealed by the vault; null until Stripe registered the endpoint. */
  sealedSecret: string | null;
  createdAt: string;
  removedAt: string | null;
}

/** One of Stripe's events, stored once per account however it came, until it is processed. */
export interface StoredEvent {
  id: string;
  workspaceId: string;
  accountId: string;
  endpointId: string;
  stripeEventId: string;
  type: string;
  /** Stripe's `created`, in seconds. */
  stripeCreated: number;
  event: VerifiedWebhookEvent;
  receivedAt: string;
  processedAt: string | null;
  attempts: number;
  lastError: string | null;
}

/** The newest event of an account's events list (per mode) that Switchyard has stored. */
export interface EventCursor {
  accountId: string;
  mode: Mode;
  workspaceId: string;
  lastEventId: string;
  /** Its `created`, in seconds. */
  lastEventCreated: number;
  updatedAt: string;
}

export async function insertEndpoint(
  db: Kysely<Database>,
  endpoint: WebhookEndpoint,
): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      endpoint_id: endpoint.endpointId,
      workspace_id: endpoint.workspaceId,
      account_id: endpoint.accountId,
      mode: endpoint.mode,
      stripe_endpoint_id: endpoint.stripeEndpointId,
      url: endpoint.url,
      secret_encrypted: endpoint.sealedSecret,
      created_at: endpoint.createdAt,
      removed_at: endpoint.removedAt,
    })
    .execute();
}

export async function updateEndpoint(
  db: Kysely<Database>,
  endpointId: string,
  patch: Partial<Pick<WebhookEndpoint, 'stripeEndpointId' | 'sealedSecret' | 'removedAt' | 'url'>>,
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.stripeEndpointId !== undefined
        ? { stripe_endpoint_id: patch.stripeEndpointId }
        : {}),
      ...(patch.sealedSecret !== undefined ? { secret_encrypted: patch.sealedSecret } : {}),
      ...(patch.removedAt !== undefined ? { removed_at: patch.removedAt } : {}),
    })
    .where('endpoint_id', '=', endpointId)
    .execute();
}

export async function findEndpoint(
  db: Kysely<Database>,
  endpointId: string,
): Promise<WebhookEndpoint | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row && endpointOf(row);
}

export async function listEndpointsOfAccount(
  db: Kysely<Database>,
  accountId: string,
): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('removed_at', 'is', null)
    .execute();
  return rows.map(endpointOf);
}

/** The endpoint an account's events for the mode arrive at now: the newest not removed. */
export async function findCurrentEndpoint(
  db: Kysely<Database>,
  key: { accountId: string; mode: Mode },
): Promise<WebhookEndpoint | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .where('removed_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('endpoint_id', 'desc')
    .executeTakeFirst();
  return row && endpointOf(row);
}

/** Stores an event once; returns false when it was already stored (a duplicate delivery). */
export async function insertEventOnce(db: Kysely<Database>, stored: StoredEvent): Promise<boolean> {
  const result = await db
    .insertInto('webhook_events')
    .values({
      webhook_event_id: stored.id,
      workspace_id: stored.workspaceId,
      account_id: stored.accountId,
      endpoint_id: stored.endpointId,
      stripe_event_id: stored.stripeEventId,
      type: stored.type,
      stripe_created: stored.stripeCreated,
      payload: JSON.stringify(stored.event),
      received_at: stored.receivedAt,
      processed_at: stored.processedAt,
      attempts: stored.attempts,
      last_error: stored.lastError,
    })
    .onConflict((conflict) => conflict.columns(['account_id', 'stripe_event_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Claims up to `limit` stored events that wait to be processed, are due (a failed one waits out
 * its back-off) and no instance holds, for `holder` until `until`, and answers them oldest first.
 * One statement: on PostgreSQL the rows are picked `for update skip locked`, so two instances
 * claiming at once get different events; SQLite runs one writer at a time. A claim runs out by
 * itself, so a crashed instance's events are taken up.
 */
export async function claimUnprocessedEvents(
  db: Kysely<Database>,
  query: { maxAttempts: number; limit: number; now: string; until: string; holder: string },
): Promise<StoredEvent[]> {
  let waiting = db
    .selectFrom('webhook_events')
    .select('webhook_event_id')
    .where('processed_at', 'is', null)
    .where('attempts', '<', query.maxAttempts)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', query.now)]))
    .orderBy('stripe_created')
    .orderBy('received_at')
    .limit(query.limit);
  if (isPostgres(db)) waiting = waiting.forUpdate().skipLocked();
  const rows = await db
    .updateTable('webhook_events')
    .set({ claimed_until: query.until, claimed_by: query.holder })
    .where('webhook_event_id', 'in', waiting)
    .returningAll()
    .execute();
  return rows
    .map(storedEventOf)
    .sort((a, b) => a.stripeCreated - b.stripeCreated || a.receivedAt.localeCompare(b.receivedAt));
}

/**
 * Renews the holder's claim on one event just before it reacts to it; false when the event was
 * processed meanwhile or another instance took it over (its claim ran out): then leave it be.
 */
export async function renewEventClaim(
  db: Kysely<Database>,
  claim: { id: string; holder: string; until: string },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_events')
    .set({ claimed_until: claim.until })
    .where('webhook_event_id', '=', claim.id)
    .where('claimed_by', '=', claim.holder)
    .where('processed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Marks the event processed, whoever holds it; the first to finish counts, a second does nothing. */
export async function markEventProcessed(
  db: Kysely<Database>,
  id: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('webhook_events')
    .set((eb) => ({
      processed_at: at,
      attempts: eb('attempts', '+', 1),
      last_error: null,
      claimed_until: null,
      claimed_by: null,
    }))
    .where('webhook_event_id', '=', id)
    .where('processed_at', 'is', null)
    .execute();
}

/**
 * Counts a failed attempt and gives the claim back, due again at `retryAt` (the back-off); only
 * the holder does, so a late failure never frees an event another instance is working on.
 */
export async function markEventFailed(
  db: Kysely<Database>,
  failure: { id: string; holder: string; error: string; retryAt: string },
): Promise<void> {
  await db
    .updateTable('webhook_events')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: failure.error,
      claimed_until: failure.retryAt,
      claimed_by: null,
    }))
    .where('webhook_event_id', '=', failure.id)
    .where('claimed_by', '=', failure.holder)
    .where('processed_at', 'is', null)
    .execute();
}

/** Which of these Stripe event ids of the account are stored here. */
export async function findStoredEventIds(
  db: Kysely<Database>,
  accountId: string,
  stripeEventIds: readonly string[],
): Promise<Set<string>> {
  if (stripeEventIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('webhook_events')
    .select('stripe_event_id')
    .where('account_id', '=', accountId)
    .where('stripe_event_id', 'in', [...stripeEventIds])
    .execute();
  return new Set(rows.map((row) => row.stripe_event_id));
}

/** Stored events of an account and mode whose processing failed and has not succeeded since. */
export interface FailedEvents {
  count: number;
  /** How many of them are no longer retried on their own. */
  givenUp: number;
  oldest: { stripeEventId: string; type: string } | null;
  /** The newest failure's error. */
  lastError: string | null;
}

export async function summarizeFailedEvents(
  db: Kysely<Database>,
  query: { accountId: string; mode: Mode; maxAttempts: number },
): Promise<FailedEvents> {
  const rows = await db
    .selectFrom('webhook_events')
    .innerJoin('webhook_endpoints', 'webhook_endpoints.endpoint_id', 'webhook_events.endpoint_id')
    .select([
      'webhook_events.stripe_event_id',
      'webhook_events.type',
      'webhook_events.attempts',
      'webhook_events.last_error',
    ])
    .where('webhook_events.account_id', '=', query.accountId)
    .where('webhook_endpoints.mode', '=', query.mode)
    .where('webhook_events.processed_at', 'is', null)
    .where('webhook_events.last_error', 'is not', null)
    .orderBy('webhook_events.stripe_created')
    .orderBy('webhook_events.received_at')
    .execute();
  const oldest = rows[0];
  return {
    count: rows.length,
    givenUp: rows.filter((row) => row.attempts >= query.maxAttempts).length,
    oldest: oldest ? { stripeEventId: oldest.stripe_event_id, type: oldest.type } : null,
    lastError: rows.at(-1)?.last_error ?? null,
  };
}

/** Gives every event that ran out of attempts one more; answers how many. */
export async function requeueGivenUpEvents(
  db: Kysely<Database>,
  maxAttempts: number,
): Promise<number> {
  const result = await db
    .updateTable('webhook_events')
    .set({ attempts: maxAttempts - 1, claimed_until: null, claimed_by: null })
    .where('processed_at', 'is', null)
    .where('attempts', '>=', maxAttempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A delivery whose signature did not verify: never its payload or its header. */
export interface SignatureFailure {
  failureId: string;
  workspaceId: string;
  accountId: string;
  endpointId: string;
  mode: Mode;
  reason: WebhookSignatureFailureTable['reason'];
  receivedAt: string;
}

export async function insertSignatureFailure(
  db: Kysely<Database>,
  failure: SignatureFailure,
): Promise<void> {
  await db
    .insertInto('webhook_signature_failures')
    .values({
      failure_id: failure.failureId,
      workspace_id: failure.workspaceId,
      account_id: failure.accountId,
      endpoint_id: failure.endpointId,
      mode: failure.mode,
      reason: failure.reason,
      received_at: failure.receivedAt,
    })
    .execute();
}

export interface SignatureFailures {
  count: number;
  byReason: Partial<Record<SignatureFailure['reason'], number>>;
  lastAt: string | null;
}

/** The failures at one endpoint since a time (ISO). */
export async function summarizeSignatureFailures(
  db: Kysely<Database>,
  query: { endpointId: string; since: string },
): Promise<SignatureFailures> {
  const rows = await db
    .selectFrom('webhook_signature_failures')
    .select(['reason', 'received_at'])
    .where('endpoint_id', '=', query.endpointId)
    .where('received_at', '>=', query.since)
    .orderBy('received_at')
    .execute();
  const byReason: SignatureFailures['byReason'] = {};
  for (const row of rows) {
    byReason[row.reason] = (byReason[row.reason] ?? 0) + 1;
  }
  return { count: rows.length, byReason, lastAt: rows.at(-1)?.received_at ?? null };
}

/** Forgets failures older than a time (ISO); answers how many. */
export async function deleteSignatureFailuresBefore(
  db: Kysely<Database>,
  before: string,
): Promise<number> {
  const result = await db
    .deleteFrom('webhook_signature_failures')
    .where('received_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listEvents(
  db: Kysely<Database>,
  query: { workspaceId: string; accountId?: string; limit: number },
): Promise<StoredEvent[]> {
  let select = db
    .selectFrom('webhook_events')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .orderBy('received_at', 'desc')
    .limit(query.limit);
  if (query.accountId) select = select.where('account_id', '=', query.accountId);
  return (await select.execute()).map(storedEventOf);
}

/** The newest stored event of one type about an account (doctor: a deauthorization seen). */
export async function findNewestEventOfType(
  db: Kysely<Database>,
  query: { accountId: string; type: string },
): Promise<StoredEvent | undefined> {
  const row = await db
    .selectFrom('webhook_events')
    .selectAll()
    .where('account_id', '=', query.accountId)
    .where('type', '=', query.type)
    .orderBy('stripe_created', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && storedEventOf(row);
}

export async function listSealedEndpointSecrets(
  db: Kysely<Database>,
): Promise<Array<{ endpointId: string; sealedSecret: string }>> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['endpoint_id', 'secret_encrypted'])
    .where('secret_encrypted', 'is not', null)
    .execute();
  return rows.flatMap((row) =>
    row.secret_encrypted === null
      ? []
      : [{ endpointId: row.endpoint_id, sealedSecret: row.secret_encrypted }],
  );
}

/** Every registered endpoint that has its Stripe side: one per account and mode is read back. */
export async function listRegisteredEndpoints(db: Kysely<Database>): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('removed_at', 'is', null)
    .where('stripe_endpoint_id', 'is not', null)
    .orderBy('created_at')
    .execute();
  return rows.map(endpointOf);
}

export async function findEventCursor(
  db: Kysely<Database>,
  key: { accountId: string; mode: Mode },
): Promise<EventCursor | undefined> {
  const row = await db
    .selectFrom('stripe_event_cursors')
    .selectAll()
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .executeTakeFirst();
  return row && eventCursorOf(row);
}

export async function saveEventCursor(db: Kysely<Database>, cursor: EventCursor): Promise<void> {
  await db
    .insertInto('stripe_event_cursors')
    .values({
      account_id: cursor.accountId,
      mode: cursor.mode,
      workspace_id: cursor.workspaceId,
      last_event_id: cursor.lastEventId,
      last_event_created: cursor.lastEventCreated,
      updated_at: cursor.updatedAt,
    })
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'mode']).doUpdateSet((eb) => ({
        last_event_id: eb.ref('excluded.last_event_id'),
        last_event_created: eb.ref('excluded.last_event_created'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

function endpointOf(row: WebhookEndpointTable): WebhookEndpoint {
  return {
    endpointId: row.endpoint_id,
    workspaceId: row.workspace_id,
    accountId: row.account_id,
    mode: row.mode,
    stripeEndpointId: row.stripe_endpoint_id,
    url: row.url,
    sealedSecret: row.secret_encrypted,
    createdAt: row.created_at,
    removedAt: row.removed_at,
  };
}

function storedEventOf(row: WebhookEventTable): StoredEvent {
  return {
    id: row.webhook_event_id,
    workspaceId: row.workspace_id,
    accountId: row.account_id,
    endpointId: row.endpoint_id,
    stripeEventId: row.stripe_event_id,
    type: row.type,
    stripeCreated: Number(row.stripe_created),
    event: JSON.parse(row.payload) as VerifiedWebhookEvent,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

function eventCursorOf(row: StripeEventCursorTable): EventCursor {
  return {
    accountId: row.account_id,
    mode: row.mode,
    workspaceId: row.workspace_id,
    lastEventId: row.last_event_id,
    lastEventCreated: Number(row.last_event_created),
    updatedAt: row.updated_at,
  };
}
