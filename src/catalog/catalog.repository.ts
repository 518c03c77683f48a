import type { Kysely } from 'kysely';
import type {
  Database,
  FunnelStepTable,
  FunnelTable,
  ProductPriceTable,
  ProductTable,
} from '../db/schema.js';
import type { StepContent, StepKind } from './catalog.schema.js';

/** A product as stored; its prices are rows of their own. */
export interface Product {
  productId: string;
  workspaceId: string;
  slug: string;
  name: string;
  description: string;
  imageUrl: string | null;
  /** Product lines, e.g. ["courses"]. */
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

/** What saving a product rewrites. */
export type ProductFields = Pick<
  Product,
  'name' | 'description' | 'imageUrl' | 'tags' | 'updatedAt'
>;

/** One price of a product: one per currency. */
export interface Price {
  priceId: string;
  workspaceId: string;
  productId: string;
  /** Lower-case ISO 4217 code. */
  currency: string;
  /** Minor units of the currency (whole yen for jpy). */
  amount: number;
  type: 'one_time' | 'recurring';
  interval: 'day' | 'week' | 'month' | 'year' | null;
  intervalCount: number | null;
  createdAt: string;
  updatedAt: string;
}

/** What saving a product rewrites of a price it keeps. */
export type PriceTerms = Pick<
  Price,
  'amount' | 'type' | 'interval' | 'intervalCount' | 'updatedAt'
>;

export interface Funnel {
  funnelId: string;
  workspaceId: string;
  slug: string;
  name: string;
  mode: 'test' | 'live';
  createdAt: string;
  updatedAt: string;
}

export interface Step {
  stepId: string;
  workspaceId: string;
  funnelId: string;
  slug: string;
  /** 0-based order of the step in its funnel. */
  position: number;
  kind: StepKind;
  /** The main offer (order) or the one product (upsell, downsell). */
  productId: string | null;
  /** The order bump of an order step. */
  bumpProductId: string | null;
  content: StepContent;
  createdAt: string;
  updatedAt: string;
}

/** What saving a funnel rewrites of a step it keeps (by slug). */
export type StepFields = Omit<Step, 'stepId' | 'workspaceId' | 'funnelId' | 'slug' | 'createdAt'>;

/** A step with its funnel's slug and the slugs of the products it sells. */
export interface StepWithSlugs extends Step {
  funnelSlug: string;
  productSlug: string | null;
  bumpSlug: string | null;
}

export async function listProductRows(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<Product[]> {
  const rows = await db
    .selectFrom('products')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('slug')
    .execute();
  return rows.map(productOf);
}

export async function findProductRows(
  db: Kysely<Database>,
  workspaceId: string,
  slugs: readonly string[],
): Promise<Product[]> {
  if (slugs.length === 0) return [];
  const rows = await db
    .selectFrom('products')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('slug', 'in', [...slugs])
    .execute();
  return rows.map(productOf);
}

export async function findProductRow(
  db: Kysely<Database>,
  workspaceId: string,
  slug: string,
): Promise<Product | undefined> {
  const row = await db
    .selectFrom('products')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row && productOf(row);
}

export async function insertProduct(db: Kysely<Database>, product: Product): Promise<void> {
  await db
    .insertInto('products')
    .values({
      product_id: product.productId,
      workspace_id: product.workspaceId,
      slug: product.slug,
      created_at: product.createdAt,
      ...productFieldsRowOf(product),
    })
    .execute();
}

export async function updateProductRow(
  db: Kysely<Database>,
  productId: string,
  fields: ProductFields,
): Promise<void> {
  await db
    .updateTable('products')
    .set(productFieldsRowOf(fields))
    .where('product_id', '=', productId)
    .execute();
}

export async function deleteProductRow(db: Kysely<Database>, productId: string): Promise<void> {
  await db.deleteFrom('product_prices').where('product_id', '=', productId).execute();
  await db.deleteFrom('products').where('product_id', '=', productId).execute();
}

export async function listPriceRows(
  db: Kysely<Database>,
  productIds: readonly string[],
): Promise<Price[]> {
  if (productIds.length === 0) return [];
  const rows = await db
    .selectFrom('product_prices')
    .selectAll()
    .where('product_id', 'in', [...productIds])
    .orderBy('product_id')
    .orderBy('created_at')
    .orderBy('currency')
    .execute();
  return rows.map(priceOf);
}

export async function insertPrice(db: Kysely<Database>, price: Price): Promise<void> {
  await db
    .insertInto('product_prices')
    .values({
      price_id: price.priceId,
      workspace_id: price.workspaceId,
      product_id: price.productId,
      currency: price.currency,
      created_at: price.createdAt,
      ...priceTermsRowOf(price),
    })
    .execute();
}

export async function updatePriceRow(
  db: Kysely<Database>,
  priceId: string,
  terms: PriceTerms,
): Promise<void> {
  await db
    .updateTable('product_prices')
    .set(priceTermsRowOf(terms))
    .where('price_id', '=', priceId)
    .execute();
}

export async function deletePriceRow(db: Kysely<Database>, priceId: string): Promise<void> {
  await db.deleteFrom('product_prices').where('price_id', '=', priceId).execute();
}

export async function listFunnelRows(db: Kysely<Database>, workspaceId: string): Promise<Funnel[]> {
  const rows = await db
    .selectFrom('funnels')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('slug')
    .execute();
  return rows.map(funnelOf);
}

export async function findFunnelRow(
  db: Kysely<Database>,
  workspaceId: string,
  slug: string,
): Promise<Funnel | undefined> {
  const row = await db
    .selectFrom('funnels')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row && funnelOf(row);
}

export async function insertFunnel(db: Kysely<Database>, funnel: Funnel): Promise<void> {
  await db
    .insertInto('funnels')
    .values({
      funnel_id: funnel.funnelId,
      workspace_id: funnel.workspaceId,
      slug: funnel.slug,
      name: funnel.name,
      mode: funnel.mode,
      created_at: funnel.createdAt,
      updated_at: funnel.updatedAt,
    })
    .execute();
}

export async function updateFunnelRow(
  db: Kysely<Database>,
  funnelId: string,
  fields: Pick<Funnel, 'name' | 'mode' | 'updatedAt'>,
): Promise<void> {
  await db
    .updateTable('funnels')
    .set({ name: fields.name, mode: fields.mode, updated_at: fields.updatedAt })
    .where('funnel_id', '=', funnelId)
    .execute();
}

export async function deleteFunnelRow(db: Kysely<Database>, funnelId: string): Promise<void> {
  await db.deleteFrom('funnel_steps').where('funnel_id', '=', funnelId).execute();
  await db.deleteFrom('funnels').where('funnel_id', '=', funnelId).execute();
}

export async function listStepRows(
  db: Kysely<Database>,
  funnelIds: readonly string[],
): Promise<Step[]> {
  if (funnelIds.length === 0) return [];
  const rows = await db
    .selectFrom('funnel_steps')
    .selectAll()
    .where('funnel_id', 'in', [...funnelIds])
    .orderBy('funnel_id')
    .orderBy('position')
    .execute();
  return rows.map(stepOf);
}

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
): Promise<StepWithSlugs[]> {
  if (funnelIds.length === 0) return [];
  const rows = await selectStepsWithSlugs(db)
    .where('funnel_steps.funnel_id', 'in', [...funnelIds])
    .execute();
  return rows.map(stepWithSlugsOf);
}

export async function insertStep(db: Kysely<Database>, step: Step): Promise<void> {
  await db
    .insertInto('funnel_steps')
    .values({
      step_id: step.stepId,
      workspace_id: step.workspaceId,
      funnel_id: step.funnelId,
      slug: step.slug,
      created_at: step.createdAt,
      ...stepFieldsRowOf(step),
    })
    .execute();
}

export async function updateStepRow(
  db: Kysely<Database>,
  stepId: string,
  fields: StepFields,
): Promise<void> {
  await db
    .updateTable('funnel_steps')
    .set(stepFieldsRowOf(fields))
    .where('step_id', '=', stepId)
    .execute();
}

export async function deleteStepRow(db: Kysely<Database>, stepId: string): Promise<void> {
  await db.deleteFrom('funnel_steps').where('step_id', '=', stepId).execute();
}

/** Every step that offers the product (main offer, bump, upsell or downsell). */
export async function listStepsOffering(
  db: Kysely<Database>,
  workspaceId: string,
  productId: string,
): Promise<StepWithSlugs[]> {
  const rows = await selectStepsWithSlugs(db)
    .where('funnel_steps.workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        eb('funnel_steps.product_id', '=', productId),
        eb('funnel_steps.bump_product_id', '=', productId),
      ]),
    )
    .execute();
  return rows.map(stepWithSlugsOf);
}

