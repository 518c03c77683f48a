import { expect, it } from 'vitest';
import { buyOrder, manualClock, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import type { Finding, FindingCode } from './finding.js';

const emulator = useEmulator();
const hour = 60 * 60;

describeEachDatabase('doctor: volume caps', (database) => {
  const clock = manualClock(new Date().toISOString());
  const shop = launchShopForEachTest(database, emulator, { clock });

  async function finding(code: FindingCode, handle = 'us'): Promise<Finding> {
    const report = await shop().testApp.services.doctor.run('default', { account: handle });
    const found = report.findings.find((one) => one.code === code && one.mode === 'test');
    if (!found) throw new Error(`no ${code} finding for ${handle} (test)`);
    return found;
  }

  async function capUs(caps: unknown[]) {
    const updated = await shop().api('PATCH', '/api/accounts/us', { caps });
    expect(updated.status).toBe(200);
  }

  /** A buyer of the launch course ($49.00) who reaches the card form and leaves: a PaymentIntent, unpaid. */
  async function buyerAtCardForm(email: string) {
    const visitor = visitorOf(shop().testApp.app);
    await visitor.post('/f/launch/order/contact', { email, name: 'Bo', country: 'US' });
    expect((await visitor.get('/f/launch/order/pay')).statusCode).toBe(200);
  }

  const ana = { email: 'ana@example.com', name: 'Ana', country: 'US' };
  const month = { currency: 'usd', period: 'month', amount: 1_000_000 };

  it('cap_near warns past 80 % of a cap, counting paid payments in its currency', async () => {
    expect(await finding('cap_near')).toMatchObject({
      status: 'pass',
      detail: 'us (test) has no volume cap.',
    });
    await capUs([{ currency: 'usd', period: 'day', amount: 10_000 }, month]);
    const paid = await buyOrder(emulator(), visitorOf(shop().testApp.app), ana);
    expect(paid.intent.status).toBe('succeeded');
    // A euro payment does not count against a dollar cap.
    await buyOrder(emulator(), visitorOf(shop().testApp.app), ana, { currency: 'eur' });

    expect(await finding('cap_near')).toMatchObject({
      status: 'pass',
      detail:
        'No cap of us (test) is past 80 %: $49.00 of $100.00 today (49 %); $49.00 of $10,000.00 this month (0 %).',
    });

    await buyOrder(emulator(), visitorOf(shop().testApp.app), { ...ana, email: 'bo@example.com' });
    const near = await finding('cap_near');
    expect(near).toMatchObject({
      status: 'warn',
      detail:
        'us (test) is past 80 % of a cap: $98.00 of $100.00 today (98 %). At 100 % new payments go to other accounts.',
    });
    expect(near.fix).toContain(
      '"switchyard accounts update us --caps usd:day:<more than 10000>,usd:month:1000000"',
    );
    expect(near.fix).toContain('a split or a fallback account');
    expect(await finding('cap_reached')).toMatchObject({ status: 'pass' });
    // A card form left open takes nothing: its PaymentIntent still waits for a card.
    await buyerAtCardForm('dee@example.com');
    expect((await finding('cap_near')).detail).toContain('$98.00 of $100.00 today (98 %)');
    expect(await finding('cap_near', 'eu')).toMatchObject({
      status: 'pass',
      detail: 'eu (test) has no volume cap.',
    });
  });

  it('cap_reached warns at 100 %: new payments go elsewhere, sales go on; a new UTC day clears it', async () => {
    await buyOrder(emulator(), visitorOf(shop().testApp.app), ana);
    await capUs([{ currency: 'usd', period: 'day', amount: 4900 }, month]);

    const reached = await finding('cap_reached');
    expect(reached).toMatchObject({
      status: 'warn',
      detail:
        "us (test) has reached a cap: $49.00 of $49.00 today (100 %). New payments in USD go to other accounts (the split's others, then the fallback) until the period ends; upsells, renewals and refunds stay on us.",
    });
    expect(reached.fix).toContain('switchyard accounts update us --caps usd:day:<more than 4900>');
    expect(reached.fix).toContain('switchyard route explain');
    // Past the cap is not "near" it: one warning, not two.
    expect(await finding('cap_near')).toMatchObject({ status: 'pass' });

    const now = clock();
    const nextDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    clock.advance((nextDay - now.getTime()) / 1000 + hour);
    expect(await finding('cap_reached')).toMatchObject({
      status: 'pass',
      detail: 'us (test) has room under every cap.',
    });
  });
});
