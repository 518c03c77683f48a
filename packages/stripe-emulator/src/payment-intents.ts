import { z } from 'zod';
import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { invalidRequest, resourceMissing } from './api-error.js';
import { settleInvoiceFor } from './billing.js';
import { newestFirst, pageList } from './list.js';
import type { PaymentIntentObject, PaymentMethodObject } from './objects.js';
import {
  apiParams,
  formArray,
  formBillingDetails,
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
import {
  createCardPaymentMethod,
  createIdealPaymentMethod,
  resolvePaymentMethod,
} from './payment-methods.js';
import {
  attemptPayment,
  buildPaymentIntent,
  cancelPayment,
  capturePayment,
  unexpectedState,
} from './payments.js';
import { type SearchFields, searchRoute } from './search.js';

const paymentMethodDataFields = {
  billing_details: formBillingDetails.optional(),
  metadata: formMetadata.optional(),
  allow_redisplay: formString.optional(),
};

const paymentMethodData = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('card'),
    card: z.strictObject({
      number: formString,
      exp_month: formInteger,
      exp_year: formInteger,
      cvc: formString.optional(),
    }),
    ...paymentMethodDataFields,
  }),
  z.strictObject({
    type: z.literal('ideal'),
    ideal: z.strictObject({ bank: formString.optional() }).optional(),
    ...paymentMethodDataFields,
  }),
]);

/** Redirect methods an account offers when the PaymentIntent lets Stripe choose (EUR only). */
function automaticMethodTypes(currency: string, allowRedirects: string): string[] {
  return currency === 'eur' && allowRedirects === 'always' ? ['card', 'ideal'] : ['card'];
}

const offSession = z.union([formBoolean, formEnum(['one_off', 'recurring'])]);
const setupFutureUsage = z.union([z.literal(''), formEnum(['on_session', 'off_session'])]);
const captureMethod = formEnum(['automatic', 'automatic_async', 'manual']);

/** Accepted so that integrations written for Stripe pass; the emulator does not act on them. */
const acceptedAndIgnored = {
  payment_method_options: z.unknown().optional(),
  mandate_data: z.unknown().optional(),
  use_stripe_sdk: formBoolean.optional(),
  error_on_requires_action: formBoolean.optional(),
  radar_options: z.unknown().optional(),
};

const confirmFields = {
  payment_method: formString.optional(),
  payment_method_data: paymentMethodData.optional(),
  off_session: offSession.optional(),
  setup_future_usage: setupFutureUsage.optional(),
  receipt_email: formNullableString.optional(),
  return_url: formString.optional(),
  shipping: z.unknown().optional(),
  capture_method: captureMethod.optional(),
  payment_method_types: formArray(formString).optional(),
  ...acceptedAndIgnored,
};

const createParams = apiParams({
  amount: formInteger,
  currency: formString,
  customer: formString.optional(),
  confirm: formBoolean.optional(),
  metadata: formMetadata.optional(),
  description: formNullableString.optional(),
  automatic_payment_methods: z
    .strictObject({
      enabled: formBoolean,
      allow_redirects: formEnum(['always', 'never']).optional(),
    })
    .optional(),
  confirmation_method: formEnum(['automatic', 'manual']).optional(),
  statement_descriptor: formString.optional(),
  statement_descriptor_suffix: formString.optional(),
  application_fee_amount: formInteger.optional(),
  on_behalf_of: formString.optional(),
  transfer_data: z.unknown().optional(),
  transfer_group: formString.optional(),
  excluded_payment_method_types: formArray(formString).optional(),
  payment_method_configuration: formString.optional(),
  ...confirmFields,
});

const confirmParams = apiParams({ client_secret: formString.optional(), ...confirmFields });

const updateParams = apiParams({
  amount: formInteger.optional(),
  currency: formString.optional(),
  customer: formString.optional(),
  description: formNullableString.optional(),
  metadata: formMetadata.optional(),
  payment_method: formString.optional(),
  payment_method_types: formArray(formString).optional(),
  receipt_email: formNullableString.optional(),
  setup_future_usage: setupFutureUsage.optional(),
  capture_method: captureMethod.optional(),
  shipping: z.unknown().optional(),
  statement_descriptor: formString.optional(),
  statement_descriptor_suffix: formString.optional(),
  application_fee_amount: formInteger.optional(),
  transfer_group: formString.optional(),
  payment_method_options: z.unknown().optional(),
});

