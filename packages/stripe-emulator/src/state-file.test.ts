import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorAccount } from './emulator.test-helper.js';
import { type RunningEmulator, startEmulator } from './index.js';

let folder: string;
let stateFile: string;
const running: RunningEmulator[] = [];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'emulator-state-'));
  stateFile = join(folder, 'state.json');
});
afterEach(async () => {
  for (const emulator of running.splice(0)) await emulator.close();
  rmSync(folder, { recursive: true, force: true });
});

async function start(): Promise<RunningEmulator> {
  const emulator = await startEmulator({ stateFile });
  running.push(emulator);
  return emulator;
}

async function stop(emulator: RunningEmulator): Promise<void> {
  running.splice(running.indexOf(emulator), 1);
  await emulator.close();
}

function sdk(emulator: RunningEmulator, key: string): Stripe {
  return new Stripe(key, {
    host: emulator.host,
    port: emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}

async function control<Result>(emulator: RunningEmulator, method: string, path: string, body = {}) {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
  return (await response.json()) as Result;
}

describe('an emulator with a state file', () => {
  it('starts again with the same accounts, keys, objects, clock and webhook endpoints', async () => {
    const first = await start();
    expect(first.restored).toBe(false);
    const account = await control<EmulatorAccount>(first, 'POST', 'accounts', {
      name: 'Kept',
      country: 'DE',
      default_currency: 'eur',
    });
    const stripe = sdk(first, account.keys.test.secret);
    const customer = await stripe.customers.create({ email: 'ana@example.com', name: 'Ana' });
    const intent = await stripe.paymentIntents.create(
      { amount: 4500, currency: 'eur', customer: customer.id, payment_method: 'pm_card_visa' },
      { idempotencyKey: 'order-1' },
    );
    await stripe.paymentIntents.confirm(intent.id);
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/webhooks',
      enabled_events: ['payment_intent.succeeded'],
    });
    await control(first, 'POST', 'clock/advance', { seconds: 3600 });
    const clockBefore = (await stripe.paymentIntents.create({ amount: 100, currency: 'eur' }))
      .created;
    await stop(first);
    // The accounts' secret keys are in it: only its owner reads it.
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await start();
    expect(second.restored).toBe(true);
    const again = sdk(second, account.keys.test.secret);
    expect((await again.accounts.retrieveCurrent()).id).toBe(account.id);
    expect(await again.customers.retrieve(customer.id)).toMatchObject({ email: 'ana@example.com' });
    expect(await again.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'succeeded',
      amount: 4500,
      customer: customer.id,
    });
    // An idempotent retry after the restart gets the first answer, not a second PaymentIntent.
    const replayed = await again.paymentIntents.create(
      { amount: 4500, currency: 'eur', customer: customer.id, payment_method: 'pm_card_visa' },
      { idempotencyKey: 'order-1' },
    );
    expect(replayed.id).toBe(intent.id);
    expect((await again.webhookEndpoints.list()).data.map((item) => item.id)).toEqual([
      endpoint.id,
    ]);
    const events = await again.events.list({ type: 'payment_intent.succeeded' });
    expect(events.data.map((event) => event.data.object)).toMatchObject([{ id: intent.id }]);
    const later = await again.paymentIntents.create({ amount: 100, currency: 'eur' });
    expect(later.created).toBeGreaterThanOrEqual(clockBefore);
  });

  it('refuses a state file it cannot read, naming it and what to do', async () => {
    writeFileSync(stateFile, '{"version": 1, "accounts": ');
    await expect(startEmulator({ stateFile })).rejects.toThrow(
      `The emulator's state file ${stateFile} cannot be read`,
    );
  });
});
