import type { AppError } from '../errors.js';

/**
 * Services say what happened in the domain's words; the surface the user is in adds where to look
 * next (an API caller is pointed at a route, a CLI user at a command, never the other way round).
 */
export type Surface = 'api' | 'cli';

type Hint = Record<Surface, string>;

/** What to look at when something named in `details` does not exist. */
const notFoundHints: Record<string, Hint> = {
  funnel: {
    api: 'GET /api/funnels lists them.',
    cli: 'Run "switchyard funnels list" to see them.',
  },
  product: {
    api: 'GET /api/products lists them.',
    cli: 'Run "switchyard products list" to see them.',
  },
  order: { api: 'GET /api/orders lists them.', cli: 'Run "switchyard orders list" to see them.' },
  payment: {
    api: "GET /api/orders/{id} lists an order's payments.",
    cli: 'Run "switchyard orders show <order id>" to see an order\'s payments.',
  },
};

/** The error's message with the hint for this surface, when there is one. */
export function messageFor(error: AppError, surface: Surface): string {
  const hint = hintFor(error, surface);
  return hint ? `${error.message} ${hint}` : error.message;
}

function hintFor(error: AppError, surface: Surface): string | null {
  if (error.code !== 'not_found' || typeof error.details !== 'object' || error.details === null) {
    return null;
  }
  const named = Object.keys(error.details).find((key) => key in notFoundHints);
  return named ? (notFoundHints[named]?.[surface] ?? null) : null;
}
