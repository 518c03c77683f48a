import type { VariantOutcome } from './stats.repository.js';

/** One variant's figures in an A/B test. */
export interface VariantStats extends VariantOutcome {
  weight: number;
  /** converted / visitors; null without visitors. */
  rate: number | null;
}

/** How a challenger compares with the first variant (the control). */
export interface Comparison {
  variant: string;
  /** The two-proportion z statistic; null when it cannot be computed (no visitors, no spread). */
  z: number | null;
  significant: boolean;
  /** The comparison in plain words. */
  note: string;
}

/** |z| at or above this: the difference is significant at 95% confidence (two-sided). */
const zAt95 = 1.96;
/** Fewer visitors than this in an arm, and no verdict is given. */
const fewestVisitors = 30;

/** The two-proportion z-test of `b` against `a`. */
export function twoProportionZ(a: VariantOutcome, b: VariantOutcome): number | null {
  if (a.visitors === 0 || b.visitors === 0) return null;
  const pooled = (a.converted + b.converted) / (a.visitors + b.visitors);
  const spread = Math.sqrt(pooled * (1 - pooled) * (1 / a.visitors + 1 / b.visitors));
  if (spread === 0) return null;
  return (b.converted / b.visitors - a.converted / a.visitors) / spread;
}

function percent(rate: number | null): string {
  return rate === null ? 'no visitors' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** Each challenger against the control, with a sentence a merchant can act on. */
export function compareVariants(variants: VariantStats[]): Comparison[] {
  const [control, ...challengers] = variants;
  if (!control) return [];
  return challengers.map((challenger) => {
    const z = twoProportionZ(control, challenger);
    const rates = `${challenger.variant} ${percent(challenger.rate)} against ${control.variant} ${percent(control.rate)}`;
    if (control.visitors < fewestVisitors || challenger.visitors < fewestVisitors) {
      return {
        variant: challenger.variant,
        z,
        significant: false,
        note: `Too few visitors to tell yet (${rates}; each needs ${fewestVisitors}): keep the test running.`,
      };
    }
    const significant = z !== null && Math.abs(z) >= zAt95;
    const zText = z === null ? '' : `, z = ${z.toFixed(2)}`;
    if (!significant) {
      return {
        variant: challenger.variant,
        z,
        significant,
        note: `No significant difference yet (${rates}${zText}): the gap may be chance. Keep it running, or end it if it has run long enough.`,
      };
    }
    const better = (z ?? 0) > 0;
    return {
      variant: challenger.variant,
      z,
      significant,
      note: `${challenger.variant} converts ${better ? 'better' : 'worse'} than ${control.variant} (${rates}${zText}): significant at 95% confidence.`,
    };
  });
}