/** https://docs.stripe.com/search#query-fields-for-payment-intents */
const searchFields: SearchFields = {
  amount: 'numeric',
  created: 'numeric',
  currency: 'token',
  customer: 'token',
  status: 'token',
};

function checkAmount(amount: number): void {
  if (amount < 50) {
    throw invalidRequest('Amount must be at least 50 cents', {
      param: 'amount',
      code: 'amount_too_small',
    });
  }
  if (amount > 99_999_999) {
    throw invalidRequest('Amount must be no more than 999,999.99', {
      param: 'amount',
      code: 'amount_too_large',
    });
  }
}

function checkCurrency(currency: string): string {
  const lower = currency.toLowerCase();
  if (!/^[a-z]{3}$/.test(lower)) {
    throw invalidRequest(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, gbp, cad, aud, jpy, …`,
      {
        param: 'currency',
      },
    );
  }
  return lower;
}

/** Finds a PaymentIntent on the acting account; with a publishable key the secret must match. */
function findPaymentIntent(call: ApiCall, clientSecret: string | undefined): PaymentIntentObject {
  const id = call.pathParams.id ?? '';
  const found = call.ledger.paymentIntents.get(id);
  const publishable = call.key.kind === 'publishable';
  if (found === undefined || (publishable && clientSecret !== found.client_secret)) {
    throw resourceMissing('payment_intent', id, 'intent');
  }
  if (clientSecret !== undefined && clientSecret !== found.client_secret) {
    throw invalidRequest(
      'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
      { param: 'client_secret' },
    );
  }
  return found;
}

type ConfirmInput = z.infer<typeof confirmParams>;

function readOffSession(value: ConfirmInput['off_session']): boolean {
  return value === true || value === 'one_off' || value === 'recurring';
}

/** The payment method a confirm names: new card details, a test id, or a saved `pm_`. */
function choosePaymentMethod(
  call: ApiCall,
  services: EmulatorServices,
  params: ConfirmInput,
): PaymentMethodObject | undefined {
  const data = params.payment_method_data;
  if (data?.type === 'ideal') {
    return createIdealPaymentMethod(services, call.ledger, {
      bank: data.ideal?.bank,
      billingDetails: data.billing_details,
      metadata: mergeMetadata({}, data.metadata),
    });
  }
  if (data !== undefined) {
    return createCardPaymentMethod(services, call.ledger, {
      card: data.card,
      billingDetails: data.billing_details,
      metadata: mergeMetadata({}, data.metadata),
    });
  }
  if (params.payment_method !== undefined) {
    return resolvePaymentMethod(services, call.ledger, params.payment_method);
  }
  return undefined;
}

function checkPaymentMethodType(method: PaymentMethodObject, paymentIntent: PaymentIntentObject) {
  if (paymentIntent.payment_method_types.includes(method.type)) return;
  throw invalidRequest(
    `The PaymentMethod provided (${method.type}) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: ${paymentIntent.payment_method_types.join(', ')}. Alternatively, update the allowed payment_method_types for this PaymentIntent to include "${method.type}".`,
    { param: 'payment_method', code: 'payment_intent_incompatible_payment_method' },
  );
}

function checkPaymentMethodOwner(method: PaymentMethodObject, customer: string | null): void {
  if (method.customer !== null && method.customer !== customer) {
    throw invalidRequest(
      `The PaymentMethod ${method.id} belongs to the Customer ${method.customer}. Please include the Customer in the \`customer\` parameter on the PaymentIntent.`,
      { param: 'payment_method' },
    );
  }
}

