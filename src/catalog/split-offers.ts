import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { ProductPin } from '../routing/index.js';
import { listStepsWithBump, type StepWithSlugs } from './catalog.repository.js';

/**
 * One payment cannot span two Stripe accounts, so an order step whose main offer and order bump
 * are pinned to different accounts could never be paid. This finds such steps from the pins.
 */

export interface OrderOffers {
  /** `funnel/step`, as the routing document names steps. */
  step: string;
  product: string;
  bump: string;
}

export interface SplitOffer {
  step: string;
  main: { product: string; account: string };
  bump: { product: string; account: string };
}

export function findSplitOffers(
  steps: readonly OrderOffers[],
  productPins: Readonly<Record<string, ProductPin | undefined>>,
): SplitOffer[] {
  const split: SplitOffer[] = [];
  for (const step of steps) {
    const mainPin = productPins[step.product];
    const bumpPin = productPins[step.bump];
    if (mainPin && bumpPin && mainPin.use !== bumpPin.use) {
      split.push({
        step: step.step,
        main: { product: step.product, account: mainPin.use },
        bump: { product: step.bump, account: bumpPin.use },
      });
    }
  }
  return split;
}

/** One sentence per split step, naming both products and both accounts, and what to do. */
export function describeSplitOffers(split: readonly SplitOffer[]): string {
  const lines = split.map(
    (offer) =>
      `Step ${offer.step} would route its offers to two accounts: product ${offer.main.product} is pinned to ${offer.main.account} and its order bump ${offer.bump.product} to ${offer.bump.account}.`,
  );
  return [
    ...lines,
    'One payment cannot span two Stripe accounts: pin both products to the same account, or remove one of the pins.',
  ].join('\n');
}

/** Refuses pins that would split an order step's offers across two accounts. */
export function refuseSplitOffers(
  steps: readonly OrderOffers[],
  productPins: Readonly<Record<string, ProductPin | undefined>>,
): void {
  const split = findSplitOffers(steps, productPins);
  if (split.length > 0) {
    throw new AppError('offers_split_across_accounts', describeSplitOffers(split), { split });
  }
}

/**
 * Refuses product pins from any source (a routing config applied, a product pinned) that would
 * split a stored order step. Reads through the executor given: inside a transaction, the steps
 * it has just written count.
 */
export async function refuseSplitPins(
  db: Kysely<Database>,
  workspaceId: string,
  productPins: Readonly<Record<string, ProductPin | undefined>>,
): Promise<void> {
  const steps = await listStepsWithBump(db, workspaceId);
  refuseSplitOffers(steps.map(orderOffersOfStep), productPins);
}

/** A stored order step's offers, by product slug. */
export function orderOffersOfStep(step: StepWithSlugs): OrderOffers {
  return {
    step: `${step.funnelSlug}/${step.slug}`,
    product: step.productSlug ?? '',
    bump: step.bumpSlug ?? '',
  };
}
