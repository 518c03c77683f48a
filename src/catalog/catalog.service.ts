import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError, type FieldProblem } from '../errors.js';
import { type Pin, type ProductPin, type RoutingConfig, targetAccounts } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import {
  deleteFunnelRow,
  deletePriceRow,
  deleteProductRow,
  deleteStepRow,
  type Funnel,
  findFunnelRow,
  findProductRow,
  findProductRows,
  insertFunnel,
  insertPrice,
  insertProduct,
  insertStep,
  listFunnelRows,
  listPriceRows,
  listProductRows,
  listStepRows,
  listStepRowsWithSlugs,
  listStepsOffering,
  type Price,
  type Product,
  type StepFields,
  updateFunnelRow,
  updatePriceRow,
  updateProductRow,
  updateStepRow,
} from './catalog.repository.js';
import type {
  FunnelChanges,
  FunnelDocument,
  FunnelDocumentFile,
  FunnelInput,
  FunnelPinInput,
  PinInput,
  PriceInput,
  ProductChanges,
  ProductInput,
  StepContent,
  StepInput,
  StepKind,
} from './catalog.schema.js';
import { describePrice } from './money.js';
import { type OrderOffers, orderOffersOfStep, refuseSplitOffers } from './split-offers.js';

export interface PriceView extends PriceInput {
  /** `$49.00 / month`, with zero-decimal currencies right. */
  display: string;
}

export interface ProductView {
  slug: string;
  name: string;
  description: string;
  image: string | null;
  tags: string[];
  prices: PriceView[];
  /** From the active routing document: the account that takes this product's payments. */
  pin: ProductPin | null;
  createdAt: string;
  updatedAt: string;
}

export interface StepView {
  slug: string;
  kind: StepKind;
  product: string | null;
  bump: string | null;
  pin: Pin | null;
  content: StepContent;
}

export interface FunnelView {
  slug: string;
  name: string;
  mode: 'test' | 'live';
  pin: Pin | null;
  steps: StepView[];
  createdAt: string;
  updatedAt: string;
}

export interface FunnelSummary {
  slug: string;
  name: string;
  mode: 'test' | 'live';
  steps: number;
  pin: Pin | null;
}

export interface ImportedFunnel {
  /** False when the document matched what is stored: nothing was written. */
  changed: boolean;
  funnel: 'created' | 'updated' | 'unchanged';
  products: { created: string[]; updated: string[]; unchanged: string[] };
  /** The routing version that holds the document's pins, when they changed it. */
  routingVersion: number | null;
}

/**
 * Products, prices, funnels and steps. Pins are not stored here: reading shows the active routing
 * document's pin, and saving one writes a new routing version in the same transaction.
 */
export interface CatalogService {
  listProducts(workspaceId: string): Promise<ProductView[]>;
  showProduct(workspaceId: string, slug: string): Promise<ProductView>;
  /**
   * A product as the visitor pages show it. Pins are the router's business: leaving them out
   * spares reading the routing document (and every account) on each page.
   */
  showProductForSale(workspaceId: string, slug: string): Promise<ProductView>;
  /** What an order step sells, its main offer and its bump, read together (see showProductForSale). */
  showOffersForSale(
    workspaceId: string,
    product: string,
    bump: string | null,
  ): Promise<{ main: ProductView; bump: ProductView | null }>;
  createProduct(workspaceId: string, input: ProductInput, actor: string): Promise<ProductView>;
  updateProduct(
    workspaceId: string,
    slug: string,
    changes: ProductChanges,
    actor: string,
  ): Promise<ProductView>;
  /** Refused while a funnel step offers it; its pin goes with it. */
  deleteProduct(workspaceId: string, slug: string, actor: string): Promise<void>;
  listFunnels(workspaceId: string): Promise<FunnelSummary[]>;
  showFunnel(workspaceId: string, slug: string): Promise<FunnelView>;
  /** A funnel as the visitor pages show it, without pins (see showProductForSale). */
  showFunnelForSale(workspaceId: string, slug: string): Promise<FunnelView>;
  createFunnel(workspaceId: string, input: FunnelInput, actor: string): Promise<FunnelView>;
  /** PUT: the whole funnel, created when it does not exist yet. */
  replaceFunnel(
    workspaceId: string,
    input: FunnelInput,
    actor: string,
  ): Promise<{ view: FunnelView; created: boolean }>;
  /** PATCH: the changes merged into the stored funnel. */
  updateFunnel(
    workspaceId: string,
    slug: string,
    changes: FunnelChanges,
    actor: string,
  ): Promise<FunnelView>;
  /** The funnel, its steps and their pins. */
  deleteFunnel(workspaceId: string, slug: string, actor: string): Promise<void>;
  /**
   * A whole funnel with its products, kept as code. Only what differs is written, so importing
   * the same document twice changes nothing the second time.
   */
  importFunnel(workspaceId: string, input: FunnelDocument, actor: string): Promise<ImportedFunnel>;
  /** The funnel and the products its steps offer, in the shape `importFunnel` reads. */
  exportFunnel(workspaceId: string, slug: string): Promise<FunnelDocumentFile>;
}

