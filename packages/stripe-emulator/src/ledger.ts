import type { TestCard } from './cards.js';
import type { JsonObject } from './json.js';
import type {
  ChargeObject,
  CustomerObject,
  InvoiceObject,
  PaymentIntentObject,
  PaymentMethodObject,
  PriceObject,
  ProductObject,
  RefundObject,
  SubscriptionObject,
} from './objects.js';

/** A response kept for an `Idempotency-Key`, or a request with that key still running. */
export interface IdempotentResult {
  fingerprint: string;
  createdAt: number;
  /**
   * Undefined while the first request is still being answered. The body is kept as the object
   * answered, not its text: stored objects are never mutated, so it still reads as it did, and
   * the ledger already holds it (a copy per request would double what a benchmark keeps alive).
   */
  response: { status: number; body: Record<string, unknown>; requestId: string } | undefined;
}

/** How many idempotent results one ledger keeps; Stripe keeps them for 24 hours. */
const idempotencyCapacity = 20_000;
export const idempotencyLifetimeSeconds = 24 * 60 * 60;

/**
 * Everything one account holds in one mode (test or live). Objects made with one account's key
 * live only here, which is what makes accounts isolated. Maps keep insertion order, which is
 * creation order, so lists read them backwards (newest first).
 */
export class Ledger {
  readonly accountId: string;
  readonly livemode: boolean;
  readonly customers = new Map<string, CustomerObject>();
  readonly deletedCustomers = new Set<string>();
  readonly paymentMethods = new Map<string, PaymentMethodObject>();
  /** The test card behind each payment method: how it behaves when charged. */
  readonly cards = new Map<string, TestCard>();
  /** Payment methods saved with `setup_future_usage`, which off-session payments may reuse. */
  readonly savedForOffSession = new Set<string>();
  readonly paymentIntents = new Map<string, PaymentIntentObject>();
  readonly charges = new Map<string, ChargeObject>();
  readonly refunds = new Map<string, RefundObject>();
  readonly products = new Map<string, ProductObject>();
  readonly deletedProducts = new Set<string>();
  readonly prices = new Map<string, PriceObject>();
  readonly subscriptions = new Map<string, SubscriptionObject>();
  readonly invoices = new Map<string, InvoiceObject>();
  readonly invoiceByPaymentIntent = new Map<string, string>();
  readonly idempotency = new Map<string, IdempotentResult>();
  /** Card number -> fingerprint: hashing once per card, not once per use. */
  readonly fingerprints = new Map<string, string>();
  invoiceSequence = 0;

  constructor(accountId: string, livemode: boolean) {
    this.accountId = accountId;
    this.livemode = livemode;
  }

  /** Finds any stored object by its id, for `expand[]`. */
  findObject(id: string): JsonObject | undefined {
    const prefix = id.slice(0, id.indexOf('_'));
    switch (prefix) {
      case 'pi':
        return this.paymentIntents.get(id);
      case 'ch':
      case 'py':
        return this.charges.get(id);
      case 'cus':
        return this.customers.get(id);
      case 'pm':
        return this.paymentMethods.get(id);
      case 're':
        return this.refunds.get(id);
      case 'prod':
        return this.products.get(id);
      case 'price':
        return this.prices.get(id);
      case 'sub':
        return this.subscriptions.get(id);
      case 'in':
        return this.invoices.get(id);
      default:
        return undefined;
    }
  }

  /** Every field as JSON-ready data: maps and sets as their entries (state-file.ts). */
  exportState(): LedgerState {
    const state: LedgerState = {};
    for (const [name, value] of Object.entries(this)) {
      if (name === 'idempotency') {
        // A request still running when the state is saved has no answer to replay.
        const answered = [...this.idempotency].filter(
          ([, result]) => result.response !== undefined,
        );
        state[name] = { map: answered };
      } else if (value instanceof Map) state[name] = { map: [...value] };
      else if (value instanceof Set) state[name] = { set: [...value] };
      else state[name] = value;
    }
    return state;
  }

  static restore(state: LedgerState): Ledger {
    const ledger = new Ledger(String(state.accountId), state.livemode === true);
    for (const [name, value] of Object.entries(ledger)) {
      const saved = state[name];
      if (value instanceof Map && isSavedMap(saved)) {
        for (const [key, item] of saved.map) value.set(key, item);
      } else if (value instanceof Set && isSavedSet(saved)) {
        for (const item of saved.set) value.add(item);
      }
    }
    ledger.invoiceSequence = Number(state.invoiceSequence ?? 0);
    return ledger;
  }

  rememberIdempotentResult(key: string, result: IdempotentResult): void {
    if (this.idempotency.size >= idempotencyCapacity) {
      const oldest = this.idempotency.keys().next();
      if (oldest.done !== true) this.idempotency.delete(oldest.value);
    }
    this.idempotency.set(key, result);
  }
}

/** A ledger as plain data: each field by name, maps as `{map: entries}`, sets as `{set: values}`. */
export type LedgerState = Record<string, unknown>;

function isSavedMap(value: unknown): value is { map: Array<[string, never]> } {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { map?: unknown }).map)
  );
}

function isSavedSet(value: unknown): value is { set: never[] } {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { set?: unknown }).set)
  );
}
