import type { Kysely } from 'kysely';
import type {
  Database,
  StripeEventCursorTable,
  WebhookEndpointTable,
  WebhookEventTable,
} from '../db/schema.js';

export async function insertEndpoint(
  db: Kysely<Database>,
  endpoint: WebhookEndpointTable,
): Promise<void> {
  await db.insertInto('webhook_endpoints').values(endpoint).execute();
}

export async function updateEndpoint(
  db: Kysely<Database>,
  endpointId: string,
  patch: Partial<
    Pick<WebhookEndpointTable, 'stripe_endpoint_id' | 'secret_encrypted' | 'removed_at'>
  >,
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set(patch)
    .where('endpoint_id', '=', endpointId)
    .execute();
}

export async function findEndpoint(
  db: Kysely<Database>,
  endpointId: string,
): Promise<WebhookEndpointTable | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
}

export async function listEndpointsOfAccount(
  db: Kysely<Database>,
  accountId: string,
): Promise<WebhookEndpointTable[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('removed_at', 'is', null)
    .execute();
}

/** Stores an event once; returns false when it was already stored (a duplicate delivery). */
export async function insertEventOnce(
  db: Kysely<Database>,
  event: WebhookEventTable,
): Promise<boolean> {
  const result = await db
    .insertInto('webhook_events')
    .values(event)
    .onConflict((conflict) => conflict.columns(['account_id', 'stripe_event_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function listUnprocessedEvents(
  db: Kysely<Database>,
  query: { maxAttempts: number; limit: number },
): Promise<WebhookEventTable[]> {
  return db
    .selectFrom('webhook_events')
    .selectAll()
    .where('processed_at', 'is', null)
    .where('attempts', '<', query.maxAttempts)
    .orderBy('stripe_created')
    .orderBy('received_at')
    .limit(query.limit)
    .execute();
}

export async function markEventProcessed(
  db: Kysely<Database>,
  id: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('webhook_events')
    .set((eb) => ({ processed_at: at, attempts: eb('attempts', '+', 1), last_error: null }))
    .where('webhook_event_id', '=', id)
    .execute();
}

export async function markEventFailed(
  db: Kysely<Database>,
  id: string,
  error: string,
): Promise<void> {
  await db
    .updateTable('webhook_events')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error }))
    .where('webhook_event_id', '=', id)
    .execute();
}

export async function listEvents(
  db: Kysely<Database>,
  query: { workspaceId: string; accountId?: string; limit: number },
): Promise<WebhookEventTable[]> {
  let select = db
    .selectFrom('webhook_events')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .orderBy('received_at', 'desc')
    .limit(query.limit);
  if (query.accountId) select = select.where('account_id', '=', query.accountId);
  return select.execute();
}

export async function listSealedEndpointSecrets(db: Kysely<Database>) {
  return db
    .selectFrom('webhook_endpoints')
    .select(['endpoint_id', 'secret_encrypted'])
    .where('secret_encrypted', 'is not', null)
    .execute();
}

/** Every registered endpoint that has its Stripe side: one per account and mode is read back. */
export async function listRegisteredEndpoints(
  db: Kysely<Database>,
): Promise<WebhookEndpointTable[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('removed_at', 'is', null)
    .where('stripe_endpoint_id', 'is not', null)
    .orderBy('created_at')
    .execute();
}

export async function findEventCursor(
  db: Kysely<Database>,
  key: { accountId: string; mode: 'test' | 'live' },
): Promise<StripeEventCursorTable | undefined> {
  return db
    .selectFrom('stripe_event_cursors')
    .selectAll()
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .executeTakeFirst();
}

export async function saveEventCursor(
  db: Kysely<Database>,
  cursor: StripeEventCursorTable,
): Promise<void> {
  await db
    .insertInto('stripe_event_cursors')
    .values(cursor)
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'mode']).doUpdateSet((eb) => ({
        last_event_id: eb.ref('excluded.last_event_id'),
        last_event_created: eb.ref('excluded.last_event_created'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}
