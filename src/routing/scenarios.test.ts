import { describe, expect, it } from 'vitest';
import {
  readScenarios,
  referenceScenariosFile,
  repositoryScenariosFile,
  scenariosUnderTest,
} from '../../test/routing-scenarios.js';
import { route } from './route.js';
import { parsePaymentContext, parseRoutingConfig } from './schema.js';
import { validateRoutingConfig } from './validate.js';

const scenarios = scenariosUnderTest();
const source = referenceScenariosFile ?? 'test/scenarios/routing';

describe(`routing scenarios from ${source}`, () => {
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

if (referenceScenariosFile !== null) {
  const reference = referenceScenariosFile;
  describe(`the repository's routing scenarios, against ${reference}`, () => {
    it('holds every scenario of the reference set, unchanged', () => {
      const copy = new Map(readScenarios(repositoryScenariosFile).map((s) => [s.name, s]));
      const missing = readScenarios(reference)
        .filter((scenario) => JSON.stringify(copy.get(scenario.name)) !== JSON.stringify(scenario))
        .map((scenario) => scenario.name);
      expect(missing, `copy ${reference} over test/scenarios/routing/scenarios.json`).toEqual([]);
    });
  });
}
