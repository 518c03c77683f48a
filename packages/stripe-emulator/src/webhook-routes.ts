import type { ApiRoute, ResponseBody } from './api.js';
import { resourceMissing } from './api-error.js';
import { pageList } from './list.js';
import {
  apiParams,
  formArray,
  formBoolean,
  formMetadata,
  formNullableString,
  formString,
  listParams,
  parseParams,
} from './params.js';

/** Webhook endpoints and events belong to the hub (webhooks.ts); these routes page and check. */

function readMetadata(update: Record<string, string> | '' | undefined) {
  if (update === undefined) return undefined;
  return update === '' ? {} : update;
}

export const webhookRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: '/v1/webhook_endpoints',
    handle: function createWebhookEndpoint(call, services): ResponseBody {
      const params = parseParams(
        apiParams({
          url: formString,
          enabled_events: formArray(formString),
          connect: formBoolean.optional(),
          description: formNullableString.optional(),
          metadata: formMetadata.optional(),
          api_version: formString.optional(),
        }),
        call.params,
      );
      return services.hub.createEndpoint(call.account.id, call.livemode, {
        url: params.url,
        enabled_events: params.enabled_events,
        connect: params.connect,
        description: params.description ?? undefined,
        metadata: readMetadata(params.metadata),
        api_version: params.api_version,
      });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/webhook_endpoints/:id',
    handle: function retrieveWebhookEndpoint(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      const endpoint = services.hub.retrieveEndpoint(call.account.id, call.livemode, id);
      if (endpoint === undefined) throw resourceMissing('webhook_endpoint', id, 'id');
      return endpoint;
    },
  },
  {
    method: 'POST',
    pattern: '/v1/webhook_endpoints/:id',
    handle: function updateWebhookEndpoint(call, services): ResponseBody {
      const params = parseParams(
        apiParams({
          url: formString.optional(),
          enabled_events: formArray(formString).optional(),
          disabled: formBoolean.optional(),
          description: formNullableString.optional(),
          metadata: formMetadata.optional(),
        }),
        call.params,
      );
      const id = call.pathParams.id ?? '';
      const endpoint = services.hub.updateEndpoint(call.account.id, call.livemode, id, {
        url: params.url,
        enabled_events: params.enabled_events,
        disabled: params.disabled,
        description: params.description ?? undefined,
        metadata: readMetadata(params.metadata),
      });
      if (endpoint === undefined) throw resourceMissing('webhook_endpoint', id, 'id');
      return endpoint;
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/webhook_endpoints/:id',
    handle: function deleteWebhookEndpoint(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      const deleted = services.hub.deleteEndpoint(call.account.id, call.livemode, id);
      if (deleted === undefined) throw resourceMissing('webhook_endpoint', id, 'id');
      return deleted;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/webhook_endpoints',
    handle: function listWebhookEndpoints(call, services): ResponseBody {
      const params = parseParams(listParams({}), call.params);
      return pageList(
        services.hub.listEndpoints(call.account.id, call.livemode),
        params,
        '/v1/webhook_endpoints',
      );
    },
  },
  {
    method: 'GET',
    pattern: '/v1/events/:id',
    handle: function retrieveEvent(call, services): ResponseBody {
      parseParams(apiParams({}), call.params);
      const id = call.pathParams.id ?? '';
      const event = services.hub.retrieveEvent(call.account.id, call.livemode, id);
      if (event === undefined) throw resourceMissing('event', id, 'id');
      return event;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/events',
    handle: function listEvents(call, services): ResponseBody {
      const params = parseParams(
        listParams({
          type: formString.optional(),
          types: formArray(formString).optional(),
          delivery_success: formBoolean.optional(),
        }),
        call.params,
      );
      let events = services.hub.listEvents(call.account.id, call.livemode, {
        type: params.type,
        deliverySuccess: params.delivery_success,
      });
      const types = params.types;
      if (types !== undefined)
        events = events.filter((event) => types.includes(String(event.type)));
      return pageList(events, params, '/v1/events');
    },
  },
];
