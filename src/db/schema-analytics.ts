/** Funnel analytics (migration 0020). */
export interface AnalyticsTables {
  funnel_events: FunnelEventTable;
}

/** A page view, a contact submission, or a yes to an upsell or downsell. */
export type FunnelEventKind = 'view' | 'contact' | 'accept';

/** A counted page view or contact submission of a funnel step. */
export interface FunnelEventTable {
  event_id: string;
  workspace_id: string;
  funnel_slug: string;
  step_slug: string;
  /** The A/B variant the visitor saw; null when the step has no test. */
  variant: string | null;
  /** The first-party `sy_visitor` cookie's id. */
  visitor_id: string;
  kind: FunnelEventKind;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  created_at: string;
}
