import { z } from 'zod';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import type { RoutingConfigService } from './routing-config.service.js';

// The document and the context are parsed by the routing schemas, which name JSON paths precisely.
const applyBody = z
  .object({
    document: z.unknown(),
    message: z.string().trim().max(2000).optional(),
    basedOn: z.number().int().min(0).max(2_147_483_647).optional(),
  })
  .strict();

const rollbackBody = z.object({ version: z.number().int().min(1).max(2_147_483_647) }).strict();
const explainBody = z.object({ context: z.unknown() }).strict();
const versionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });

export function registerRoutingConfigRoutes(app: AdminApp, routing: RoutingConfigService): void {
  app.get('/api/routing', async function showRouting(request) {
    return routing.showActive(actorOf(request).workspaceId);
  });

  app.put('/api/routing', { schema: { body: applyBody } }, async function applyRouting(request) {
    return routing.applyDocument(actorOf(request).workspaceId, request.body.document, {
      actor: actorName(request),
      message: request.body.message,
      basedOn: request.body.basedOn,
      root: 'document',
    });
  });

  app.get(
    '/api/routing/versions',
    { schema: { querystring: versionsQuery } },
    async function listRoutingVersions(request) {
      return {
        versions: await routing.listVersions(actorOf(request).workspaceId, request.query.limit),
      };
    },
  );

  app.post(
    '/api/routing/rollback',
    { schema: { body: rollbackBody } },
    async function rollbackRouting(request) {
      return routing.rollback(
        actorOf(request).workspaceId,
        request.body.version,
        actorName(request),
      );
    },
  );

  app.post(
    '/api/routing/explain',
    { schema: { body: explainBody } },
    async function explainRouting(request) {
      return routing.explain(actorOf(request).workspaceId, request.body.context);
    },
  );
}
