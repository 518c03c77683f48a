import type { FastifyRequest } from 'fastify';
import { AppError, type FieldProblem, fieldPath } from '../errors.js';

/**
 * A NUL character is never meaningful in what people type, and PostgreSQL cannot store it; refuse
 * it at the edge, naming the field, before any route or database sees it.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const problems: FieldProblem[] = [];
  const locations: Array<[string | undefined, unknown]> = [
    ['params', request.params],
    ['query', request.query],
    [undefined, request.body],
  ];
  for (const [root, value] of locations) collectNul(value, [], root, problems);
  if (problems.length > 0) throw AppError.validation(problems);
}

function collectNul(
  value: unknown,
  path: Array<string | number>,
  root: string | undefined,
  problems: FieldProblem[],
): void {
  if (problems.length >= 10 || value === null || value === undefined || Buffer.isBuffer(value)) {
    return;
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      problems.push({
        field: fieldPath(path, root),
        message: 'contains a NUL character (\\u0000); remove it',
      });
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) collectNul(item, [...path, index], root, problems);
    return;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      collectNul(item, [...path, key], root, problems);
  }
}
