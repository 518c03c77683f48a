import { describe, expect, it } from 'vitest';
import {
  readScenarios,
  referenceScenariosFile,
  repositoryScenariosFile,
  scenariosUnderTest,
} from '../../test/routing-scenarios.js';
import { decideScenario, summarize } from './routing.test-helper.js';

const scenarios = scenariosUnderTest();
const source = referenceScenariosFile ?? 'test/scenarios/routing';

describe(`routing scenarios from ${source}`, () => {
  it('has scenarios to run', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    (_name, scenario) => {
      const decision = decideScenario(scenario);

      expect(summarize(decision)).toEqual(scenario.expect);
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
