import { once } from 'node:events';
import { mkdtempSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cardConfigOf, confirmAsBrowser } from '../../test/checkout.js';
import { describeEachDatabase, type TestStore, testDatabases } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { capturedLogger } from '../../test/log-capture.js';
import { runCli, startCli } from '../../test/run-cli.js';
import { freePort } from '../../test/server.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { loadConfig } from '../config.js';
import { demoWanted } from './demo.js';

const emulator = useEmulator();

/** The last line of the block `serve` prints for the demo: once it is out, the demo is up. */
const lastCardLine = '4000 0025 0000 3155  asks for 3-D Secure';

/** `switchyard serve` with no Stripe settings at all, as `npm start` runs it after `npm ci`. */
async function startDemoServer(env: Record<string, string>) {
  const server = await startCli(['serve'], env, (line) => line.includes(lastCardLine));
  return {
    ...server,
    /** SIGTERM, then the exit code once every line it wrote has been read. */
    async stop(): Promise<number | null> {
      const closed = once(server.child, 'close');
      server.child.kill('SIGTERM');
      const code = await server.exited;
      await closed;
      return code;
    },
  };
}

/** What `npm start` would get on a fresh machine: a port, an empty store, a data folder. */
async function demoEnvironment(store: TestStore) {
  const port = await freePort();
  return {
    url: `http://127.0.0.1:${port}`,
    env: {
      PORT: String(port),
      DATABASE_URL: store.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'switchyard-demo-')),
      LOG_LEVEL: 'info',
    },
  };
}

/** A buyer's first two pages of the order form: contact details, then the card form. */
async function openCardForm(url: string, email: string) {
  const contact = await fetch(`${url}/f/launch/order/contact`, {
    method: 'POST',
    body: new URLSearchParams({ email, name: 'Ana', country: 'US' }),
    redirect: 'manual',
  });
  expect(contact.status).toBe(303);
  const cookie = contact.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .join('; ');
  const pay = await fetch(new URL(contact.headers.get('location') ?? '', url), {
    headers: { cookie },
  });
  const html = await pay.text();
  expect(pay.status, html).toBe(200);
  return { ...cardConfigOf(html), cookie };
}

/** Confirms the card form as Stripe.js would, on the emulator the demo says it runs. */
function confirmOnDemoEmulator(
  dataDir: string,
  card: { publishableKey: string; clientSecret: string },
) {
  const running = JSON.parse(readFileSync(join(dataDir, 'demo-emulator.json'), 'utf8'));
  return confirmAsBrowser(
    {
      url: `http://${running.host}:${running.port}`,
      host: running.host,
      port: running.port,
      restored: false,
      close: async () => {},
    },
    card,
  );
}

/** Resolves once the demo's emulator has saved this PaymentIntent as succeeded. */
function savedAsSucceeded(dataDir: string, paymentIntentId: string): Promise<void> {
  const path = join(dataDir, 'demo-emulator-state.json');
  function holdsIt(): boolean {
    try {
      return savedIntent(path, paymentIntentId)?.status === 'succeeded';
    } catch {
      return false; // Not written yet.
    }
  }
  return new Promise((resolve) => {
    // Saved by rename: the folder hears of each save. Watching first misses none.
    const watcher = watch(dataDir, () => {
      if (!holdsIt()) return;
      watcher.close();
      resolve();
    });
    if (holdsIt()) {
      watcher.close();
      resolve();
    }
  });
}

function savedIntent(path: string, id: string): { status?: string } | undefined {
  const state = JSON.parse(readFileSync(path, 'utf8'));
  for (const account of state.accounts.accounts) {
    const found = account.ledgers.test.paymentIntents.map.find(([key]: [string]) => key === id);
    if (found) return found[1];
  }
  return undefined;
}

