import type { Kysely } from 'kysely';
import type { CatalogForSale, FunnelView, StepView } from '../catalog/catalog.service.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { findOrder, type Order } from './orders.repository.js';

/** A visit: the visitor's order and the funnel step they are on. */
export interface Visits {
  /** The visit's order; refused when it does not exist. */
  requireOrder(workspaceId: string, orderId: string, known?: Order): Promise<Order>;
  /** The funnel, read unless the caller has just read it (`known`). */
  funnelOf(workspaceId: string, funnelSlug: string, known?: FunnelView): Promise<FunnelView>;
  /** The funnel and its step; refused when the funnel has no such step. */
  requireStep(
    workspaceId: string,
    funnelSlug: string,
    stepSlug: string,
    known?: FunnelView,
  ): Promise<{ funnel: FunnelView; step: StepView }>;
}

export function createVisits(deps: {
  db: Kysely<Database>;
  catalog: Pick<CatalogForSale, 'showFunnel'>;
}): Visits {
  const { db, catalog } = deps;

  async function funnelOf(workspaceId: string, funnelSlug: string, known?: FunnelView) {
    return known?.slug === funnelSlug ? known : catalog.showFunnel(workspaceId, funnelSlug);
  }

  return {
    async requireOrder(workspaceId, orderId, known) {
      const order = known?.orderId === orderId ? known : await findOrder(db, workspaceId, orderId);
      if (!order) {
        throw new AppError(
          'not_found',
          `Order ${orderId} does not exist. Start again from the order form.`,
        );
      }
      return order;
    },

    funnelOf,

    async requireStep(workspaceId, funnelSlug, stepSlug, known) {
      const funnel = await funnelOf(workspaceId, funnelSlug, known);
      const step = funnel.steps.find((candidate) => candidate.slug === stepSlug);
      if (!step) {
        throw new AppError('not_found', `Funnel ${funnelSlug} has no step "${stepSlug}".`);
      }
      return { funnel, step };
    },
  };
}