/** Confirms with what the request supplies; a decline is thrown as Stripe's 402. */
function confirmWith(
  call: ApiCall,
  services: EmulatorServices,
  paymentIntent: PaymentIntentObject,
  params: ConfirmInput,
): PaymentIntentObject {
  const method = choosePaymentMethod(call, services, params);
  if (method !== undefined) {
    checkPaymentMethodOwner(method, paymentIntent.customer);
    checkPaymentMethodType(method, paymentIntent);
  }
  const ready: PaymentIntentObject = {
    ...paymentIntent,
    payment_method: method?.id ?? paymentIntent.payment_method,
    setup_future_usage:
      params.setup_future_usage === undefined
        ? paymentIntent.setup_future_usage
        : params.setup_future_usage || null,
    receipt_email:
      params.receipt_email === undefined ? paymentIntent.receipt_email : params.receipt_email,
    capture_method: params.capture_method ?? paymentIntent.capture_method,
  };
  call.ledger.paymentIntents.set(ready.id, ready);
  return confirmPrepared(call, services, ready, params);
}

function confirmPrepared(
  call: ApiCall,
  services: EmulatorServices,
  paymentIntent: PaymentIntentObject,
  params: Pick<ConfirmInput, 'off_session' | 'return_url'>,
): PaymentIntentObject {
  const attempt = attemptPayment(services, call.ledger, call.account, paymentIntent, {
    offSession: readOffSession(params.off_session),
    origin: call.origin,
    returnUrl: params.return_url,
  });
  settleInvoiceFor(services, call.ledger, attempt.paymentIntent);
  if (attempt.kind === 'declined') throw attempt.error;
  return attempt.paymentIntent;
}

