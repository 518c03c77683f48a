import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  funnelChangesSchema,
  funnelDocumentSchema,
  funnelSchema,
  parseInput,
  type StepInput,
} from '../catalog/catalog.schema.js';
import { type FunnelView, stepInputOf } from '../catalog/catalog.service.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import { roleAllows } from '../users/roles.js';
import {
  type ConsoleDependencies,
  type ConsoleVisit,
  consoleActor,
  redirectWithNotice,
  requireRole,
  sendPage,
  visitOf,
} from './console-app.js';
import {
  badge,
  csrfInput,
  dataTable,
  errorSummary,
  type FieldErrors,
  fieldErrorsOf,
  postButton,
  selectField,
  textareaField,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';
import { renderStepEditor } from './step-editor.js';
import {
  renderOfferFields,
  stepErrorsOf,
  stepInputFrom,
  stepLabels,
  stepTitle,
  stepValuesFromBody,
  stepValuesOf,
} from './step-form.js';

const funnelParams = z.object({ slug: z.string().max(100) });
const stepParams = z.object({ slug: z.string().max(100), step: z.string().max(100) });
const crumbs = [{ href: '/admin/funnels', label: 'Funnels' }];

export function funnelPath(slug: string, rest = ''): string {
  return `/admin/funnels/${encodeURIComponent(slug)}${rest}`;
}

function stringOf(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

const modeOptions = [
  { value: 'test', label: 'Test: test cards only' },
  { value: 'live', label: 'Live: real cards' },
];

function funnelFields(values: Record<string, string>, errors: FieldErrors, creating: boolean) {
  return [
    creating
      ? textField({
          name: 'slug',
          label: 'Slug',
          value: values.slug,
          hint: 'Its address: /f/<slug>. Lowercase letters, digits and "-". It cannot change later.',
          error: errors.slug,
          required: true,
        })
      : '',
    textField({ name: 'name', label: 'Name', value: values.name, error: errors.name }),
    selectField({
      name: 'mode',
      label: 'Mode',
      value: values.mode,
      options: modeOptions,
      error: errors.mode,
    }),
  ].join('\n');
}

/**
 * Funnels: the list (with import), a new one, one funnel's settings and steps (add, move,
 * remove), and each step's editor with its preview. Every change goes through the catalog.
 */
export function registerFunnelScreens(app: App, { services }: ConsoleDependencies): void {
  const catalog = services.catalog;

  function listPage(
    visit: ConsoleVisit,
    funnels: Awaited<ReturnType<typeof catalog.listFunnels>>,
    importErrors: FieldErrors | null,
    document = '',
  ) {
    const canSave = roleAllows(visit.user.role, 'admin');
    const table = dataTable({
      caption: 'Funnels',
      headers: ['Name', 'Address', 'Mode', 'Steps'],
      rows: funnels.map((funnel) => [
        `<a href="${funnelPath(funnel.slug)}">${escapeHtml(funnel.name)}</a>`,
        `<code>/f/${escapeHtml(funnel.slug)}</code>`,
        funnel.mode === 'live' ? badge('Live', 'ok') : badge('Test', 'muted'),
        String(funnel.steps),
      ]),
      empty: 'No funnels yet. Create one, or import a funnel document.',
    });
    const importForm = canSave
      ? `<details class="panel"${importErrors ? ' open' : ''}><summary>Import a funnel document</summary>
<form method="post" action="/admin/funnels/import">${csrfInput(visit)}
${importErrors ? errorSummary('Nothing was imported.', importErrors) : ''}
${textareaField({ name: 'document', label: 'Funnel document (JSON)', value: document, rows: 8, hint: 'What "Export" or `switchyard funnels export` writes: {"products": […], "funnel": {…}}. Only what differs is written.', error: importErrors?.document })}
<button type="submit" class="button">Import</button>
</form></details>`
      : '';
    const actions = canSave
      ? '<a class="button primary" href="/admin/funnels/new">New funnel</a>'
      : '';
    return renderConsolePage({
      visit,
      title: 'Funnels',
      section: 'funnels',
      actions,
      body: `<p>Each funnel is a row of pages at <code>/f/&lt;slug&gt;</code>: sales, order form, upsells, thank-you.</p>\n${table}\n${importForm}`,
    });
  }

  app.get('/admin/funnels', async function funnelList(request, reply) {
    const visit = visitOf(request);
    return sendPage(
      reply,
      listPage(visit, await catalog.listFunnels(visit.user.workspaceId), null),
    );
  });

  app.post('/admin/funnels/import', async function importFunnel(request, reply) {
    const visit = requireRole(request, 'admin', 'import funnels');
    const text = stringOf(request.body, 'document');
    let errors: FieldErrors | null = null;
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw AppError.validation([
          { field: 'document', message: 'this is not JSON; paste the whole exported document' },
        ]);
      }
      const imported = await catalog.importFunnel(
        visit.user.workspaceId,
        parseInput(funnelDocumentSchema, parsed),
        consoleActor(visit),
      );
      const slug = (parsed as { funnel: { slug: string } }).funnel.slug;
      return redirectWithNotice(
        reply,
        funnelPath(slug),
        imported.changed
          ? `Funnel ${slug} imported (${imported.funnel}).`
          : 'The document matched what is stored: nothing changed.',
      );
    } catch (error) {
      errors = fieldErrorsOf(error);
      if (!errors) throw error;
    }
    const funnels = await catalog.listFunnels(visit.user.workspaceId);
    return sendPage(reply, listPage(visit, funnels, errors, text), 400);
  });

  function newFunnelPage(
    visit: ConsoleVisit,
    values: Record<string, string>,
    errors: FieldErrors | null,
  ) {
    const body = `<form method="post" action="/admin/funnels/new" class="panel catalog-form" novalidate>${csrfInput(visit)}
${errors ? errorSummary('The catalog did not create this funnel.', errors) : ''}
${funnelFields(values, errors ?? {}, true)}
<button type="submit" class="button primary">Create funnel</button>
</form>`;
    return renderConsolePage({
      visit,
      title: 'New funnel',
      section: 'funnels',
      breadcrumbs: crumbs,
      body,
    });
  }

  app.get('/admin/funnels/new', async function newFunnel(request, reply) {
    const visit = requireRole(request, 'admin', 'create funnels');
    return sendPage(reply, newFunnelPage(visit, { mode: 'test' }, null));
  });

  app.post('/admin/funnels/new', async function createFunnel(request, reply) {
    const visit = requireRole(request, 'admin', 'create funnels');
    const values = {
      slug: stringOf(request.body, 'slug'),
      name: stringOf(request.body, 'name'),
      mode: stringOf(request.body, 'mode'),
    };
    try {
      const funnel = await catalog.createFunnel(
        visit.user.workspaceId,
        parseInput(funnelSchema, { ...values, steps: [] }),
        consoleActor(visit),
      );
      return redirectWithNotice(
        reply,
        funnelPath(funnel.slug),
        `Funnel ${funnel.name} created. Add its steps.`,
      );
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!errors) throw error;
      return sendPage(reply, newFunnelPage(visit, values, errors), 400);
    }
  });

  async function funnelPage(
    visit: ConsoleVisit,
    funnel: FunnelView,
    problems: { settings?: FieldErrors; step?: FieldErrors; values?: Record<string, string> } = {},
  ): Promise<string> {
    const canSave = roleAllows(visit.user.role, 'admin');
    const products = await catalog.listProducts(visit.user.workspaceId);
    const names = new Map(products.map((product) => [product.slug, product.name]));
    const last = funnel.steps.length - 1;
    const rows = funnel.steps.map((step, index) => [
      `<a href="${funnelPath(funnel.slug, `/steps/${encodeURIComponent(step.slug)}`)}">${stepTitle(step)}</a>`,
      step.product ? escapeHtml(names.get(step.product) ?? step.product) : '—',
      step.bump ? escapeHtml(names.get(step.bump) ?? step.bump) : '—',
      canSave
        ? `<div class="row-actions">${[
            index > 0
              ? postButton({
                  action: funnelPath(funnel.slug, `/steps/${encodeURIComponent(step.slug)}/move`),
                  label: 'Move up',
                  fields: { direction: 'up' },
                  visit,
                  context: step.slug,
                })
              : '',
            index < last
              ? postButton({
                  action: funnelPath(funnel.slug, `/steps/${encodeURIComponent(step.slug)}/move`),
                  label: 'Move down',
                  fields: { direction: 'down' },
                  visit,
                  context: step.slug,
                })
              : '',
            postButton({
              action: funnelPath(funnel.slug, `/steps/${encodeURIComponent(step.slug)}/remove`),
              label: 'Remove',
              visit,
              tone: 'danger',
              context: step.slug,
            }),
          ].join('')}</div>`
        : '',
    ]);
    const steps = dataTable({
      caption: 'Steps, in the order visitors go through them',
      showCaption: true,
      headers: ['Step', 'Product', 'Bump', canSave ? 'Change' : ''],
      rows,
      empty: 'No steps yet: add the first below, e.g. an order form.',
    });
    const values = problems.values ?? { kind: funnel.steps.length === 0 ? 'order' : 'thankyou' };
    const stepErrors = problems.step ?? {};
    const addStep = canSave
      ? `<form method="post" action="${funnelPath(funnel.slug, '/steps')}" class="panel catalog-form" novalidate>${csrfInput(visit)}
<h2>Add a step</h2>
${problems.step ? errorSummary('The catalog did not add this step.', problems.step, stepLabels) : ''}
${textField({ name: 'slug', label: 'Step slug', value: values.slug, hint: `Its address: /f/${funnel.slug}/<slug>, e.g. "order".`, error: stepErrors.slug, required: true })}
${renderOfferFields(values, stepErrors, products)}
<button type="submit" class="button primary">Add step</button>
</form>`
      : '';
    const settings = `<form method="post" action="${funnelPath(funnel.slug)}" class="panel catalog-form" novalidate>${csrfInput(visit)}
<h2>Settings</h2>
${problems.settings ? errorSummary('The catalog did not save these settings.', problems.settings) : ''}
${funnelFields({ name: funnel.name, mode: funnel.mode }, problems.settings ?? {}, false)}
${canSave ? '<button type="submit" class="button">Save settings</button>' : '<p class="hint">Viewers see funnels; an owner or an admin can change them.</p>'}
</form>`;
    const remove = canSave
      ? `<section class="panel"><h2>Delete this funnel</h2><p>Its steps and pins go with it; orders stay.</p>${postButton({ action: funnelPath(funnel.slug, '/delete'), label: 'Delete funnel', visit, tone: 'danger', context: funnel.name })}</section>`
      : '';
    const actions = `<a class="button" href="/f/${encodeURIComponent(funnel.slug)}">Open</a><a class="button" href="${funnelPath(funnel.slug, '/export')}" download>Export</a>`;
    return renderConsolePage({
      visit,
      title: funnel.name,
      section: 'funnels',
      breadcrumbs: crumbs,
      actions,
      body: [`<div class="funnel-steps">${steps}</div>`, addStep, settings, remove].join('\n'),
    });
  }

  app.get(
    '/admin/funnels/:slug',
    { schema: { params: funnelParams } },
    async function funnelScreen(request, reply) {
      const visit = visitOf(request);
      const funnel = await catalog.showFunnel(visit.user.workspaceId, request.params.slug);
      return sendPage(reply, await funnelPage(visit, funnel));
    },
  );

  app.get(
    '/admin/funnels/:slug/export',
    { schema: { params: funnelParams } },
    async function exportFunnel(request, reply) {
      const visit = visitOf(request);
      const document = await catalog.exportFunnel(visit.user.workspaceId, request.params.slug);
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="${request.params.slug.replace(/[^a-z0-9-]/g, '')}.json"`,
        )
        .header('cache-control', 'no-store')
        .send(`${JSON.stringify(document, null, 2)}\n`);
    },
  );

  app.post(
    '/admin/funnels/:slug',
    { schema: { params: funnelParams } },
    async function saveSettings(request, reply) {
      const visit = requireRole(request, 'admin', 'change funnels');
      const funnel = await catalog.showFunnel(visit.user.workspaceId, request.params.slug);
      try {
        const saved = await catalog.updateFunnel(
          visit.user.workspaceId,
          funnel.slug,
          parseInput(funnelChangesSchema, {
            name: stringOf(request.body, 'name'),
            mode: stringOf(request.body, 'mode'),
          }),
          consoleActor(visit),
        );
        return redirectWithNotice(reply, funnelPath(funnel.slug), `Funnel ${saved.name} saved.`);
      } catch (error) {
        const settings = fieldErrorsOf(error);
        if (!settings) throw error;
        return sendPage(reply, await funnelPage(visit, funnel, { settings }), 400);
      }
    },
  );

  /** Writes the funnel's steps through the catalog, parsed as the API parses them. */
  async function saveSteps(visit: ConsoleVisit, funnel: FunnelView, steps: unknown[]) {
    return catalog.updateFunnel(
      visit.user.workspaceId,
      funnel.slug,
      parseInput(funnelChangesSchema, { steps }),
      consoleActor(visit),
    );
  }

  app.post(
    '/admin/funnels/:slug/steps',
    { schema: { params: funnelParams } },
    async function addStep(request, reply) {
      const visit = requireRole(request, 'admin', 'change funnels');
      const funnel = await catalog.showFunnel(visit.user.workspaceId, request.params.slug);
      const values = {
        slug: stringOf(request.body, 'slug'),
        kind: stringOf(request.body, 'kind'),
        product: stringOf(request.body, 'product'),
        bump: stringOf(request.body, 'bump'),
      };
      const step = {
        slug: values.slug,
        kind: values.kind,
        ...(values.product ? { product: values.product } : {}),
        ...(values.bump ? { bump: values.bump } : {}),
        content: {},
      };
      try {
        await saveSteps(visit, funnel, [...funnel.steps.map(stepInputOf), step]);
        return redirectWithNotice(reply, funnelPath(funnel.slug), `Step ${values.slug} added.`);
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (!errors) throw error;
        return sendPage(
          reply,
          await funnelPage(visit, funnel, {
            step: stepErrorsOf(errors, funnel.steps.length),
            values,
          }),
          400,
        );
      }
    },
  );

  async function findStep(workspaceId: string, slug: string, stepSlug: string) {
    const funnel = await catalog.showFunnel(workspaceId, slug);
    const index = funnel.steps.findIndex((step) => step.slug === stepSlug);
    const step = funnel.steps[index];
    if (!step) throw new AppError('not_found', `Funnel ${funnel.slug} has no step "${stepSlug}".`);
    return { funnel, step, index };
  }

  /** A change to the list of steps; refused changes show the catalog's reason on the funnel page. */
  async function changeSteps(
    visit: ConsoleVisit,
    reply: FastifyReply,
    funnel: FunnelView,
    steps: StepInput[],
    notice: string,
  ) {
    try {
      await saveSteps(visit, funnel, steps);
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!errors) throw error;
      return sendPage(reply, await funnelPage(visit, funnel, { step: errors }), 400);
    }
    return redirectWithNotice(reply, funnelPath(funnel.slug), notice);
  }

  app.post(
    '/admin/funnels/:slug/steps/:step/move',
    { schema: { params: stepParams } },
    async function moveStep(request, reply) {
      const visit = requireRole(request, 'admin', 'change funnels');
      const { funnel, index } = await findStep(
        visit.user.workspaceId,
        request.params.slug,
        request.params.step,
      );
      const steps = funnel.steps.map(stepInputOf);
      const to = stringOf(request.body, 'direction') === 'up' ? index - 1 : index + 1;
      const [moved] = steps.splice(index, 1);
      if (!moved || to < 0 || to > steps.length)
        return reply.redirect(funnelPath(funnel.slug), 303);
      steps.splice(to, 0, moved);
      return changeSteps(
        visit,
        reply,
        funnel,
        steps,
        `Step ${moved.slug} moved ${to < index ? 'up' : 'down'}.`,
      );
    },
  );

  app.post(
    '/admin/funnels/:slug/steps/:step/remove',
    { schema: { params: stepParams } },
    async function removeStep(request, reply) {
      const visit = requireRole(request, 'admin', 'change funnels');
      const { funnel, step } = await findStep(
        visit.user.workspaceId,
        request.params.slug,
        request.params.step,
      );
      const steps = funnel.steps.filter((one) => one.slug !== step.slug).map(stepInputOf);
      return changeSteps(visit, reply, funnel, steps, `Step ${step.slug} removed.`);
    },
  );

  app.post(
    '/admin/funnels/:slug/delete',
    { schema: { params: funnelParams } },
    async function deleteFunnel(request, reply) {
      const visit = requireRole(request, 'admin', 'delete funnels');
      await catalog.deleteFunnel(visit.user.workspaceId, request.params.slug, consoleActor(visit));
      return redirectWithNotice(reply, '/admin/funnels', `Funnel ${request.params.slug} deleted.`);
    },
  );

  app.get(
    '/admin/funnels/:slug/steps/:step',
    { schema: { params: stepParams } },
    async function stepScreen(request, reply) {
      const visit = visitOf(request);
      const { funnel, step, index } = await findStep(
        visit.user.workspaceId,
        request.params.slug,
        request.params.step,
      );
      const values = stepValuesOf(step);
      return sendPage(
        reply,
        await renderStepEditor({
          catalog,
          visit,
          funnel,
          index,
          values,
          errors: null,
          preview: stepInputOf(step),
          previewOf: 'saved',
        }),
      );
    },
  );

  /** "Preview" draws the draft without saving it; "Save" writes it through the catalog. */
  app.post(
    '/admin/funnels/:slug/steps/:step',
    { schema: { params: stepParams } },
    async function saveStep(request, reply) {
      const visit = visitOf(request);
      const { funnel, step, index } = await findStep(
        visit.user.workspaceId,
        request.params.slug,
        request.params.step,
      );
      const body = (request.body ?? {}) as Record<string, unknown>;
      const saving = stringOf(body, 'intent') === 'save';
      if (saving) requireRole(request, 'admin', 'change funnels');
      const values = stepValuesFromBody(body);
      const steps: unknown[] = funnel.steps.map(stepInputOf);
      const edited = stepInputFrom(step.slug, values);
      // The form has no A/B fields: a test running on the step stays as it is.
      if (step.content.variants) {
        edited.content = {
          ...(edited.content as Record<string, unknown>),
          variants: step.content.variants,
        };
      }
      steps[index] = edited;
      try {
        const parsed = parseInput(funnelChangesSchema, { steps });
        if (saving) {
          await catalog.updateFunnel(
            visit.user.workspaceId,
            funnel.slug,
            parsed,
            consoleActor(visit),
          );
          return redirectWithNotice(
            reply,
            funnelPath(funnel.slug, `/steps/${encodeURIComponent(step.slug)}`),
            `Step ${step.slug} saved.`,
          );
        }
        const draft = parsed.steps?.[index] ?? stepInputOf(step);
        return sendPage(
          reply,
          await renderStepEditor({
            catalog,
            visit,
            funnel,
            index,
            values,
            errors: null,
            preview: draft,
            previewOf: 'draft',
          }),
        );
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (!errors) throw error;
        return sendPage(
          reply,
          await renderStepEditor({
            catalog,
            visit,
            funnel,
            index,
            values,
            errors: stepErrorsOf(errors, index),
            preview: stepInputOf(step),
            previewOf: 'saved',
          }),
          400,
        );
      }
    },
  );
}
