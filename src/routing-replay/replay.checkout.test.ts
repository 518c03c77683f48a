import { expect, it } from 'vitest';
import { buyOrder, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import type { ReplayReport } from './replay.service.js';

const emulator = useEmulator();

describeEachDatabase('route replay over payments checkout took', (database) => {
  const shop = launchShopForEachTest(database, emulator);

  it('replays the contexts checkout stored, upsells following their order to the new account', async () => {
    const { testApp, api } = shop();
    // A German buyer pays in euros and takes the one-click upsell; an American pays in dollars.
    const german = visitorOf(testApp.app);
    await buyOrder(
      emulator(),
      german,
      { email: 'Greta@Example.com', name: 'Greta', country: 'DE' },
      { currency: 'eur' },
    );
    expect((await german.post('/f/launch/coaching/accept')).headers.location).toBe(
      '/f/launch/thanks',
    );
    await buyOrder(
      emulator(),
      visitorOf(testApp.app),
      { email: 'al@example.com', name: 'Al', country: 'US' },
      { currency: 'usd' },
    );

    const stored = await shop()
      .store.db.selectFrom('payments')
      .select(['kind', 'currency', 'amount', 'account_handle', 'routing_context'])
      .orderBy('created_at')
      .execute();
    expect(stored.map((row) => [row.kind, row.currency, row.account_handle])).toEqual([
      ['initial', 'eur', 'us'],
      ['upsell', 'eur', 'us'],
      ['initial', 'usd', 'us'],
    ]);
    expect(stored.every((row) => row.routing_context !== null)).toBe(true);

    const replayed = await api('POST', '/api/routing/replay', {
      document: { rules: [{ name: 'euro-sales', when: { currency: ['eur'] }, use: 'eu' }] },
    });
    expect(replayed.status).toBe(200);
    const report = replayed.body as ReplayReport;
    expect(report.contexts).toEqual({ stored: 3, rebuilt: 0 });
    expect(report.totals).toEqual({ payments: 3, moved: 2, unchanged: 1, noAccount: 0 });
    expect(report.moves).toHaveLength(1);
    const euros = stored
      .filter((row) => row.currency === 'eur')
      .reduce((sum, row) => sum + Number(row.amount), 0);
    expect(report.moves[0]).toMatchObject({
      from: 'us',
      to: 'eu',
      payments: 2,
      volume: { eur: euros },
    });
    expect(report.moves[0]?.examples.map((example) => example.explanation[0])).toEqual([
      expect.stringContaining('euro-sales'),
      expect.stringContaining('saved card'),
    ]);
  });
});
