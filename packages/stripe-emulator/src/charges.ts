import type { ApiCall, ApiRoute, EmulatorServices, ResponseBody } from './api.js';
import { invalidRequest, resourceMissing } from './api-error.js';
import { newestFirst, pageList } from './list.js';
import type { ChargeObject, RefundObject } from './objects.js';
import {
  apiParams,
  formEnum,
  formInteger,
  formMetadata,
  formNullableString,
  formString,
  listParams,
  mergeMetadata,
  parseParams,
} from './params.js';

function findCharge(call: ApiCall, id: string, param: string): ChargeObject {
  const charge = call.ledger.charges.get(id);
  if (charge === undefined) throw resourceMissing('charge', id, param);
  return charge;
}

/** The charge a refund is for: named directly or as the PaymentIntent's successful charge. */
function findRefundableCharge(
  call: ApiCall,
  params: { charge?: string; payment_intent?: string },
): ChargeObject {
  if (params.charge !== undefined) return findCharge(call, params.charge, 'charge');
  if (params.payment_intent === undefined) {
    throw invalidRequest(
      'One of the following params should be provided for this request: payment_intent or charge.',
      {
        code: 'parameter_missing',
        replayable: false,
      },
    );
  }
  const paymentIntent = call.ledger.paymentIntents.get(params.payment_intent);
  if (paymentIntent === undefined) {
    throw resourceMissing('payment_intent', params.payment_intent, 'payment_intent');
  }
  const charge =
    paymentIntent.latest_charge === null
      ? undefined
      : call.ledger.charges.get(paymentIntent.latest_charge);
  if (charge === undefined || charge.status !== 'succeeded') {
    throw invalidRequest(
      `This PaymentIntent (${paymentIntent.id}) does not have a successful charge to refund.`,
      { param: 'payment_intent' },
    );
  }
  return charge;
}

function refundCharge(
  call: ApiCall,
  services: EmulatorServices,
  charge: ChargeObject,
  params: { amount?: number; reason?: string; metadata?: Parameters<typeof mergeMetadata>[1] },
): RefundObject {
  if (!charge.captured) {
    throw invalidRequest(
      `Charge ${charge.id} has not been captured; cancel its PaymentIntent to release the funds.`,
      { param: 'charge', code: 'charge_not_refundable' },
    );
  }
  const refundable = charge.amount_captured - charge.amount_refunded;
  if (refundable <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, {
      code: 'charge_already_refunded',
    });
  }
  const amount = params.amount ?? refundable;
  if (amount < 1) {
    throw invalidRequest('Refund amount must be positive.', { param: 'amount' });
  }
  if (amount > refundable) {
    throw invalidRequest(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${refundable})`,
      { param: 'amount', code: 'amount_too_large' },
    );
  }
  const refund: RefundObject = {
    id: services.ids.newId('re'),
    object: 'refund',
    amount,
    balance_transaction: services.ids.newId('txn'),
    charge: charge.id,
    created: services.clock.now(),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    metadata: mergeMetadata({}, params.metadata),
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: params.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  call.ledger.refunds.set(refund.id, refund);
  const amountRefunded = charge.amount_refunded + amount;
  const refunded: ChargeObject = {
    ...charge,
    amount_refunded: amountRefunded,
    refunded: amountRefunded >= charge.amount_captured,
  };
  call.ledger.charges.set(refunded.id, refunded);
  services.publish(call.ledger, 'refund.created', refund);
  services.publish(call.ledger, 'charge.refunded', refunded, {
    amount_refunded: charge.amount_refunded,
    refunded: charge.refunded,
  });
  return refund;
}

export const chargeRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: '/v1/charges/:id',
    handle: function retrieveCharge(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      return findCharge(call, call.pathParams.id ?? '', 'id');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/charges/:id',
    handle: function updateCharge(call): ResponseBody {
      const params = parseParams(
        apiParams({
          metadata: formMetadata.optional(),
          description: formNullableString.optional(),
        }),
        call.params,
      );
      const current = findCharge(call, call.pathParams.id ?? '', 'id');
      const updated: ChargeObject = {
        ...current,
        metadata: mergeMetadata(current.metadata, params.metadata),
        description: params.description === undefined ? current.description : params.description,
      };
      call.ledger.charges.set(updated.id, updated);
      return updated;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/charges',
    handle: function listCharges(call): ResponseBody {
      const params = parseParams(
        listParams({ customer: formString.optional(), payment_intent: formString.optional() }),
        call.params,
      );
      const items = newestFirst(call.ledger.charges.values()).filter(
        (charge) =>
          (params.customer === undefined || charge.customer === params.customer) &&
          (params.payment_intent === undefined || charge.payment_intent === params.payment_intent),
      );
      return pageList(items, params, '/v1/charges');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/refunds',
    handle: function createRefund(call, services): ResponseBody {
      const params = parseParams(
        apiParams({
          charge: formString.optional(),
          payment_intent: formString.optional(),
          amount: formInteger.optional(),
          reason: formEnum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
          metadata: formMetadata.optional(),
          instructions_email: formString.optional(),
        }),
        call.params,
      );
      return refundCharge(call, services, findRefundableCharge(call, params), params);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/refunds/:id',
    handle: function retrieveRefund(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      const refund = call.ledger.refunds.get(id);
      if (refund === undefined) throw resourceMissing('refund', id, 'id');
      return refund;
    },
  },
  {
    method: 'POST',
    pattern: '/v1/refunds/:id',
    handle: function updateRefund(call): ResponseBody {
      const params = parseParams(apiParams({ metadata: formMetadata.optional() }), call.params);
      const id = call.pathParams.id ?? '';
      const current = call.ledger.refunds.get(id);
      if (current === undefined) throw resourceMissing('refund', id, 'id');
      const updated: RefundObject = {
        ...current,
        metadata: mergeMetadata(current.metadata, params.metadata),
      };
      call.ledger.refunds.set(id, updated);
      return updated;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/refunds',
    handle: function listRefunds(call): ResponseBody {
      const params = parseParams(
        listParams({ charge: formString.optional(), payment_intent: formString.optional() }),
        call.params,
      );
      const items = newestFirst(call.ledger.refunds.values()).filter(
        (refund) =>
          (params.charge === undefined || refund.charge === params.charge) &&
          (params.payment_intent === undefined || refund.payment_intent === params.payment_intent),
      );
      return pageList(items, params, '/v1/refunds');
    },
  },
];
