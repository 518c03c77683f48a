/** A small path router: `/v1/payment_intents/:id/confirm`, literal segments before parameters. */
export interface RouteMatch<Route> {
  route: Route;
  pathParams: Record<string, string>;
}

interface CompiledRoute<Route> {
  method: string;
  segments: string[];
  parameterCount: number;
  route: Route;
}

export class Router<Route extends { method: string; pattern: string }> {
  private readonly bySize = new Map<number, CompiledRoute<Route>[]>();

  constructor(routes: Route[]) {
    for (const route of routes) {
      const segments = route.pattern.split('/');
      const compiled: CompiledRoute<Route> = {
        method: route.method,
        segments,
        parameterCount: segments.filter((segment) => segment.startsWith(':')).length,
        route,
      };
      const sameSize = this.bySize.get(segments.length) ?? [];
      sameSize.push(compiled);
      // `/v1/payment_intents/search` must win over `/v1/payment_intents/:id`.
      sameSize.sort((left, right) => left.parameterCount - right.parameterCount);
      this.bySize.set(segments.length, sameSize);
    }
  }

  match(method: string, path: string): RouteMatch<Route> | undefined {
    const segments = path.split('/');
    const candidates = this.bySize.get(segments.length);
    if (candidates === undefined) return undefined;
    for (const candidate of candidates) {
      if (candidate.method !== method) continue;
      const pathParams = matchSegments(candidate.segments, segments);
      if (pathParams !== undefined) return { route: candidate.route, pathParams };
    }
    return undefined;
  }
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const pathParams: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] ?? '';
    const actual = segments[i] ?? '';
    if (expected.startsWith(':')) {
      if (actual.length === 0) return undefined;
      pathParams[expected.slice(1)] = decodeSegment(actual);
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return pathParams;
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
