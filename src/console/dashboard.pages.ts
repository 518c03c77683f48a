import type { App } from '../http/app.js';
import { type ConsoleDependencies, sendPage, visitOf } from './console-app.js';
import { renderConsolePage } from './layout.js';

/** The console's dashboard (issue 15). */
export function registerDashboardScreens(app: App, _deps: ConsoleDependencies): void {
  app.get('/admin', async function dashboard(request, reply) {
    const visit = visitOf(request);
    return sendPage(
      reply,
      renderConsolePage({
        visit,
        title: 'Dashboard',
        section: 'dashboard',
        body: '<p>Choose a section from the menu.</p>',
      }),
    );
  });
}
