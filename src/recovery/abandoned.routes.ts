import { type AdminApp, actorOf } from '../http/app.js';
import type { AbandonedCheckouts } from './abandoned.service.js';

/** `GET /api/checkouts/abandoned`: contact given, unpaid, and whether a recovery email went out. */
export function registerAbandonedCheckoutRoutes(
  app: AdminApp,
  abandoned: AbandonedCheckouts,
): void {
  app.get('/api/checkouts/abandoned', async function listAbandonedCheckouts(request) {
    return {
      abandonedAfterMinutes: abandoned.afterMinutes,
      abandonedCheckouts: await abandoned.list(actorOf(request).workspaceId),
    };
  });
}
