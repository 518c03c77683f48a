import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AdminCall, TestApp } from '../../test/app.js';
import { consoleUser } from '../../test/console.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import type { Role } from '../users/roles.js';
import { csrfTokenOf } from './session-cookie.js';

const emulator = useEmulator();

/** The fields a browser posts for one rule, as the routing form names them. */
function ruleFields(index: number, rule: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ fallback: 'auto', fallbackList: '', ...rule }).map(([field, value]) => [
      `rules[${index}].${field}`,
      value,
    ]),
  );
}

const euroRule = ruleFields(0, { name: 'euro-sales', use: 'eu', 'when.currency': 'EUR' });
const euroPayment = { 'try.mode': 'test', 'try.kind': 'initial', 'try.currency': 'EUR' };

describeEachDatabase(
  'the routing screens, posted as a browser without script would',
  (database) => {
    let store: TestStore;
    let testApp: TestApp;
    let api: AdminCall;

    beforeEach(async () => {
      store = await database.openMigrated();
      ({ testApp, api } = await workspaceWithAccounts(store, emulator()));
    });
    afterEach(async () => {
      await testApp.app.close();
      await store.dispose();
    });

    async function signedIn(role: Role) {
      const user = await consoleUser(testApp, role, `Rita ${role}`);
      const { token } = await testApp.services.users.startSession(user);
      const cookie = `sy_session=${token}`;
      const csrf = csrfTokenOf(token);
      return {
        user,
        get: (url: string) => testApp.app.inject({ method: 'GET', url, headers: { cookie } }),
        post: (
          url: string,
          fields: Record<string, string>,
          options: { csrf?: boolean; headers?: Record<string, string> } = {},
        ) =>
          testApp.app.inject({
            method: 'POST',
            url,
            headers: {
              cookie,
              'content-type': 'application/x-www-form-urlencoded',
              ...options.headers,
            },
            payload: new URLSearchParams({
              ...(options.csrf === false ? {} : { _csrf: csrf }),
              ...fields,
            }).toString(),
          }),
      };
    }

    it('shows the accounts to route to and decides a first payment right away', async () => {
      const admin = await signedIn('admin');
      const page = await admin.get('/admin/routing');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<option value="eu">');
      expect(page.body).toContain('us takes the payment.');
      expect(page.body).toContain('No rules yet');
      expect(page.body).not.toContain('sk_test');
    });

    it('tries the rules as edited without saving them, as a whole page and as the htmx result', async () => {
      const viewer = await signedIn('viewer');
      const page = await viewer.post('/admin/routing/draft', {
        ...euroRule,
        ...euroPayment,
        intent: 'try',
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('eu takes the payment.');
      expect(page.body).toContain('Decided by rule euro-sales.');
      expect(page.body).toContain('value="euro-sales"');
      const fragment = await viewer.post(
        '/admin/routing/draft',
        { ...euroRule, ...euroPayment, 'try.health.eu': 'down', intent: 'try' },
        { headers: { 'hx-request': 'true' } },
      );
      expect(fragment.body.startsWith('<div id="simulation-result"')).toBe(true);
      expect(fragment.body).toContain('us takes the payment, in place of eu.');
      expect(fragment.body).toContain('eu is down.');
      expect((await api('GET', '/api/routing')).body.version).toBeNull();
    });

    it('adds, moves and removes rules on the page without saving', async () => {
      const admin = await signedIn('admin');
      const second = ruleFields(1, { name: 'big', use: 'us', 'when.amount.min': '100000' });
      const moved = await admin.post('/admin/routing/draft', {
        ...euroRule,
        ...second,
        intent: 'up:1',
      });
      const shadowed = await admin.post('/admin/routing/draft', {
        ...ruleFields(0, { name: 'everything', use: 'us' }),
        ...ruleFields(1, { name: 'later', use: 'eu', 'when.currency': 'EUR' }),
        intent: 'try',
      });
      expect(shadowed.body).toContain('Worth a look before saving');
      expect(shadowed.body).toContain('rule 1) has an empty');
      expect(moved.body.indexOf('value="big"')).toBeLessThan(
        moved.body.indexOf('value="euro-sales"'),
      );
      const added = await admin.post('/admin/routing/draft', { ...euroRule, intent: 'add-rule' });
      expect(added.body).toContain('Rule 2');
      const removed = await admin.post('/admin/routing/draft', {
        ...euroRule,
        ...second,
        intent: 'remove-rule:0',
      });
      expect(removed.body).not.toContain('value="euro-sales"');
      expect(removed.body).toContain('value="big"');
    });

    it('saves a version in the person’s name with their message, then rolls it back', async () => {
      const admin = await signedIn('admin');
      const saved = await admin.post('/admin/routing', {
        ...euroRule,
        basedOn: '0',
        message: 'Euro sales to the EU entity',
      });
      expect(saved.statusCode).toBe(303);
      expect(saved.headers.location).toBe('/admin/routing');
      const versions = await testApp.services.routingConfig.listVersions('default');
      expect(versions[0]).toMatchObject({
        version: 1,
        message: 'Euro sales to the EU entity',
        rules: 1,
      });
      expect(versions[0]?.author).toContain('Rita admin');
      const diff = await admin.get('/admin/routing/versions/1');
      expect(diff.body).toContain(
        'Added</span> rule euro-sales: use eu when currency eur, fallback auto',
      );

      const emptied = await admin.post('/admin/routing', { basedOn: '1' });
      expect(emptied.statusCode).toBe(303);
      const defaulted = await testApp.services.routingConfig.listVersions('default');
      expect(defaulted[0]).toMatchObject({
        version: 2,
        message: 'Changed in the console',
        rules: 0,
      });

      const rolledBack = await admin.post('/admin/routing/versions/1/rollback', {});
      expect(rolledBack.statusCode).toBe(303);
      const active = await api('GET', '/api/routing');
      expect(active.body).toMatchObject({ version: 3, message: 'Rollback to version 1' });
      expect(active.body.document.rules).toEqual([
        { name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu', fallback: 'auto' },
      ]);
    });

    it('refuses a save with each problem beside its field, keeping what was typed', async () => {
      const admin = await signedIn('admin');
      const refused = await admin.post('/admin/routing', {
        ...ruleFields(0, {
          name: 'euro-sales',
          use: 'nope',
          'when.amount.min': '5000',
          'when.amount.max': '100',
          'when.country': 'Germany',
        }),
        basedOn: '0',
        message: 'typo',
      });
      expect(refused.statusCode).toBe(422);
      const beside = (id: string) =>
        new RegExp(`<p class="field-error" id="${id}-error">([^<]*)</p><input id="${id}"`).exec(
          refused.body,
        )?.[1];
      expect(beside('field-rules-0-when-country')).toContain('two-letter ISO code');
      expect(refused.body).toContain('value="Germany"');
      expect(refused.body).toContain('The routing was not saved');
      const amounts = await admin.post('/admin/routing', {
        ...ruleFields(0, {
          name: 'r',
          use: 'nope',
          'when.amount.min': '5000',
          'when.amount.max': '100',
        }),
      });
      expect(amounts.body).toMatch(/id="field-rules-0-when-amount-min-error">min 5000 is greater/);
      expect(amounts.body).toContain('id="field-rules-0-use-error">');
      expect(amounts.body).toContain('Rule 1 (r), Account');
      expect((await api('GET', '/api/routing')).body.version).toBeNull();
    });

    it('tries a split with a customer, usage and known accounts, and puts a bad weight beside the split field', async () => {
      const viewer = await signedIn('viewer');
      const split = ruleFields(0, {
        name: 'ramp',
        use: 'us',
        split: 'us 80, eu 20',
        splitKey: 'customer',
        prefer: 'customer_account',
      });
      const payment = { 'try.mode': 'test', 'try.kind': 'initial', 'try.currency': 'USD' };
      // SHA-256("ramp|ann@example.com") starts 71 0a 4a 8f: bucket 9855 of 10,000, past 80 %.
      const tried = await viewer.post('/admin/routing/draft', {
        ...split,
        ...payment,
        'try.customer': ' Ann@Example.com ',
        intent: 'try',
      });
      expect(tried.body).toContain('data-split-bucket="9855" data-split-pick="eu"');
      expect(tried.body).toContain('Split by weight us 80, eu 20: bucket <strong>9855</strong>');
      expect(tried.body).toContain('eu takes the payment.');
      expect(tried.body).toContain('value="us 80, eu 20"');
      const known = await viewer.post('/admin/routing/draft', {
        ...split,
        ...payment,
        'try.customer': 'ann@example.com',
        'try.customerAccounts': 'us',
        intent: 'try',
      });
      expect(known.body).toContain('us takes the payment.');
      expect(known.body).toContain('Kept on <strong>us</strong>: the customer already has');
      const caps = [{ currency: 'usd', period: 'day', amount: 100000 }];
      expect((await api('PATCH', '/api/accounts/eu', { caps })).status).toBe(200);
      const capped = await viewer.post('/admin/routing/draft', {
        ...ruleFields(0, { name: 'ramp', use: 'us', split: 'us 80, eu 20' }),
        ...payment,
        'try.amount': '4900',
        'try.customer': 'ann@example.com',
        'try.usage.eu.day': '98000',
        intent: 'try',
      });
      // 980.00 taken today and 49.00 more passes eu's 1,000.00 daily cap: the split's other account.
      expect(capped.body).toContain('us takes the payment, in place of eu.');
      expect(capped.body).toContain('eu has reached its daily USD cap of');
      expect(capped.body).toContain('name="try.usage.eu.day" type="text" value="98000"');

      const admin = await signedIn('admin');
      const refused = await admin.post('/admin/routing', {
        ...ruleFields(0, { name: 'ramp', use: 'us', split: 'us 80, eu -20' }),
        basedOn: '0',
      });
      expect(refused.statusCode).toBe(422);
      expect(refused.body).toContain(
        '<p class="field-error" id="field-rules-0-split-error">a weight cannot be negative</p>',
      );
      expect(refused.body).toContain('Rule 1 (ramp), Split between accounts');
      const product = await admin.post('/admin/routing/draft', {
        'products[0].slug': 'coaching',
        'products[0].use': 'us',
        intent: 'try',
      });
      // Product pins stay on one account: their rows have no split field.
      expect(product.body).not.toContain('name="products[0].split"');
    });

    it('refuses a save based on a version someone else replaced, keeping the edits', async () => {
      const admin = await signedIn('admin');
      await admin.post('/admin/routing', { ...euroRule, basedOn: '0' });
      const late = await admin.post('/admin/routing', {
        ...ruleFields(0, { name: 'mine', use: 'us' }),
        basedOn: '0',
      });
      expect(late.statusCode).toBe(409);
      expect(late.body).toContain('Someone saved the routing while you were editing');
      expect(late.body).toContain('value="mine"');
    });

    it('saves the rules and pins typed as JSON, and keeps a refused text with its problems', async () => {
      const admin = await signedIn('admin');
      const shown = await admin.get('/admin/routing/document');
      expect(shown.body).toContain('&quot;rules&quot;: []');
      const broken = await admin.post('/admin/routing/document', {
        document: '{"rules": [',
        basedOn: '0',
      });
      expect(broken.statusCode).toBe(422);
      expect(broken.body).toContain('This is not valid JSON');
      expect(broken.body).toContain('{&quot;rules&quot;: [</textarea>');
      const unknown = await admin.post('/admin/routing/document', {
        document: JSON.stringify({ rules: [{ name: 'x', when: {}, use: 'nope' }] }),
        basedOn: '0',
      });
      expect(unknown.statusCode).toBe(422);
      expect(unknown.body).toMatch(/rules\[0\]\.use: [^<]*nope/);
      const saved = await admin.post('/admin/routing/document', {
        document: JSON.stringify({ products: { coaching: { use: 'eu' } } }),
        basedOn: '0',
        message: 'Coaching on eu',
      });
      expect(saved.statusCode).toBe(303);
      const active = await api('GET', '/api/routing');
      expect(active.body).toMatchObject({ version: 1, message: 'Coaching on eu' });
      expect(active.body.document.products).toEqual({ coaching: { use: 'eu', fallback: 'auto' } });
      const viewer = await signedIn('viewer');
      const refused = await viewer.post('/admin/routing/document', { document: '{}' });
      expect(refused.statusCode).toBe(403);
    });

    it('lets a viewer try but not save or roll back, and refuses a post without its token', async () => {
      const admin = await signedIn('admin');
      await admin.post('/admin/routing', { ...euroRule, basedOn: '0' });
      const viewer = await signedIn('viewer');
      const page = await viewer.get('/admin/routing');
      expect(page.body).not.toContain('Save routing');
      expect(page.body).not.toContain('Roll back');
      const save = await viewer.post('/admin/routing', { ...euroRule, basedOn: '1' });
      expect(save.statusCode).toBe(403);
      expect(save.body).toContain('only an owner or an admin can change the routing rules');
      const rollback = await viewer.post('/admin/routing/versions/1/rollback', {});
      expect(rollback.statusCode).toBe(403);
      const forged = await admin.post('/admin/routing', euroRule, { csrf: false });
      expect(forged.statusCode).toBe(403);
      expect((await testApp.services.routingConfig.listVersions('default')).length).toBe(1);
    });
  },
);
