import { z } from 'zod';
import { type AdminApp, actorOf } from '../http/app.js';
import type { RoutingReplay } from './replay.service.js';

// The document is parsed by the routing schema, which names JSON paths precisely; the window's
// bounds by the service, which says what a date looks like.
const replayBody = z
  .object({
    document: z.unknown(),
    from: z.string().max(40).optional(),
    to: z.string().max(40).optional(),
  })
  .strict();

export function registerRoutingReplayRoutes(app: AdminApp, replay: RoutingReplay): void {
  app.post(
    '/api/routing/replay',
    { schema: { body: replayBody } },
    async function replayRouting(request) {
      return replay.replay(actorOf(request).workspaceId, request.body, { root: 'document' });
    },
  );
}
