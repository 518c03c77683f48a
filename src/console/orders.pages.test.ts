import { expect, it } from 'vitest';
import { buyOrder, visitorOf } from '../../test/checkout.js';
import { consoleUser } from '../../test/console.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import type { Role } from '../users/roles.js';
import { csrfTokenOf, sessionCookie } from './session-cookie.js';

const emulator = useEmulator();

/*
 * The orders and audit screens in-process, on both databases: what the server does whatever a
 * page shows (roles, CSRF, filters it cannot use, paging), without a browser.
 */
describeEachDatabase('the console’s orders and audit screens', (database) => {
  const shop = launchShopForEachTest(database, emulator);

  /** A signed-in person of that role, as the console's requests carry them. */
  async function signedIn(role: Role) {
    const { testApp } = shop();
    const user = await consoleUser(testApp, role);
    const { token } = await testApp.services.users.startSession(user);
    const cookie = `${sessionCookie}=${token}`;
    return {
      user,
      csrf: csrfTokenOf(token),
      get: (url: string) => testApp.app.inject({ method: 'GET', url, headers: { cookie } }),
      post: (url: string, form: Record<string, string>) =>
        testApp.app.inject({
          method: 'POST',
          url,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(form).toString(),
        }),
    };
  }

  async function paidOrder(email: string) {
    const { testApp } = shop();
    await buyOrder(emulator(), visitorOf(testApp.app), { email, name: 'Ana', country: 'US' });
    const { orders } = await testApp.services.orders.listOrders('default', { email });
    const order = await testApp.services.orders.showOrder('default', orders[0]?.id ?? '');
    return { order, payment: order.payments[0]?.id ?? '' };
  }

  it("refuses a viewer's refund and a post without its token; an admin's refund is logged with their name", async () => {
    const { order, payment } = await paidOrder('ana@example.com');
    const path = `/admin/orders/${order.id}/refunds`;
    const viewer = await signedIn('viewer');
    const shown = await viewer.get(`/admin/orders/${order.id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain('Review the refund');
    for (const url of [path, `${path}/confirm`]) {
      const refused = await viewer.post(url, { _csrf: viewer.csrf, payment, amount: '1000' });
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('You are a viewer here');
    }
    const admin = await signedIn('admin');
    const noToken = await admin.post(`${path}/confirm`, { payment, amount: '1000' });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('no valid security token');
    expect((await shop().testApp.services.orders.showOrder('default', order.id)).refunded).toBe(0);

    const review = await admin.post(path, { _csrf: admin.csrf, payment, amount: '10' });
    expect(review.statusCode).toBe(200);
    expect(review.body).toContain(
      'Refund $10.00 to Ana (ana@example.com) on the Stripe account us?',
    );
    expect((await shop().testApp.services.orders.showOrder('default', order.id)).refunded).toBe(0);
    const made = await admin.post(`${path}/confirm`, {
      _csrf: admin.csrf,
      payment,
      amount: '1000',
      reason: 'late delivery',
    });
    expect(made.statusCode).toBe(303);
    expect(made.headers.location).toBe(`/admin/orders/${order.id}#${payment}`);
    expect((await shop().testApp.services.orders.showOrder('default', order.id)).refunded).toBe(
      1000,
    );
    const [entry] = await shop().testApp.services.audit.list({ workspaceId: 'default', limit: 1 });
    expect(entry).toMatchObject({
      action: 'payment.refunded',
      actor: `${admin.user.name} <${admin.user.email}>`,
      subject: payment,
    });
  });

  it('shows each amount or filter it cannot use beside its field, keeping what was typed', async () => {
    const { order, payment } = await paidOrder('ana@example.com');
    const admin = await signedIn('admin');
    const path = `/admin/orders/${order.id}/refunds`;
    for (const [typed, problem] of [
      ['12.345', 'Enter at most 2 digits after the point, such as 12.50.'],
      ['twelve', 'Enter an amount such as 12.50.'],
      ['0', 'Enter an amount above zero.'],
      ['49.01', 'At most $49.00 is left to refund on this payment.'],
    ] as const) {
      const refused = await admin.post(path, { _csrf: admin.csrf, payment, amount: typed });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain(`<p class="field-error" id="field-amount-error">${problem}`);
      expect(refused.body).toContain(`value="${typed}"`);
    }
    // 1,234.50 and 12,50 are read as people write them.
    const comma = await admin.post(path, { _csrf: admin.csrf, payment, amount: '12,50' });
    expect(comma.body).toContain('Refund $12.50 to Ana');

    const list = await admin.get('/admin/orders?from=2026-02-30&email=ANA@example.com');
    expect(list.statusCode).toBe(400);
    expect(list.body).toContain('Enter a day such as 2026-11-01.');
    expect(list.body).toContain('value="ANA@example.com"');
    const found = await admin.get('/admin/orders?email=ANA@example.com');
    expect(found.body).toContain(`href="/admin/orders/${order.id}"`);
    const none = await admin.get('/admin/orders?email=bo@example.com');
    expect(none.body).toContain('No orders match these filters.');
    const stale = await admin.get('/admin/orders?cursor=not-a-cursor');
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toContain('That page of orders is no longer there');
    expect(stale.body).toContain(`href="/admin/orders/${order.id}"`);
  });

  it('pages through the audit log newest first without repeating an entry, and filters by subject', async () => {
    const { testApp, store } = shop();
    for (let n = 0; n < 60; n++) {
      await testApp.services.audit.record(store.db, {
        workspaceId: 'default',
        actor: 'cli:ops',
        action: 'account.updated',
        subject: n % 2 ? 'account:us' : 'account:eu',
        before: { priority: n },
        after: { priority: n + 1 },
      });
    }
    const viewer = await signedIn('viewer');
    const total = (await testApp.services.audit.list({ workspaceId: 'default', limit: 500 }))
      .length;
    const ids: string[] = [];
    let url: string | null = '/admin/audit';
    while (url) {
      const page = await viewer.get(url);
      expect(page.statusCode).toBe(200);
      ids.push(
        ...[...page.body.matchAll(/<tr><td><time datetime="([^"]+)"/g)].map((m) => m[1] ?? ''),
      );
      const next = /href="([^"]+)">Older changes</.exec(page.body)?.[1];
      url = next ? next.replace(/&amp;/g, '&') : null;
    }
    expect(ids).toHaveLength(total);
    expect([...ids].sort().reverse()).toEqual(ids);

    const us = await viewer.get('/admin/audit?subject=account%3Aus');
    // Its 30 changes here and its connection when the shop opened.
    expect(us.body.match(/<tr><td>/g)).toHaveLength(31);
    expect(us.body).toContain('Connected a payment gateway');
    expect(us.body).toContain('Changed a payment gateway');
    expect(us.body).toContain('Command line (ops)');
    expect(us.body).toMatch(
      /<del class="diff-del"><span class="visually-hidden">was <\/span>59<\/del>/,
    );
  });
});