/**
 * The catalog as the visitor pages and the checkout read it: without pins, and kept until the
 * setup changes (catalog-for-sale.ts). `revision`: the setup revision the request has read.
 */
export interface CatalogForSale {
  showFunnel(workspaceId: string, slug: string, revision?: number): Promise<FunnelView>;
  showProduct(workspaceId: string, slug: string, revision?: number): Promise<ProductView>;
  showOffers(
    workspaceId: string,
    product: string,
    bump: string | null,
    revision?: number,
  ): Promise<{ main: ProductView; bump: ProductView | null }>;
}

export interface CatalogDependencies {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  routing: Pick<RoutingConfigService, 'showActive' | 'applyDocument'>;
}

/** Pins to write: a pin sets, null removes. Keys as the routing document has them. */
interface PinChanges {
  products: Map<string, PinInput | null>;
  steps: Map<string, FunnelPinInput | null>;
  funnels: Map<string, FunnelPinInput | null>;
}

/** A routing document with no pins, for views that do not show them. */
const noPins: RoutingConfig = { accounts: [], rules: [], funnels: {}, steps: {}, products: {} };

function noPinChanges(): PinChanges {
  return { products: new Map(), steps: new Map(), funnels: new Map() };
}

/** The document with the pins changed, or null when it holds them already. */
function withPinChanges(active: RoutingConfig, changes: PinChanges): RoutingConfig | null {
  const document = structuredClone(active);
  let changed = false;
  for (const group of ['products', 'steps', 'funnels'] as const) {
    for (const [key, pin] of changes[group]) {
      const current = document[group][key];
      if (pin === null) {
        if (current) {
          delete document[group][key];
          changed = true;
        }
      } else if (!current || JSON.stringify(current) !== JSON.stringify(pin)) {
        // A product's pin is one account: the catalog schema gives products no split.
        (document[group] as Record<string, FunnelPinInput>)[key] = pin;
        changed = true;
      }
    }
  }
  return changed ? document : null;
}

/** A catalog change's writes, run in the transaction that also writes its pins. */
type CatalogWrite = (trx: Kysely<Database>) => Promise<void>;

