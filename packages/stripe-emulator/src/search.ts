import { invalidRequest } from './api-error.js';
import { isRecord } from './json.js';

/*
 * Stripe's search query language, the part the emulator needs: clauses such as
 * `metadata['order_id']:'42'`, `status:'succeeded'`, `amount>1000`, `-currency:'eur'`, joined by
 * AND or by OR (not both, as on Stripe).
 */

type Operator = ':' | '>' | '<' | '>=' | '<=';

interface Clause {
  field: string;
  /** `metadata['key']` names the key; other fields have none. */
  metadataKey: string | null;
  operator: Operator;
  value: string | number | null;
  negated: boolean;
}

export interface SearchQuery {
  clauses: Clause[];
  joiner: 'AND' | 'OR';
}

const clausePattern =
  /^\s*(-)?\s*(metadata\[\s*(?:'([^']*)'|"([^"]*)")\s*\]|[a-z_.]+)\s*(>=|<=|:|>|<)\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(null))\s*/;

function invalidQuery(query: string, detail: string) {
  return invalidRequest(`Invalid query: ${detail} (query: ${query})`, {
    param: 'query',
    replayable: false,
  });
}

export function parseSearchQuery(query: string, fields: ReadonlySet<string>): SearchQuery {
  const clauses: Clause[] = [];
  const joiners = new Set<'AND' | 'OR'>();
  let rest = query;
  while (true) {
    const match = clausePattern.exec(rest);
    if (match === null) throw invalidQuery(query, `could not read a clause at "${rest.trim()}"`);
    const metadataKey = match[3] ?? match[4] ?? null;
    const field = metadataKey === null ? (match[2] ?? '') : 'metadata';
    if (metadataKey === null && !fields.has(field)) {
      throw invalidQuery(query, `${field} is not a field you can search on`);
    }
    const quoted = match[6] ?? match[7];
    const numeric = match[8];
    clauses.push({
      field,
      metadataKey,
      operator: readOperator(match[5]),
      value: quoted ?? (numeric === undefined ? null : Number(numeric)),
      negated: match[1] === '-',
    });
    rest = rest.slice(match[0].length);
    if (rest.trim().length === 0) break;
    const joiner = /^(AND|OR)\s+/i.exec(rest);
    if (joiner === null) throw invalidQuery(query, `expected AND or OR at "${rest.trim()}"`);
    joiners.add(joiner[1]?.toUpperCase() === 'OR' ? 'OR' : 'AND');
    rest = rest.slice(joiner[0].length);
  }
  if (joiners.size > 1) throw invalidQuery(query, 'AND and OR cannot be combined');
  return { clauses, joiner: joiners.has('OR') ? 'OR' : 'AND' };
}

function readOperator(text: string | undefined): Operator {
  switch (text) {
    case '>':
    case '<':
    case '>=':
    case '<=':
      return text;
    default:
      return ':';
  }
}

export function matchesSearch(item: Record<string, unknown>, search: SearchQuery): boolean {
  const results = search.clauses.map((clause) => matchesClause(item, clause));
  return search.joiner === 'AND' ? results.every(Boolean) : results.some(Boolean);
}

function readClauseValue(item: Record<string, unknown>, clause: Clause): unknown {
  if (clause.metadataKey !== null) {
    const metadata = item.metadata;
    return isRecord(metadata) ? metadata[clause.metadataKey] : undefined;
  }
  return item[clause.field];
}

function matchesClause(item: Record<string, unknown>, clause: Clause): boolean {
  const actual = readClauseValue(item, clause);
  let matched: boolean;
  if (clause.operator === ':') {
    if (clause.value === null) matched = actual === null || actual === undefined;
    else if (typeof actual === 'number') matched = actual === Number(clause.value);
    else
      matched =
        typeof actual === 'string' && actual.toLowerCase() === String(clause.value).toLowerCase();
  } else {
    const left = Number(actual);
    const right = Number(clause.value);
    matched =
      clause.operator === '>'
        ? left > right
        : clause.operator === '<'
          ? left < right
          : clause.operator === '>='
            ? left >= right
            : left <= right;
  }
  return clause.negated ? !matched : matched;
}
