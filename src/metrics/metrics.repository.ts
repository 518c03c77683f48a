import type { Kysely } from 'kysely';
import type { Mode } from '../accounts/key-verification.js';
import type { Database, PaymentKind, PaymentStatus } from '../db/schema.js';

/** How many payments share an account, mode, kind and status. */
export interface PaymentCount {
  /** The account's handle; null while no attempt has succeeded on an account. */
  account: string | null;
  mode: Mode;
  kind: PaymentKind;
  status: PaymentStatus;
  count: number;
}

/** The stored breaker of one account and mode with a key; `breaker` is null before any call. */
export interface StoredBreakerState {
  account: string;
  mode: Mode;
  breaker: { state: 'closed' | 'open'; stateChangedAt: string } | null;
}

/** One grouped read, whatever the number of payments: a scrape must stay cheap. */
export async function countPayments(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<PaymentCount[]> {
  const rows = await db
    .selectFrom('payments')
    .select(['account_handle', 'mode', 'kind', 'status'])
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .groupBy(['account_handle', 'mode', 'kind', 'status'])
    .execute();
  return rows.map((row) => ({
    account: row.account_handle,
    mode: row.mode,
    kind: row.kind,
    status: row.status,
    count: Number(row.count),
  }));
}

/** Every live account's breaker per mode it has a key for. */
export async function listBreakerStates(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<StoredBreakerState[]> {
  const rows = await db
    .selectFrom('account_credentials as c')
    .innerJoin('accounts as a', 'a.account_id', 'c.account_id')
    .leftJoin('account_breakers as b', (join) =>
      join.onRef('b.account_id', '=', 'c.account_id').onRef('b.mode', '=', 'c.mode'),
    )
    .select(['a.handle', 'c.mode', 'b.state', 'b.state_changed_at'])
    .where('a.workspace_id', '=', workspaceId)
    .where('a.removed_at', 'is', null)
    .execute();
  return rows.map((row) => ({
    account: row.handle,
    mode: row.mode,
    breaker:
      row.state === null || row.state_changed_at === null
        ? null
        : { state: row.state, stateChangedAt: row.state_changed_at },
  }));
}

/** When the oldest event still waiting to be processed arrived; null when none waits. */
export async function oldestUnprocessedEventAt(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('webhook_events')
    .select((eb) => eb.fn.min('received_at').as('oldest'))
    .where('workspace_id', '=', workspaceId)
    .where('processed_at', 'is', null)
    .executeTakeFirst();
  return row?.oldest ?? null;
}
