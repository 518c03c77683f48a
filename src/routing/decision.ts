/** The routing decision of docs/design.md §2: what the router chose, and why, in data and in words. */

export const outcomes = [
  'selected',
  'fallback',
  'needs_new_payment_method',
  'conflict',
  'no_account',
  'unavailable',
] as const;

export const matchLevels = [
  'continuation',
  'product',
  'step',
  'funnel',
  'rule',
  'default',
] as const;

/** In the order the router reports them when an account has several. */
export const reasonCodes = [
  'unknown_account',
  'disabled',
  'draining',
  'no_credentials_for_mode',
  'currency_not_accepted',
  'health_degraded',
  'health_down',
  'health_disconnected',
  'health_restricted',
  'cap_reached',
] as const;

/** Why the router took an account other than by the target and fallback order alone. */
export const pickReasons = ['split', 'customer_affinity'] as const;

export type Outcome = (typeof outcomes)[number];
export type MatchLevel = (typeof matchLevels)[number];
export type ReasonCode = (typeof reasonCodes)[number];
export type PickReason = (typeof pickReasons)[number];

export interface Match {
  level: MatchLevel;
  /** Product slug, step key, funnel slug or rule name; null for `default` and `continuation`. */
  ref: string | null;
}

export interface Candidate {
  account: string;
  eligible: boolean;
  /** Why it cannot take the payment; `health_degraded` alone is informational and keeps it eligible. */
  reasons: ReasonCode[];
}

/** How a split chose (issue 16): what a merchant needs to check the pick by hand. */
export interface SplitDetail {
  /** The rule's name, `pin:funnel:<slug>` or `pin:step:<funnel>/<step>`. */
  id: string;
  /** What the bucket was computed from; the key itself (an email) is not kept in the decision. */
  key: 'customer' | 'order' | 'none';
  /** 0 to 9999: the first 4 bytes of SHA-256("<id>|<key>"), big-endian, modulo 10,000. */
  bucket: number;
  weights: Array<{ account: string; weight: number }>;
  /** The account the bucket falls on, before eligibility. */
  pick: string;
}

export interface RoutingDecision {
  outcome: Outcome;
  account: string | null;
  matched: Match;
  fallbackFrom: string | null;
  /** Every account the router looked at, in the order it looked. */
  candidates: Candidate[];
  /** Sentences a merchant understands, in the order the router reasoned. */
  explanation: string[];
  /** Present when the target was a split. */
  split?: SplitDetail;
  /** Present when a split or customer affinity chose the account (not the plain target). */
  picked?: { account: string; reason: PickReason };
}
