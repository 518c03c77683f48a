import type { Kysely, Selectable } from 'kysely';
import type { Mode } from '../accounts/key-verification.js';
import type { Database, UnrecordedPaymentTable } from '../db/schema.js';

/** PaymentIntents at Stripe with our metadata and no record here, and how far each search read. */

export interface UnrecordedPayment {
  paymentIntentId: string;
  workspaceId: string;
  accountId: string;
  /** The account's handle when it was found. */
  account: string;
  mode: Mode;
  amount: number;
  currency: string;
  /** The PaymentIntent's status at Stripe when last seen (`succeeded`: money was taken). */
  stripeStatus: string;
  /** Our ids from its metadata. */
  orderId: string | null;
  paymentId: string | null;
  stripeCreatedAt: string;
  foundAt: string;
  /** `open` until adopted into its order or explained by the merchant. */
  state: 'open' | 'adopted' | 'explained';
  /** Why it is not adopted, or how it was resolved. */
  reason: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

function unrecordedOf(row: Selectable<UnrecordedPaymentTable>): UnrecordedPayment {
  return {
    paymentIntentId: row.payment_intent_id,
    workspaceId: row.workspace_id,
    accountId: row.account_id,
    account: row.account_handle,
    mode: row.mode,
    amount: Number(row.amount),
    currency: row.currency,
    stripeStatus: row.stripe_status,
    orderId: row.order_id,
    paymentId: row.payment_id,
    stripeCreatedAt: row.stripe_created_at,
    foundAt: row.found_at,
    state: row.state,
    reason: row.reason,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
  };
}

/** Whether Switchyard holds this PaymentIntent on a payment or on one of its attempts. */
export async function isIntentRecorded(
  db: Kysely<Database>,
  paymentIntentId: string,
): Promise<boolean> {
  const onPayment = await db
    .selectFrom('payments')
    .select('payment_id')
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  if (onPayment) return true;
  const onAttempt = await db
    .selectFrom('payment_attempts')
    .select('payment_id')
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  return onAttempt !== undefined;
}

export async function findUnrecorded(
  db: Kysely<Database>,
  paymentIntentId: string,
): Promise<UnrecordedPayment | undefined> {
  const row = await db
    .selectFrom('unrecorded_payments')
    .selectAll()
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  return row && unrecordedOf(row);
}

/** Writes what was found (first time or again): its state at Stripe and ours. */
export async function saveUnrecorded(
  db: Kysely<Database>,
  found: UnrecordedPayment,
): Promise<void> {
  const row = {
    payment_intent_id: found.paymentIntentId,
    workspace_id: found.workspaceId,
    account_id: found.accountId,
    account_handle: found.account,
    mode: found.mode,
    amount: found.amount,
    currency: found.currency,
    stripe_status: found.stripeStatus,
    order_id: found.orderId,
    payment_id: found.paymentId,
    stripe_created_at: found.stripeCreatedAt,
    found_at: found.foundAt,
    state: found.state,
    reason: found.reason,
    resolved_at: found.resolvedAt,
    resolved_by: found.resolvedBy,
  };
  await db
    .insertInto('unrecorded_payments')
    .values(row)
    .onConflict((conflict) =>
      conflict.column('payment_intent_id').doUpdateSet({
        amount: row.amount,
        stripe_status: row.stripe_status,
        state: row.state,
        reason: row.reason,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
      }),
    )
    .execute();
}

/** The workspace's unrecorded payments, newest first; one state, one account and mode, or all. */
export async function listUnrecorded(
  db: Kysely<Database>,
  query: {
    workspaceId: string;
    state?: UnrecordedPayment['state'] | undefined;
    accountId?: string | undefined;
    mode?: Mode | undefined;
  },
): Promise<UnrecordedPayment[]> {
  let select = db
    .selectFrom('unrecorded_payments')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId);
  if (query.state) select = select.where('state', '=', query.state);
  if (query.accountId) select = select.where('account_id', '=', query.accountId);
  if (query.mode) select = select.where('mode', '=', query.mode);
  const rows = await select
    .orderBy('stripe_created_at', 'desc')
    .orderBy('payment_intent_id')
    .limit(500)
    .execute();
  return rows.map(unrecordedOf);
}

/** Unix seconds of `created` up to which the account and mode have been searched. */
export async function findSearchCursor(
  db: Kysely<Database>,
  accountId: string,
  mode: Mode,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('unrecorded_search_cursors')
    .select('searched_until')
    .where('account_id', '=', accountId)
    .where('mode', '=', mode)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.searched_until);
}

export async function saveSearchCursor(
  db: Kysely<Database>,
  cursor: {
    accountId: string;
    mode: Mode;
    workspaceId: string;
    searchedUntil: number;
    updatedAt: string;
  },
): Promise<void> {
  await db
    .insertInto('unrecorded_search_cursors')
    .values({
      account_id: cursor.accountId,
      mode: cursor.mode,
      workspace_id: cursor.workspaceId,
      searched_until: cursor.searchedUntil,
      updated_at: cursor.updatedAt,
    })
    .onConflict((conflict) =>
      conflict.columns(['account_id', 'mode']).doUpdateSet({
        searched_until: cursor.searchedUntil,
        updated_at: cursor.updatedAt,
      }),
    )
    .execute();
}
