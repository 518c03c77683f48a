import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRouting, parseRoutingConfig, type RoutingConfig } from '../routing/index.js';
import type { ReplayPayment } from './replay.repository.js';
import { createReplayWorld, type ReplayPlacement } from './replay-world.js';

/** Replays many random histories against random caps: a cap is never passed by a new payment. */

const handles = ['us', 'eu', 'us2'] as const;
const currencies = ['usd', 'eur'] as const;

function configWith(caps: Array<Array<{ currency: string; period: string; amount: number }>>) {
  const parsed = parseRoutingConfig({
    accounts: handles.map((handle, index) => ({
      handle,
      role: index === 0 ? 'primary' : 'secondary',
      priority: index,
      caps: caps[index] ?? [],
    })),
    rules: [
      {
        name: 'split-all',
        when: {},
        use: {
          split: [
            { account: 'us', weight: 60 },
            { account: 'us2', weight: 40 },
          ],
        },
      },
    ],
  });
  if (!parsed.success) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value satisfies RoutingConfig;
}

const capArbitrary = fc.record({
  currency: fc.constantFrom(...currencies),
  period: fc.constantFrom('day', 'month'),
  amount: fc.integer({ min: 1, max: 200_000 }),
});

const stepArbitrary = fc.record({
  minutes: fc.integer({ min: 0, max: 12 * 60 }),
  currency: fc.constantFrom(...currencies),
  amount: fc.integer({ min: 1, max: 60_000 }),
  buyer: fc.integer({ min: 0, max: 30 }),
  /** An upsell of one of the last payments, or a new order. */
  upsellOf: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
});

type Step = typeof stepArbitrary extends fc.Arbitrary<infer Value> ? Value : never;

function historyOf(steps: Step[]): ReplayPayment[] {
  let time = Date.parse('2026-11-28T00:00:00.000Z');
  const payments: ReplayPayment[] = [];
  steps.forEach((step, index) => {
    time += step.minutes * 60_000;
    const parent = step.upsellOf === undefined ? undefined : payments.at(-step.upsellOf);
    const paymentId = `pay_${String(index).padStart(4, '0')}`;
    payments.push({
      paymentId,
      orderId: parent?.orderId ?? `ord_${index}`,
      kind: parent === undefined ? 'initial' : 'upsell',
      parentPaymentId: parent?.paymentId ?? null,
      account: 'us',
      mode: 'live',
      amount: step.amount,
      currency: parent?.currency ?? step.currency,
      createdAt: new Date(time).toISOString(),
      routingContext: null,
      funnelSlug: 'launch',
      stepSlug: parent === undefined ? 'order' : 'upsell',
      country: 'US',
      email: parent?.email ?? `buyer${step.buyer}@example.com`,
      products: ['course'],
      parentAccount: parent === undefined ? null : 'us',
    });
  });
  return payments;
}

/** Every new payment's placement, with what its account had taken in the period once it landed. */
function capsPassed(config: RoutingConfig, placements: readonly ReplayPlacement[]): string[] {
  const taken = new Map<string, number>();
  const passed: string[] = [];
  for (const { payment, account } of placements) {
    if (account === null) continue;
    const periods = { day: payment.createdAt.slice(0, 10), month: payment.createdAt.slice(0, 7) };
    for (const period of ['day', 'month'] as const) {
      const key = `${account}|${payment.currency}|${periods[period]}`;
      const total = (taken.get(key) ?? 0) + payment.amount;
      taken.set(key, total);
      const caps = config.accounts.find((candidate) => candidate.handle === account)?.caps ?? [];
      for (const cap of caps) {
        // Upsells run on their parent's account whatever its caps: only new payments are held.
        if (
          payment.kind === 'initial' &&
          cap.currency === payment.currency &&
          cap.period === period &&
          total > cap.amount
        ) {
          passed.push(`${payment.paymentId}: ${key} ${total} > ${cap.amount}`);
        }
      }
    }
  }
  return passed;
}

describe('a replay with caps', () => {
  it('never places a new payment past a cap, per account, currency, UTC day and month', () => {
    let capped = 0;
    fc.assert(
      fc.property(
        fc.array(fc.array(capArbitrary, { maxLength: 3 }), { minLength: 3, maxLength: 3 }),
        fc.array(stepArbitrary, { minLength: 1, maxLength: 150 }),
        (caps, steps) => {
          const config = configWith(caps);
          const world = createReplayWorld(compileRouting(config), new Map());
          const placements = historyOf(steps).map((payment) => world.place(payment));
          capped += placements.filter((placement) =>
            placement.decision?.candidates.some((c) => c.reasons.includes('cap_reached')),
          ).length;
          expect(capsPassed(config, placements)).toEqual([]);
        },
      ),
      { numRuns: 300, seed: 16 },
    );
    // The property is not empty: caps did turn payments away.
    expect(capped).toBeGreaterThan(100);
  });

  it('keeps a buyer on the account their earlier replayed payment landed on, under customer affinity', () => {
    const parsed = parseRoutingConfig({
      accounts: [{ handle: 'us', role: 'primary' }, { handle: 'us2' }],
      rules: [
        {
          name: 'moving',
          when: {},
          use: {
            split: [
              { account: 'us', weight: 0 },
              { account: 'us2', weight: 100 },
            ],
          },
          fallback: ['us'],
          prefer: 'customer_account',
        },
      ],
    });
    if (!parsed.success) throw new Error(JSON.stringify(parsed.problems));
    const history = historyOf([
      { minutes: 0, currency: 'usd', amount: 100, buyer: 1, upsellOf: undefined },
      { minutes: 5, currency: 'usd', amount: 100, buyer: 1, upsellOf: undefined },
    ]);
    // The first payment's account is us2 (the split); the second finds the buyer known there.
    const world = createReplayWorld(compileRouting(parsed.value), new Map());
    const [first, second] = history.map((payment) => world.place(payment));
    expect(first?.account).toBe('us2');
    expect(second?.decision?.picked).toEqual({ account: 'us2', reason: 'customer_affinity' });
  });
});
