import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** An order whose buyer gave their contact details and has not paid. */
export interface AbandonedCheckout {
  orderId: string;
  email: string;
  name: string;
  funnel: string;
  mode: 'test' | 'live';
  /** What the card form asked for; null when the buyer never reached it. */
  amount: number | null;
  currency: string | null;
  /** When the contact step was filled in. */
  startedAt: string;
  /** When the buyer agreed to be written to, and the words they saw; null without consent. */
  consent: { agreedAt: string; wording: string } | null;
  /** When the one recovery email went out; null before. */
  recoveryEmailSentAt: string | null;
}

/** Open orders begun before `startedBefore`, newest first. */
export async function listAbandonedCheckouts(
  db: Kysely<Database>,
  workspaceId: string,
  startedBefore: string,
): Promise<AbandonedCheckout[]> {
  const rows = await db
    .selectFrom('orders')
    .leftJoin('checkout_consents', 'checkout_consents.order_id', 'orders.order_id')
    .leftJoin('recovery_emails', 'recovery_emails.order_id', 'orders.order_id')
    // The card form the buyer reached last: the order's newest initial payment.
    .leftJoin('payments as card_form', (join) =>
      join.onRef('card_form.payment_id', '=', (eb) =>
        eb
          .selectFrom('payments')
          .whereRef('payments.order_id', '=', 'orders.order_id')
          .where('payments.kind', '=', 'initial')
          .orderBy('payments.created_at', 'desc')
          .select('payments.payment_id')
          .limit(1),
      ),
    )
    .select([
      'orders.order_id',
      'orders.email',
      'orders.name',
      'orders.funnel_slug',
      'orders.mode',
      'orders.created_at',
      'checkout_consents.wording',
      'checkout_consents.agreed_at',
      'recovery_emails.sent_at',
      'card_form.amount',
      'card_form.currency',
    ])
    .where('orders.workspace_id', '=', workspaceId)
    .where('orders.status', '=', 'open')
    .where('orders.created_at', '<', startedBefore)
    .orderBy('orders.created_at', 'desc')
    .orderBy('orders.order_id', 'desc')
    .limit(500)
    .execute();
  return rows.map((row) => ({
    orderId: row.order_id,
    email: row.email,
    name: row.name,
    funnel: row.funnel_slug,
    mode: row.mode,
    amount: row.amount === null ? null : Number(row.amount),
    currency: row.currency ?? null,
    startedAt: row.created_at,
    consent:
      row.wording !== null && row.agreed_at !== null
        ? { agreedAt: row.agreed_at, wording: row.wording }
        : null,
    recoveryEmailSentAt: row.sent_at,
  }));
}
