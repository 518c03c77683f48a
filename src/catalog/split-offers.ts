import type { Pin } from '../routing/index.js';

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
  productPins: Readonly<Record<string, Pin | undefined>>,
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
