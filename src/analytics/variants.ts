import { randomInt } from 'node:crypto';
import type { StepContent } from '../catalog/catalog.schema.js';

export type StepVariant = NonNullable<StepContent['variants']>[number];

/** The cookie that keeps a visitor's variant of one step: `sy_ab_<funnel>_<step>`. */
export function variantCookieName(funnel: string, step: string): string {
  return `sy_ab_${funnel}_${step}`;
}

/**
 * The variant a visitor sees: the one their cookie names while the test still has it, else one
 * drawn by weight (and `assigned` says the cookie must be set). Null without a test.
 */
export function variantFor(
  content: StepContent,
  remembered: string | undefined,
  draw: (below: number) => number = randomInt,
): { variant: StepVariant; assigned: boolean } | null {
  const variants = content.variants;
  if (!variants || variants.length === 0) return null;
  const kept = variants.find((variant) => variant.name === remembered);
  if (kept) return { variant: kept, assigned: false };
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  let ticket = draw(total);
  for (const variant of variants) {
    if (ticket < variant.weight) return { variant, assigned: true };
    ticket -= variant.weight;
  }
  // Unreachable while draw answers below total; the first variant is the safe answer.
  return { variant: variants[0] as StepVariant, assigned: true };
}

/** The step's content as the variant shows it: its blocks over the step's, without the test. */
export function contentOf(content: StepContent, variant: StepVariant | null): StepContent {
  const { variants: _variants, ...own } = content;
  if (!variant) return own;
  const { name: _name, weight: _weight, ...blocks } = variant;
  const given = Object.fromEntries(
    Object.entries(blocks).filter(([, value]) => value !== undefined),
  );
  return { ...own, ...given };
}
