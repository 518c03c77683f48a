import type { ApiRoute, ResponseBody } from './api.js';
import { invalidRequest } from './api-error.js';
import { isRecord } from './json.js';
import type { Ledger } from './ledger.js';
import { newestFirst, pageSearch } from './list.js';
import { apiParams, formInteger, formString, parseParams } from './params.js';

/*
 * Stripe's search query language (https://docs.stripe.com/search#search-query-language):
 * clauses such as `metadata['order_id']:'42'`, `status:'succeeded'`, `amount>1000`,
 * `email~'example.com'` (a substring, on string fields), `-currency:'eur'`, joined by AND or by
 * OR (not both, as on Stripe). Exact matches ignore case, as Stripe's do.
 */

type Operator = ':' | '~' | '>' | '<' | '>=' | '<=';

/**
 * How a resource's searchable fields compare: `string` fields also take `~` (a substring of at
 * least 3 characters), `numeric` ones also `>`, `<`, `>=` and `<=`; `token` fields match exactly.
 */
export type SearchFields = Readonly<Record<string, 'string' | 'token' | 'numeric'>>;

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
  /^\s*(-)?\s*(metadata\[\s*(?:'([^']*)'|"([^"]*)")\s*\]|[a-z_.]+)\s*(>=|<=|:|~|>|<)\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(null))\s*/;

function invalidQuery(query: string, detail: string) {
  return invalidRequest(`Invalid query: ${detail} (query: ${query})`, {
    param: 'query',
    replayable: false,
  });
}

export function parseSearchQuery(
  query: string,
  resource: string,
  fields: SearchFields,
): SearchQuery {
  const clauses: Clause[] = [];
  const joiners = new Set<'AND' | 'OR'>();
  let rest = query;
  while (true) {
    const match = clausePattern.exec(rest);
    if (match === null) throw invalidQuery(query, `could not read a clause at "${rest.trim()}"`);
    const metadataKey = match[3] ?? match[4] ?? null;
    const field = metadataKey === null ? (match[2] ?? '') : 'metadata';
    const kind = metadataKey === null ? fields[field] : 'token';
    if (kind === undefined) {
      throw invalidQuery(
        query,
        `${field} is not a field you can search ${resource} on (${Object.keys(fields).join(', ')}, metadata)`,
      );
    }
    const quoted = match[6] ?? match[7];
    const numeric = match[8];
    const operator = readOperator(match[5]);
    if (operator === '~' && (kind !== 'string' || (quoted ?? '').length < 3)) {
      throw invalidQuery(
        query,
        kind === 'string'
          ? `a substring (~) needs at least 3 characters, in quotes`
          : `${field} matches exactly; only ${Object.keys(fields)
              .filter((name) => fields[name] === 'string')
              .join(', ')} take a substring (~)`,
      );
    }
    if (operator !== ':' && operator !== '~' && kind !== 'numeric') {
      throw invalidQuery(
        query,
        `${field} is not a number, so it cannot be compared with ${operator}`,
      );
    }
    clauses.push({
      field,
      metadataKey,
      operator,
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
    case '~':
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
  if (clause.operator === '~') {
    matched =
      typeof actual === 'string' &&
      actual.toLowerCase().includes(String(clause.value).toLowerCase());
  } else if (clause.operator === ':') {
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

const searchParams = apiParams({
  query: formString,
  limit: formInteger.optional(),
  page: formString.optional(),
});

/**
 * `GET /v1/{resource}/search`: the resource's objects that match the query, newest first, in
 * Stripe's search result pages.
 */
export function searchRoute<Item extends Record<string, unknown>>(
  resource: string,
  fields: SearchFields,
  objectsOf: (ledger: Ledger) => Iterable<Item>,
): ApiRoute {
  const url = `/v1/${resource}/search`;
  return {
    method: 'GET',
    pattern: url,
    handle: function search(call): ResponseBody {
      const params = parseParams(searchParams, call.params);
      const query = parseSearchQuery(params.query, resource, fields);
      const found = newestFirst(objectsOf(call.ledger)).filter((item) =>
        matchesSearch(item, query),
      );
      return pageSearch(found, params, url);
    },
  };
}
