import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fieldPath } from '../src/errors.js';
import type { RoutingDecision } from '../src/routing/index.js';
import type { RoutingScenario } from './routing-scenarios.js';

/**
 * Our own tables for issue 16 (splits, caps, customer affinity), beside the public scenarios,
 * which stay a byte-for-byte copy of the shared set.
 */

/** A public-shaped scenario, plus what the new parts of the decision must say. */
export interface SplitScenario extends RoutingScenario {
  /** Each candidate the router looked at, with its reasons. */
  expectReasons?: Record<string, RoutingDecision['candidates'][number]['reasons']>;
  /** The split detail without the weights (the config lists them). */
  expectSplit?: Omit<NonNullable<RoutingDecision['split']>, 'weights'>;
  /** The pick reason, or null when neither a split nor affinity chose the account. */
  expectPicked?: RoutingDecision['picked'] | null;
}

/** A config the merchant may write wrong, and what `config validate` must say about it. */
export interface InvalidConfigScenario {
  name: string;
  config: unknown;
  /** Path as `config validate` prints it, e.g. `rules[0].use.split[1].weight`. */
  expectErrors: Array<{ path: string; message: string }>;
  expectWarnings?: Array<{ path: string; message: string }>;
}

function readTable<Row>(file: string): Row[] {
  return JSON.parse(
    readFileSync(
      fileURLToPath(new URL(`./scenarios/routing-splits/${file}`, import.meta.url)),
      'utf8',
    ),
  ) as Row[];
}

export function readSplitScenarios(): SplitScenario[] {
  return readTable('scenarios.json');
}

export function readInvalidConfigScenarios(): InvalidConfigScenario[] {
  return readTable('invalid-configs.json');
}

/** Findings the way the CLI prints their paths. */
export function printedFindings(
  findings: ReadonlyArray<{ path: ReadonlyArray<string | number>; message: string }>,
): Array<{ path: string; message: string }> {
  return findings.map((finding) => ({ path: fieldPath(finding.path), message: finding.message }));
}
