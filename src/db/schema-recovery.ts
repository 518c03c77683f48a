/** Abandoned checkouts and their recovery emails (migration 0018). */
export interface RecoveryTables {
  checkout_consents: CheckoutConsentTable;
  recovery_emails: RecoveryEmailTable;
}

/** What a buyer agreed to on the order step's contact form, in the merchant's words. */
export interface CheckoutConsentTable {
  order_id: string;
  workspace_id: string;
  /** The order step the buyer agreed on: the recovery link brings them back to its payment. */
  step_slug: string;
  /** The checkbox's wording as the buyer saw it. */
  wording: string;
  agreed_at: string;
}

/** One recovery email per order: claimed before sending, so no two instances both send. */
export interface RecoveryEmailTable {
  order_id: string;
  workspace_id: string;
  claimed_at: string;
  sent_at: string | null;
}
