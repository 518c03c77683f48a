import type { ResponseBody } from './api.js';
import { invalidRequest } from './api-error.js';
import type { Ledger } from './ledger.js';

/**
 * Applies `expand[]` to a response: each dotted path replaces an id with the object it names,
 * through lists (`data.customer`) and nested objects (`latest_invoice.payments.data.payment`).
 */
export function expandResponse(body: ResponseBody, paths: string[], ledger: Ledger): ResponseBody {
  let expanded: Record<string, unknown> = body;
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > 4) {
      throw invalidRequest(
        `You cannot expand more than 4 levels of a property. Property: ${path}`,
        { param: 'expand', replayable: false },
      );
    }
    expanded = expandObject(expanded, segments, path, ledger);
  }
  return expanded;
}

function expandObject(
  value: Record<string, unknown>,
  segments: string[],
  path: string,
  ledger: Ledger,
): Record<string, unknown> {
  const [head, ...rest] = segments;
  if (head === undefined) return value;
  if (!(head in value)) {
    throw invalidRequest(`This property cannot be expanded (${path}).`, {
      param: 'expand',
      replayable: false,
    });
  }
  const child = value[head];
  return { ...value, [head]: expandValue(child, rest, path, ledger) };
}

function expandValue(value: unknown, rest: string[], path: string, ledger: Ledger): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    const found = ledger.findObject(value);
    // Ids of objects the emulator does not keep (balance transactions) stay ids.
    if (found === undefined) return value;
    return expandObject(found, rest, path, ledger);
  }
  if (Array.isArray(value)) return value.map((item) => expandValue(item, rest, path, ledger));
  if (typeof value === 'object') return expandObject({ ...value }, rest, path, ledger);
  return value;
}
