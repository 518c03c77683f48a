import type { AccountDirectory, AccountRecord, ApiKey } from './accounts.js';
import type { EmulatorClock } from './clock.js';
import type { EventHub } from './event-hub.js';
import type { FormHash } from './form.js';
import type { IdFactory } from './ids.js';
import type { Ledger } from './ledger.js';

/** What every handler may use: state, clock, ids, and the webhook hub. Passed in, never global. */
export interface EmulatorServices {
  clock: EmulatorClock;
  ids: IdFactory;
  accounts: AccountDirectory;
  hub: EventHub;
  /**
   * Creates the event for a state change on the ledger's account. The account's Connect platform
   * hears of it too: the one connected now, unless `platformAccountId` names it (a disconnect).
   */
  publish(
    ledger: Ledger,
    type: string,
    object: Record<string, unknown>,
    previousAttributes?: Record<string, unknown>,
    platformAccountId?: string | null,
  ): void;
  /**
   * Runs a handler with the API request that events it publishes name in `request` (id and
   * idempotency key), as Stripe's events do. Handlers are synchronous, so no two overlap.
   */
  withRequest<Result>(
    request: { id: string; idempotency_key: string | null },
    action: () => Result,
  ): Result;
}

/** One authenticated API request, resolved to the account and mode it acts on. */
export interface ApiCall {
  method: string;
  path: string;
  params: FormHash;
  pathParams: Record<string, string>;
  /** The key that authenticated the request. */
  key: ApiKey;
  /** The account acted on: the key's own, or the one named by `Stripe-Account`. */
  account: AccountRecord;
  ledger: Ledger;
  livemode: boolean;
  /** `http://host:port` as the client reached the emulator, for URLs in responses. */
  origin: string;
}

export type ResponseBody = Record<string, unknown>;

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string;
  /** Calls Stripe.js makes with a publishable key; every other call needs a secret key. */
  publishable?: boolean;
  handle(call: ApiCall, services: EmulatorServices): ResponseBody;
}
