import type { ResponseBody } from './api.js';
import { invalidRequest } from './api-error.js';
import type { CreatedFilter } from './params.js';

export interface PageParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  created?: CreatedFilter;
}

/** A Map's values newest first: maps keep creation order. */
export function newestFirst<Item>(items: Iterable<Item>): Item[] {
  return Array.from(items).reverse();
}

function readLimit(limit: number | undefined): number {
  if (limit === undefined) return 10;
  if (limit < 1 || limit > 100) {
    throw invalidRequest('Invalid limit: must be between 1 and 100', {
      param: 'limit',
      replayable: false,
    });
  }
  return limit;
}

function readField(item: Record<string, unknown>, field: string): unknown {
  return item[field];
}

/** Keeps the items whose `created` passes Stripe's `created` filter (a time or a range). */
export function filterCreated<Item extends Record<string, unknown>>(
  items: Item[],
  created: CreatedFilter | undefined,
): Item[] {
  if (created === undefined) return items;
  return items.filter(function matchesCreated(item) {
    const value = Number(readField(item, 'created'));
    if (typeof created === 'number') return value === created;
    if (created.gt !== undefined && !(value > created.gt)) return false;
    if (created.gte !== undefined && !(value >= created.gte)) return false;
    if (created.lt !== undefined && !(value < created.lt)) return false;
    if (created.lte !== undefined && !(value <= created.lte)) return false;
    return true;
  });
}

/**
 * Turns newest-first items into Stripe's list object, paging with `limit` and a cursor:
 * `starting_after` gives the older items after it, `ending_before` the newer ones before it.
 */
export function pageList<Item extends Record<string, unknown>>(
  itemsNewestFirst: Item[],
  params: PageParams,
  url: string,
): ResponseBody {
  const limit = readLimit(params.limit);
  const items = filterCreated(itemsNewestFirst, params.created);
  let page: Item[];
  let hasMore: boolean;
  if (params.starting_after !== undefined) {
    const start = findCursor(items, params.starting_after, 'starting_after');
    page = items.slice(start + 1, start + 1 + limit);
    hasMore = start + 1 + limit < items.length;
  } else if (params.ending_before !== undefined) {
    const end = findCursor(items, params.ending_before, 'ending_before');
    const from = Math.max(0, end - limit);
    page = items.slice(from, end);
    hasMore = from > 0;
  } else {
    page = items.slice(0, limit);
    hasMore = items.length > limit;
  }
  return { object: 'list', data: page, has_more: hasMore, url };
}

function findCursor<Item extends Record<string, unknown>>(
  items: Item[],
  id: string,
  param: string,
): number {
  const index = items.findIndex((item) => item.id === id);
  if (index === -1) {
    throw invalidRequest(`No such object: '${id}'`, {
      param,
      code: 'resource_missing',
      status: 404,
    });
  }
  return index;
}

/** Search results page with an opaque `page` token instead of a cursor. */
export function pageSearch<Item extends Record<string, unknown>>(
  itemsNewestFirst: Item[],
  params: { limit?: number; page?: string },
  url: string,
): ResponseBody {
  const limit = readLimit(params.limit);
  const offset = params.page === undefined ? 0 : readPageToken(params.page);
  const data = itemsNewestFirst.slice(offset, offset + limit);
  const hasMore = offset + limit < itemsNewestFirst.length;
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? Buffer.from(`offset:${offset + limit}`).toString('base64url') : null,
    total_count: itemsNewestFirst.length,
    url,
  };
}

function readPageToken(page: string): number {
  const decoded = Buffer.from(page, 'base64url').toString('utf8');
  const offset = decoded.startsWith('offset:') ? Number(decoded.slice(7)) : Number.NaN;
  if (!Number.isInteger(offset) || offset < 0) {
    throw invalidRequest(`Invalid page: ${page}`, { param: 'page', replayable: false });
  }
  return offset;
}
