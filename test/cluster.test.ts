import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxSkipReason, type RunningNginx, startNginx } from '../bench/nginx.mjs';
import { cardConfigOf, confirmAsBrowser, importLaunchFunnel, stripeOfAccount } from './checkout.js';
import { consoleUser, testPassword } from './console.js';
import { type TestStore, testDatabases } from './databases.js';
import { control, emulatorEnv, useEmulator } from './emulator.js';
import { type HttpResponse, httpVisitor } from './http-visitor.js';
import { startCli } from './run-cli.js';
import { freePort } from './server.js';
import { workspaceWithAccounts } from './workspace.js';

/**
 * Two `switchyard serve` processes on one PostgreSQL behind Debian's nginx, with the repository's
 * deploy/nginx/switchyard.conf (round robin, no stickiness): a buyer's visit, a console session,
 * API calls and Stripe's webhooks go to either instance at every step.
 */
const emulator = useEmulator();
const postgres = testDatabases.find((database) => database.name === 'postgres');
const skipReason = postgres?.unavailable ?? nginxSkipReason();

interface Instance {
  port: number;
  start(): Promise<void>;
  /** SIGTERM, as a rolling restart sends it; answers the exit code. */
  stop(): Promise<number | null>;
  output(): string[];
}

function serveInstance(port: number, env: Record<string, string>): Instance {
  let running: Awaited<ReturnType<typeof startCli>> | undefined;
  let lines: string[] = [];
  return {
    port,
    async start() {
      running = await startCli(['serve'], { ...env, PORT: String(port) }, (line) =>
        line.includes('switchyard listening'),
      );
      lines = running.output;
    },
    async stop() {
      if (!running) return null;
      const { child, exited } = running;
      running = undefined;
      child.kill('SIGTERM');
      return exited;
    },
    output: () => lines,
  };
}

/** The upstream ports nginx sent the requests for paths matching `path` to. */
function upstreamsOf(nginx: RunningNginx, path: RegExp): Set<string> {
  return new Set(
    nginx
      .accessLog()
      .map((line) => line.split(' '))
      .filter(([, , , uri]) => uri !== undefined && path.test(uri))
      .flatMap(([upstream]) =>
        (upstream ?? '').split(', ').map((addr) => addr.split(':')[1] ?? ''),
      ),
  );
}

