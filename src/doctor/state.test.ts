import { expect, it } from 'vitest';
import { buyOrder, manualClock, stripeSideOf, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { control, useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import type { Finding, FindingCode } from './finding.js';

const emulator = useEmulator();
const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };
const minute = 60;
const hour = 60 * minute;

describeEachDatabase('doctor: account state', (database) => {
  const clock = manualClock(new Date().toISOString());
  const shop = launchShopForEachTest(database, emulator, {
    clock,
    // One failed call opens a breaker, so a test needs one failing buyer, not five.
    env: { BREAKER_CONSECUTIVE_FAILURES: '1' },
  });

  async function finding(code: FindingCode, handle = 'us'): Promise<Finding> {
    const report = await shop().testApp.services.doctor.run('default', { account: handle });
    const found = report.findings.find((one) => one.code === code && one.mode === 'test');
    if (!found) throw new Error(`no ${code} finding for ${handle} (test)`);
    return found;
  }

  /** A buyer who reaches the card form of a new order: the payment step asks Stripe. */
  async function buyerAtCardForm(): Promise<number> {
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', ana);
    return (await visitor.get('/f/launch/order/pay')).statusCode;
  }

  async function faultOn(handle: string | '*', fault: Record<string, unknown>) {
    const account = handle === '*' ? '*' : (await stripeSideOf(shop().api, handle)).stripeAccountId;
    await control(emulator(), 'POST', 'faults', {
      account,
      path: '/v1/payment_intents',
      ...fault,
    });
  }

  it('circuit_open: fails while the breaker is open, warns half-open, passes once closed', async () => {
    expect(await finding('circuit_open')).toMatchObject({ status: 'pass', fix: null });
    await faultOn('us', { fault: 'server_error' });
    expect(await buyerAtCardForm()).toBe(200);

    const open = await finding('circuit_open');
    expect(open.status).toBe('fail');
    expect(open.detail).toMatch(
      /^The circuit breaker of us \(test\) is open since \S+, after 1 failed call in a row; it refuses payments until \S+\. The latest failure, at \S+: HTTP 500/,
    );
    expect(open.fix).toContain('"switchyard accounts show us"');

    await control(emulator(), 'DELETE', 'faults');
    clock.advance(31);
    const halfOpen = await finding('circuit_open');
    expect(halfOpen.status).toBe('warn');
    expect(halfOpen.detail).toMatch(
      /^The circuit breaker of us \(test\) opened at \S+ and is half-open since \S+: the next payment is its trial;/,
    );
    expect(await buyerAtCardForm()).toBe(200);
    expect(await finding('circuit_open')).toMatchObject({ status: 'pass' });
  });

  it('rate_limited_recently: warns after Stripe answered 429 within the hour', async () => {
    await faultOn('us', { fault: 'rate_limit', times: 1 });
    expect(await buyerAtCardForm()).toBe(200);

    const limited = await finding('rate_limited_recently');
    expect(limited.status).toBe('warn');
    expect(limited.detail).toMatch(
      /^Stripe answered 429 \(rate limited\) to 1 request of payments on us \(test\) in the last hour, the latest at /,
    );
    expect(limited.fix).toContain('raise the account');
    expect(await finding('rate_limited_recently', 'eu')).toMatchObject({ status: 'pass' });

    clock.advance(hour + minute);
    expect(await finding('rate_limited_recently')).toMatchObject({ status: 'pass' });
  });

  it('no_recent_payment: warns when the primary took nothing in QUIET_ACCOUNT_HOURS', async () => {
    expect((await finding('no_recent_payment')).detail).toContain('less than 24 h');
    clock.advance(25 * hour);

    const quiet = await finding('no_recent_payment');
    expect(quiet).toMatchObject({
      status: 'warn',
      detail:
        'Routing sends payments to us (test), but it has taken none in 24 h (QUIET_ACCOUNT_HOURS); the last was never.',
    });
    expect(quiet.fix).toContain('switchyard test-payment us --mode test');
    // eu takes new payments only when routing falls back to it.
    expect(await finding('no_recent_payment', 'eu')).toMatchObject({ status: 'pass' });

    const { intent } = await buyOrder(emulator(), visitorOf(shop().testApp.app), ana);
    expect(intent.status).toBe('succeeded');
    expect(await finding('no_recent_payment')).toMatchObject({ status: 'pass' });
  });

  it('no_recent_payment: an account that only a split names is one routing sends payments to', async () => {
    const half = {
      split: [
        { account: 'us', weight: 50 },
        { account: 'eu', weight: 50 },
      ],
    };
    const put = await shop().api('PUT', '/api/routing', {
      document: { funnels: { launch: { use: half } } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    clock.advance(25 * hour);
    expect(await finding('no_recent_payment', 'eu')).toMatchObject({
      status: 'warn',
      detail:
        'Routing sends payments to eu (test), but it has taken none in 24 h (QUIET_ACCOUNT_HOURS); the last was never.',
    });
  });

  it('orders_stuck: fails for a payment whose answer from Stripe was lost, until reconciled', async () => {
    await faultOn('*', { fault: 'connection_reset', after: true });
    await buyerAtCardForm();
    await control(emulator(), 'DELETE', 'faults');
    expect(await finding('orders_stuck')).toMatchObject({ status: 'pass' });
    clock.advance(16 * minute);

    const stuck = await finding('orders_stuck');
    expect(stuck.status).toBe('fail');
    expect(stuck.detail).toMatch(
      /^1 payment on us \(test\) has not moved for over 15 minutes: \S+ \(pending since /,
    );
    expect(stuck.fix).toContain('switchyard orders show <order id>');

    await shop().testApp.services.reconciliation.reconcile('default');
    expect(await finding('orders_stuck')).toMatchObject({ status: 'pass' });
  });
});