/** Opens the demo's one-time sign-in link and presses its button, as a browser would. */
async function signInByLink(link: string): Promise<{ status: number; location: string | null }> {
  const page = await fetch(link);
  const cookie =
    (page.headers.getSetCookie().find((line) => line.startsWith('sy_form=')) ?? '').split(';')[0] ??
    '';
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const code = new URL(link).searchParams.get('code') ?? '';
  const posted = await fetch(new URL('/admin/sign-in/link', link), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, code }).toString(),
    redirect: 'manual',
  });
  return { status: posted.status, location: posted.headers.get('location') };
}

describeEachDatabase('the demo on `switchyard serve`', (database) => {
  let scratch: TestStore | undefined;
  afterEach(async () => {
    await scratch?.dispose();
    scratch = undefined;
  });

  it('serves the launch funnel on the built-in emulator, and after a kill -9 the same accounts and payments', async () => {
    scratch = await database.openEmpty();
    const { url, env } = await demoEnvironment(scratch);

    const first = await startDemoServer(env);
    const printed = first.output.join('\n');
    expect(printed).toContain(`Open the funnel:  ${url}/f/launch`);
    expect(printed).toContain('4242 4242 4242 4242  succeeds');
    expect(printed).toContain('4000 0000 0000 0002  is declined');
    expect(printed).toContain(lastCardLine);
    expect(printed).toContain('any future expiry, any CVC');
    expect(printed).toContain('switchyard tokens create');
    expect(printed).toContain('Emulator state:   new; kept in');
    expect(printed).not.toMatch(/sk_(test|live)_/);
    const link = /Open the console: (\S+)/.exec(printed)?.[1] ?? '';
    expect(link.startsWith(`${url}/admin/sign-in/link?code=`)).toBe(true);
    const code = new URL(link).searchParams.get('code') ?? '';
    const logLines = first.output.filter((line) => line.trimStart().startsWith('{'));
    expect(logLines.some((line) => line.includes(code))).toBe(false);
    expect(await signInByLink(link)).toEqual({ status: 303, location: '/admin' });
    expect((await signInByLink(link)).status).toBe(401);

    const sales = await fetch(`${url}/f/launch/sales`);
    expect(sales.status).toBe(200);
    const salesPage = await sales.text();
    expect(salesPage).toContain('Launch your product without the chaos');
    expect(salesPage).toContain('Get the Masterclass');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).status).toBe('ready');
    const before = await openCardForm(url, 'ana@example.com');
    expect(before.publishableKey).toMatch(/^pk_test_/);
    const intent = await confirmOnDemoEmulator(env.DATA_DIR, before);
    expect(intent.status).toBe('succeeded');
    await savedAsSucceeded(env.DATA_DIR, intent.id);
    expect(first.output.filter((line) => line.includes('demo account connected'))).toHaveLength(2);
    first.child.kill('SIGKILL');
    await first.exited;

    // Same data, same emulator state: the accounts keep their keys, the payment is still there.
    const second = await startDemoServer(env);
    expect(second.output.join('\n')).toContain('Emulator state:   restored from');
    const secondLink = /Open the console: (\S+)/.exec(second.output.join('\n'))?.[1] ?? '';
    expect(secondLink).not.toBe(link);
    expect((await signInByLink(secondLink)).status).toBe(303);
    const back = await fetch(`${url}/f/launch/order/return?payment_intent=${intent.id}`, {
      headers: { cookie: before.cookie },
      redirect: 'manual',
    });
    expect(back.headers.get('location')).toBe('/f/launch/coaching');
    const after = await openCardForm(url, 'bo@example.com');
    expect(after.publishableKey).toBe(before.publishableKey);
    expect(await second.stop()).toBe(0);
    const logged = second.output.join('\n');
    expect(logged.match(/demo account kept/g)).toHaveLength(2);
    expect(logged).not.toContain('re-connected');
    expect(logged).toContain('"msg":"demo funnel kept as it is"');
    expect(logged).toContain('"msg":"stopped"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    // A state file it cannot read: the demo says it starts over, and re-keys its accounts.
    writeFileSync(join(env.DATA_DIR, 'demo-emulator-state.json'), '{"version": 1');
    const third = await startDemoServer(env);
    expect(third.output.join('\n')).toMatch(
      /Emulator state: {3}STARTED OVER: .* could not be read/,
    );
    const anew = await openCardForm(url, 'cy@example.com');
    expect(anew.publishableKey).not.toBe(before.publishableKey);
    expect(await third.stop()).toBe(0);
    expect(third.output.join('\n').match(/demo account re-connected/g)).toHaveLength(2);
  }, 90_000);
});