describe.skipIf(skipReason !== null)(
  `two instances behind nginx on one PostgreSQL${skipReason ? ` [skipped: ${skipReason}]` : ''}`,
  () => {
    let store: TestStore;
    let nginx: RunningNginx;
    let instances: Instance[];
    let token: string;
    let email: string;
    const stripes: Stripe[] = [];

    beforeAll(async () => {
      if (!postgres) throw new Error('PostgreSQL is among the test databases');
      store = await postgres.openMigrated();
      const [nginxPort, ...ports] = await Promise.all([freePort(), freePort(), freePort()]);
      const publicUrl = `http://127.0.0.1:${nginxPort}`;
      // The shop is set up as a merchant would before the launch: accounts (their webhook
      // endpoints at the balancer's address), the funnel, a token and a console user.
      const { testApp, api } = await workspaceWithAccounts(store, emulator(), {
        env: { PUBLIC_URL: publicUrl },
      });
      await importLaunchFunnel(testApp.services);
      for (const handle of ['us', 'eu'])
        stripes.push(await stripeOfAccount(emulator(), api, handle));
      ({ token } = await testApp.services.tokens.createToken({
        workspaceId: 'default',
        name: 'cluster',
        actor: 'test',
      }));
      ({ email } = await consoleUser(testApp, 'admin'));
      await testApp.app.close();

      const env = {
        ...emulatorEnv(emulator()),
        DATABASE_URL: store.url,
        HOST: '127.0.0.1',
        PUBLIC_URL: publicUrl,
        SWITCHYARD_MASTER_KEY: testApp.masterKey,
        TRUST_PROXY: '127.0.0.1',
        SWITCHYARD_DEMO: 'off',
        // 'switchyard listening' is logged at info.
        LOG_LEVEL: 'info',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'switchyard-cluster-')),
        // Every buyer here comes from 127.0.0.1: the per-email limit is the one tested.
        CHECKOUT_LIMIT_PER_IP: '100000',
      };
      instances = (ports as number[]).map((port) => serveInstance(port, env));
      await Promise.all(instances.map((instance) => instance.start()));
      nginx = await startNginx({ port: nginxPort as number, upstreams: ports as number[] });
    }, 120_000);

    afterAll(async () => {
      await nginx?.stop();
      await Promise.all((instances ?? []).map((instance) => instance.stop()));
      await store?.dispose();
    });

    /** A whole order over HTTP through nginx: contact, card form, bump, card, return, upsell. */
    async function buy(buyer: string, failures: string[]): Promise<string | null> {
      const visitor = httpVisitor(nginx.url);
      const check = (step: string, response: HttpResponse, expected: number) => {
        if (response.statusCode !== expected)
          failures.push(`${buyer} ${step}: ${response.statusCode} ${response.body.slice(0, 200)}`);
        return response.statusCode === expected;
      };
      const contact = await visitor.post('/f/launch/order/contact', {
        email: `${buyer}@example.com`,
        name: buyer,
        country: 'US',
      });
      if (!check('contact', contact, 303)) return null;
      const pay = await visitor.get('/f/launch/order/pay');
      if (!check('payment step', pay, 200)) return null;
      const card = cardConfigOf(pay.body);
      const bump = await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true });
      if (!check('bump', bump, 200)) return null;
      const intent = await confirmAsBrowser(emulator(), card);
      const back = await visitor.get(`/f/launch/order/return?payment_intent=${intent.id}`);
      if (!check('return page', back, 303)) return null;
      const accepted = await visitor.post('/f/launch/coaching/accept');
      if (!check('upsell', accepted, 303)) return null;
      const thanks = await visitor.get('/f/launch/thanks');
      if (!check('thank-you', thanks, 200)) return null;
      return intent.id;
    }

    /** Waits until nginx has sent the instance a request it answered, after access log line `since`. */
    async function servedAgain(instance: Instance, since: number) {
      for (let wait = 0; wait < 300; wait += 1) {
        const answered = nginx
          .accessLog()
          .slice(since)
          .some((line) => line.startsWith(`127.0.0.1:${instance.port} `) && !/ 5\d\d /.test(line));
        if (answered) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`nginx sent no request to the restarted instance on ${instance.port}`);
    }

    /** Every succeeded PaymentIntent at the emulator, and every payment Switchyard recorded. */
    async function audit() {
      const atStripe: string[] = [];
      for (const stripe of stripes) {
        for await (const intent of stripe.paymentIntents.list({ limit: 100 })) {
          // The jobs' test payments (refunded at once) are not sales.
          if (intent.metadata.switchyard_test_payment) continue;
          if (intent.status === 'succeeded') atStripe.push(intent.id);
        }
      }
      const recorded = await store.db
        .selectFrom('payments')
        .select(['payment_intent_id'])
        .where('status', '=', 'succeeded')
        .execute();
      return {
        atStripe: atStripe.sort(),
        recorded: recorded.map((row) => row.payment_intent_id ?? '').sort(),
      };
    }

    it("takes a buyer's order, a console session, API calls and webhooks on either instance", async () => {
      const failures: string[] = [];
      expect(await buy('ana', failures)).not.toBeNull();
      expect(failures).toEqual([]);
      const ports = instances.map((instance) => String(instance.port));
      // The buyer's steps went to both instances.
      expect(upstreamsOf(nginx, /^\/f\/launch\//)).toEqual(new Set(ports));

      // The console: signed in through one instance, the session holds on the other.
      const browser = httpVisitor(nginx.url);
      const form = await browser.get('/admin/sign-in');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
      const signedIn = await browser.post('/admin/sign-in', {
        email,
        password: testPassword,
        _csrf: csrf,
        next: '/admin',
      });
      expect(signedIn.statusCode, signedIn.body).toBe(303);
      for (let page = 0; page < 4; page += 1) {
        const home = await browser.get('/admin');
        expect(home.statusCode, home.body.slice(0, 300)).toBe(200);
      }
      expect(upstreamsOf(nginx, /^\/admin$/)).toEqual(new Set(ports));

      // The admin API with one token, on both.
      for (let call = 0; call < 4; call += 1) {
        const orders = await fetch(`${nginx.url}/api/orders`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(orders.status).toBe(200);
        const { orders: listed } = (await orders.json()) as { orders: { status: string }[] };
        expect(listed.map((order) => order.status)).toContain('paid');
      }
      expect(upstreamsOf(nginx, /^\/api\/orders$/)).toEqual(new Set(ports));

      // Stripe's webhooks came through the balancer, and each was processed once: wait until
      // every event the emulator has delivered is stored and processed, and stays so.
      let settled = 0;
      for (let wait = 0; wait < 200 && settled < 3; wait += 1) {
        const { data } = await control<{
          data: { event_id: string; url: string; succeeded: boolean }[];
        }>(emulator(), 'GET', 'deliveries');
        const delivered = new Set(
          data.filter((d) => d.url.startsWith(nginx.url) && d.succeeded).map((d) => d.event_id),
        );
        const rows = await store.db
          .selectFrom('webhook_events')
          .select(['stripe_event_id', 'processed_at'])
          .execute();
        const done = rows.filter((row) => row.processed_at !== null).length;
        settled =
          delivered.size > 0 && done === rows.length && rows.length >= delivered.size
            ? settled + 1
            : 0;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(settled, 'the delivered webhook events were all processed').toBe(3);
      expect(upstreamsOf(nginx, /^\/webhooks\/stripe\//).size).toBeGreaterThan(0);
      const events = await store.db
        .selectFrom('webhook_events')
        .select(['type', 'attempts', 'processed_at'])
        .execute();
      expect(events.map((event) => event.type)).toContain('payment_intent.succeeded');
      expect(events.filter((event) => event.attempts !== 1 || !event.processed_at)).toEqual([]);
      const { atStripe, recorded } = await audit();
      expect(recorded).toEqual(atStripe);
    });

    it('counts the per-email checkout limit once across both instances', async () => {
      // CHECKOUT_LIMIT_PER_EMAIL is 10 a minute: ten posts pass, alternating instances; the 11th
      // is refused, as one instance alone would refuse it. The windows are whole minutes: start
      // in a fresh one, so the eleven posts fall in one.
      const leftMs = 60_000 - (Date.now() % 60_000);
      if (leftMs < 5_000) await new Promise((resolve) => setTimeout(resolve, leftMs + 100));
      const statuses: number[] = [];
      for (let post = 0; post < 11; post += 1) {
        const visitor = httpVisitor(nginx.url);
        const response = await visitor.post('/f/launch/order/contact', {
          email: 'tester@example.com',
          name: 'Card Tester',
          country: 'US',
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([...Array(10).fill(303), 429]);
    });

    it('pauses sign-in for an email after 8 failures, counted across both instances', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 9; attempt += 1) {
        const browser = httpVisitor(nginx.url);
        const form = await browser.get('/admin/sign-in');
        const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
        const refused = await browser.post('/admin/sign-in', {
          email: 'guessed@example.com',
          password: `guess ${attempt}`,
          _csrf: csrf,
        });
        statuses.push(refused.statusCode);
        if (attempt === 8) expect(refused.body).toContain('Too many sign-in attempts');
      }
      // Four or five of the eight went to each instance; the ninth is paused all the same.
      expect(statuses).toEqual([...Array(8).fill(401), 429]);
      expect(upstreamsOf(nginx, /^\/admin\/sign-in$/).size).toBe(2);
    });

    it('restarts each instance in turn with SIGTERM under load: no request fails, every payment recorded once', async () => {
      const failures: string[] = [];
      const paid: string[] = [];
      let restarting = true;
      let buyers = 0;
      async function keepBuying() {
        while (restarting) {
          const buyer = `rolling-${++buyers}`;
          try {
            const intent = await buy(buyer, failures);
            if (intent) paid.push(intent);
          } catch (error) {
            failures.push(`${buyer}: ${(error as Error).message}`);
          }
        }
      }
      const load = Promise.all(Array.from({ length: 6 }, keepBuying));
      // As an operator rolls: stop one, start it again, and go on to the next once nginx sends
      // it requests again (it stops trying an instance for fail_timeout after a refusal).
      const restart = async () => {
        for (const instance of instances) {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(await instance.stop()).toBe(0);
          await new Promise((resolve) => setTimeout(resolve, 500));
          const since = nginx.accessLog().length;
          await instance.start();
          await servedAgain(instance, since);
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      };
      try {
        await restart();
      } finally {
        restarting = false;
        await load;
      }
      expect(failures).toEqual([]);
      expect(paid.length).toBeGreaterThan(6);
      for (let wait = 0; wait < 100; wait += 1) {
        const { atStripe, recorded } = await audit();
        if (recorded.length === atStripe.length) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { atStripe, recorded } = await audit();
      // Each order made two payments (the order with its bump, and the upsell), each once.
      expect(recorded).toEqual(atStripe);
      expect(new Set(recorded).size).toBe(recorded.length);
      for (const intent of paid) expect(recorded).toContain(intent);
    }, 90_000);
  },
);
