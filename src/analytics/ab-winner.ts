import { funnelChangesSchema, parseInput } from '../catalog/catalog.schema.js';
import type { CatalogService, FunnelView } from '../catalog/catalog.service.js';
import { AppError } from '../errors.js';
import { contentOf } from './variants.js';

/**
 * Ends a step's A/B test with `winner`: the step keeps the winner's blocks as its own and has no
 * variants any more, written through the catalog (audit, setup revision) like any other change.
 */
export async function endTestWithWinner(
  catalog: Pick<CatalogService, 'exportFunnel' | 'updateFunnel'>,
  at: { workspaceId: string; funnel: string; step: string; winner: string; actor: string },
): Promise<FunnelView> {
  const document = await catalog.exportFunnel(at.workspaceId, at.funnel);
  const found = document.funnel.steps.find((step) => step.slug === at.step);
  if (!found) {
    throw new AppError('not_found', `Funnel "${at.funnel}" has no step "${at.step}".`);
  }
  const current = parseInput(funnelChangesSchema, { steps: [found] }).steps?.[0];
  const variants = current?.content.variants;
  if (!current || !variants) {
    throw new AppError('conflict', `Step "${at.step}" has no A/B test to end.`);
  }
  const winner = variants.find((variant) => variant.name === at.winner);
  if (!winner) {
    throw AppError.validation([
      {
        field: 'variant',
        message: `one of ${variants.map((variant) => variant.name).join(', ')}`,
      },
    ]);
  }
  const steps = document.funnel.steps.map((step) =>
    step.slug === at.step ? { ...step, content: contentOf(current.content, winner) } : step,
  );
  return catalog.updateFunnel(
    at.workspaceId,
    at.funnel,
    parseInput(funnelChangesSchema, { steps }),
    at.actor,
  );
}
