import { z } from 'zod';
import { parseInput, productChangesSchema, productSchema } from '../catalog/catalog.schema.js';
import type { ProductView } from '../catalog/catalog.service.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import { roleAllows } from '../users/roles.js';
import {
  type ConsoleDependencies,
  consoleActor,
  redirectWithNotice,
  requireRole,
  sendPage,
  visitOf,
} from './console-app.js';
import { dataTable, fieldErrorsOf, postButton } from './forms.js';
import { renderConsolePage } from './layout.js';
import {
  amountProblemsOf,
  formErrorsOf,
  formValuesFromBody,
  formValuesOf,
  type ProductFormValues,
  productInputOf,
  renderProductForm,
} from './product-form.js';

const slugParams = z.object({ slug: z.string().max(100) });
const crumbs = [{ href: '/admin/products', label: 'Products' }];

function rowOf(product: ProductView): string[] {
  const link = `<a href="/admin/products/${encodeURIComponent(product.slug)}">${escapeHtml(product.name)}</a>`;
  return [
    link,
    `<code>${escapeHtml(product.slug)}</code>`,
    product.prices.map((price) => escapeHtml(price.display)).join('<br>'),
    product.tags.length ? escapeHtml(product.tags.join(', ')) : '—',
  ];
}

/** Products: the list, a new one, and one product's form with its prices; all through the catalog. */
export function registerProductScreens(app: App, { services }: ConsoleDependencies): void {
  const catalog = services.catalog;

  app.get('/admin/products', async function productList(request, reply) {
    const visit = visitOf(request);
    const products = await catalog.listProducts(visit.user.workspaceId);
    const body = [
      '<p>What your funnels sell, with one price per currency. Funnels offer them on their order, upsell and downsell steps.</p>',
      dataTable({
        caption: 'Products',
        headers: ['Name', 'Slug', 'Prices', 'Product lines'],
        rows: products.map(rowOf),
        empty: 'No products yet. Create one, then offer it in a funnel.',
      }),
    ].join('\n');
    const actions = roleAllows(visit.user.role, 'admin')
      ? '<a class="button primary" href="/admin/products/new">New product</a>'
      : '';
    return sendPage(
      reply,
      renderConsolePage({ visit, title: 'Products', section: 'products', body, actions }),
    );
  });

  function formPage(
    visit: ReturnType<typeof visitOf>,
    values: ProductFormValues,
    errors: Record<string, string> | null,
    product: ProductView | null,
  ): string {
    const canSave = roleAllows(visit.user.role, 'admin');
    const form = renderProductForm({
      action: product
        ? `/admin/products/${encodeURIComponent(product.slug)}`
        : '/admin/products/new',
      visit,
      values,
      errors,
      creating: product === null,
      canSave,
    });
    const remove =
      product && canSave
        ? `<section class="panel"><h2>Delete this product</h2><p>Only a product no funnel step offers can be deleted; its pin goes with it.</p>${postButton({ action: `/admin/products/${encodeURIComponent(product.slug)}/delete`, label: 'Delete product', visit, tone: 'danger', context: product.name })}</section>`
        : '';
    return renderConsolePage({
      visit,
      title: product ? product.name : 'New product',
      section: 'products',
      breadcrumbs: crumbs,
      body: `${form}\n${remove}`,
    });
  }

  app.get('/admin/products/new', async function newProduct(request, reply) {
    const visit = visitOf(request);
    return sendPage(reply, formPage(visit, formValuesOf(null), null, null));
  });

  app.get(
    '/admin/products/:slug',
    { schema: { params: slugParams } },
    async function productForm(request, reply) {
      const visit = visitOf(request);
      const product = await catalog.showProduct(visit.user.workspaceId, request.params.slug);
      return sendPage(reply, formPage(visit, formValuesOf(product), null, product));
    },
  );

  /** Saves through the catalog; a refusal comes back as the form with each reason beside its field. */
  async function save(
    values: ProductFormValues,
    write: (input: Record<string, unknown>) => Promise<ProductView>,
  ): Promise<{ saved: ProductView } | { errors: Record<string, string> }> {
    const problems = amountProblemsOf(values);
    if (Object.keys(problems).length > 0) return { errors: problems };
    const { input, rows } = productInputOf(values);
    try {
      return { saved: await write(input) };
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!errors) throw error;
      return { errors: formErrorsOf(errors, rows) };
    }
  }

  app.post('/admin/products/new', async function createProduct(request, reply) {
    const visit = requireRole(request, 'admin', 'create products');
    const values = formValuesFromBody((request.body ?? {}) as Record<string, unknown>);
    const outcome = await save(values, (input) =>
      catalog.createProduct(
        visit.user.workspaceId,
        parseInput(productSchema, { slug: values.slug, ...input }),
        consoleActor(visit),
      ),
    );
    if ('errors' in outcome) {
      return sendPage(reply, formPage(visit, values, outcome.errors, null), 400);
    }
    return redirectWithNotice(
      reply,
      `/admin/products/${encodeURIComponent(outcome.saved.slug)}`,
      `Product ${outcome.saved.name} created.`,
    );
  });

  app.post(
    '/admin/products/:slug',
    { schema: { params: slugParams } },
    async function updateProduct(request, reply) {
      const visit = requireRole(request, 'admin', 'change products');
      const workspaceId = visit.user.workspaceId;
      const product = await catalog.showProduct(workspaceId, request.params.slug);
      const values = formValuesFromBody((request.body ?? {}) as Record<string, unknown>);
      const outcome = await save(values, (input) =>
        catalog.updateProduct(
          workspaceId,
          product.slug,
          parseInput(productChangesSchema, input),
          consoleActor(visit),
        ),
      );
      if ('errors' in outcome) {
        return sendPage(reply, formPage(visit, values, outcome.errors, product), 400);
      }
      return redirectWithNotice(
        reply,
        `/admin/products/${encodeURIComponent(product.slug)}`,
        `Product ${outcome.saved.name} saved.`,
      );
    },
  );

  app.post(
    '/admin/products/:slug/delete',
    { schema: { params: slugParams } },
    async function deleteProduct(request, reply) {
      const visit = requireRole(request, 'admin', 'delete products');
      const { slug } = request.params;
      await catalog.deleteProduct(visit.user.workspaceId, slug, consoleActor(visit));
      return redirectWithNotice(reply, '/admin/products', `Product ${slug} deleted.`);
    },
  );
}
