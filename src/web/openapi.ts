import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { App } from '../http/app.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { name: string; version: string; description: string };

export const openApiPath = '/api/openapi.json';

/**
 * The admin API's OpenAPI 3.1 document, built from the routes' zod schemas. Registered before any
 * route, since @fastify/swagger learns the routes as they are added. Only /api/ routes are in it:
 * buyer pages, the console, webhooks and health checks are not the admin API.
 */
export async function registerOpenApi(app: App): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `${packageJson.name} admin API`,
        version: packageJson.version,
        description: `${packageJson.description} Every route needs "Authorization: Bearer <token>" (switchyard tokens create --name <who>); errors are {"error": {"code", "message", "details"}}.`,
      },
      components: {
        securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearerToken: [] }],
    },
    transform: function adminRoutesOnly(route) {
      if (!route.url.startsWith('/api/') || route.url === openApiPath) {
        return { schema: { hide: true }, url: route.url };
      }
      return jsonSchemaTransform(route);
    },
  });
  // Public like a health check: it describes the routes, and each of them still needs a token.
  app.get(openApiPath, { logLevel: 'warn' }, async function openApiDocument() {
    return app.swagger();
  });
}
