import { z } from 'zod';
import { parseInput } from '../catalog/catalog.schema.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { Clock } from '../clock.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import { endTestWithWinner } from './ab-winner.js';
import { periodOf, statsQuery } from './stats.schema.js';
import type { FunnelStatsService } from './stats.service.js';

/** `GET /api/funnels/{slug}/stats?from&to`: views, visitors, contacts, payments and revenue. */
export function registerFunnelStatsRoutes(
  app: AdminApp,
  deps: {
    stats: FunnelStatsService;
    clock: Clock;
    catalog: Pick<CatalogService, 'exportFunnel' | 'updateFunnel'>;
  },
): void {
  app.get<{ Params: { slug: string } }>(
    '/api/funnels/:slug/stats',
    async function funnelStats(request) {
      const query = parseInput(statsQuery, request.query ?? {}, 'query');
      const period = periodOf(query, deps.clock().toISOString().slice(0, 10));
      return deps.stats.stats(actorOf(request).workspaceId, request.params.slug, period);
    },
  );

  // Ends the step's A/B test: the winner's blocks become the step's own.
  app.post<{ Params: { slug: string; step: string } }>(
    '/api/funnels/:slug/steps/:step/winner',
    async function endAbTest(request) {
      const { variant } = parseInput(winnerBody, request.body ?? {});
      const actor = actorOf(request);
      const funnel = await endTestWithWinner(deps.catalog, {
        workspaceId: actor.workspaceId,
        funnel: request.params.slug,
        step: request.params.step,
        winner: variant,
        actor: actorName(request),
      });
      return { funnel };
    },
  );
}

const winnerBody = z.strictObject({
  variant: z.string({ error: 'required: the name of the variant that won' }).min(1).max(40),
});
