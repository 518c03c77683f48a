import { z } from 'zod';
import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { invalidRequest, resourceMissing } from './api-error.js';
import { newestFirst, pageList } from './list.js';
import type { Address, CustomerObject } from './objects.js';
import {
  apiParams,
  formAddress,
  formArray,
  formMetadata,
  formNullableString,
  formString,
  listParams,
  mergeMetadata,
  parseParams,
} from './params.js';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.js';
import { type SearchFields, searchRoute } from './search.js';

/** https://docs.stripe.com/search#query-fields-for-customers */
const searchFields: SearchFields = {
  created: 'numeric',
  email: 'string',
  name: 'string',
  phone: 'string',
};

const customerFields = {
  email: formNullableString.optional(),
  name: formNullableString.optional(),
  phone: formNullableString.optional(),
  description: formNullableString.optional(),
  metadata: formMetadata.optional(),
  address: z.union([z.literal(''), formAddress]).optional(),
  shipping: z.unknown().optional(),
  preferred_locales: formArray(formString).optional(),
  invoice_settings: z
    .strictObject({ default_payment_method: formNullableString.optional() })
    .optional(),
};

const createParams = apiParams({ ...customerFields, payment_method: formString.optional() });
const updateParams = apiParams(customerFields);

function buildAddress(
  input: z.infer<typeof formAddress> | '' | undefined,
  current: Address | null,
) {
  if (input === undefined) return current;
  if (input === '') return null;
  return {
    city: null,
    country: null,
    line1: null,
    line2: null,
    postal_code: null,
    state: null,
    ...current,
    ...input,
  };
}

export function findCustomer(call: ApiCall, id: string, param = 'customer'): CustomerObject {
  const customer = call.ledger.customers.get(id);
  if (customer === undefined) throw resourceMissing('customer', id, param);
  return customer;
}

/**
 * The default payment method must be attached to the customer. A Stripe test id
 * (`pm_card_visa`) is attached first, as it names a fresh card each time.
 */
function resolveDefaultPaymentMethod(
  call: ApiCall,
  services: EmulatorServices,
  customerId: string,
  requested: string | null | undefined,
  attachedNow: { requested: string; id: string } | undefined,
): string | null | undefined {
  if (requested === undefined || requested === null) return requested;
  if (attachedNow !== undefined && attachedNow.requested === requested) return attachedNow.id;
  const method = resolvePaymentMethod(
    services,
    call.ledger,
    requested,
    'invoice_settings[default_payment_method]',
  );
  if (method.customer === null && requested.startsWith('pm_card_')) {
    return attachPaymentMethod(call.ledger, method, customerId).id;
  }
  if (method.customer !== customerId) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${requested}. The payment method must be attached to the customer.`,
      { param: 'invoice_settings[default_payment_method]' },
    );
  }
  return method.id;
}

export const customerRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/v1/customers',
    handle: function createCustomer(call, services): ResponseBody {
      const params = parseParams(createParams, call.params);
      const id = services.ids.newId('cus', 14);
      const customer: CustomerObject = {
        id,
        object: 'customer',
        address: buildAddress(params.address, null),
        balance: 0,
        created: services.clock.now(),
        currency: null,
        default_source: null,
        delinquent: false,
        description: params.description ?? null,
        email: params.email ?? null,
        invoice_prefix: services.ids.newSecret(8).toUpperCase(),
        invoice_settings: {
          custom_fields: null,
          default_payment_method: null,
          footer: null,
          rendering_options: null,
        },
        livemode: call.livemode,
        metadata: mergeMetadata({}, params.metadata),
        name: params.name ?? null,
        next_invoice_sequence: 1,
        phone: params.phone ?? null,
        preferred_locales: params.preferred_locales ?? [],
        shipping: null,
        tax_exempt: 'none',
        test_clock: null,
      };
      call.ledger.customers.set(id, customer);
      let attachedNow: { requested: string; id: string } | undefined;
      if (params.payment_method !== undefined) {
        const method = resolvePaymentMethod(services, call.ledger, params.payment_method);
        attachedNow = {
          requested: params.payment_method,
          id: attachPaymentMethod(call.ledger, method, id).id,
        };
      }
      const defaultMethod = resolveDefaultPaymentMethod(
        call,
        services,
        id,
        params.invoice_settings?.default_payment_method,
        attachedNow,
      );
      const created: CustomerObject = {
        ...customer,
        invoice_settings: {
          ...customer.invoice_settings,
          default_payment_method: defaultMethod ?? null,
        },
      };
      call.ledger.customers.set(id, created);
      services.publish(call.ledger, 'customer.created', created);
      return created;
    },
  },
  searchRoute('customers', searchFields, (ledger) => ledger.customers.values()),
  {
    method: 'GET',
    pattern: '/v1/customers/:id',
    handle: function retrieveCustomer(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      if (call.ledger.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
      return findCustomer(call, id, 'id');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/customers/:id',
    handle: function updateCustomer(call, services): ResponseBody {
      const params = parseParams(updateParams, call.params);
      const current = findCustomer(call, call.pathParams.id ?? '', 'id');
      const defaultMethod = resolveDefaultPaymentMethod(
        call,
        services,
        current.id,
        params.invoice_settings?.default_payment_method,
        undefined,
      );
      const updated: CustomerObject = {
        ...current,
        address: buildAddress(params.address, current.address),
        description: params.description === undefined ? current.description : params.description,
        email: params.email === undefined ? current.email : params.email,
        name: params.name === undefined ? current.name : params.name,
        phone: params.phone === undefined ? current.phone : params.phone,
        metadata: mergeMetadata(current.metadata, params.metadata),
        preferred_locales: params.preferred_locales ?? current.preferred_locales,
        invoice_settings: {
          ...current.invoice_settings,
          default_payment_method:
            defaultMethod === undefined
              ? current.invoice_settings.default_payment_method
              : defaultMethod,
        },
      };
      call.ledger.customers.set(updated.id, updated);
      services.publish(call.ledger, 'customer.updated', updated, changedFields(current, updated));
      return updated;
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/customers/:id',
    handle: function deleteCustomer(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      const current = findCustomer(call, call.pathParams.id ?? '', 'id');
      call.ledger.customers.delete(current.id);
      call.ledger.deletedCustomers.add(current.id);
      services.publish(call.ledger, 'customer.deleted', current);
      return { id: current.id, object: 'customer', deleted: true };
    },
  },
  {
    method: 'GET',
    pattern: '/v1/customers',
    handle: function listCustomers(call): ResponseBody {
      const params = parseParams(listParams({ email: formString.optional() }), call.params);
      const items = newestFirst(call.ledger.customers.values()).filter(
        (customer) => params.email === undefined || customer.email === params.email,
      );
      return pageList(items, params, '/v1/customers');
    },
  },
];

/** The fields whose values changed, with their old values: an event's `previous_attributes`. */
export function changedFields<Item extends Record<string, unknown>>(
  before: Item,
  after: Item,
): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}
