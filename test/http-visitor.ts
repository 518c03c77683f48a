import type { Visitor, VisitorResponse } from './checkout.js';

/** An answer over real HTTP, in the shape the checkout walks read. */
export interface HttpResponse extends VisitorResponse {
  headers: Record<string, string>;
}

/**
 * A visitor walking a funnel over real HTTP (through a load balancer, say): keeps its cookies
 * between requests like a browser and follows no redirect, so each step's answer is seen.
 */
export function httpVisitor(baseUrl: string, seen?: string[]): Visitor<HttpResponse> {
  const cookies = new Map<string, string>();
  async function send(path: string, init: RequestInit): Promise<HttpResponse> {
    const response = await fetch(`${baseUrl}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() },
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      if (at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const body = await response.text();
    seen?.push(body);
    return { statusCode: response.status, body, headers: Object.fromEntries(response.headers) };
  }
  function cookieHeader() {
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  return {
    get: (path) => send(path, { method: 'GET' }),
    post: (path, form = {}) =>
      send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }),
    postJson: (path, body) =>
      send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
}
