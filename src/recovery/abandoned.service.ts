import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { type AbandonedCheckout, listAbandonedCheckouts } from './abandoned.repository.js';

export type { AbandonedCheckout } from './abandoned.repository.js';

/** Checkouts a buyer began (contact given) and left unpaid for ABANDONED_AFTER_MINUTES. */
export interface AbandonedCheckouts {
  /** How long an unpaid order waits before it counts as abandoned. */
  readonly afterMinutes: number;
  list(workspaceId: string): Promise<AbandonedCheckout[]>;
}

export interface AbandonedCheckoutsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  afterMinutes: number;
}

export function createAbandonedCheckouts(deps: AbandonedCheckoutsDependencies): AbandonedCheckouts {
  return {
    afterMinutes: deps.afterMinutes,
    async list(workspaceId) {
      const startedBefore = new Date(deps.clock().getTime() - deps.afterMinutes * 60_000);
      return listAbandonedCheckouts(deps.db, workspaceId, startedBefore.toISOString());
    },
  };
}
