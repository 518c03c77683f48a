import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildTestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore, testDatabases } from '../../test/databases.js';
import { type ListeningTestApp, listenTestApp } from '../../test/server.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';

const accountShape = z.object({
  handle: z.string().regex(/^[a-z0-9-]{1,40}$/, 'use 1 to 40 lowercase letters, digits or -'),
  credentials: z.object({ test: z.object({ secretKey: z.string().min(1) }) }),
  currencies: z.array(z.string().length(3)).optional(),
});

/** Routes that exist only in this test, to drive the error handler the way features will. */
function addProbeRoutes(app: App): void {
  app.post('/probe/accounts', { schema: { body: accountShape } }, async (request) => ({
    handle: request.body.handle,
  }));
  app.get(
    '/probe/items/:id',
    { schema: { params: z.object({ id: z.coerce.number().int().positive() }) } },
    async (request) => ({ id: request.params.id }),
  );
  app.get(
    '/probe/search',
    { schema: { querystring: z.object({ limit: z.coerce.number().int().max(500) }) } },
    async (request) => ({ limit: request.query.limit }),
  );
  app.get('/probe/conflict', async () => {
    throw new AppError('conflict', 'The handle "us" is taken. Pick another handle.', {
      handle: 'us',
    });
  });
  app.get('/probe/crash', async () => {
    throw new Error('database password is hunter2 at /srv/app.ts:42');
  });
}

describe('the error handler', () => {
  let app: App;
  let store: TestStore;
  let log: { lines: () => Record<string, unknown>[] };

  beforeAll(async () => {
    const [sqlite] = testDatabases;
    if (!sqlite) throw new Error('SQLite is always among the test databases');
    store = await sqlite.openMigrated();
    const built = await buildTestApp(store);
    app = built.app;
    log = { lines: built.logLines };
    addProbeRoutes(app);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('answers bad input with 400 naming each field path', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/probe/accounts',
      payload: { handle: 'US LLC', credentials: { test: {} }, currencies: ['usd', 'euro'] },
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('validation_failed');
    expect(error.details.fields.map((field: { field: string }) => field.field).sort()).toEqual([
      'credentials.test.secretKey',
      'currencies[1]',
      'handle',
    ]);
    expect(error.message).toContain('handle: use 1 to 40 lowercase letters, digits or -');
  });

  it('refuses a NUL character anywhere in the input, naming the field', async () => {
    const body = await app.inject({
      method: 'POST',
      url: '/probe/accounts',
      payload: { handle: 'us', credentials: { test: { secretKey: 'sk_test_\u0000x' } } },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.details.fields).toEqual([
      {
        field: 'credentials.test.secretKey',
        message: 'contains a NUL character (\\u0000); remove it',
      },
    ]);
    const path = await app.inject({ method: 'GET', url: '/probe/items/%00' });
    expect(path.statusCode).toBe(400);
    expect(path.json().error.details.fields[0].field).toBe('params.id');
  });

  it('names path parameters with where they came from', async () => {
    const response = await app.inject({ method: 'GET', url: '/probe/items/abc' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.fields[0].field).toBe('params.id');
  });

  it('names a query parameter as query.<name>, as every other refusal of the query does', async () => {
    const response = await app.inject({ method: 'GET', url: '/probe/search?limit=9000' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.fields[0].field).toBe('query.limit');
    expect(response.json().error.message).toContain('query.limit:');
  });

  it('answers malformed JSON with 400 and a hint, not a 500', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/probe/accounts',
      headers: { 'content-type': 'application/json' },
      payload: '{"handle": "us",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'bad_request' });
    expect(response.json().error.message).toContain('not valid JSON');
  });

  it('maps an AppError to its status with code, message and details', async () => {
    const response = await app.inject({ method: 'GET', url: '/probe/conflict' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      error: {
        code: 'conflict',
        message: 'The handle "us" is taken. Pick another handle.',
        details: { handle: 'us' },
      },
    });
  });

  it('turns an unexpected throw into a 500 with a request id and no stack or internals', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/probe/crash',
      headers: { 'x-request-id': 'req-crash-1' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.headers['x-request-id']).toBe('req-crash-1');
    const { error } = response.json();
    expect(error.code).toBe('internal');
    expect(error.details).toEqual({ requestId: 'req-crash-1' });
    expect(error.message).toContain('req-crash-1');
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('app.ts');
    expect(response.body).not.toMatch(/\bat\s/);
    const logged = log.lines().find((line) => line.msg === 'unexpected error');
    expect(logged).toMatchObject({ requestId: 'req-crash-1' });
    expect(JSON.stringify(logged)).toContain('hunter2 at /srv/app.ts:42');
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/nowhere?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toBe(
      'No route for DELETE /nowhere. Check the method and path.',
    );
  });

  it('puts the request id on every log line of a request', async () => {
    await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-log-7' } });
    await app.inject({
      method: 'GET',
      url: '/probe/conflict',
      headers: { 'x-request-id': 'req-log-8' },
    });
    const requestLines = log.lines().filter((line) => line.req || line.res || line.code);
    expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line.requestId).toEqual(expect.any(String));
    expect(
      log.lines().some((line) => line.requestId === 'req-log-8' && line.code === 'conflict'),
    ).toBe(true);
  });
});

describe('a request Node cannot read', () => {
  let server: ListeningTestApp;
  let store: TestStore;

  beforeAll(async () => {
    const [sqlite] = testDatabases;
    if (!sqlite) throw new Error('SQLite is always among the test databases');
    store = await sqlite.openMigrated();
    server = await listenTestApp(store);
  });
  afterAll(async () => {
    await server.close();
    await store.dispose();
  });

  it('answers headers over 16 KB with a 431 in the error shape, naming the headers', async () => {
    const response = await fetch(`${server.url}/api/accounts?q=${'x'.repeat(20_000)}`);
    expect(response.status).toBe(431);
    const body = await response.json();
    expect(body.error).toMatchObject({
      code: 'headers_too_large',
      details: { field: '(headers)' },
    });
    expect(body.error.message).toContain('Shorten the URL');
  });

  it("gives a buyer's URL a page, not JSON", async () => {
    const response = await fetch(`${server.url}/f/launch/order?code=${'x'.repeat(20_000)}`);
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toContain('That address is too long');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describeEachDatabase('readiness', (database) => {
  it('is ready when the database answers and every migration is applied', async () => {
    const store = await database.openMigrated();
    const { app } = await buildTestApp(store);
    try {
      const live = await app.inject({ method: 'GET', url: '/healthz' });
      expect(live.json()).toEqual({ status: 'ok' });
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({
        status: 'ready',
        database: { dialect: database.name, reachable: true, pendingMigrations: [], problem: null },
      });
    } finally {
      await app.close();
      await store.dispose();
    }
  });

  it('is not ready while migrations are pending, and says which', async () => {
    const store = await database.openEmpty();
    const { app } = await buildTestApp(store);
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json().database.pendingMigrations).toContain('0001_workspaces');
      expect(response.json().database.problem).toContain('switchyard migrate');
    } finally {
      await app.close();
      await store.dispose();
    }
  });

  it('is not ready when the database does not answer, while liveness still holds', async () => {
    const store = await database.openMigrated();
    const { app } = await buildTestApp(store);
    try {
      await store.close();
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json().database.reachable).toBe(false);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await store.dispose().catch(() => {});
    }
  });
});