export function createCatalogService(deps: CatalogDependencies): CatalogService {
  const { db, clock, audit, routing } = deps;

  async function activeDocument(workspaceId: string): Promise<RoutingConfig> {
    return (await routing.showActive(workspaceId)).document;
  }

  /**
   * Writes a catalog change and the pins it sets in one transaction: the pins as a new routing
   * version (none when they are already so), so a refused or conflicting version leaves neither.
   */
  async function writeWithPins(
    workspaceId: string,
    change: CatalogWrite | null,
    pins: PinChanges,
    actor: string,
    message: string,
  ): Promise<number | null> {
    const someSet = Object.values(pins).some((group) => group.size > 0);
    const active = someSet ? await routing.showActive(workspaceId) : null;
    const document = active ? withPinChanges(active.document, pins) : null;
    if (!active || !document) {
      if (change) await db.transaction().execute(change);
      return null;
    }
    const applied = await routing.applyDocument(workspaceId, document, {
      actor,
      message,
      basedOn: active.version ?? 0,
      alongside: change ?? undefined,
    });
    return applied.version;
  }

  function checkPinAccounts(
    document: RoutingConfig,
    pins: Array<{ pin: FunnelPinInput | null | undefined; field: string }>,
  ): void {
    const handles = document.accounts.map((account) => account.handle);
    const problems: FieldProblem[] = [];
    const known =
      handles.length === 0 ? 'none is connected yet' : `connected: ${handles.join(', ')}`;
    for (const { pin, field } of pins) {
      if (!pin) continue;
      targetAccounts(pin.use).forEach((handle, index) => {
        if (handles.includes(handle)) return;
        const at = typeof pin.use === 'string' ? `${field}.use` : `${field}.use.split[${index}]`;
        problems.push({ field: at, message: `no account "${handle}" (${known})` });
      });
      if (Array.isArray(pin.fallback)) {
        pin.fallback.forEach((handle, index) => {
          if (!handles.includes(handle)) {
            problems.push({
              field: `${field}.fallback[${index}]`,
              message: `no account "${handle}" (${known})`,
            });
          }
        });
      }
    }
    if (problems.length > 0) throw AppError.validation(problems);
  }

  async function productViews(
    products: readonly Product[],
    document: RoutingConfig,
  ): Promise<ProductView[]> {
    const prices = await listPriceRows(
      db,
      products.map((product) => product.productId),
    );
    return products.map((product) => ({
      slug: product.slug,
      name: product.name,
      description: product.description,
      image: product.imageUrl,
      tags: product.tags,
      prices: prices
        .filter((price) => price.productId === product.productId)
        .map(priceViewOf)
        .sort((a, b) => a.currency.localeCompare(b.currency)),
      pin: document.products[product.slug] ?? null,
      createdAt: product.createdAt,
      updatedAt: product.updatedAt,
    }));
  }

  async function funnelViews(
    funnels: readonly Funnel[],
    document: RoutingConfig,
  ): Promise<FunnelView[]> {
    const steps = await listStepRowsWithSlugs(
      db,
      funnels.map((funnel) => funnel.funnelId),
    );
    return funnels.map((funnel) => ({
      slug: funnel.slug,
      name: funnel.name,
      mode: funnel.mode,
      pin: document.funnels[funnel.slug] ?? null,
      steps: steps
        .filter((step) => step.funnelId === funnel.funnelId)
        .map((step) => ({
          slug: step.slug,
          kind: step.kind,
          product: step.productSlug,
          bump: step.bumpSlug,
          pin: document.steps[`${funnel.slug}/${step.slug}`] ?? null,
          content: step.content,
        })),
      createdAt: funnel.createdAt,
      updatedAt: funnel.updatedAt,
    }));
  }

  async function requireProduct(workspaceId: string, slug: string): Promise<Product> {
    const product = await findProductRow(db, workspaceId, slug);
    if (!product) {
      throw new AppError('not_found', `There is no product "${slug}".`, { product: slug });
    }
    return product;
  }

  async function requireFunnel(workspaceId: string, slug: string): Promise<Funnel> {
    const funnel = await findFunnelRow(db, workspaceId, slug);
    if (!funnel) {
      throw new AppError('not_found', `There is no funnel "${slug}".`, { funnel: slug });
    }
    return funnel;
  }

  async function showProductView(
    workspaceId: string,
    slug: string,
    pins: 'with pins' | 'without pins' = 'with pins',
  ): Promise<ProductView> {
    const product = await requireProduct(workspaceId, slug);
    const document = pins === 'with pins' ? await activeDocument(workspaceId) : noPins;
    const [view] = await productViews([product], document);
    if (!view) throw new AppError('not_found', `There is no product "${slug}".`);
    return view;
  }

  async function showFunnelView(
    workspaceId: string,
    slug: string,
    pins: 'with pins' | 'without pins' = 'with pins',
  ): Promise<FunnelView> {
    const funnel = await requireFunnel(workspaceId, slug);
    const document = pins === 'with pins' ? await activeDocument(workspaceId) : noPins;
    const [view] = await funnelViews([funnel], document);
    if (!view) throw new AppError('not_found', `There is no funnel "${slug}".`);
    return view;
  }

  /** Inserts or rewrites a product and its prices (one per currency), keeping price ids. */
  async function storeProduct(
    trx: Kysely<Database>,
    workspaceId: string,
    product: Omit<ProductInput, 'pin'>,
    existing: Product | undefined,
  ): Promise<void> {
    const now = clock().toISOString();
    const fields = {
      name: product.name,
      description: product.description,
      imageUrl: product.image,
      tags: product.tags,
      updatedAt: now,
    };
    let productId: string;
    if (existing) {
      productId = existing.productId;
      await updateProductRow(trx, productId, fields);
    } else {
      productId = newId('prod');
      await insertProduct(trx, {
        productId,
        workspaceId,
        slug: product.slug,
        createdAt: now,
        ...fields,
      });
    }
    const stored = await listPriceRows(trx, [productId]);
    for (const price of product.prices) {
      const terms = {
        amount: price.amount,
        type: price.type,
        interval: price.interval,
        intervalCount: price.intervalCount,
        updatedAt: now,
      };
      const current = stored.find((kept) => kept.currency === price.currency);
      if (!current) {
        await insertPrice(trx, {
          priceId: newId('price'),
          workspaceId,
          productId,
          currency: price.currency,
          createdAt: now,
          ...terms,
        });
      } else if (!samePrice(priceViewOf(current), price)) {
        await updatePriceRow(trx, current.priceId, terms);
      }
    }
    for (const kept of stored) {
      if (!product.prices.some((price) => price.currency === kept.currency)) {
        await deletePriceRow(trx, kept.priceId);
      }
    }
  }

  /** Product slugs -> ids for the steps, or a 400 naming each step that offers an unknown one. */
  async function resolveOffers(
    workspaceId: string,
    steps: readonly StepInput[],
    root: string,
    alsoKnown: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const wanted = new Set(steps.flatMap((step) => [step.product, step.bump]).filter(isDefined));
    const found = new Set(
      (await findProductRows(db, workspaceId, [...wanted])).map((product) => product.slug),
    );
    const problems: FieldProblem[] = [];
    steps.forEach((step, index) => {
      for (const field of ['product', 'bump'] as const) {
        const slug = step[field];
        if (slug !== undefined && !found.has(slug) && !alsoKnown.has(slug)) {
          problems.push({
            field: `${root}[${index}].${field}`,
            message: `there is no product "${slug}"; create it first`,
          });
        }
      }
    });
    if (problems.length > 0) throw AppError.validation(problems);
  }

  /** Inserts or rewrites a funnel and its steps; steps keep their ids by slug. */
  async function storeFunnel(
    trx: Kysely<Database>,
    workspaceId: string,
    funnel: Omit<FunnelInput, 'pin'>,
    existing: Funnel | undefined,
  ): Promise<void> {
    const now = clock().toISOString();
    let funnelId: string;
    if (existing) {
      funnelId = existing.funnelId;
      await updateFunnelRow(trx, funnelId, {
        name: funnel.name,
        mode: funnel.mode,
        updatedAt: now,
      });
    } else {
      funnelId = newId('fnl');
      await insertFunnel(trx, {
        funnelId,
        workspaceId,
        slug: funnel.slug,
        name: funnel.name,
        mode: funnel.mode,
        createdAt: now,
        updatedAt: now,
      });
    }
    const offered = funnel.steps.flatMap((step) => [step.product, step.bump]).filter(isDefined);
    const ids = new Map(
      (await findProductRows(trx, workspaceId, offered)).map((product) => [
        product.slug,
        product.productId,
      ]),
    );
    const stored = await listStepRows(trx, [funnelId]);
    for (const [position, step] of funnel.steps.entries()) {
      const fields: StepFields = {
        position,
        kind: step.kind,
        productId: step.product === undefined ? null : (ids.get(step.product) ?? null),
        bumpProductId: step.bump === undefined ? null : (ids.get(step.bump) ?? null),
        content: step.content,
        updatedAt: now,
      };
      const current = stored.find((kept) => kept.slug === step.slug);
      if (current) {
        await updateStepRow(trx, current.stepId, fields);
      } else {
        await insertStep(trx, {
          stepId: newId('step'),
          workspaceId,
          funnelId,
          slug: step.slug,
          createdAt: now,
          ...fields,
        });
      }
    }
    for (const kept of stored) {
      if (!funnel.steps.some((step) => step.slug === kept.slug))
        await deleteStepRow(trx, kept.stepId);
    }
  }

  /** The pins a saved funnel sets or clears: its own, its steps', and those of removed steps. */
  function funnelPinChanges(
    funnel: FunnelInput,
    removedSteps: readonly string[],
    changes: PinChanges = noPinChanges(),
  ): PinChanges {
    if (funnel.pin !== undefined) changes.funnels.set(funnel.slug, funnel.pin);
    for (const step of funnel.steps) {
      if (step.pin !== undefined) changes.steps.set(`${funnel.slug}/${step.slug}`, step.pin);
    }
    for (const slug of removedSteps) changes.steps.set(`${funnel.slug}/${slug}`, null);
    return changes;
  }

  function checkFunnelPins(document: RoutingConfig, funnel: FunnelInput, root: string): void {
    checkPinAccounts(document, [
      { pin: funnel.pin, field: `${root}.pin` },
      ...funnel.steps.map((step, index) => ({
        pin: step.pin,
        field: `${root}.steps[${index}].pin`,
      })),
    ]);
  }

  /** POST (must be new), PUT (created or replaced) and PATCH (merged first) all end here. */
  async function saveFunnel(
    workspaceId: string,
    funnel: FunnelInput,
    actor: string,
    expect: 'new' | 'existing' | 'either',
  ): Promise<{ view: FunnelView; created: boolean }> {
    const existing = await findFunnelRow(db, workspaceId, funnel.slug);
    if (existing && expect === 'new') {
      throw new AppError('conflict', `Funnel "${funnel.slug}" already exists.`, {
        funnel: funnel.slug,
        next: 'funnels.change',
      });
    }
    const document = await activeDocument(workspaceId);
    checkFunnelPins(document, funnel, 'funnel');
    await resolveOffers(workspaceId, funnel.steps, 'steps');
    refuseSplitOffers(orderOffersOf(funnel), document.products);

    const before = existing ? (await funnelViews([existing], document))[0] : undefined;
    const removed = (before?.steps ?? [])
      .map((step) => step.slug)
      .filter((slug) => !funnel.steps.some((step) => step.slug === slug));
    await writeWithPins(
      workspaceId,
      async function storeFunnelChange(trx) {
        await storeFunnel(trx, workspaceId, funnel, existing);
        await audit.record(trx, {
          workspaceId,
          actor,
          action: existing ? 'funnel.updated' : 'funnel.created',
          subject: `funnel:${funnel.slug}`,
          before: before ? withoutPins(before) : undefined,
          after: {
            name: funnel.name,
            mode: funnel.mode,
            steps: funnel.steps.map((step) => step.slug),
          },
        });
      },
      funnelPinChanges(funnel, removed),
      actor,
      `Pins of funnel ${funnel.slug}`,
    );
    return { view: await showFunnelView(workspaceId, funnel.slug), created: !existing };
  }

  return {
    async listProducts(workspaceId) {
      const products = await listProductRows(db, workspaceId);
      return productViews(products, await activeDocument(workspaceId));
    },

    showProduct: (workspaceId, slug) => showProductView(workspaceId, slug),

    showProductForSale: (workspaceId, slug) => showProductView(workspaceId, slug, 'without pins'),

    async showOffersForSale(workspaceId, product, bump) {
      const slugs = bump === null ? [product] : [product, bump];
      const views = await productViews(await findProductRows(db, workspaceId, slugs), noPins);
      const viewOf = (slug: string) => {
        const view = views.find((candidate) => candidate.slug === slug);
        if (!view)
          throw new AppError('not_found', `There is no product "${slug}".`, { product: slug });
        return view;
      };
      return { main: viewOf(product), bump: bump === null ? null : viewOf(bump) };
    },

    async createProduct(workspaceId, input, actor) {
      if (await findProductRow(db, workspaceId, input.slug)) {
        throw new AppError('conflict', `Product "${input.slug}" already exists.`, {
          product: input.slug,
          next: 'products.change',
        });
      }
      checkPinAccounts(await activeDocument(workspaceId), [{ pin: input.pin, field: 'pin' }]);
      const pins = noPinChanges();
      if (input.pin !== undefined) pins.products.set(input.slug, input.pin);
      await writeWithPins(
        workspaceId,
        async function storeNewProduct(trx) {
          await storeProduct(trx, workspaceId, input, undefined);
          await audit.record(trx, {
            workspaceId,
            actor,
            action: 'product.created',
            subject: `product:${input.slug}`,
            after: productDocumentOf(input),
          });
        },
        pins,
        actor,
        `Pin of product ${input.slug}`,
      );
      return showProductView(workspaceId, input.slug);
    },

    async updateProduct(workspaceId, slug, changes, actor) {
      const product = await requireProduct(workspaceId, slug);
      const document = await activeDocument(workspaceId);
      const [before] = await productViews([product], document);
      if (!before) throw new AppError('not_found', `There is no product "${slug}".`);
      checkPinAccounts(document, [{ pin: changes.pin, field: 'pin' }]);
      if (changes.pin) {
        // Pinning this product must not split an order step it shares with a pinned product.
        const offers = (await listStepsOffering(db, workspaceId, product.productId)).filter(
          (step) => step.kind === 'order' && step.bumpProductId !== null,
        );
        refuseSplitOffers(offers.map(orderOffersOfStep), {
          ...document.products,
          [slug]: changes.pin,
        });
      }
      const merged = {
        slug,
        name: changes.name ?? before.name,
        description: changes.description ?? before.description,
        image: changes.image === undefined ? before.image : changes.image,
        tags: changes.tags ?? before.tags,
        prices: changes.prices ?? before.prices.map(priceTermsOf),
      };
      const pins = noPinChanges();
      if (changes.pin !== undefined) pins.products.set(slug, changes.pin);
      const storeProductChange: CatalogWrite = async (trx) => {
        await storeProduct(trx, workspaceId, merged, product);
        await audit.record(trx, {
          workspaceId,
          actor,
          action: 'product.updated',
          subject: `product:${slug}`,
          before: productDocumentOf(before),
          after: productDocumentOf(merged),
        });
      };
      await writeWithPins(
        workspaceId,
        sameProduct(productDocumentOf(merged), productDocumentOf(before))
          ? null
          : storeProductChange,
        pins,
        actor,
        `Pin of product ${slug}`,
      );
      return showProductView(workspaceId, slug);
    },

    async deleteProduct(workspaceId, slug, actor) {
      const product = await requireProduct(workspaceId, slug);
      const offering = await listStepsOffering(db, workspaceId, product.productId);
      if (offering.length > 0) {
        const funnels = [...new Set(offering.map((step) => step.funnelSlug))];
        const steps = offering.map((step) => `${step.funnelSlug}/${step.slug}`);
        throw new AppError(
          'product_in_use',
          `Product ${slug} is offered by funnel${funnels.length === 1 ? '' : 's'} ${funnels.join(', ')} (step${steps.length === 1 ? '' : 's'} ${steps.join(', ')}). Remove it from those steps first, then delete it.`,
          { funnels, steps },
        );
      }
      const pins = noPinChanges();
      pins.products.set(slug, null);
      await writeWithPins(
        workspaceId,
        async function removeProduct(trx) {
          await deleteProductRow(trx, product.productId);
          await audit.record(trx, {
            workspaceId,
            actor,
            action: 'product.deleted',
            subject: `product:${slug}`,
            before: { slug, name: product.name },
          });
        },
        pins,
        actor,
        `Product ${slug} deleted: its pin removed`,
      );
    },

    async listFunnels(workspaceId) {
      const funnels = await listFunnelRows(db, workspaceId);
      const views = await funnelViews(funnels, await activeDocument(workspaceId));
      return views.map((view) => ({
        slug: view.slug,
        name: view.name,
        mode: view.mode,
        steps: view.steps.length,
        pin: view.pin,
      }));
    },

    showFunnel: (workspaceId, slug) => showFunnelView(workspaceId, slug),

    showFunnelForSale: (workspaceId, slug) => showFunnelView(workspaceId, slug, 'without pins'),

    async createFunnel(workspaceId, input, actor) {
      return (await saveFunnel(workspaceId, input, actor, 'new')).view;
    },

    async replaceFunnel(workspaceId, input, actor) {
      return saveFunnel(workspaceId, input, actor, 'either');
    },

    async updateFunnel(workspaceId, slug, changes, actor) {
      const current = await showFunnelView(workspaceId, slug);
      const merged: FunnelInput = {
        slug,
        name: changes.name ?? current.name,
        mode: changes.mode ?? current.mode,
        ...(changes.pin === undefined ? {} : { pin: changes.pin }),
        steps: changes.steps ?? current.steps.map(stepInputOf),
      };
      return (await saveFunnel(workspaceId, merged, actor, 'existing')).view;
    },

    async deleteFunnel(workspaceId, slug, actor) {
      const view = await showFunnelView(workspaceId, slug);
      const funnel = await requireFunnel(workspaceId, slug);
      const pins = noPinChanges();
      pins.funnels.set(slug, null);
      for (const step of view.steps) pins.steps.set(`${slug}/${step.slug}`, null);
      await writeWithPins(
        workspaceId,
        async function removeFunnel(trx) {
          await deleteFunnelRow(trx, funnel.funnelId);
          await audit.record(trx, {
            workspaceId,
            actor,
            action: 'funnel.deleted',
            subject: `funnel:${slug}`,
            before: withoutPins(view),
          });
        },
        pins,
        actor,
        `Funnel ${slug} deleted: its pins removed`,
      );
    },

    async importFunnel(workspaceId, input, actor) {
      const problems: FieldProblem[] = [];
      const inDocument = new Set<string>();
      input.products.forEach((product, index) => {
        if (inDocument.has(product.slug)) {
          problems.push({
            field: `products[${index}].slug`,
            message: `a second product "${product.slug}" in the document`,
          });
        }
        inDocument.add(product.slug);
      });
      if (problems.length > 0) throw AppError.validation(problems);
      const document = await activeDocument(workspaceId);
      checkPinAccounts(document, [
        ...input.products.map((product, index) => ({
          pin: product.pin,
          field: `products[${index}].pin`,
        })),
      ]);
      checkFunnelPins(document, input.funnel, 'funnel');
      await resolveOffers(workspaceId, input.funnel.steps, 'funnel.steps', inDocument);

      const productPins: Record<string, ProductPin | undefined> = { ...document.products };
      for (const product of input.products) {
        if (product.pin === null) delete productPins[product.slug];
        else if (product.pin !== undefined) productPins[product.slug] = product.pin;
      }
      refuseSplitOffers(orderOffersOf(input.funnel), productPins);

      const result: ImportedFunnel = {
        changed: false,
        funnel: 'unchanged',
        products: { created: [], updated: [], unchanged: [] },
        routingVersion: null,
      };
      const storedProducts = await findProductRows(
        db,
        workspaceId,
        input.products.map((product) => product.slug),
      );
      const storedViews = await productViews(storedProducts, document);
      const existingFunnel = await findFunnelRow(db, workspaceId, input.funnel.slug);
      const before = existingFunnel
        ? (await funnelViews([existingFunnel], document))[0]
        : undefined;
      const funnelChanged =
        !before || stableJson(funnelBodyOf(before)) !== stableJson(funnelBodyOf(input.funnel));

      const pins = noPinChanges();
      for (const product of input.products) {
        if (product.pin !== undefined) pins.products.set(product.slug, product.pin);
      }
      const removed = (before?.steps ?? [])
        .map((step) => step.slug)
        .filter((slug) => !input.funnel.steps.some((step) => step.slug === slug));
      funnelPinChanges(input.funnel, removed, pins);
      async function storeImport(trx: Kysely<Database>): Promise<void> {
        for (const product of input.products) {
          const stored = storedViews.find((view) => view.slug === product.slug);
          if (stored && sameProduct(productDocumentOf(stored), productDocumentOf(product))) {
            result.products.unchanged.push(product.slug);
            continue;
          }
          const existing = storedProducts.find((candidate) => candidate.slug === product.slug);
          await storeProduct(trx, workspaceId, product, existing);
          await audit.record(trx, {
            workspaceId,
            actor,
            action: stored ? 'product.updated' : 'product.created',
            subject: `product:${product.slug}`,
            before: stored ? productDocumentOf(stored) : undefined,
            after: productDocumentOf(product),
          });
          result.products[stored ? 'updated' : 'created'].push(product.slug);
        }
        if (funnelChanged) {
          await storeFunnel(trx, workspaceId, input.funnel, existingFunnel);
          await audit.record(trx, {
            workspaceId,
            actor,
            action: existingFunnel ? 'funnel.updated' : 'funnel.created',
            subject: `funnel:${input.funnel.slug}`,
            before: before ? withoutPins(before) : undefined,
            after: funnelBodyOf(input.funnel),
          });
          result.funnel = existingFunnel ? 'updated' : 'created';
        }
      }
      result.routingVersion = await writeWithPins(
        workspaceId,
        storeImport,
        pins,
        actor,
        `Pins from the import of funnel ${input.funnel.slug}`,
      );
      result.changed =
        result.funnel !== 'unchanged' ||
        result.products.created.length > 0 ||
        result.products.updated.length > 0 ||
        result.routingVersion !== null;
      return result;
    },

    async exportFunnel(workspaceId, slug) {
      const funnel = await showFunnelView(workspaceId, slug);
      const offered = [
        ...new Set(funnel.steps.flatMap((step) => [step.product, step.bump]).filter(isDefined)),
      ];
      const document = await activeDocument(workspaceId);
      const products = await productViews(
        await findProductRows(db, workspaceId, offered),
        document,
      );
      return {
        products: offered
          .map((productSlug) => products.find((product) => product.slug === productSlug))
          .filter(isDefined)
          .map((product) => ({
            slug: product.slug,
            ...productDocumentOf(product),
            ...(product.pin ? { pin: product.pin } : {}),
          })),
        funnel: {
          slug: funnel.slug,
          name: funnel.name,
          mode: funnel.mode,
          ...(funnel.pin ? { pin: funnel.pin } : {}),
          steps: funnel.steps.map((step) => ({
            ...stepInputOf(step),
            ...(step.pin ? { pin: step.pin } : {}),
          })),
        },
      };
    },
  };
}

