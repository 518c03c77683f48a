/** What several instances on one database share (migration 0021). */
export interface SharedTables {
  checkout_limit_hits: CheckoutLimitHitTable;
}

/** Checkout requests counted against one limit key in one minute window, by every instance. */
export interface CheckoutLimitHitTable {
  /** sha256 hex of `ip:<address>` or `email:<address>`. */
  limit_key: string;
  /** The window's start, ISO-8601 UTC, on a whole minute. */
  window_start: string;
  hits: number;
}
