import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** An unpaid order whose buyer agreed to be written to, with no recovery email claimed yet. */
export interface RecoveryCandidate {
  orderId: string;
  email: string;
  name: string;
  funnel: string;
  step: string;
}

/** Records (or withdraws, when `wording` is null) the buyer's consent on the contact form. */
export async function saveConsent(
  db: Kysely<Database>,
  consent: {
    workspaceId: string;
    orderId: string;
    step: string;
    wording: string | null;
    at: string;
  },
): Promise<void> {
  if (consent.wording === null) {
    await db.deleteFrom('checkout_consents').where('order_id', '=', consent.orderId).execute();
    return;
  }
  const row = {
    order_id: consent.orderId,
    workspace_id: consent.workspaceId,
    step_slug: consent.step,
    wording: consent.wording,
    agreed_at: consent.at,
  };
  await db
    .insertInto('checkout_consents')
    .values(row)
    .onConflict((conflict) =>
      conflict
        .column('order_id')
        .doUpdateSet({ step_slug: row.step_slug, wording: row.wording, agreed_at: row.agreed_at }),
    )
    .execute();
}

/** Open orders begun between `startedAfter` and `startedBefore`, with consent and no claim. */
export async function listRecoveryCandidates(
  db: Kysely<Database>,
  workspaceId: string,
  window: { startedAfter: string; startedBefore: string },
): Promise<RecoveryCandidate[]> {
  const rows = await db
    .selectFrom('orders')
    .innerJoin('checkout_consents', 'checkout_consents.order_id', 'orders.order_id')
    .leftJoin('recovery_emails', 'recovery_emails.order_id', 'orders.order_id')
    .select([
      'orders.order_id',
      'orders.email',
      'orders.name',
      'orders.funnel_slug',
      'checkout_consents.step_slug',
    ])
    .where('orders.workspace_id', '=', workspaceId)
    .where('orders.status', '=', 'open')
    .where('orders.created_at', '<', window.startedBefore)
    .where('orders.created_at', '>', window.startedAfter)
    .where('recovery_emails.order_id', 'is', null)
    .orderBy('orders.created_at')
    .limit(100)
    .execute();
  return rows.map((row) => ({
    orderId: row.order_id,
    email: row.email,
    name: row.name,
    funnel: row.funnel_slug,
    step: row.step_slug,
  }));
}

/**
 * Claims the order's one recovery email; false when it was claimed already (another instance, an
 * earlier run). The claim is taken before the mail goes out and never given back.
 */
export async function claimRecoveryEmail(
  db: Kysely<Database>,
  claim: { workspaceId: string; orderId: string; at: string },
): Promise<boolean> {
  const result = await db
    .insertInto('recovery_emails')
    .values({ order_id: claim.orderId, workspace_id: claim.workspaceId, claimed_at: claim.at })
    .onConflict((conflict) => conflict.column('order_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function markRecoveryEmailSent(
  db: Kysely<Database>,
  orderId: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('recovery_emails')
    .set({ sent_at: at })
    .where('order_id', '=', orderId)
    .execute();
}

/** Whether the order is still unpaid: open, and no payment succeeded or is on its way. */
export async function isStillUnpaid(db: Kysely<Database>, orderId: string): Promise<boolean> {
  const order = await db
    .selectFrom('orders')
    .select('status')
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (order?.status !== 'open') return false;
  const paying = await db
    .selectFrom('payments')
    .select('payment_id')
    .where('order_id', '=', orderId)
    .where('status', 'in', ['succeeded', 'processing', 'requires_capture'])
    .executeTakeFirst();
  return paying === undefined;
}
