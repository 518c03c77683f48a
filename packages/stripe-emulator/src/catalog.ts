import { z } from 'zod';
import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { invalidRequest, resourceMissing } from './api-error.js';
import { newestFirst, pageList } from './list.js';
import type { PriceObject, ProductObject } from './objects.js';
import {
  apiParams,
  formArray,
  formBoolean,
  formEnum,
  formInteger,
  formMetadata,
  formNullableString,
  formString,
  listParams,
  mergeMetadata,
  parseParams,
} from './params.js';

const recurringParams = z.strictObject({
  interval: formEnum(['day', 'week', 'month', 'year']),
  interval_count: formInteger.optional(),
  trial_period_days: formInteger.optional(),
  usage_type: formEnum(['licensed']).optional(),
});

const productFields = {
  name: formString,
  active: formBoolean.optional(),
  description: formNullableString.optional(),
  metadata: formMetadata.optional(),
  images: formArray(formString).optional(),
  shippable: formBoolean.optional(),
  statement_descriptor: formNullableString.optional(),
  tax_code: formString.optional(),
  unit_label: formNullableString.optional(),
  url: formNullableString.optional(),
};

const createProductParams = apiParams({
  ...productFields,
  id: formString.optional(),
  type: formEnum(['service', 'good']).optional(),
  default_price_data: z
    .strictObject({
      currency: formString,
      unit_amount: formInteger,
      recurring: recurringParams.optional(),
    })
    .optional(),
});

const updateProductParams = apiParams({
  ...productFields,
  name: formString.optional(),
  default_price: formString.optional(),
});

const createPriceParams = apiParams({
  currency: formString,
  unit_amount: formInteger,
  product: formString.optional(),
  product_data: z
    .strictObject({
      name: formString,
      metadata: formMetadata.optional(),
      active: formBoolean.optional(),
      statement_descriptor: formString.optional(),
      unit_label: formString.optional(),
    })
    .optional(),
  recurring: recurringParams.optional(),
  active: formBoolean.optional(),
  nickname: formString.optional(),
  lookup_key: formString.optional(),
  metadata: formMetadata.optional(),
  tax_behavior: formEnum(['inclusive', 'exclusive', 'unspecified']).optional(),
  transfer_lookup_key: formBoolean.optional(),
});

const updatePriceParams = apiParams({
  active: formBoolean.optional(),
  nickname: formNullableString.optional(),
  lookup_key: formString.optional(),
  metadata: formMetadata.optional(),
  tax_behavior: formEnum(['inclusive', 'exclusive', 'unspecified']).optional(),
  transfer_lookup_key: formBoolean.optional(),
});

export function findPrice(call: ApiCall, id: string, param: string): PriceObject {
  const price = call.ledger.prices.get(id);
  if (price === undefined) throw resourceMissing('price', id, param);
  return price;
}

function findProduct(call: ApiCall, id: string, param: string): ProductObject {
  const product = call.ledger.products.get(id);
  if (product === undefined) throw resourceMissing('product', id, param);
  return product;
}

function createProduct(
  call: ApiCall,
  services: EmulatorServices,
  fields: { id?: string; name: string; metadata?: Record<string, string> | ''; active?: boolean },
): ProductObject {
  const now = services.clock.now();
  const id = fields.id ?? services.ids.newId('prod', 14);
  if (call.ledger.products.has(id)) {
    throw invalidRequest(`Product already exists.`, {
      param: 'id',
      code: 'resource_already_exists',
    });
  }
  const product: ProductObject = {
    id,
    object: 'product',
    active: fields.active ?? true,
    created: now,
    default_price: null,
    description: null,
    images: [],
    livemode: call.livemode,
    marketing_features: [],
    metadata: mergeMetadata({}, fields.metadata),
    name: fields.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: now,
    url: null,
  };
  call.ledger.products.set(id, product);
  return product;
}

function createPrice(
  call: ApiCall,
  services: EmulatorServices,
  fields: z.infer<typeof createPriceParams> & { product: string },
): PriceObject {
  if (fields.lookup_key !== undefined) {
    claimLookupKey(call, fields.lookup_key, fields.transfer_lookup_key === true);
  }
  const recurring = fields.recurring;
  const price: PriceObject = {
    id: services.ids.newId('price'),
    object: 'price',
    active: fields.active ?? true,
    billing_scheme: 'per_unit',
    created: services.clock.now(),
    currency: fields.currency.toLowerCase(),
    custom_unit_amount: null,
    livemode: call.livemode,
    lookup_key: fields.lookup_key ?? null,
    metadata: mergeMetadata({}, fields.metadata),
    nickname: fields.nickname ?? null,
    product: fields.product,
    recurring:
      recurring === undefined
        ? null
        : {
            interval: recurring.interval,
            interval_count: recurring.interval_count ?? 1,
            meter: null,
            trial_period_days: recurring.trial_period_days ?? null,
            usage_type: 'licensed',
          },
    tax_behavior: fields.tax_behavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring === undefined ? 'one_time' : 'recurring',
    unit_amount: fields.unit_amount,
    unit_amount_decimal: String(fields.unit_amount),
  };
  call.ledger.prices.set(price.id, price);
  return price;
}

