import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../../test/app.js';
import { type ContactForm, cardConfigOf, visitorOf } from '../../test/checkout.js';
import { consoleUser } from '../../test/console.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import {
  type FunnelDocumentFile,
  funnelDocumentSchema,
  parseInput,
} from '../catalog/catalog.schema.js';
import { launchFunnel } from '../demo/launch-funnel.js';
import { checkoutPolicy, stripeSourcesOf } from './security-headers.js';

/*
 * The headers a browser gets with each page: what it may load (only Stripe.js from elsewhere),
 * who may frame it, HSTS behind https, and how strict each cookie is. Headers do not depend on
 * the database; SQLite is enough here.
 */

const emulator = useEmulator();
const sqlite = testDatabases[0];
const stripeJsOfStripe = 'https://js.stripe.com/v3/';
const ana: ContactForm = { email: 'ana@example.com', name: 'Ana', country: 'US' };

/** The launch funnel, its sales page showing a merchant's cover image, video and a photo. */
const withPictures: FunnelDocumentFile = {
  ...launchFunnel,
  funnel: {
    ...launchFunnel.funnel,
    steps: launchFunnel.funnel.steps.map((step) =>
      step.slug === 'sales'
        ? {
            ...step,
            content: {
              ...step.content,
              image: 'https://cdn.shop.example/cover.png',
              video: 'https://player.vimeo.com/video/76979871',
              testimonials: [
                {
                  quote: 'Calm launch.',
                  author: 'Dana',
                  image: 'https://photos.example;script-src/dana.png',
                },
              ],
            },
          }
        : step,
    ),
  },
};

