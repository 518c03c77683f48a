import { z } from 'zod';
import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { createStripeError, invalidRequest, resourceMissing } from './api-error.js';
import {
  describeCard,
  fingerprintCard,
  isValidCardNumber,
  testPaymentMethodNumbers,
} from './cards.js';
import type { Ledger } from './ledger.js';
import { newestFirst, pageList } from './list.js';
import type {
  Address,
  BillingDetails,
  IdealPaymentMethod,
  PaymentMethodObject,
} from './objects.js';
import {
  apiParams,
  formBillingDetails,
  formEnum,
  formInteger,
  formMetadata,
  formString,
  listParams,
  mergeMetadata,
  parseParams,
} from './params.js';

export interface CardInput {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc?: string;
}

export type BillingDetailsInput = z.infer<typeof formBillingDetails>;

const emptyAddress: Address = {
  city: null,
  country: null,
  line1: null,
  line2: null,
  postal_code: null,
  state: null,
};

export function buildBillingDetails(
  input: BillingDetailsInput | undefined,
  current?: BillingDetails,
): BillingDetails {
  const base = current ?? {
    address: emptyAddress,
    email: null,
    name: null,
    phone: null,
    tax_id: null,
  };
  if (input === undefined) return base;
  return {
    address: { ...base.address, ...input.address },
    email: input.email === undefined ? base.email : input.email,
    name: input.name === undefined ? base.name : input.name,
    phone: input.phone === undefined ? base.phone : input.phone,
    tax_id: base.tax_id,
  };
}

function cardError(code: string, message: string, param: string) {
  return createStripeError(402, { type: 'card_error', code, message, param });
}

function readFingerprint(ledger: Ledger, number: string): string {
  let fingerprint = ledger.fingerprints.get(number);
  if (fingerprint === undefined) {
    fingerprint = fingerprintCard(ledger.accountId, number);
    ledger.fingerprints.set(number, fingerprint);
  }
  return fingerprint;
}

/** Makes a card PaymentMethod on the ledger's account, checking the card as Stripe does. */
export function createCardPaymentMethod(
  services: EmulatorServices,
  ledger: Ledger,
  input: {
    card: CardInput;
    billingDetails?: BillingDetailsInput;
    metadata?: Record<string, string>;
  },
): PaymentMethodObject {
  const number = input.card.number.replaceAll(/[\s-]/g, '');
  if (!isValidCardNumber(number)) {
    throw cardError('incorrect_number', 'Your card number is incorrect.', 'card[number]');
  }
  const month = input.card.exp_month;
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw cardError(
      'invalid_expiry_month',
      "Your card's expiration month is invalid.",
      'card[exp_month]',
    );
  }
  const year = input.card.exp_year < 100 ? 2000 + input.card.exp_year : input.card.exp_year;
  const today = new Date(services.clock.now() * 1000);
  const expired =
    year < today.getUTCFullYear() ||
    (year === today.getUTCFullYear() && month < today.getUTCMonth() + 1);
  if (expired || year > today.getUTCFullYear() + 50) {
    throw cardError(
      'invalid_expiry_year',
      "Your card's expiration year is invalid.",
      'card[exp_year]',
    );
  }
  const card = describeCard(number);
  const paymentMethod: PaymentMethodObject = {
    id: services.ids.newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: buildBillingDetails(input.billingDetails),
    card: {
      brand: card.brand,
      display_brand: card.brand,
      checks: {
        address_line1_check: null,
        address_postal_code_check:
          input.billingDetails?.address?.postal_code == null ? null : 'pass',
        cvc_check: input.card.cvc === undefined ? null : 'pass',
      },
      country: card.country,
      exp_month: month,
      exp_year: year,
      fingerprint: readFingerprint(ledger, number),
      funding: card.funding,
      generated_from: null,
      last4: number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: services.clock.now(),
    customer: null,
    customer_account: null,
    livemode: ledger.livemode,
    metadata: input.metadata ?? {},
    type: 'card',
  };
  ledger.paymentMethods.set(paymentMethod.id, paymentMethod);
  ledger.cards.set(paymentMethod.id, card);
  return paymentMethod;
}

/** Makes an iDEAL PaymentMethod; the buyer approves each payment with it on the bank's page. */
export function createIdealPaymentMethod(
  services: EmulatorServices,
  ledger: Ledger,
  input: {
    bank?: string;
    billingDetails?: BillingDetailsInput;
    metadata?: Record<string, string>;
  },
): IdealPaymentMethod {
  const paymentMethod: IdealPaymentMethod = {
    id: services.ids.newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: buildBillingDetails(input.billingDetails),
    created: services.clock.now(),
    customer: null,
    customer_account: null,
    ideal: { bank: input.bank ?? null, bic: null },
    livemode: ledger.livemode,
    metadata: input.metadata ?? {},
    type: 'ideal',
  };
  ledger.paymentMethods.set(paymentMethod.id, paymentMethod);
  return paymentMethod;
}

/**
 * Finds a PaymentMethod by id on this account. Stripe's test ids (`pm_card_visa`, …) work on
 * every account and make a new `pm_` each time they are used.
 */
export function resolvePaymentMethod(
  services: EmulatorServices,
  ledger: Ledger,
  id: string,
  param = 'payment_method',
): PaymentMethodObject {
  const testNumber = testPaymentMethodNumbers.get(id);
  if (testNumber !== undefined) {
    const year = new Date(services.clock.now() * 1000).getUTCFullYear() + 5;
    return createCardPaymentMethod(services, ledger, {
      card: { number: testNumber, exp_month: 12, exp_year: year, cvc: '123' },
    });
  }
  const found = ledger.paymentMethods.get(id);
  if (found === undefined) throw resourceMissing('PaymentMethod', id, param);
  return found;
}

