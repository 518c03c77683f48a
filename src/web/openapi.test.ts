import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminCall, adminClient } from '../../test/app.js';
import { type TestStore, testDatabases } from '../../test/databases.js';
import { capturedLogger } from '../../test/log-capture.js';
import { loadConfig } from '../config.js';
import type { App } from '../http/app.js';
import { createServices } from '../services.js';
import { buildApp } from './app.js';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Operation>>;
}

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}

interface JsonSchema {
  type?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  pattern?: string;
  minimum?: number;
}

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

// The document describes the routes, not the data: one database is enough.
describe('the admin API OpenAPI document', () => {
  let app: App;
  let store: TestStore;
  let document: OpenApiDocument;
  let callAdminApi: AdminCall;
  /** Every admin route as Fastify registered it, seen by an onRoute hook of the test's own. */
  const adminRoutes: Array<{ method: string; url: string }> = [];

  beforeAll(async () => {
    const [sqlite] = testDatabases;
    if (!sqlite) throw new Error('SQLite is always among the test databases');
    store = await sqlite.openMigrated();
    const config = loadConfig({ SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex') });
    const { logger } = capturedLogger();
    const services = createServices({ config, store, logger });
    app = await buildApp({
      config,
      store,
      logger,
      services,
      onRoute(route) {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods) {
          // Fastify adds a HEAD beside each GET; the document lists the GET.
          if (method !== 'HEAD') adminRoutes.push({ method, url: route.url });
        }
      },
    });
    await app.ready();
    callAdminApi = await adminClient({ app, services, logger, logLines: () => [], masterKey: '' });
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('is OpenAPI 3.1 with the package version and a bearer token scheme, fetched without a token', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe(packageJson.version);
    expect(document.components.securitySchemes.bearerToken).toEqual({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.security).toEqual([{ bearerToken: [] }]);
  });

  it('has every /api route of the app, by method and path', () => {
    const apiRoutes = adminRoutes.filter(
      (route) => route.url.startsWith('/api/') && route.url !== '/api/openapi.json',
    );
    // The admin API has dozens of routes; a handful would mean the hook saw too little.
    expect(apiRoutes.length).toBeGreaterThan(40);
    const missing = apiRoutes
      .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`)
      .filter((operation) => {
        const [method = '', path = ''] = operation.split(' ');
        return document.paths[path]?.[method.toLowerCase()] === undefined;
      });
    expect(missing).toEqual([]);
  });

  it('leaves out buyer pages, the console, webhooks and health checks', () => {
    const paths = Object.keys(document.paths);
    expect(paths.filter((path) => !path.startsWith('/api/'))).toEqual([]);
    expect(paths).not.toContain('/api/openapi.json');
    expect(adminRoutes.some((route) => route.url === '/healthz')).toBe(true);
  });

  it('says what POST /api/accounts requires, as the route refuses it', async () => {
    const body =
      document.paths['/api/accounts']?.post?.requestBody?.content['application/json'].schema;
    expect(body?.required).toEqual(expect.arrayContaining(['handle', 'credentials']));
    expect(body?.properties?.handle?.pattern).toBe('^[a-z0-9-]{1,40}$');

    const withoutKeys = await callAdminApi('POST', '/api/accounts', { handle: 'us' });
    expect(withoutKeys.status).toBe(400);
    expect(JSON.stringify(withoutKeys.body)).toContain('credentials');
  });

  it('says POST /api/routing/rollback takes a version from 1, as the route refuses 0', async () => {
    const body =
      document.paths['/api/routing/rollback']?.post?.requestBody?.content['application/json']
        .schema;
    expect(body?.required).toEqual(['version']);
    expect(body?.properties?.version).toMatchObject({ type: 'integer', minimum: 1 });

    const zero = await callAdminApi('POST', '/api/routing/rollback', { version: 0 });
    expect(zero.status).toBe(400);
    expect(JSON.stringify(zero.body)).toContain('version');
  });

  it('names path parameters the way the routes take them', () => {
    const remove = document.paths['/api/accounts/{handle}']?.delete;
    expect(remove?.parameters).toEqual([
      expect.objectContaining({ name: 'handle', in: 'path', required: true }),
    ]);
  });

  it('describes routes that still need a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/accounts' });
    expect(response.statusCode).toBe(401);
  });
});
