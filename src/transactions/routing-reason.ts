import type { RoutingDecision } from '../routing/index.js';

/**
 * Why the account took it, in one line for a log row: what matched, and the account it fell back
 * from (with the router's reasons). The decision's full explanation is in `orders show`.
 */
export function routingReasonOf(decision: RoutingDecision): string {
  const { matched } = decision;
  const target =
    matched.level === 'default'
      ? 'default (primary)'
      : matched.level === 'continuation'
        ? `continuation on ${decision.account ?? decision.fallbackFrom ?? 'its account'}`
        : `${matched.level} ${matched.ref ?? ''}`.trim();
  const how =
    decision.picked?.reason === 'customer_affinity'
      ? ', customer affinity'
      : decision.split !== undefined
        ? `, split bucket ${decision.split.bucket} → ${decision.split.pick}`
        : '';
  if (decision.fallbackFrom === null) {
    return decision.outcome === 'selected'
      ? `${target}${how}`
      : `${target}${how}: ${decision.outcome}`;
  }
  const from = decision.candidates.find((candidate) => candidate.account === decision.fallbackFrom);
  const why = from && from.reasons.length > 0 ? ` (${from.reasons.join(', ')})` : '';
  return `${target}${how} → fallback from ${decision.fallbackFrom}${why}`;
}
