import type { StepInput } from '../catalog/catalog.schema.js';
import type { CatalogService, FunnelView } from '../catalog/catalog.service.js';
import { isAppError } from '../errors.js';
import { escapeHtml } from '../http/pages.js';
import { roleAllows } from '../users/roles.js';
import type { ConsoleVisit } from './console-app.js';
import { csrfInput, errorSummary, type FieldErrors } from './forms.js';
import { renderConsolePage } from './layout.js';
import {
  kindLabels,
  renderContentFields,
  renderOfferFields,
  type StepFormValues,
  stepLabels,
} from './step-form.js';
import { renderPreviewFrames, renderStepPreview } from './step-preview.js';

/** One step's editor: its form beside the preview of the draft (or of what is saved). */
export async function renderStepEditor(input: {
  catalog: Pick<CatalogService, 'listProducts' | 'showProduct'>;
  visit: ConsoleVisit;
  funnel: FunnelView;
  index: number;
  values: StepFormValues;
  errors: FieldErrors | null;
  /** The step the preview draws. */
  preview: StepInput;
  previewOf: 'saved' | 'draft';
}): Promise<string> {
  const { funnel, visit, values } = input;
  const step = funnel.steps[input.index];
  if (!step) throw new Error(`step ${input.index} of funnel ${funnel.slug}`);
  const workspaceId = visit.user.workspaceId;
  const products = await input.catalog.listProducts(workspaceId);
  const errors = input.errors ?? {};
  const canSave = roleAllows(visit.user.role, 'admin');
  const action = `/admin/funnels/${encodeURIComponent(funnel.slug)}/steps/${encodeURIComponent(step.slug)}`;
  const form = `<form method="post" action="${escapeHtml(action)}" class="panel catalog-form step-form" novalidate>${csrfInput(visit)}
${input.errors ? errorSummary('The catalog did not save this step.', input.errors, stepLabels) : ''}
<fieldset><legend>What it is</legend>
${renderOfferFields(values, errors, products)}
</fieldset>
${renderContentFields(values, errors)}
<div class="buttons">
<button type="submit" name="intent" value="preview" formaction="${escapeHtml(action)}#preview" class="button">Preview</button>
${canSave ? '<button type="submit" name="intent" value="save" class="button primary">Save step</button>' : '<span class="hint">Viewers can preview; an owner or an admin can save.</span>'}
</div>
</form>`;
  let preview: string;
  try {
    const orderStep = funnel.steps.find((one) => one.kind === 'order');
    const html = await renderStepPreview({
      catalog: input.catalog,
      workspaceId,
      funnel,
      step: input.preview,
      orderProduct: orderStep?.product ?? null,
    });
    preview = renderPreviewFrames(
      html,
      input.previewOf === 'draft'
        ? 'Your draft, not saved yet.'
        : input.errors
          ? 'What is saved: the draft was refused.'
          : 'What is saved.',
    );
  } catch (error) {
    if (!isAppError(error)) throw error;
    preview = `<section class="panel step-preview"><h2>Preview</h2><p>No preview: ${escapeHtml(error.message)}</p></section>`;
  }
  return renderConsolePage({
    visit,
    title: `Step ${step.slug}`,
    section: 'funnels',
    breadcrumbs: [
      { href: '/admin/funnels', label: 'Funnels' },
      { href: `/admin/funnels/${encodeURIComponent(funnel.slug)}`, label: funnel.name },
    ],
    actions: `<a class="button" href="/f/${encodeURIComponent(funnel.slug)}/${encodeURIComponent(step.slug)}">Open ${escapeHtml(kindLabels[step.kind].toLowerCase())}</a>`,
    body: `<div class="step-editor">\n${form}\n${preview}\n</div>`,
  });
}
