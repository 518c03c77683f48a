import { createSetupCache } from '../db/setup-cache.js';
import type { SetupRevisions } from '../db/setup-revision.js';
import type { CatalogForSale, CatalogService, FunnelView, ProductView } from './catalog.service.js';

type Offers = Awaited<ReturnType<CatalogForSale['showOffers']>>;

/**
 * The funnels and products the visitor pages show, kept in the process until the setup changes
 * (a catalog change by any instance moves the setup revision). What is not found is not kept.
 */
export function createCatalogForSale(deps: {
  catalog: Pick<CatalogService, 'showFunnelForSale' | 'showProductForSale' | 'showOffersForSale'>;
  revisions: SetupRevisions;
}): CatalogForSale {
  const { catalog, revisions } = deps;
  // A key is the call's arguments, as JSON: whatever a slug holds, two calls never share one.
  const keyOf = (...parts: Array<string | null>) => JSON.stringify(parts);
  const partsOf = (key: string) => JSON.parse(key) as [string, string, string | null];
  const funnels = createSetupCache<FunnelView>({
    revisions,
    load(key) {
      const [workspaceId, slug] = partsOf(key);
      return catalog.showFunnelForSale(workspaceId, slug);
    },
  });
  const products = createSetupCache<ProductView>({
    revisions,
    load(key) {
      const [workspaceId, slug] = partsOf(key);
      return catalog.showProductForSale(workspaceId, slug);
    },
  });
  const offers = createSetupCache<Offers>({
    revisions,
    load(key) {
      const [workspaceId, product, bump] = partsOf(key);
      return catalog.showOffersForSale(workspaceId, product, bump);
    },
  });
  return {
    showFunnel: (workspaceId, slug, revision) => funnels.get(keyOf(workspaceId, slug), revision),
    showProduct: (workspaceId, slug, revision) => products.get(keyOf(workspaceId, slug), revision),
    showOffers: (workspaceId, product, bump, revision) =>
      offers.get(keyOf(workspaceId, product, bump), revision),
  };
}
