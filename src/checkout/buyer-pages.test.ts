import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import {
  type ContactForm,
  cardConfigOf,
  expectNoSecrets,
  importLaunchFunnel,
  type Visitor,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';

/*
 * What a buyer's browser is answered on the funnel pages, in-process: the addresses it is sent to,
 * the prices and fields it is shown, and the pages it meets when something is wrong.
 */

const emulator = useEmulator();
const publicUrl = 'https://pay.shop.example';
const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };

describeEachDatabase('the pages a buyer sees', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let seen: string[];

  beforeEach(async () => {
    seen = [];
    store = await database.openMigrated();
    ({ testApp, api } = await workspaceWithAccounts(store, emulator(), {
      seen,
      env: { PUBLIC_URL: publicUrl },
    }));
    await importLaunchFunnel(testApp.services);
  });
  afterEach(async () => {
    await expectNoSecrets(emulator(), seen);
    await testApp.app.close();
    await store.dispose();
  });

  function newVisitor(headers: Record<string, string> = {}): Visitor {
    return visitorOf(testApp.app, headers, seen);
  }

  describe('addresses', () => {
    it('sends the buyer back from Stripe to PUBLIC_URL whatever Host the request names', async () => {
      const visitor = newVisitor({ host: 'evil.example' });
      await visitor.post('/f/launch/order/contact', ana);
      const pay = await visitor.get('/f/launch/order/pay');
      expect(pay.statusCode, pay.body).toBe(200);
      expect(cardConfigOf(pay.body).returnUrl).toBe(`${publicUrl}/f/launch/order/return`);
      expect(pay.body).not.toContain('evil.example');
      expect((await api('GET', '/api/orders')).status).toBe(200);
    });
  });
});
