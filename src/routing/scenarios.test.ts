import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { route } from './route.js';
import { parsePaymentContext, parseRoutingConfig } from './schema.js';
import { validateRoutingConfig } from './validate.js';

interface Scenario {
  name: string;
  config: unknown;
  context: unknown;
  expect: {
    outcome: string;
    account: string | null;
    matched: unknown;
    fallbackFrom: string | null;
  };
}

// Read from the shared folder, never copied: the scenarios there are the reference.
const scenarios = JSON.parse(
  readFileSync(
    new URL('../../../shared/scenarios/routing/scenarios.json', import.meta.url),
    'utf8',
  ),
) as Scenario[];

describe('routing scenarios from ../shared/scenarios/routing', () => {
  it('has scenarios to run', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    (_name, scenario) => {
      const config = parseRoutingConfig(scenario.config);
      const context = parsePaymentContext(scenario.context);
      if (!config.success) throw new Error(`config: ${JSON.stringify(config.problems)}`);
      if (!context.success) throw new Error(`context: ${JSON.stringify(context.problems)}`);
      expect(validateRoutingConfig(config.value).errors).toEqual([]);

      const decision = route(config.value, context.value);

      expect({
        outcome: decision.outcome,
        account: decision.account,
        matched: decision.matched,
        fallbackFrom: decision.fallbackFrom,
      }).toEqual(scenario.expect);
      expect(decision.explanation.length).toBeGreaterThan(0);
    },
  );
});