function isDefined<Value>(value: Value | null | undefined): value is Value {
  return value !== null && value !== undefined;
}

function priceViewOf(price: Price): PriceView {
  const terms = priceTermsOf(price);
  return { ...terms, display: describePrice(terms) };
}

function priceTermsOf(price: PriceInput): PriceInput {
  return {
    currency: price.currency,
    amount: price.amount,
    type: price.type,
    interval: price.interval,
    intervalCount: price.intervalCount,
  };
}

function samePrice(a: PriceInput, b: PriceInput): boolean {
  return stableJson(priceTermsOf(a)) === stableJson(priceTermsOf(b));
}

/** A product as a document has it: no pin, no times; prices by currency, as views list them. */
function productDocumentOf(product: Omit<ProductInput, 'slug' | 'pin'>) {
  return {
    name: product.name,
    description: product.description,
    ...(product.image === null ? {} : { image: product.image }),
    tags: product.tags,
    prices: [...product.prices]
      .sort((a, b) => a.currency.localeCompare(b.currency))
      .map((price) => ({
        currency: price.currency,
        amount: price.amount,
        type: price.type,
        ...(price.type === 'recurring'
          ? { interval: price.interval ?? 'month', intervalCount: price.intervalCount ?? 1 }
          : {}),
      })),
  };
}

