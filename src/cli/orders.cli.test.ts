import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestApp } from '../../test/app.js';
import {
  cardConfigOf,
  confirmAsBrowser,
  importLaunchFunnel,
  visitorOf,
} from '../../test/checkout.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { control, type EmulatorAccount, emulatorEnv, useEmulator } from '../../test/emulator.js';
import { runCli } from '../../test/run-cli.js';
import { workspaceWithAccounts } from '../../test/workspace.js';
import { runInProcess } from './cli-in-process.test-helper.js';

const emulator = useEmulator();

describeEachDatabase('orders and refunds from the command line', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let dataDir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    store = await database.openMigrated();
    ({ testApp } = await workspaceWithAccounts(store, emulator()));
    await importLaunchFunnel(testApp.services);
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-orders-cli-'));
    env = {
      ...emulatorEnv(emulator()),
      DATABASE_URL: store.url,
      DATA_DIR: dataDir,
      SWITCHYARD_MASTER_KEY: testApp.masterKey,
    };
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A buyer pays the course with the bump, then takes the coaching upsell in one click. */
  async function paidOrder(): Promise<string> {
    const visitor = visitorOf(testApp.app);
    const contact = await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    const card = cardConfigOf((await visitor.get(contact.headers.location as string)).body);
    await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true });
    const intent = await confirmAsBrowser(emulator(), card);
    await visitor.get(`/f/launch/order/return?payment_intent=${intent.id}`);
    expect((await visitor.post('/f/launch/coaching/accept')).headers.location).toBe(
      '/f/launch/thanks',
    );
    const page = await testApp.services.orders.listOrders('default', {});
    return page.orders[0]?.id ?? '';
  }

  /** A buyer who reached the card form (in euros) and left. */
  async function openOrder(): Promise<string> {
    const visitor = visitorOf(testApp.app);
    const contact = await visitor.post('/f/launch/order/contact', {
      email: 'bo@example.com',
      name: 'Bo',
      country: 'DE',
    });
    expect((await visitor.get(contact.headers.location as string)).statusCode).toBe(200);
    const page = await testApp.services.orders.listOrders('default', {});
    return page.orders[0]?.id ?? '';
  }

  /** What Stripe itself holds as refunds of a PaymentIntent on the `us` account. */
  async function stripeRefundsOf(paymentIntent: string): Promise<number[]> {
    const accounts = await testApp.services.accounts.listAccounts('default');
    const us = accounts.find((account) => account.handle === 'us');
    const { data } = await control<{ data: EmulatorAccount[] }>(emulator(), 'GET', 'accounts');
    const keys = data.find((account) => account.id === us?.stripeAccountId)?.keys;
    const stripe = new Stripe(keys?.test.secret ?? '', {
      host: emulator().host,
      port: emulator().port,
      protocol: 'http',
    });
    const refunds = await stripe.refunds.list({ payment_intent: paymentIntent });
    return refunds.data.map((refund) => refund.amount);
  }

  it('lists orders newest first, filters them, and pages with the cursor it prints', async () => {
    const paid = await paidOrder();
    const open = await openOrder();

    // Through the binary once, as a merchant runs it; the rest in-process, without a process start each.
    const list = await runCli(['orders', 'list'], env);
    expect([list.code, list.stderr]).toEqual([0, '']);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+CREATED\s+FUNNEL\s+STATUS\s+EMAIL\s+PAID\s+ACCOUNTS$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${open}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+launch\\s+open\\s+bo@example\\.com\\s+-\\s+us$`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${paid}\\s+\\S+\\s+launch\\s+paid\\s+ana@example\\.com\\s+\\$167\\.00\\s+us$`),
    );
    expect(lines).toHaveLength(3);

    const onlyPaid = await runInProcess(['orders', 'list', '--status', 'paid', '--json'], env);
    expect(onlyPaid.code, onlyPaid.stderr).toBe(0);
    const page = JSON.parse(onlyPaid.stdout);
    expect(page.orders.map((order: { id: string }) => order.id)).toEqual([paid]);
    expect(page.orders[0]).toMatchObject({ paid: 16_700, currency: 'usd', accounts: ['us'] });
    expect(page.nextCursor).toBeNull();

    const first = await runInProcess(['orders', 'list', '--funnel', 'launch', '--limit', '1'], env);
    expect(first.stdout).toContain(open);
    expect(first.stdout).not.toContain(paid);
    const next = /^More orders: (switchyard orders list .*)$/m.exec(first.stdout)?.[1] ?? '';
    expect(next).toMatch(/^switchyard orders list --funnel launch --limit 1 --cursor \S+$/);
    const second = await runInProcess(next.split(' ').slice(1), env);
    expect(second.stdout).toContain(paid);
    expect(second.stdout).not.toContain(open);
    expect(second.stdout).not.toContain('More orders');

    const none = await runInProcess(['orders', 'list', '--status', 'refunded'], env);
    expect([none.code, none.stdout.trim()]).toEqual([0, 'No orders match these filters.']);
  });

  it("finds a buyer's orders by email, however it is typed", async () => {
    const bo = await openOrder();
    const found = await runInProcess(
      ['orders', 'list', '--email', ' BO@example.com', '--json'],
      env,
    );
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).orders.map((order: { id: string }) => order.id)).toEqual([bo]);
    const other = await runInProcess(['orders', 'list', '--email', 'ana@example.com'], env);
    expect([other.code, other.stdout.trim()]).toEqual([0, 'No orders match these filters.']);
  });

  it('shows each payment with its account, the routing explanation and every attempt', async () => {
    const id = await paidOrder();
    const order = await testApp.services.orders.showOrder('default', id);
    const [initial, upsell] = order.payments;

    const shown = await runInProcess(['orders', 'show', id], env);
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    expect(shown.stdout).toContain(`Order ${id}: paid, $167.00 paid`);
    expect(shown.stdout).toContain('Buyer:    Ana <ana@example.com>, US');
    expect(shown.stdout).toContain(`Payment ${id}.order.usd: initial on us, succeeded`);
    expect(shown.stdout).toContain('Amount:         $68.00');
    expect(shown.stdout).toContain('Launch Masterclass $49.00, Launch Day Checklist $19.00 (bump)');
    expect(shown.stdout).toContain(`PaymentIntent:  ${initial?.paymentIntent}`);
    expect(initial?.decision?.explanation.length).toBeGreaterThan(0);
    for (const line of initial?.decision?.explanation ?? []) {
      expect(shown.stdout).toContain(`    ${line}`);
    }
    expect(shown.stdout).toMatch(
      new RegExp(`^ {4}#1\\s+us\\s+created\\s+${initial?.paymentIntent}\\s+\\d+ ms$`, 'm'),
    );
    expect(shown.stdout).toContain(`Payment ${id}.coaching: upsell on us, succeeded`);
    expect(shown.stdout).toContain(`coaching, continues ${id}.order.usd`);
    expect(shown.stdout).toContain(`PaymentIntent:  ${upsell?.paymentIntent}`);

    const json = await runInProcess(['orders', 'show', id, '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual({ order });
  });

  it('refunds part of a payment, then the rest, on the account that took it', async () => {
    const id = await paidOrder();
    const paymentId = `${id}.order.usd`;
    const paymentIntent =
      (await testApp.services.orders.showOrder('default', id)).payments[0]?.paymentIntent ?? '';

    const part = await runInProcess(
      [
        ...['--as', 'ana-ops', 'payments', 'refund', paymentId],
        ...['--amount', '2000', '--reason', 'Returned the checklist'],
      ],
      env,
    );
    expect([part.code, part.stderr]).toEqual([0, '']);
    expect(part.stdout).toContain(`Refunded $20.00 of payment ${paymentId} on account us.`);
    expect(part.stdout).toMatch(/Stripe refund: re_\w+, succeeded/);
    expect(part.stdout).toContain('Left to refund on this payment: $48.00');
    expect(await stripeRefundsOf(paymentIntent)).toEqual([2000]);

    const shown = await runInProcess(['orders', 'show', id], env);
    expect(shown.stdout).toContain(
      `Order ${id}: partially_refunded, $167.00 paid, $20.00 refunded`,
    );
    expect(shown.stdout).toContain('Amount:         $68.00, $20.00 refunded');
    expect(shown.stdout).toMatch(
      /rfd_\S+\s+\$20\.00\s+on us\s+succeeded\s+re_\w+\s+by cli:ana-ops\s+\S+\s+Returned the checklist/,
    );

    const tooMuch = await runInProcess(['payments', 'refund', paymentId, '--amount', '5000'], env);
    expect(tooMuch.code, tooMuch.stderr).toBe(2);
    expect(tooMuch.stderr.trim()).toBe(
      'switchyard: --amount: at most 4800 usd is left to refund on this payment.',
    );

    const rest = await runInProcess(
      ['payments', 'refund', paymentId, '--json', '--as', 'ana-ops'],
      env,
    );
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout).refund).toMatchObject({
      account: 'us',
      amount: 4800,
      currency: 'usd',
      status: 'succeeded',
      actor: 'cli:ana-ops',
    });
    expect((await stripeRefundsOf(paymentIntent)).sort()).toEqual([2000, 4800]);
    const after = await testApp.services.orders.showOrder('default', id);
    expect(after.payments.map((payment) => payment.refunded)).toEqual([6800, 0]);

    const again = await runInProcess(['payments', 'refund', paymentId], env);
    expect(again.code, again.stderr).toBe(5);
    expect(again.stderr).toContain(`Payment ${paymentId} is already refunded in full`);
    expect(await stripeRefundsOf(paymentIntent)).toHaveLength(2);
  });

  it('keeps a refund that got a 500 as unsure, says so in CLI words, and the same command again refunds it once', async () => {
    const id = await paidOrder();
    const paymentId = `${id}.order.usd`;
    const paymentIntent =
      (await testApp.services.orders.showOrder('default', id)).payments[0]?.paymentIntent ?? '';
    const accounts = await testApp.services.accounts.listAccounts('default');
    await control(emulator(), 'POST', 'faults', {
      account: accounts.find((account) => account.handle === 'us')?.stripeAccountId,
      path: '/v1/refunds',
      fault: 'server_error',
    });

    const refund = ['payments', 'refund', paymentId, '--amount', '2000'];
    const unclear = await runInProcess(refund, env);
    expect([unclear.code, unclear.stdout]).toEqual([7, '']);
    expect(unclear.stderr).toMatch(
      new RegExp(
        `^switchyard: Stripe's answer to refund rfd_\\S+ of 2000 usd on payment ${paymentId} was unclear .*may or may not have been made\\. .*nothing will be refunded twice\\. To settle it, run "switchyard payments refund ${paymentId} --refund (rfd_\\S+)" again: .*never a second time\\.\\n$`,
      ),
    );
    expect(unclear.stderr).not.toContain('/api/');
    const refundId = /--refund (rfd_\S+)"/.exec(unclear.stderr)?.[1];

    const shown = await runInProcess(['orders', 'show', id], env);
    expect(shown.stdout).toContain(`Order ${id}: paid, $167.00 paid`);
    expect(shown.stdout).toMatch(/rfd_\S+\s+\$20\.00\s+on us\s+unsure\s+-/);
    expect(shown.stdout).toContain(
      "Stripe's answer to this refund was unclear, so it may or may not have been made.",
    );
    expect(shown.stdout).toContain(
      `To settle it, run "switchyard payments refund ${paymentId} --refund ${refundId}".`,
    );

    const other = await runInProcess(['payments', 'refund', paymentId, '--amount', '1000'], env);
    expect(other.code).toBe(5);
    expect(other.stderr).toContain(
      `To settle it, run "switchyard payments refund ${paymentId} --refund ${refundId}" again`,
    );

    await control(emulator(), 'DELETE', 'faults');
    const again = await runInProcess(
      ['payments', 'refund', paymentId, '--refund', `${refundId}`],
      env,
    );
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain(`Refunded $20.00 of payment ${paymentId} on account us.`);
    expect(await stripeRefundsOf(paymentIntent)).toEqual([2000]);
    const settled = await runInProcess(['orders', 'show', id], env);
    expect(settled.stdout).toContain(
      `Order ${id}: partially_refunded, $167.00 paid, $20.00 refunded`,
    );
    expect(settled.stdout).not.toContain('unclear');
  });

  it('refuses an unknown order or payment, and says which flag is wrong and what it needs', async () => {
    const unknown = await runInProcess(['orders', 'show', 'ord_nope'], env);
    expect([unknown.code, unknown.stdout]).toEqual([4, '']);
    expect(unknown.stderr.trim()).toBe(
      'switchyard: Order ord_nope does not exist. "switchyard orders list" shows the orders.',
    );

    const noPayment = await runInProcess(['payments', 'refund', 'ord_nope.order.usd'], env);
    expect(noPayment.code, noPayment.stderr).toBe(4);
    expect(noPayment.stderr).toContain('Payment ord_nope.order.usd does not exist.');

    const badFlags = await runInProcess(
      ['orders', 'list', '--status', 'shipped', '--limit', '0'],
      env,
    );
    expect([badFlags.code, badFlags.stdout]).toEqual([2, '']);
    expect(badFlags.stderr).toContain(
      'switchyard: --status: got "shipped", needs one of open, paid, partially_refunded, refunded.',
    );
    expect(badFlags.stderr).toContain(
      'switchyard: --limit: got "0", needs a whole number from 1 to 200.',
    );

    const badCursor = await runInProcess(['orders', 'list', '--cursor', 'page-two'], env);
    expect(badCursor.code, badCursor.stderr).toBe(2);
    expect(badCursor.stderr).toContain('--cursor: got "page-two", needs the cursor');

    const badAmount = await runInProcess(
      ['payments', 'refund', 'ord_x.order.usd', '--amount', '12.50'],
      env,
    );
    expect(badAmount.code, badAmount.stderr).toBe(2);
    expect(badAmount.stderr).toContain(
      '--amount: got "12.50", needs a whole number of minor units',
    );
  });
});