/** Every order step that sells an order bump. */
export async function listStepsWithBump(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<StepWithSlugs[]> {
  const rows = await selectStepsWithSlugs(db)
    .where('funnel_steps.workspace_id', '=', workspaceId)
    .where('funnel_steps.kind', '=', 'order')
    .where('funnel_steps.bump_product_id', 'is not', null)
    .execute();
  return rows.map(stepWithSlugsOf);
}

function productOf(row: ProductTable): Product {
  return {
    productId: row.product_id,
    workspaceId: row.workspace_id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    imageUrl: row.image_url,
    tags: JSON.parse(row.tags) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function productFieldsRowOf(fields: ProductFields) {
  return {
    name: fields.name,
    description: fields.description,
    image_url: fields.imageUrl,
    tags: JSON.stringify(fields.tags),
    updated_at: fields.updatedAt,
  } satisfies Partial<ProductTable>;
}

function priceOf(row: ProductPriceTable): Price {
  return {
    priceId: row.price_id,
    workspaceId: row.workspace_id,
    productId: row.product_id,
    currency: row.currency,
    amount: Number(row.amount),
    type: row.type,
    interval: row.interval,
    intervalCount: row.interval_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function priceTermsRowOf(terms: PriceTerms) {
  return {
    amount: terms.amount,
    type: terms.type,
    interval: terms.interval,
    interval_count: terms.intervalCount,
    updated_at: terms.updatedAt,
  } satisfies Partial<ProductPriceTable>;
}

function funnelOf(row: FunnelTable): Funnel {
  return {
    funnelId: row.funnel_id,
    workspaceId: row.workspace_id,
    slug: row.slug,
    name: row.name,
    mode: row.mode,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function stepOf(row: FunnelStepTable): Step {
  return {
    stepId: row.step_id,
    workspaceId: row.workspace_id,
    funnelId: row.funnel_id,
    slug: row.slug,
    position: row.position,
    kind: row.kind,
    productId: row.product_id,
    bumpProductId: row.bump_product_id,
    content: JSON.parse(row.content) as StepContent,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function stepWithSlugsOf(
  row: FunnelStepTable & {
    funnel_slug: string;
    product_slug: string | null;
    bump_slug: string | null;
  },
): StepWithSlugs {
  return {
    ...stepOf(row),
    funnelSlug: row.funnel_slug,
    productSlug: row.product_slug,
    bumpSlug: row.bump_slug,
  };
}

function stepFieldsRowOf(fields: StepFields) {
  return {
    position: fields.position,
    kind: fields.kind,
    product_id: fields.productId,
    bump_product_id: fields.bumpProductId,
    content: JSON.stringify(fields.content),
    updated_at: fields.updatedAt,
  } satisfies Partial<FunnelStepTable>;
}
