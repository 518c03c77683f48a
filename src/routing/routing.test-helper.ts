import type { RoutingDecision } from './decision.js';
import { compileRouting } from './route.js';
import {
  type PaymentContext,
  type PaymentContextInput,
  parsePaymentContext,
  parseRoutingConfig,
  type RoutingConfig,
  type RoutingConfigInput,
} from './schema.js';
import { validateRoutingConfig } from './validate.js';

/** Parses like the edge does, and fails the test loudly when a fixture is not valid input. */
export function parseConfigFixture(input: RoutingConfigInput): RoutingConfig {
  const parsed = parseRoutingConfig(input);
  if (!parsed.success) throw new Error(`config fixture: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

export function parseContextFixture(input: PaymentContextInput): PaymentContext {
  const parsed = parsePaymentContext(input);
  if (!parsed.success) throw new Error(`context fixture: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

export function decideFor(
  config: RoutingConfigInput,
  context: PaymentContextInput,
): RoutingDecision {
  return compileRouting(parseConfigFixture(config)).route(parseContextFixture(context));
}

/** The five fields the scenarios compare. */
export function summarize(decision: RoutingDecision) {
  return {
    outcome: decision.outcome,
    account: decision.account,
    matched: decision.matched,
    fallbackFrom: decision.fallbackFrom,
  };
}

/** A scenario's decision: its config and context parsed like the edge does, the config sound. */
export function decideScenario(scenario: { config: unknown; context: unknown }): RoutingDecision {
  const config = parseRoutingConfig(scenario.config);
  const context = parsePaymentContext(scenario.context);
  if (!config.success) throw new Error(`config: ${JSON.stringify(config.problems)}`);
  if (!context.success) throw new Error(`context: ${JSON.stringify(context.problems)}`);
  const errors = validateRoutingConfig(config.value).errors;
  if (errors.length > 0) throw new Error(`config errors: ${JSON.stringify(errors)}`);
  return compileRouting(config.value).route(context.value);
}
