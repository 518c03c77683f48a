import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRouting, splitBucket } from './route.js';
import { decideFor, parseConfigFixture, parseContextFixture } from './routing.test-helper.js';
import type { RoutingConfigInput } from './schema.js';

/*
 * The promises of a split (issue 16), over many customers: a buyer's pick depends only on the
 * split id, the weights and the buyer's key; shares follow the weights; raising a weight moves
 * buyers only toward the raised account.
 */

const handles = ['us', 'us2', 'us3', 'us4'];

function splitConfig(weights: readonly number[]): RoutingConfigInput {
  return {
    accounts: handles.map((handle, index) => ({
      handle,
      role: index === 0 ? 'primary' : 'secondary',
    })),
    rules: [
      {
        name: 'ramp',
        when: {},
        use: { split: weights.map((weight, index) => ({ account: handles[index] ?? '', weight })) },
      },
    ],
  };
}

/** A router for the weights, and the pick it gives one email. */
function pickerFor(weights: readonly number[]): (email: string) => string {
  const router = compileRouting(parseConfigFixture(splitConfig(weights)));
  return function pickFor(email) {
    const decision = router.route(
      parseContextFixture({ mode: 'live', currency: 'usd', customer: { key: email } }),
    );
    return decision.split?.pick ?? '';
  };
}

/** Seeded, so a failure is the same failure on the next run (xorshift32). */
function seededEmails(count: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return Array.from(
    { length: count },
    (_, index) => `buyer${index}.${next().toString(36)}@example.com`,
  );
}

const weightsArbitrary = fc
  .array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 4 })
  .filter((weights) => weights.some((weight) => weight > 0));

describe('a split', () => {
  it('gives the same customer the same pick, across compiles and whatever the case and spaces of the email', () => {
    fc.assert(
      fc.property(weightsArbitrary, fc.emailAddress(), (weights, email) => {
        const first = pickerFor(weights)(email);
        const again = pickerFor(weights)(email);
        const shouted = pickerFor(weights)(`  ${email.toUpperCase()}\t`);
        expect(again).toBe(first);
        expect(shouted).toBe(first);
        expect(weights[handles.indexOf(first)]).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    [[80, 20]],
    [[50, 50]],
    [[70, 20, 10]],
    [[1, 0, 99]],
    [[34, 33, 33]],
    [[25, 25, 25, 25]],
  ])('over 100,000 customers gives each account its weight to within 1 point: %j', (weights) => {
    const pickFor = pickerFor(weights);
    const counts = new Map<string, number>();
    const emails = seededEmails(100_000, 0x5eed + weights.length);
    for (const email of emails) {
      const pick = pickFor(email);
      counts.set(pick, (counts.get(pick) ?? 0) + 1);
    }
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    weights.forEach((weight, index) => {
      const share = ((counts.get(handles[index] ?? '') ?? 0) / emails.length) * 100;
      expect(Math.abs(share - (weight / total) * 100)).toBeLessThanOrEqual(1);
    });
    // A weight of 0 gets no customer at all.
    if (weights.includes(0)) expect(counts.get(handles[weights.indexOf(0)] ?? '')).toBeUndefined();
  });

  it('with two accounts (a ramp), moves customers only to the account whose weight was raised', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 1 }),
        (low, raise, raised) => {
          const before = raised === 0 ? [low, 100 - low] : [100 - low, low];
          const after = [...before];
          after[raised] = (after[raised] ?? 0) + raise;
          if (before.every((weight) => weight === 0)) return;
          const [pickBefore, pickAfter] = [pickerFor(before), pickerFor(after)];
          for (const email of seededEmails(500, low * 101 + raise)) {
            const [was, is] = [pickBefore(email), pickAfter(email)];
            if (was !== is) expect(is).toBe(handles[raised]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with more accounts, moves each customer toward the raised account in listed order, never past it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 4 }),
        fc.integer({ min: 1, max: 100 }),
        fc.nat(),
        (before, raise, which) => {
          const raised = which % before.length;
          const after = before.map((weight, index) => (index === raised ? weight + raise : weight));
          const [pickBefore, pickAfter] = [pickerFor(before), pickerFor(after)];
          for (const email of seededEmails(300, raise * 7 + which)) {
            const was = handles.indexOf(pickBefore(email));
            const is = handles.indexOf(pickAfter(email));
            // Between where it was and the raised account, both included.
            expect(is).toBeGreaterThanOrEqual(Math.min(was, raised));
            expect(is).toBeLessThanOrEqual(Math.max(was, raised));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('with more accounts, can move a customer to a neighbour that was not raised', () => {
    // us 50 / us2 50 / us3 0 -> us3 100: the boundaries squeeze left, so a buyer at bucket 3000
    // was on us (3000 < 5000) and is now on us2 (2500 <= 3000 < 5000). README: "Splits, caps and customer affinity".
    const email = seededEmails(2_000, 7).find((candidate) => {
      const bucket = splitBucket('ramp', candidate);
      return bucket >= 2500 && bucket < 5000;
    });
    if (email === undefined) throw new Error('no email in that bucket range');
    expect(pickerFor([50, 50, 0])(email)).toBe('us');
    expect(pickerFor([50, 50, 100])(email)).toBe('us2');
  });
});

describe('the worked example of the README', () => {
  it('puts ann@example.com in bucket 9855 of rule ramp, so us2 of us 80 / us2 20', () => {
    const digest = createHash('sha256').update('ramp|ann@example.com', 'utf8').digest();
    expect(digest.subarray(0, 4).toString('hex')).toBe('710a4a8f');
    const bucket =
      (((digest[0] ?? 0) * 256 + (digest[1] ?? 0)) * 256 + (digest[2] ?? 0)) * 256 +
      (digest[3] ?? 0);
    expect(bucket).toBe(1_896_499_855);
    expect(bucket % 10_000).toBe(9855);
    // 9855 * 100 < 80 * 10,000 fails; 9855 * 100 < 100 * 10,000 holds: the second share, us2.
    expect(9855 * 100 < 80 * 10_000).toBe(false);

    const decision = decideFor(splitConfig([80, 20]), {
      mode: 'live',
      currency: 'usd',
      customer: { key: ' Ann@Example.com ' },
    });

    expect(decision.split).toEqual({
      id: 'ramp',
      key: 'customer',
      bucket: 9855,
      weights: [
        { account: 'us', weight: 80 },
        { account: 'us2', weight: 20 },
      ],
      pick: 'us2',
    });
    expect(decision.account).toBe('us2');
    expect(decision.explanation).toEqual([
      expect.stringContaining('ramp'),
      'The rule splits new payments by weight: us 80, us2 20.',
      "The customer's bucket is 9855 of 10,000 (from the customer's email), which falls on us2.",
      'us2 takes the payment.',
    ]);
  });
});