/** The directives of a response's Content-Security-Policy, by name. */
function policyOf(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  expect(header, `a policy on ${response.raw.req.url}`).not.toBe('');
  return new Map(
    header.split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

/** Every origin of another site the policy allows anything from. */
function externalOrigins(policy: Map<string, string[]>): string[] {
  const all = [...policy.values()].flat();
  return [...new Set(all.filter((source) => /^https?:/.test(source)))].sort();
}

function cookieLine(response: LightMyRequestResponse, name: string): string {
  const lines = response.headers['set-cookie'];
  const found = (Array.isArray(lines) ? lines : [lines ?? '']).find((line) =>
    String(line).startsWith(`${name}=`),
  );
  expect(found, `${name} is set`).toBeDefined();
  return String(found);
}

describe.skipIf(sqlite === undefined)('security headers', () => {
  let store: TestStore;
  let testApp: TestApp;

  async function start(env: Record<string, string> = {}) {
    if (!sqlite) throw new Error('needs SQLite');
    store = await sqlite.openMigrated();
    ({ testApp } = await workspaceWithAccounts(store, emulator(), {
      env: { PUBLIC_URL: 'http://127.0.0.1:3000', ...env },
    }));
    await testApp.services.catalog.importFunnel(
      'default',
      parseInput(funnelDocumentSchema, withPictures),
      'test',
    );
    return testApp;
  }
  afterEach(async () => {
    await testApp?.app.close();
    await store?.dispose();
  });

  it('lets a funnel page load only its own files, Stripe.js, and the merchant’s pictures and video', async () => {
    const app = (await start()).app;
    const page = await visitorOf(app).get('/f/launch/sales');
    expect(page.statusCode).toBe(200);
    const policy = policyOf(page);
    const stripeJs = new URL(`${emulator().url}/v3/`).origin;
    expect(policy.get('script-src')).toEqual(["'self'", stripeJs]);
    expect(policy.get('frame-src')).toEqual([stripeJs, 'https://player.vimeo.com']);
    expect(policy.get('img-src')).toEqual(["'self'", 'data:', 'https://cdn.shop.example']);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'self'"]);
    expect(policy.get('form-action')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    // The photo's address tried to add a directive of its own: it is left out, not quoted in.
    expect(String(page.headers['content-security-policy'])).not.toContain('photos.example');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(page.body).not.toMatch(/<script>|<style|\sstyle="/);
  });

  it('names only Stripe.js’s origin on the payment page, for its script, frames and calls', async () => {
    const app = (await start()).app;
    const visitor = visitorOf(app);
    await visitor.post('/f/launch/order/contact', { ...ana });
    const pay = await visitor.get('/f/launch/order/pay');
    expect(pay.statusCode, pay.body).toBe(200);
    cardConfigOf(pay.body);
    const policy = policyOf(pay);
    const stripeJs = new URL(`${emulator().url}/v3/`).origin;
    expect(externalOrigins(policy)).toEqual([stripeJs]);
    expect(policy.get('script-src')).toEqual(["'self'", stripeJs]);
    expect(policy.get('frame-src')).toEqual([stripeJs]);
    expect(policy.get('connect-src')).toEqual(["'self'", stripeJs]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    // The card form's own script is a file of ours, served as JavaScript.
    const script = await app.inject({ method: 'GET', url: '/assets/card-form.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(pay.body).toContain('<script src="/assets/card-form.js"></script>');
    expect(pay.body).not.toMatch(/<script>|<style/);
  });

  it('sends no referrer from the recovery email’s resume link, which carries its token', async () => {
    const app = (await start()).app;
    const resume = await visitorOf(app).get('/f/launch/order/resume?token=not-a-real-token');
    expect(resume.statusCode).toBe(400);
    expect(resume.headers['referrer-policy']).toBe('no-referrer');
  });

  it('gives the error page of a URL Fastify refuses itself the same policy as any buyer page', async () => {
    const app = (await start()).app;
    // A bad %-escape and a path segment over 100 characters: answered before any hook runs.
    for (const url of ['/f/launch/%zz', `/f/${'a'.repeat(101)}`]) {
      const refused = await app.inject({ method: 'GET', url });
      expect(refused.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(refused.headers['content-type']).toContain('text/html');
      expect(policyOf(refused).get('frame-ancestors')).toEqual(["'none'"]);
      expect(refused.headers['x-frame-options']).toBe('DENY');
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('lets no site frame the console, and its pages load nothing from another site', async () => {
    const app = (await start()).app;
    const signIn = await app.inject({ method: 'GET', url: '/admin/sign-in' });
    expect(signIn.statusCode).toBe(200);
    const user = await consoleUser(testApp, 'admin');
    const { token } = await testApp.services.users.startSession(user);
    const dashboard = await app.inject({
      method: 'GET',
      url: '/admin',
      cookies: { sy_session: token },
    });
    expect(dashboard.statusCode, dashboard.body).toBe(200);
    for (const page of [signIn, dashboard]) {
      const policy = policyOf(page);
      expect(externalOrigins(policy)).toEqual([]);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['referrer-policy']).toBe('same-origin');
    }
    // The form cookie of a signed-out browser: never sent with another site's request.
    const form = cookieLine(signIn, 'sy_form');
    expect(form).toMatch(/; HttpOnly/);
    expect(form).toMatch(/; SameSite=Strict/);
    expect(form).not.toMatch(/; Secure/);
  });

  it('lets the step editor’s preview show the merchant’s pictures and video, as the page will', async () => {
    const app = (await start()).app;
    const user = await consoleUser(testApp, 'admin');
    const { token } = await testApp.services.users.startSession(user);
    const editor = await app.inject({
      method: 'GET',
      url: '/admin/funnels/launch/steps/sales',
      cookies: { sy_session: token },
    });
    expect(editor.statusCode, editor.body).toBe(200);
    expect(editor.body).toContain('srcdoc=');
    const policy = policyOf(editor);
    expect(policy.get('frame-src')).toEqual(["'self'", 'https://player.vimeo.com']);
    expect(policy.get('img-src')).toEqual(["'self'", 'data:', 'https://cdn.shop.example']);
    expect(policy.get('script-src')).toEqual(["'self'"]);
  });

  it('allows Stripe’s authorize page as the connect form’s destination, and nothing more', async () => {
    const app = (
      await start({
        STRIPE_CONNECT_CLIENT_ID: 'ca_test',
        STRIPE_CONNECT_SECRET_KEY: 'sk_test_connect',
        STRIPE_CONNECT_AUTHORIZE_URL: 'https://connect.stripe.com/oauth/authorize',
      })
    ).app;
    const user = await consoleUser(testApp, 'admin');
    const { token } = await testApp.services.users.startSession(user);
    const connect = await app.inject({
      method: 'GET',
      url: '/admin/accounts/connect',
      cookies: { sy_session: token },
    });
    expect(connect.statusCode, connect.body).toBe(200);
    expect(policyOf(connect).get('form-action')).toEqual(["'self'", 'https://connect.stripe.com']);
  });

  it('sends HSTS only when the request came over https, never on plain http', async () => {
    const app = (await start({ TRUST_PROXY: 'loopback' })).app;
    const plain = await app.inject({ method: 'GET', url: '/f/launch/sales' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const proxied = await app.inject({
      method: 'GET',
      url: '/f/launch/sales',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(proxied.headers['strict-transport-security']).toBe(
      'max-age=31536000; includeSubDomains',
    );
    // Behind the trusted proxy's https, the visit's cookies are Secure too; Lax, for the return from Stripe.
    const visitor = cookieLine(proxied, 'sy_visitor');
    expect(visitor).toMatch(/; Secure/);
    expect(visitor).toMatch(/; HttpOnly/);
    expect(visitor).toMatch(/; SameSite=Lax/);
    expect(cookieLine(plain, 'sy_visitor')).not.toMatch(/; Secure/);
  });

  it('believes X-Forwarded-Proto only from a trusted proxy', async () => {
    const app = (await start()).app;
    const forged = await app.inject({
      method: 'GET',
      url: '/f/launch/sales',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(forged.headers['strict-transport-security']).toBeUndefined();
    expect(cookieLine(forged, 'sy_visitor')).not.toMatch(/; Secure/);
  });

  it('sends HSTS and Secure cookies behind an https PUBLIC_URL', async () => {
    const app = (await start({ PUBLIC_URL: 'https://pay.shop.example' })).app;
    const visitor = visitorOf(app);
    const contact = await visitor.post('/f/launch/order/contact', { ...ana });
    expect(contact.statusCode).toBe(303);
    expect(contact.headers['strict-transport-security']).toBe(
      'max-age=31536000; includeSubDomains',
    );
    const order = cookieLine(contact, 'sy_order_launch');
    expect(order).toMatch(/; Secure/);
    expect(order).toMatch(/; HttpOnly/);
    expect(order).toMatch(/; SameSite=Lax/);
  });
});

describe('Stripe’s own Stripe.js', () => {
  it('allows the origins Stripe documents for it, and no other', () => {
    const policy = checkoutPolicy({ images: [], frames: [] }, stripeSourcesOf(stripeJsOfStripe));
    expect(policy).toContain("script-src 'self' https://js.stripe.com https://*.js.stripe.com;");
    expect(policy).toContain(
      'frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;',
    );
    expect(policy).toContain("connect-src 'self' https://api.stripe.com;");
    expect(policy.match(/https:\/\/[^ ;]+/g)?.every((origin) => /stripe\.com$/.test(origin))).toBe(
      true,
    );
  });
});
