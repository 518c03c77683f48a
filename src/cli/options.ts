import type { z } from 'zod';
import { parseInput } from '../catalog/catalog.schema.js';
import { AppError, type FieldProblem, isAppError } from '../errors.js';

/**
 * A command's options checked by the schema its API route uses; each problem is named as the
 * option (`--from: got "yesterday", needs …`), exit 2. `--json` is the command's own.
 */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  options: Record<string, unknown>,
): z.output<Schema> {
  const given = Object.fromEntries(
    Object.entries(options).filter(([name, value]) => name !== 'json' && value !== undefined),
  );
  try {
    return parseInput(schema, given);
  } catch (error) {
    throw asOptionProblems(error, given);
  }
}

/** A refusal naming fields (`cursor`), told as the options the user typed (`--cursor`). */
function asOptionProblems(error: unknown, given: Record<string, unknown>): unknown {
  if (!isAppError(error) || error.code !== 'validation_failed') return error;
  const fields = (error.details as { fields?: FieldProblem[] } | null)?.fields ?? [];
  const named = fields.map((problem) => ({ ...problem, field: `--${problem.field}` }));
  const lines = named.map((problem) => {
    const value = given[problem.field.slice(2)];
    const got = value === undefined ? '' : ` got "${String(value)}",`;
    return `${problem.field}:${got} needs ${problem.message}.`;
  });
  return new AppError('validation_failed', lines.join('\n'), { fields: named }, { cause: error });
}
