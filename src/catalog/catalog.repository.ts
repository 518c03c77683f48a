import type { Kysely } from 'kysely';
import type {
  Database,
  FunnelStepTable,
  FunnelTable,
  ProductPriceTable,
  ProductTable,
} from '../db/schema.js';

export async function listProductRows(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<ProductTable[]> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('slug')
    .execute();
}

export async function findProductRows(
  db: Kysely<Database>,
  workspaceId: string,
  slugs: readonly string[],
): Promise<ProductTable[]> {
  if (slugs.length === 0) return [];
  return db
    .selectFrom('products')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('slug', 'in', [...slugs])
    .execute();
}

export async function findProductRow(
  db: Kysely<Database>,
  workspaceId: string,
  slug: string,
): Promise<ProductTable | undefined> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('slug', '=', slug)
    .executeTakeFirst();
}

export async function insertProduct(db: Kysely<Database>, row: ProductTable): Promise<void> {
  await db.insertInto('products').values(row).execute();
}

export async function updateProductRow(
  db: Kysely<Database>,
  productId: string,
  changes: Partial<Omit<ProductTable, 'product_id' | 'workspace_id' | 'slug' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('products').set(changes).where('product_id', '=', productId).execute();
}

export async function deleteProductRow(db: Kysely<Database>, productId: string): Promise<void> {
  await db.deleteFrom('product_prices').where('product_id', '=', productId).execute();
  await db.deleteFrom('products').where('product_id', '=', productId).execute();
}

export async function listPriceRows(
  db: Kysely<Database>,
  productIds: readonly string[],
): Promise<ProductPriceTable[]> {
  if (productIds.length === 0) return [];
  return db
    .selectFrom('product_prices')
    .selectAll()
    .where('product_id', 'in', [...productIds])
    .orderBy('product_id')
    .orderBy('created_at')
    .orderBy('currency')
    .execute();
}

export async function insertPrice(db: Kysely<Database>, row: ProductPriceTable): Promise<void> {
  await db.insertInto('product_prices').values(row).execute();
}

export async function updatePriceRow(
  db: Kysely<Database>,
  priceId: string,
  changes: Pick<
    ProductPriceTable,
    'amount' | 'type' | 'interval' | 'interval_count' | 'updated_at'
  >,
): Promise<void> {
  await db.updateTable('product_prices').set(changes).where('price_id', '=', priceId).execute();
}

export async function deletePriceRow(db: Kysely<Database>, priceId: string): Promise<void> {
  await db.deleteFrom('product_prices').where('price_id', '=', priceId).execute();
}

export async function listFunnelRows(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<FunnelTable[]> {
  return db
    .selectFrom('funnels')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('slug')
    .execute();
}

export async function findFunnelRow(
  db: Kysely<Database>,
  workspaceId: string,
  slug: string,
): Promise<FunnelTable | undefined> {
  return db
    .selectFrom('funnels')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('slug', '=', slug)
    .executeTakeFirst();
}

export async function insertFunnel(db: Kysely<Database>, row: FunnelTable): Promise<void> {
  await db.insertInto('funnels').values(row).execute();
}

export async function updateFunnelRow(
  db: Kysely<Database>,
  funnelId: string,
  changes: Partial<Pick<FunnelTable, 'name' | 'mode' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('funnels').set(changes).where('funnel_id', '=', funnelId).execute();
}

export async function deleteFunnelRow(db: Kysely<Database>, funnelId: string): Promise<void> {
  await db.deleteFrom('funnel_steps').where('funnel_id', '=', funnelId).execute();
  await db.deleteFrom('funnels').where('funnel_id', '=', funnelId).execute();
}

export async function listStepRows(
  db: Kysely<Database>,
  funnelIds: readonly string[],
): Promise<FunnelStepTable[]> {
  if (funnelIds.length === 0) return [];
  return db
    .selectFrom('funnel_steps')
    .selectAll()
    .where('funnel_id', 'in', [...funnelIds])
    .orderBy('funnel_id')
    .orderBy('position')
    .execute();
}

/** A step with its funnel's slug and the slugs of the products it sells. */
export type StepRowWithSlugs = FunnelStepTable & {
  funnel_slug: string;
  product_slug: string | null;
  bump_slug: string | null;
};

/** Steps with their slugs, in funnel order: one query, however many products there are. */
function selectStepsWithSlugs(db: Kysely<Database>) {
  return db
    .selectFrom('funnel_steps')
    .innerJoin('funnels', 'funnels.funnel_id', 'funnel_steps.funnel_id')
    .leftJoin('products as product', 'product.product_id', 'funnel_steps.product_id')
    .leftJoin('products as bump', 'bump.product_id', 'funnel_steps.bump_product_id')
    .selectAll('funnel_steps')
    .select([
      'funnels.slug as funnel_slug',
      'product.slug as product_slug',
      'bump.slug as bump_slug',
    ])
    .orderBy('funnels.slug')
    .orderBy('funnel_steps.position');
}

/** The steps of funnels, as funnel views show them. */
export async function listStepRowsWithSlugs(
  db: Kysely<Database>,
  funnelIds: readonly string[],
): Promise<StepRowWithSlugs[]> {
  if (funnelIds.length === 0) return [];
  return selectStepsWithSlugs(db)
    .where('funnel_steps.funnel_id', 'in', [...funnelIds])
    .execute();
}

export async function insertStep(db: Kysely<Database>, row: FunnelStepTable): Promise<void> {
  await db.insertInto('funnel_steps').values(row).execute();
}

export async function updateStepRow(
  db: Kysely<Database>,
  stepId: string,
  changes: Omit<FunnelStepTable, 'step_id' | 'workspace_id' | 'funnel_id' | 'slug' | 'created_at'>,
): Promise<void> {
  await db.updateTable('funnel_steps').set(changes).where('step_id', '=', stepId).execute();
}

export async function deleteStepRow(db: Kysely<Database>, stepId: string): Promise<void> {
  await db.deleteFrom('funnel_steps').where('step_id', '=', stepId).execute();
}

/** Every step that offers the product (main offer, bump, upsell or downsell). */
export async function listStepsOffering(
  db: Kysely<Database>,
  workspaceId: string,
  productId: string,
): Promise<StepRowWithSlugs[]> {
  return selectStepsWithSlugs(db)
    .where('funnel_steps.workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        eb('funnel_steps.product_id', '=', productId),
        eb('funnel_steps.bump_product_id', '=', productId),
      ]),
    )
    .execute();
}

/** Every order step that sells an order bump. */
export async function listStepsWithBump(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<StepRowWithSlugs[]> {
  return selectStepsWithSlugs(db)
    .where('funnel_steps.workspace_id', '=', workspaceId)
    .where('funnel_steps.kind', '=', 'order')
    .where('funnel_steps.bump_product_id', 'is not', null)
    .execute();
}
