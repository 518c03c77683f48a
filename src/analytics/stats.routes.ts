import { parseInput } from '../catalog/catalog.schema.js';
import type { Clock } from '../clock.js';
import { type AdminApp, actorOf } from '../http/app.js';
import { periodOf, statsQuery } from './stats.schema.js';
import type { FunnelStatsService } from './stats.service.js';

/** `GET /api/funnels/{slug}/stats?from&to`: views, visitors, contacts, payments and revenue. */
export function registerFunnelStatsRoutes(
  app: AdminApp,
  deps: { stats: FunnelStatsService; clock: Clock },
): void {
  app.get<{ Params: { slug: string } }>(
    '/api/funnels/:slug/stats',
    async function funnelStats(request) {
      const query = parseInput(statsQuery, request.query ?? {}, 'query');
      const period = periodOf(query, deps.clock().toISOString().slice(0, 10));
      return deps.stats.stats(actorOf(request).workspaceId, request.params.slug, period);
    },
  );
}