/** Attaches a card to a customer; Stripe checks the card then, so most declining cards fail. */
export function attachPaymentMethod(
  ledger: Ledger,
  paymentMethod: PaymentMethodObject,
  customerId: string,
  options: { checkCard: boolean } = { checkCard: true },
): PaymentMethodObject {
  if (!ledger.customers.has(customerId)) throw resourceMissing('customer', customerId, 'customer');
  if (paymentMethod.customer === customerId) return paymentMethod;
  if (paymentMethod.customer !== null) {
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      { param: 'payment_method' },
    );
  }
  const outcome = ledger.cards.get(paymentMethod.id)?.outcome;
  if (options.checkCard && outcome?.kind === 'decline' && outcome.declinesOnAttach) {
    throw createStripeError(402, {
      type: 'card_error',
      code: outcome.code,
      decline_code: outcome.declineCode,
      message: outcome.message,
      param: '',
    });
  }
  const attached: PaymentMethodObject = { ...paymentMethod, customer: customerId };
  ledger.paymentMethods.set(attached.id, attached);
  return attached;
}

const cardParams = z.strictObject({
  number: formString,
  exp_month: formInteger,
  exp_year: formInteger,
  cvc: formString.optional(),
});

const createParams = apiParams({
  type: formEnum(['card']),
  card: cardParams.optional(),
  billing_details: formBillingDetails.optional(),
  metadata: formMetadata.optional(),
  allow_redisplay: formEnum(['always', 'limited', 'unspecified']).optional(),
});

const updateParams = apiParams({
  billing_details: formBillingDetails.optional(),
  metadata: formMetadata.optional(),
  allow_redisplay: formEnum(['always', 'limited', 'unspecified']).optional(),
  card: z
    .strictObject({ exp_month: formInteger.optional(), exp_year: formInteger.optional() })
    .optional(),
});

function findPaymentMethod(call: ApiCall, services: EmulatorServices): PaymentMethodObject {
  return resolvePaymentMethod(services, call.ledger, call.pathParams.id ?? '', 'payment_method');
}

export const paymentMethodRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/v1/payment_methods',
    publishable: true,
    handle: function createPaymentMethod(call, services): ResponseBody {
      const params = parseParams(createParams, call.params);
      if (params.card === undefined) {
        throw invalidRequest('Missing required param: card.', {
          param: 'card',
          code: 'parameter_missing',
          replayable: false,
        });
      }
      return createCardPaymentMethod(services, call.ledger, {
        card: params.card,
        billingDetails: params.billing_details,
        metadata: mergeMetadata({}, params.metadata),
      });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/payment_methods/:id',
    handle: function retrievePaymentMethod(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      return findPaymentMethod(call, services);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id',
    handle: function updatePaymentMethod(call, services): ResponseBody {
      const params = parseParams(updateParams, call.params);
      const current = findPaymentMethod(call, services);
      const changed = {
        billing_details: buildBillingDetails(params.billing_details, current.billing_details),
        metadata: mergeMetadata(current.metadata, params.metadata),
        allow_redisplay: params.allow_redisplay ?? current.allow_redisplay,
      };
      const updated: PaymentMethodObject =
        current.type === 'card'
          ? {
              ...current,
              ...changed,
              card: {
                ...current.card,
                exp_month: params.card?.exp_month ?? current.card.exp_month,
                exp_year: params.card?.exp_year ?? current.card.exp_year,
              },
            }
          : { ...current, ...changed };
      call.ledger.paymentMethods.set(updated.id, updated);
      return updated;
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id/attach',
    handle: function attachToCustomer(call, services): ResponseBody {
      const params = parseParams(apiParams({ customer: formString }), call.params);
      return attachPaymentMethod(call.ledger, findPaymentMethod(call, services), params.customer);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id/detach',
    handle: function detachFromCustomer(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      const current = findPaymentMethod(call, services);
      if (current.customer === null) {
        throw invalidRequest(
          `The payment method ${current.id} is not attached to a customer so detachment is impossible.`,
          { param: 'payment_method' },
        );
      }
      const detached: PaymentMethodObject = { ...current, customer: null };
      call.ledger.paymentMethods.set(detached.id, detached);
      call.ledger.savedForOffSession.delete(detached.id);
      return detached;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/payment_methods',
    handle: function listPaymentMethods(call): ResponseBody {
      const params = parseParams(
        listParams({ customer: formString.optional(), type: formString.optional() }),
        call.params,
      );
      const items = newestFirst(call.ledger.paymentMethods.values()).filter(
        (method) =>
          (params.customer === undefined || method.customer === params.customer) &&
          (params.type === undefined || method.type === params.type),
      );
      return pageList(items, params, '/v1/payment_methods');
    },
  },
  {
    method: 'GET',
    pattern: '/v1/customers/:id/payment_methods',
    handle: function listCustomerPaymentMethods(call): ResponseBody {
      const params = parseParams(listParams({ type: formString.optional() }), call.params);
      const customerId = call.pathParams.id ?? '';
      if (!call.ledger.customers.has(customerId))
        throw resourceMissing('customer', customerId, 'customer');
      const items = newestFirst(call.ledger.paymentMethods.values()).filter(
        (method) =>
          method.customer === customerId &&
          (params.type === undefined || method.type === params.type),
      );
      return pageList(items, params, `/v1/customers/${customerId}/payment_methods`);
    },
  },
];
