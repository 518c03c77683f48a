import type { Account, Credential } from '../accounts/accounts.repository.js';
import type { Mode } from '../accounts/key-verification.js';
import type { Finding, FindingCode } from './finding.js';

/**
 * A group of doctor checks that share what they read: one group per area (configuration, keys
 * and account state, webhooks, maintenance, …). A group answers one finding for each code it
 * owns, for each place it applies to: `pass` when all is well.
 */
export interface DoctorCheck {
  /** For messages: `keys`, `webhooks`, … */
  name: string;
  /** `workspace`: run once; `account`: run for each live account and each mode it has keys for. */
  scope: 'workspace' | 'account';
  /** Every code this group can answer. */
  codes: readonly FindingCode[];
  /** Calls Stripe: run in parallel with the others under the doctor's timeout. */
  callsStripe: boolean;
  run(target: CheckTarget): Promise<Finding[]>;
}

export interface CheckTarget {
  workspaceId: string;
  now: Date;
  /** Set for `account` checks: the account and its keys in `mode`. */
  account?: Account;
  mode?: Mode;
  credential?: Credential;
  /** Aborted when the doctor's timeout passes; a check that calls Stripe gives up then. */
  signal: AbortSignal;
}
