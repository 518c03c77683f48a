import { describe, expect, it } from 'vitest';
import {
  printedFindings,
  readInvalidConfigScenarios,
  readSplitScenarios,
} from '../../test/routing-split-scenarios.js';
import { decideScenario, summarize } from './routing.test-helper.js';
import { parseRoutingConfig } from './schema.js';
import { validateRoutingConfig } from './validate.js';

/*
 * Issue 16's tables: one row per new reason and path through a split, a cap or customer
 * affinity, and one row per new validation error, with the path `config validate` prints.
 */

describe('routing scenarios for splits, caps and customer affinity', () => {
  const scenarios = readSplitScenarios();

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    (_name, scenario) => {
      const decision = decideScenario(scenario);

      expect(summarize(decision)).toEqual(scenario.expect);
      if (scenario.expectReasons !== undefined) {
        expect(Object.fromEntries(decision.candidates.map((c) => [c.account, c.reasons]))).toEqual(
          scenario.expectReasons,
        );
        // The candidates come in the order the router tried them, as the row lists them.
        expect(decision.candidates.map((c) => c.account)).toEqual(
          Object.keys(scenario.expectReasons),
        );
      }
      if (scenario.expectSplit !== undefined) {
        const { weights, ...split } = decision.split ?? { weights: [] };
        expect(split).toEqual(scenario.expectSplit);
        expect(weights.length).toBeGreaterThan(0);
        expect(decision.explanation.join(' ')).toContain(
          `bucket is ${scenario.expectSplit.bucket} of 10,000`,
        );
      } else {
        expect(decision.split).toBeUndefined();
      }
      if (scenario.expectPicked !== undefined) {
        expect(decision.picked ?? null).toEqual(scenario.expectPicked);
      }
      for (const reasons of Object.values(scenario.expectReasons ?? {})) {
        if (reasons.includes('cap_reached')) {
          expect(decision.explanation.join(' ')).toMatch(/has reached its (daily|monthly) USD cap/);
        }
      }
    },
  );

  it('has a row for every new reason and pick', () => {
    const reasons = scenarios.flatMap((s) => Object.values(s.expectReasons ?? {}).flat());
    const picks = scenarios.map((s) => s.expectPicked?.reason);
    const keys = scenarios.map((s) => s.expectSplit?.key);
    expect(reasons).toContain('cap_reached');
    expect(picks).toEqual(expect.arrayContaining(['split', 'customer_affinity']));
    expect(keys).toEqual(expect.arrayContaining(['customer', 'order', 'none']));
  });
});

describe('config validate on splits and caps', () => {
  it.each(readInvalidConfigScenarios().map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    (_name, scenario) => {
      const parsed = parseRoutingConfig(scenario.config);
      const review = parsed.success
        ? validateRoutingConfig(parsed.value)
        : { errors: parsed.problems, warnings: [] };

      expect(printedFindings(review.errors)).toEqual(scenario.expectErrors);
      expect(printedFindings(review.warnings)).toEqual(scenario.expectWarnings ?? []);
    },
  );
});
