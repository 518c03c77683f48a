import type { FastifyRequest } from 'fastify';
import { AppError, type FieldProblem, fieldPath } from '../errors.js';

/**
 * A NUL character is never meaningful in what people type, and PostgreSQL cannot store it; refuse
 * it at the edge, naming the field, before any route or database sees it.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const problems = nulProblems([
    ['params', request.params],
    ['query', request.query],
    [undefined, request.body],
  ]);
  if (problems.length > 0) throw AppError.validation(problems);
}

/**
 * Walks with a list rather than recursion: bodies nest at most `maxJsonDepth` levels (see
 * json-body.ts), but a walk must not be the thing that runs out of stack if one ever does not.
 */
function nulProblems(locations: Array<[string | undefined, unknown]>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: Array<{ value: unknown; path: Array<string | number>; root: string | undefined }> =
    locations.map(([root, value]) => ({ value, path: [], root }));
  for (let next = pending.pop(); next !== undefined && problems.length < 10; next = pending.pop()) {
    const { value, path, root } = next;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        problems.push({
          field: fieldPath(path, root),
          message: 'contains a NUL character (\\u0000); remove it',
        });
      }
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        pending.push({ value: value[index], path: [...path, index], root });
      }
    } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
      for (const [key, item] of Object.entries(value).reverse()) {
        pending.push({ value: item, path: [...path, key], root });
      }
    }
  }
  return problems;
}