export const paymentIntentRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/v1/payment_intents',
    handle: function createPaymentIntent(call, services): ResponseBody {
      const params = parseParams(createParams, call.params);
      checkAmount(params.amount);
      const currency = checkCurrency(params.currency);
      if (params.customer !== undefined && !call.ledger.customers.has(params.customer)) {
        throw resourceMissing('customer', params.customer, 'customer');
      }
      if (params.off_session !== undefined && params.confirm !== true) {
        throw invalidRequest('You can only pass `off_session` when `confirm` is `true`.', {
          param: 'off_session',
        });
      }
      // A test id becomes a real `pm_` now, so the PaymentIntent names it from the start.
      const method = choosePaymentMethod(call, services, params);
      if (method !== undefined) checkPaymentMethodOwner(method, params.customer ?? null);
      const automatic = params.automatic_payment_methods;
      const allowRedirects = automatic?.allow_redirects ?? 'always';
      const paymentIntent = buildPaymentIntent(services, call.livemode, {
        amount: params.amount,
        currency,
        customer: params.customer ?? null,
        description: params.description ?? null,
        paymentMethod: method?.id ?? null,
        setupFutureUsage: params.setup_future_usage || null,
        metadata: mergeMetadata({}, params.metadata),
        applicationFeeAmount: params.application_fee_amount,
        automaticPaymentMethods:
          automatic === undefined
            ? null
            : {
                enabled: automatic.enabled,
                allow_redirects: allowRedirects,
              },
        captureMethod: params.capture_method,
        confirmationMethod: params.confirmation_method,
        excludedPaymentMethodTypes: params.excluded_payment_method_types,
        onBehalfOf: params.on_behalf_of,
        paymentMethodTypes:
          params.payment_method_types ??
          (automatic?.enabled === true
            ? automaticMethodTypes(currency, allowRedirects)
            : undefined),
        receiptEmail: params.receipt_email,
        statementDescriptor: params.statement_descriptor,
        statementDescriptorSuffix: params.statement_descriptor_suffix,
        transferGroup: params.transfer_group,
      });
      if (method !== undefined) checkPaymentMethodType(method, paymentIntent);
      call.ledger.paymentIntents.set(paymentIntent.id, paymentIntent);
      services.publish(call.ledger, 'payment_intent.created', paymentIntent);
      if (params.confirm !== true) return paymentIntent;
      return confirmPrepared(call, services, paymentIntent, params);
    },
  },
  searchRoute('payment_intents', searchFields, (ledger) => ledger.paymentIntents.values()),
  {
    method: 'GET',
    pattern: '/v1/payment_intents/:id',
    publishable: true,
    handle: function retrievePaymentIntent(call): ResponseBody {
      const params = parseParams(apiParams({ client_secret: formString.optional() }), call.params);
      return findPaymentIntent(call, params.client_secret);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id',
    handle: function updatePaymentIntent(call, services): ResponseBody {
      const params = parseParams(updateParams, call.params);
      const current = findPaymentIntent(call, undefined);
      const changesPayment =
        params.amount !== undefined ||
        params.currency !== undefined ||
        params.payment_method !== undefined ||
        params.customer !== undefined;
      const open = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
      if (changesPayment && !open.includes(current.status)) {
        throw unexpectedState(current, 'update', open);
      }
      if (params.amount !== undefined) checkAmount(params.amount);
      if (params.customer !== undefined && !call.ledger.customers.has(params.customer)) {
        throw resourceMissing('customer', params.customer, 'customer');
      }
      const customer = params.customer ?? current.customer;
      const method =
        params.payment_method === undefined
          ? undefined
          : resolvePaymentMethod(services, call.ledger, params.payment_method);
      if (method !== undefined) checkPaymentMethodOwner(method, customer);
      const paymentMethod = method?.id ?? current.payment_method;
      const updated: PaymentIntentObject = {
        ...current,
        amount: params.amount ?? current.amount,
        currency: params.currency === undefined ? current.currency : checkCurrency(params.currency),
        customer,
        description: params.description === undefined ? current.description : params.description,
        metadata: mergeMetadata(current.metadata, params.metadata),
        payment_method: paymentMethod,
        payment_method_types: params.payment_method_types ?? current.payment_method_types,
        receipt_email:
          params.receipt_email === undefined ? current.receipt_email : params.receipt_email,
        setup_future_usage:
          params.setup_future_usage === undefined
            ? current.setup_future_usage
            : params.setup_future_usage || null,
        capture_method: params.capture_method ?? current.capture_method,
        statement_descriptor: params.statement_descriptor ?? current.statement_descriptor,
        statement_descriptor_suffix:
          params.statement_descriptor_suffix ?? current.statement_descriptor_suffix,
        application_fee_amount: params.application_fee_amount ?? current.application_fee_amount,
        transfer_group: params.transfer_group ?? current.transfer_group,
        status:
          current.status === 'requires_payment_method' && paymentMethod !== null
            ? 'requires_confirmation'
            : current.status,
      };
      call.ledger.paymentIntents.set(updated.id, updated);
      return updated;
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id/confirm',
    publishable: true,
    handle: function confirmPaymentIntent(call, services): ResponseBody {
      const params = parseParams(confirmParams, call.params);
      if (call.key.kind === 'publishable' && params.client_secret === undefined) {
        throw resourceMissing('payment_intent', call.pathParams.id ?? '', 'intent');
      }
      const current = findPaymentIntent(call, params.client_secret);
      return confirmWith(call, services, current, params);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id/capture',
    handle: function capturePaymentIntent(call, services): ResponseBody {
      const params = parseParams(
        apiParams({
          amount_to_capture: formInteger.optional(),
          metadata: formMetadata.optional(),
          statement_descriptor: formString.optional(),
          statement_descriptor_suffix: formString.optional(),
          final_capture: formBoolean.optional(),
          application_fee_amount: formInteger.optional(),
        }),
        call.params,
      );
      const current = findPaymentIntent(call, undefined);
      const captured = capturePayment(services, call.ledger, current, params.amount_to_capture);
      if (params.metadata === undefined) return captured;
      const withMetadata = {
        ...captured,
        metadata: mergeMetadata(captured.metadata, params.metadata),
      };
      call.ledger.paymentIntents.set(withMetadata.id, withMetadata);
      return withMetadata;
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id/cancel',
    handle: function cancelPaymentIntent(call, services): ResponseBody {
      const params = parseParams(
        apiParams({
          cancellation_reason: formEnum([
            'duplicate',
            'fraudulent',
            'requested_by_customer',
            'abandoned',
          ]).optional(),
        }),
        call.params,
      );
      const current = findPaymentIntent(call, undefined);
      return cancelPayment(services, call.ledger, current, params.cancellation_reason);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/payment_intents',
    handle: function listPaymentIntents(call): ResponseBody {
      const params = parseParams(listParams({ customer: formString.optional() }), call.params);
      const items = newestFirst(call.ledger.paymentIntents.values()).filter(
        (paymentIntent) =>
          params.customer === undefined || paymentIntent.customer === params.customer,
      );
      return pageList(items, params, '/v1/payment_intents');
    },
  },
];