describeEachDatabase('when `serve` runs the demo', (database) => {
  let scratch: TestStore | undefined;
  afterEach(async () => {
    await scratch?.dispose();
    scratch = undefined;
  });

  function wanted(env: Record<string, string>) {
    if (!scratch) throw new Error('open the store first');
    const config = loadConfig({
      DATABASE_URL: scratch.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'switchyard-demo-')),
      ...env,
    });
    return demoWanted(config, capturedLogger().logger);
  }

  it('runs without Stripe settings, not when turned off or pointed at a Stripe host', async () => {
    scratch = await database.openEmpty();
    await expect(wanted({})).resolves.toBe(true);
    await expect(wanted({ SWITCHYARD_DEMO: 'off' })).resolves.toBe(false);
    await expect(wanted({ STRIPE_API_HOST: 'api.stripe.com' })).resolves.toBe(false);
    await expect(
      wanted({ STRIPE_API_HOST: 'api.stripe.com', SWITCHYARD_DEMO: 'on' }),
    ).resolves.toBe(true);
  });

  it('serves real accounts instead, and refuses to run over them when forced on', async () => {
    scratch = await database.openMigrated();
    const { testApp } = await workspaceWithAccounts(scratch, emulator(), { handles: ['shop'] });
    await expect(wanted({})).resolves.toBe(false);
    await expect(wanted({ SWITCHYARD_DEMO: 'on' })).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/not the demo's \(shop\).*SWITCHYARD_DEMO=off/),
    });
    await testApp.app.close();
  });
});

describe('the command line beside a running demo', () => {
  let scratch: TestStore | undefined;
  afterEach(async () => {
    await scratch?.dispose();
    scratch = undefined;
  });

  // Each CLI run is a process of its own, seconds apiece on a busy machine; one database shows it.
  it('verifies an account and refunds a payment on the demo emulator, and says when the demo is down', async () => {
    const [sqlite] = testDatabases;
    if (!sqlite) throw new Error('SQLite is always among the test databases');
    scratch = await sqlite.openEmpty();
    const { url, env } = await demoEnvironment(scratch);
    const demo = await startDemoServer(env);
    const card = await openCardForm(url, 'ana@example.com');
    const intent = await confirmOnDemoEmulator(env.DATA_DIR, card);
    const back = await fetch(`${url}/f/launch/order/return?payment_intent=${intent.id}`, {
      redirect: 'manual',
    });
    expect(back.status).toBe(303);

    const verified = await runCli(['accounts', 'verify', 'us'], env);
    expect([verified.code, verified.stderr]).toEqual([0, '']);
    expect(verified.stdout).toContain('Verified "us".');
    const orders = JSON.parse((await runCli(['orders', 'list', '--json'], env)).stdout);
    const orderId: string = orders.orders[0].id;
    const refund = await runCli(
      ['payments', 'refund', `${orderId}.order.usd`, '--amount', '500'],
      env,
    );
    expect([refund.code, refund.stderr]).toEqual([0, '']);
    expect(refund.stdout).toContain(
      `Refunded $5.00 of payment ${orderId}.order.usd on account us.`,
    );
    expect(refund.stdout).toMatch(/Stripe refund: re_\w+, succeeded/);

    expect(await demo.stop()).toBe(0);
    const down = await runCli(['accounts', 'verify', 'us'], env);
    expect(down.code).toBe(7);
    expect(down.stderr).toContain('The demo is not running');
    expect(down.stderr).toContain('Start the demo with "npm start"');
    expect(down.stderr).not.toContain('connection to Stripe');
  }, 90_000);
});
