import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import { alertSettingsChangesSchema } from './alert-settings.js';
import type { AlertsService } from './alerts.service.js';

export function registerAlertRoutes(app: AdminApp, alerts: AlertsService): void {
  app.get('/api/alerts', async function showAlertSettings(request) {
    return { alerts: await alerts.showSettings(actorOf(request).workspaceId) };
  });

  app.put('/api/alerts', async function updateAlertSettings(request) {
    // Parsed here, as every route's body, so an unknown field is named as itself.
    const changes = parseInput(alertSettingsChangesSchema, request.body ?? {});
    return {
      alerts: await alerts.updateSettings(
        actorOf(request).workspaceId,
        changes,
        actorName(request),
      ),
    };
  });

  app.post('/api/alerts/test', async function testAlertChannels(request) {
    return {
      results: await alerts.sendTest(actorOf(request).workspaceId, actorName(request)),
    };
  });
}
