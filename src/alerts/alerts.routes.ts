import { type AdminApp, actorName, actorOf } from '../http/app.js';
import { alertSettingsChangesSchema } from './alert-settings.js';
import type { AlertsService } from './alerts.service.js';

export function registerAlertRoutes(app: AdminApp, alerts: AlertsService): void {
  app.get('/api/alerts', async function showAlertSettings(request) {
    return { alerts: await alerts.showSettings(actorOf(request).workspaceId) };
  });

  app.put(
    '/api/alerts',
    { schema: { body: alertSettingsChangesSchema } },
    async function updateAlertSettings(request) {
      return {
        alerts: await alerts.updateSettings(
          actorOf(request).workspaceId,
          request.body,
          actorName(request),
        ),
      };
    },
  );

  app.post('/api/alerts/test', async function testAlertChannels(request) {
    return {
      results: await alerts.sendTest(actorOf(request).workspaceId, actorName(request)),
    };
  });
}
