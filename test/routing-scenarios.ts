import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RoutingDecision } from '../src/routing/index.js';

/** A worked example of the routing rules (docs/design.md): a config, a payment, the decision. */
export interface RoutingScenario {
  name: string;
  config: unknown;
  context: unknown;
  expect: Pick<RoutingDecision, 'outcome' | 'account' | 'matched' | 'fallbackFrom'>;
}

/** The repository's copy of the scenarios, which a clone tests on its own. */
export const repositoryScenariosFile = fileURLToPath(
  new URL('./scenarios/routing/scenarios.json', import.meta.url),
);

/**
 * The reference set named by ROUTING_SCENARIOS_FILE, when there is one: CI points it at the set
 * the copy was taken from, so an entry added there is tested before anyone copies it.
 */
export const referenceScenariosFile = process.env.ROUTING_SCENARIOS_FILE || null;

export function readScenarios(file: string): RoutingScenario[] {
  return JSON.parse(readFileSync(file, 'utf8')) as RoutingScenario[];
}

/** The scenarios the suites check: the reference set when one is named, else the copy. */
export function scenariosUnderTest(): RoutingScenario[] {
  return readScenarios(referenceScenariosFile ?? repositoryScenariosFile);
}
