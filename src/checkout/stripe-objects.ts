import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import type { StripeGateway } from '../stripe/gateway.js';
import type { AttemptTarget } from './attempts.js';
import {
  findStripeCatalogObject,
  findStripeCustomer,
  type Order,
  rememberStripeCatalogObject,
  rememberStripeCustomer,
} from './orders.repository.js';
import type { PaymentLine } from './payment-lines.js';

/**
 * Our buyers, products and prices as Stripe objects on each account: made the first time a
 * payment on that account needs them, remembered, and reused after.
 */
export interface StripeObjects {
  /**
   * The Stripe customer of this order's buyer on the attempt's account. `known`: the buyer's
   * Stripe customers by account id as the caller read them just before (none there: make one).
   */
  customerOn(
    target: AttemptTarget,
    buyer: Pick<Order, 'customerId' | 'email' | 'name'>,
    known?: ReadonlyMap<string, string>,
  ): Promise<string>;
  /** The Stripe price of a line on the attempt's account, with its product. */
  priceOn(target: AttemptTarget, line: PaymentLine): Promise<string>;
}

export interface StripeObjectsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'createCustomer' | 'createProduct' | 'createPrice'>;
}

export function createStripeObjects(deps: StripeObjectsDependencies): StripeObjects {
  const { db, clock, gateway } = deps;

  /** A product or price of ours on the account: the remembered one, else made and remembered. */
  async function mirrored(
    target: AttemptTarget,
    localId: string,
    make: (idempotencyKey: string) => Promise<string>,
  ): Promise<string> {
    const scope = { accountId: target.accountId, mode: target.mode };
    const known = await findStripeCatalogObject(db, { ...scope, localId });
    if (known) return known;
    const stripeId = await make(`${target.accountId}:${target.mode}:${localId}`);
    await rememberStripeCatalogObject(db, {
      ...scope,
      localId,
      stripeId,
      createdAt: clock().toISOString(),
    });
    return stripeId;
  }

  return {
    async customerOn(target, buyer, known) {
      const key = { customerId: buyer.customerId, accountId: target.accountId, mode: target.mode };
      const existing = known ? known.get(target.accountId) : await findStripeCustomer(db, key);
      if (existing) return existing;
      // The key covers what is sent: after a crash before the row below, a retry with the same
      // details gets this customer back, and one with a corrected name makes another instead of
      // being refused by Stripe for reusing a key with other parameters.
      const details = createHash('sha256').update(JSON.stringify([buyer.email, buyer.name]));
      const created = await gateway.createCustomer({
        credentials: target.credentials,
        idempotencyKey: `${buyer.customerId}:${target.accountId}:${target.mode}:customer:${details.digest('hex').slice(0, 16)}`,
        email: buyer.email,
        name: buyer.name,
        metadata: { switchyard_customer: buyer.customerId },
      });
      // Remembered with the try, whatever becomes of this payment, so the buyer's next order
      // reuses it (lost with a crash before that commit, the key above gives it back).
      const remembered = {
        customerId: buyer.customerId,
        accountId: target.accountId,
        mode: target.mode,
        stripeCustomerId: created.id,
        createdAt: clock().toISOString(),
      };
      target.alongside((executor) => rememberStripeCustomer(executor, remembered));
      return created.id;
    },

    async priceOn(target, line) {
      const productId = await mirrored(
        target,
        `product:${line.product}`,
        async (idempotencyKey) =>
          (
            await gateway.createProduct({
              credentials: target.credentials,
              idempotencyKey,
              name: line.name,
              metadata: { switchyard_product: line.product },
            })
          ).id,
      );
      // Stripe prices cannot change: new terms are a new price.
      const terms = line.recurring
        ? `${line.recurring.interval}:${line.recurring.intervalCount}`
        : 'once';
      return mirrored(
        target,
        `price:${line.product}:${line.currency}:${line.amount}:${terms}`,
        async (idempotencyKey) =>
          (
            await gateway.createPrice({
              credentials: target.credentials,
              idempotencyKey,
              product: productId,
              currency: line.currency,
              unitAmount: line.amount,
              recurring: line.recurring,
              metadata: { switchyard_product: line.product },
            })
          ).id,
      );
    },
  };
}
