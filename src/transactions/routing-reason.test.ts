import { describe, expect, it } from 'vitest';
import { parsePaymentContext, parseRoutingConfig, route } from '../routing/index.js';
import { routingReasonOf } from './routing-reason.js';

const config = parseRoutingConfig({
  accounts: [
    { handle: 'us', role: 'primary', caps: [{ currency: 'usd', period: 'day', amount: 10_000 }] },
    { handle: 'us2' },
  ],
  rules: [
    {
      name: 'move',
      when: { currency: ['usd'] },
      use: { split: [{ account: 'us', weight: 1 }] },
    },
    {
      name: 'returning',
      when: { currency: ['eur'] },
      use: 'us',
      fallback: ['us2'],
      prefer: 'customer_account',
    },
  ],
});

function reasonFor(context: unknown): string {
  if (!config.success) throw new Error(JSON.stringify(config.problems));
  const parsed = parsePaymentContext(context);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.problems));
  return routingReasonOf(route(config.value, parsed.value));
}

describe("a log row's routing reason", () => {
  it('names the split bucket and pick, and the cap a fallback came from', () => {
    const ann = { key: 'ann@example.com' };
    expect(reasonFor({ mode: 'test', currency: 'usd', amount: 500, customer: ann })).toMatch(
      /^rule move, split bucket \d+ → us$/,
    );
    expect(
      reasonFor({
        mode: 'test',
        currency: 'usd',
        amount: 500,
        customer: ann,
        usage: { us: { usd: { day: 9_800 } } },
      }),
    ).toMatch(/^rule move, split bucket \d+ → us → fallback from us \(cap_reached\)$/);
  });

  it('says when customer affinity chose the account', () => {
    expect(
      reasonFor({
        mode: 'test',
        currency: 'eur',
        customer: { key: 'ann@example.com', accounts: ['us2'] },
      }),
    ).toBe('rule returning, customer affinity');
  });
});