export const catalogRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/v1/products',
    handle: function createProductRoute(call, services): ResponseBody {
      const params = parseParams(createProductParams, call.params);
      const product = createProduct(call, services, params);
      let stored: ProductObject = {
        ...product,
        description: params.description ?? null,
        images: params.images ?? [],
        shippable: params.shippable ?? null,
        statement_descriptor: params.statement_descriptor ?? null,
        tax_code: params.tax_code ?? null,
        type: params.type ?? 'service',
        unit_label: params.unit_label ?? null,
        url: params.url ?? null,
      };
      if (params.default_price_data !== undefined) {
        const price = createPrice(call, services, {
          ...params.default_price_data,
          product: product.id,
        });
        stored = { ...stored, default_price: price.id };
      }
      call.ledger.products.set(stored.id, stored);
      return stored;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/products/:id',
    handle: function retrieveProduct(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      if (call.ledger.deletedProducts.has(id)) return { id, object: 'product', deleted: true };
      return findProduct(call, id, 'id');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/products/:id',
    handle: function updateProduct(call, services): ResponseBody {
      const params = parseParams(updateProductParams, call.params);
      const current = findProduct(call, call.pathParams.id ?? '', 'id');
      if (params.default_price !== undefined)
        findPrice(call, params.default_price, 'default_price');
      const updated: ProductObject = {
        ...current,
        name: params.name ?? current.name,
        active: params.active ?? current.active,
        description: params.description === undefined ? current.description : params.description,
        metadata: mergeMetadata(current.metadata, params.metadata),
        images: params.images ?? current.images,
        default_price: params.default_price ?? current.default_price,
        url: params.url === undefined ? current.url : params.url,
        updated: services.clock.now(),
      };
      call.ledger.products.set(updated.id, updated);
      return updated;
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/products/:id',
    handle: function deleteProduct(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      const current = findProduct(call, call.pathParams.id ?? '', 'id');
      for (const price of call.ledger.prices.values()) {
        if (price.product === current.id) {
          throw invalidRequest(
            'This product cannot be deleted because it has one or more user-created prices.',
            { param: 'id' },
          );
        }
      }
      call.ledger.products.delete(current.id);
      call.ledger.deletedProducts.add(current.id);
      return { id: current.id, object: 'product', deleted: true };
    },
  },
  {
    method: 'GET',
    pattern: '/v1/products',
    handle: function listProducts(call): ResponseBody {
      const params = parseParams(
        listParams({ active: formBoolean.optional(), ids: formArray(formString).optional() }),
        call.params,
      );
      const items = newestFirst(call.ledger.products.values()).filter(
        (product) =>
          (params.active === undefined || product.active === params.active) &&
          (params.ids === undefined || params.ids.includes(product.id)),
      );
      return pageList(items, params, '/v1/products');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/prices',
    handle: function createPriceRoute(call, services): ResponseBody {
      const params = parseParams(createPriceParams, call.params);
      let productId = params.product;
      if (productId === undefined) {
        if (params.product_data === undefined) {
          throw invalidRequest('Missing required param: product.', {
            param: 'product',
            code: 'parameter_missing',
            replayable: false,
          });
        }
        productId = createProduct(call, services, params.product_data).id;
      } else {
        findProduct(call, productId, 'product');
      }
      return createPrice(call, services, { ...params, product: productId });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/prices/:id',
    handle: function retrievePrice(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      return findPrice(call, call.pathParams.id ?? '', 'id');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/prices/:id',
    handle: function updatePrice(call): ResponseBody {
      const params = parseParams(updatePriceParams, call.params);
      const current = findPrice(call, call.pathParams.id ?? '', 'id');
      if (params.lookup_key !== undefined && params.lookup_key !== current.lookup_key) {
        claimLookupKey(call, params.lookup_key, params.transfer_lookup_key === true);
      }
      const updated: PriceObject = {
        ...current,
        active: params.active ?? current.active,
        nickname: params.nickname === undefined ? current.nickname : params.nickname,
        lookup_key: params.lookup_key ?? current.lookup_key,
        metadata: mergeMetadata(current.metadata, params.metadata),
        tax_behavior: params.tax_behavior ?? current.tax_behavior,
      };
      call.ledger.prices.set(updated.id, updated);
      return updated;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/prices',
    handle: function listPrices(call): ResponseBody {
      const params = parseParams(
        listParams({
          product: formString.optional(),
          active: formBoolean.optional(),
          type: formEnum(['one_time', 'recurring']).optional(),
          currency: formString.optional(),
          lookup_keys: formArray(formString).optional(),
        }),
        call.params,
      );
      const items = newestFirst(call.ledger.prices.values()).filter(
        (price) =>
          (params.product === undefined || price.product === params.product) &&
          (params.active === undefined || price.active === params.active) &&
          (params.type === undefined || price.type === params.type) &&
          (params.currency === undefined || price.currency === params.currency.toLowerCase()) &&
          (params.lookup_keys === undefined ||
            (price.lookup_key !== null && params.lookup_keys.includes(price.lookup_key))),
      );
      return pageList(items, params, '/v1/prices');
    },
  },
];

/** A lookup key names one price; `transfer_lookup_key` moves it from the price that has it. */
function claimLookupKey(call: ApiCall, lookupKey: string, transfer: boolean): void {
  for (const existing of call.ledger.prices.values()) {
    if (existing.lookup_key !== lookupKey) continue;
    if (!transfer) {
      throw invalidRequest(`A price (\`${existing.id}\`) already uses that lookup key.`, {
        param: 'lookup_key',
      });
    }
    call.ledger.prices.set(existing.id, { ...existing, lookup_key: null });
  }
}
