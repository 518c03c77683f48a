import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/app.js';
import { consoleUser } from '../../test/console.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useAlertReceivers } from '../alerts/alert-receivers.test-helper.js';
import type { Role } from '../users/roles.js';
import { csrfTokenOf } from './session-cookie.js';

const receivers = useAlertReceivers();

/*
 * The operations screens called in-process, on both databases: who may change the alert channels,
 * what a refused save shows, the CSV behind a session, and the pages with nothing recorded yet.
 */
describeEachDatabase('the operations screens of the console', (database) => {
  let store: TestStore;
  let testApp: TestApp;

  beforeEach(async () => {
    store = await database.openMigrated();
    testApp = await buildTestApp(store);
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
  });

  /** A signed-in person's requests: the session cookie, and the CSRF token on every post. */
  async function personOf(role: Role) {
    const user = await consoleUser(testApp, role);
    const { token } = await testApp.services.users.startSession(user);
    const cookie = `sy_session=${token}`;
    return {
      user,
      get: (url: string) => testApp.app.inject({ method: 'GET', url, headers: { cookie } }),
      post: (url: string, form: Record<string, string | string[]>) =>
        testApp.app.inject({
          method: 'POST',
          url,
          headers: { cookie },
          payload: { _csrf: csrfTokenOf(token), ...form },
        }),
    };
  }

  it('lets only an owner change the alert channels or send a test; others get a 403 and nothing changes', async () => {
    for (const role of ['admin', 'viewer'] as const) {
      const person = await personOf(role);
      const page = await person.get('/admin/settings/alerts');
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('Save alert settings');
      for (const url of ['/admin/settings/alerts', '/admin/settings/alerts/test']) {
        const refused = await person.post(url, { slackWebhookUrl: receivers.slack.url });
        expect(refused.statusCode, `${role} ${url}`).toBe(403);
        expect(refused.body).toContain('only an owner can');
      }
    }
    expect((await testApp.services.alerts.showSettings('default')).slack.webhookUrl).toBeNull();
    expect(receivers.slack.calls).toBe(0);
  });

  it('shows a refused save with each reason beside its field, the secrets not echoed back', async () => {
    const owner = await personOf('owner');
    const refused = await owner.post('/admin/settings/alerts', {
      smtpUrl: receivers.mail.url,
      emailFrom: 'alerts@shop.example',
      emailTo: 'ops@shop.example, not-an-address',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('id="field-emailTo-error"');
    expect(refused.body).toContain('value="alerts@shop.example"');
    expect(refused.body).toContain('ops@shop.example, not-an-address');
    expect(refused.body).not.toContain(receivers.mail.password);
    expect(refused.body).toContain('class="error-summary"');

    const none = await owner.post('/admin/settings/alerts/test', {});
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('Set one under Alerts');

    const saved = await owner.post('/admin/settings/alerts', {
      smtpUrl: receivers.mail.url,
      emailFrom: 'alerts@shop.example',
      emailTo: 'ops@shop.example',
      digest: 'on',
    });
    expect(saved.statusCode).toBe(303);
    const view = await testApp.services.alerts.showSettings('default');
    expect(view.email).toMatchObject({ from: 'alerts@shop.example', to: ['ops@shop.example'] });
    expect(view.digest).toBe(true);
    expect(view.updatedBy).toBe(`${owner.user.name} <${owner.user.email}>`);
    const shown = await owner.get('/admin/settings/alerts');
    expect(shown.body).toContain(view.email.smtpUrl ?? 'masked');
    expect(shown.body).not.toContain(receivers.mail.password);

    const tested = await owner.post('/admin/settings/alerts/test', {});
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toMatch(/Email<\/strong>: <span class="badge ok">Delivered/);
    expect(receivers.mail.messages).toHaveLength(1);
  });

  it('serves the CSV to a signed-in person only, with the API’s filters and its refusals', async () => {
    const signedOut = await testApp.app.inject({ method: 'GET', url: '/admin/transactions.csv' });
    expect(signedOut.statusCode).toBe(303);
    const viewer = await personOf('viewer');
    const csv = await viewer.get('/admin/transactions.csv?outcome=succeeded&from=2026-11-01');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim()).toMatch(/^time,entry,kind,order_id/);
    const bad = await viewer.get('/admin/transactions.csv?outcome=sold');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('text/html');
    const log = await viewer.get('/admin/transactions?from=2026-12-05&to=2026-12-01&limit=3');
    expect(log.statusCode).toBe(400);
    expect(log.body).toContain('id="field-to-error"');
  });

  it('shows the dashboard and doctor with nothing recorded yet, and never runs doctor on a visit', async () => {
    const viewer = await personOf('viewer');
    const dashboard = await viewer.get('/admin');
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('No payment has succeeded this month yet.');
    expect(dashboard.body).toContain('Not checked yet');
    expect(dashboard.body).toContain(viewer.user.name);
    const visit = await viewer.get('/admin/doctor');
    expect(visit.statusCode).toBe(200);
    expect(visit.body).not.toContain('id="report-heading"');
    const unknown = await viewer.get('/admin/doctor?run=nowhere');
    expect(unknown.body).toContain('id="field-run-error"');
    const run = await viewer.get('/admin/doctor?run=all');
    expect(run.body).toContain('id="report-heading"');
    // No account is connected: doctor fails on that, first.
    expect(run.body.indexOf('no_primary')).toBeGreaterThan(-1);
  });
});
