import { presentAccount } from './accounts.js';
import type { ApiRoute, ResponseBody } from './api.js';
import { invalidRequest } from './api-error.js';
import type { BalanceFunds, BalanceObject } from './objects.js';
import { apiParams, parseParams } from './params.js';

export const accountRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: '/v1/account',
    handle: function retrieveOwnAccount(call): ResponseBody {
      parseParams(apiParams({}), call.params);
      return presentAccount(call.account);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/accounts/:id',
    handle: function retrieveAccount(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      const own = id === call.account.id;
      const connected =
        call.key.kind !== 'oauth' &&
        services.accounts.findConnection(call.key.accountId, id) !== undefined;
      const target = services.accounts.findAccount(id);
      if (target === undefined || (!own && !connected)) {
        throw invalidRequest(
          `The provided key does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
          { status: 403, param: 'account' },
        );
      }
      return presentAccount(target);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/balance',
    handle: function retrieveBalance(call): BalanceObject {
      parseParams(apiParams({}), call.params);
      const available = new Map<string, number>();
      const pending = new Map<string, number>();
      for (const charge of call.ledger.charges.values()) {
        if (charge.status !== 'succeeded') continue;
        const net = charge.amount_captured - charge.amount_refunded;
        const target = charge.captured ? available : pending;
        target.set(
          charge.currency,
          (target.get(charge.currency) ?? 0) + (charge.captured ? net : charge.amount),
        );
      }
      const currency = call.account.defaultCurrency;
      if (available.size === 0) available.set(currency, 0);
      if (pending.size === 0) pending.set(currency, 0);
      const toFunds = (totals: Map<string, number>): BalanceFunds[] =>
        [...totals].map(([fundsCurrency, amount]) => ({
          amount,
          currency: fundsCurrency,
          source_types: { card: amount },
        }));
      return {
        object: 'balance',
        available: toFunds(available),
        connect_reserved: [],
        livemode: call.livemode,
        pending: toFunds(pending),
      };
    },
  },
];