function sameProduct(a: object, b: object): boolean {
  return stableJson(a) === stableJson(b);
}

/** A stored step as the catalog reads it back, pins left as they are. */
export function stepInputOf(step: StepView): StepInput {
  return {
    slug: step.slug,
    kind: step.kind,
    ...(step.product === null ? {} : { product: step.product }),
    ...(step.bump === null ? {} : { bump: step.bump }),
    content: step.content,
  };
}

/** What a funnel is made of, without pins and times: to tell whether an import changes it. */
function funnelBodyOf(funnel: Pick<FunnelInput, 'name' | 'mode'> & { steps: readonly object[] }) {
  return {
    name: funnel.name,
    mode: funnel.mode,
    steps: funnel.steps.map((step) => {
      const { pin, ...rest } = step as { pin?: unknown } & Record<string, unknown>;
      void pin;
      return Object.fromEntries(Object.entries(rest).filter(([, value]) => isDefined(value)));
    }),
  };
}

function withoutPins(view: FunnelView) {
  return funnelBodyOf(view);
}

function orderOffersOf(funnel: FunnelInput): OrderOffers[] {
  return funnel.steps.flatMap((step) =>
    step.kind === 'order' && step.product !== undefined && step.bump !== undefined
      ? [{ step: `${funnel.slug}/${step.slug}`, product: step.product, bump: step.bump }]
      : [],
  );
}

/** JSON with object keys sorted, so two equal values compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, function sortKeys(_key, inner: unknown) {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(
      Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
    );
  });
}
