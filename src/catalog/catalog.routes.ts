import { z } from 'zod';
import { AppError } from '../errors.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import {
  funnelChangesSchema,
  funnelReplacementSchema,
  funnelSchema,
  parseInput,
  productChangesSchema,
  productSchema,
} from './catalog.schema.js';
import type { CatalogService } from './catalog.service.js';

// Bodies are parsed by the catalog schemas, which name every field path (`steps[1].product`).
const slugParams = z.object({ slug: z.string() });

export function registerCatalogRoutes(app: AdminApp, catalog: CatalogService): void {
  app.get('/api/products', async function listProducts(request) {
    return { products: await catalog.listProducts(actorOf(request).workspaceId) };
  });

  app.post('/api/products', async function createProduct(request, reply) {
    const input = parseInput(productSchema, request.body);
    const product = await catalog.createProduct(
      actorOf(request).workspaceId,
      input,
      actorName(request),
    );
    return reply.status(201).send({ product });
  });

  app.get(
    '/api/products/:slug',
    { schema: { params: slugParams } },
    async function showProduct(request) {
      return {
        product: await catalog.showProduct(actorOf(request).workspaceId, request.params.slug),
      };
    },
  );

  app.patch(
    '/api/products/:slug',
    { schema: { params: slugParams } },
    async function updateProduct(request) {
      const changes = parseInput(productChangesSchema, request.body ?? {});
      const product = await catalog.updateProduct(
        actorOf(request).workspaceId,
        request.params.slug,
        changes,
        actorName(request),
      );
      return { product };
    },
  );

  app.delete(
    '/api/products/:slug',
    { schema: { params: slugParams } },
    async function deleteProduct(request, reply) {
      await catalog.deleteProduct(
        actorOf(request).workspaceId,
        request.params.slug,
        actorName(request),
      );
      return reply.status(204).send();
    },
  );

  app.get('/api/funnels', async function listFunnels(request) {
    return { funnels: await catalog.listFunnels(actorOf(request).workspaceId) };
  });

  app.post('/api/funnels', async function createFunnel(request, reply) {
    const input = parseInput(funnelSchema, request.body);
    const funnel = await catalog.createFunnel(
      actorOf(request).workspaceId,
      input,
      actorName(request),
    );
    return reply.status(201).send({ funnel });
  });

  app.get(
    '/api/funnels/:slug',
    { schema: { params: slugParams } },
    async function showFunnel(request) {
      return {
        funnel: await catalog.showFunnel(actorOf(request).workspaceId, request.params.slug),
      };
    },
  );

  app.put(
    '/api/funnels/:slug',
    { schema: { params: slugParams } },
    async function replaceFunnel(request, reply) {
      const input = parseInput(funnelReplacementSchema, request.body);
      const { slug } = request.params;
      if (input.slug !== undefined && input.slug !== slug) {
        throw AppError.validation([
          { field: 'slug', message: `the address names funnel "${slug}"; slugs cannot be renamed` },
        ]);
      }
      const { view, created } = await catalog.replaceFunnel(
        actorOf(request).workspaceId,
        { ...input, slug: parseInput(funnelSchema.shape.slug, slug, 'slug') },
        actorName(request),
      );
      return reply.status(created ? 201 : 200).send({ funnel: view });
    },
  );

  app.patch(
    '/api/funnels/:slug',
    { schema: { params: slugParams } },
    async function updateFunnel(request) {
      const changes = parseInput(funnelChangesSchema, request.body ?? {});
      const funnel = await catalog.updateFunnel(
        actorOf(request).workspaceId,
        request.params.slug,
        changes,
        actorName(request),
      );
      return { funnel };
    },
  );

  app.delete(
    '/api/funnels/:slug',
    { schema: { params: slugParams } },
    async function deleteFunnel(request, reply) {
      await catalog.deleteFunnel(
        actorOf(request).workspaceId,
        request.params.slug,
        actorName(request),
      );
      return reply.status(204).send();
    },
  );
}
