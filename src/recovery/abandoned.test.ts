import { beforeEach, expect, it } from 'vitest';
import { buyOrder, clockAhead, visitorOf } from '../../test/checkout.js';
import { consoleUser } from '../../test/console.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { sessionCookie } from '../console/session-cookie.js';

const emulator = useEmulator();

describeEachDatabase('abandoned checkouts', (database) => {
  const clock = clockAhead();
  beforeEach(() => clock.reset());
  const shop = launchShopForEachTest(database, emulator, { clock });

  /** A buyer who fills in the contact step, sees the card form and leaves. */
  async function leaveAtCardForm(email: string, name: string, consent?: 'yes') {
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', {
      email,
      name,
      country: 'US',
      ...(consent ? { consent } : {}),
    });
    expect((await visitor.get('/f/launch/order/pay')).statusCode).toBe(200);
  }

  it('lists buyers who left unpaid for 30 minutes, not the paid nor the ones still within the time, in the API and the console', async () => {
    await leaveAtCardForm('ana@example.com', 'Ana <b>', 'yes');
    clock.advance(31 * 60);
    await leaveAtCardForm('ben@example.com', 'Ben');
    await buyOrder(emulator(), visitorOf(shop().testApp.app), {
      email: 'cy@example.com',
      name: 'Cy',
      country: 'US',
    });
    const listed = await shop().api('GET', '/api/checkouts/abandoned');
    expect(listed.status).toBe(200);
    expect(listed.body.abandonedAfterMinutes).toBe(30);
    expect(listed.body.abandonedCheckouts).toHaveLength(1);
    const [ana] = listed.body.abandonedCheckouts;
    expect(ana).toMatchObject({
      email: 'ana@example.com',
      name: 'Ana <b>',
      funnel: 'launch',
      recoveryEmailSentAt: null,
    });
    expect(ana.amount).toBeGreaterThan(0);

    // What the buyer agreed to (the demo funnel's wording) shows on the page as "Yes".
    expect(ana.consent).toMatchObject({ wording: expect.stringContaining('email me once') });
    const { testApp } = shop();
    const viewer = await consoleUser(testApp, 'viewer');
    const { token } = await testApp.services.users.startSession(viewer);
    const page = await testApp.app.inject({
      method: 'GET',
      url: '/admin/checkouts/abandoned',
      headers: { cookie: `${sessionCookie}=${token}` },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ana@example.com');
    expect(page.body).toContain('Ana &lt;b&gt;');
    expect(page.body).not.toContain('ben@example.com');
    expect(page.body).not.toContain('cy@example.com');
    expect(page.body).toContain(
      'title="If I don’t finish paying, email me once with a link back to my order.">Yes',
    );
    expect(page.body).toContain('Not sent');
  });

  it('refuses the list without the admin token', async () => {
    const refused = await shop().testApp.app.inject({
      method: 'GET',
      url: '/api/checkouts/abandoned',
    });
    expect(refused.statusCode).toBe(401);
  });
});
