import { z } from 'zod';
import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import type { OrdersService } from './orders.service.js';

const isoTime = z.iso.datetime({
  offset: true,
  error: 'an ISO 8601 time, e.g. 2026-11-01T00:00:00Z',
});

const orderFilters = z.strictObject({
  account: z.string().max(40).optional(),
  status: z
    .enum(['open', 'paid', 'partially_refunded', 'refunded'], {
      error: 'a status is open, paid, partially_refunded or refunded',
    })
    .optional(),
  funnel: z.string().max(40).optional(),
  email: z.string().trim().max(320, { error: 'at most 320 characters' }).optional(),
  from: isoTime.transform((time) => new Date(time).toISOString()).optional(),
  to: isoTime.transform((time) => new Date(time).toISOString()).optional(),
});

const orderQuery = orderFilters.extend({
  cursor: z.string().max(500).optional(),
  limit: z.coerce
    .number({ error: 'a whole number from 1 to 200' })
    .int({ error: 'a whole number from 1 to 200' })
    .min(1, { error: 'at least 1' })
    .max(200, { error: 'at most 200' })
    .optional(),
});

const refundBody = z
  .strictObject({
    amount: z
      .number({ error: 'a whole number of minor units, e.g. 1000' })
      .int({ error: 'a whole number of minor units, e.g. 1000' })
      .min(1, { error: 'at least 1' })
      .optional(),
    reason: z.string().trim().max(500, { error: 'at most 500 characters' }).optional(),
    refund: z
      .string({ error: 'a refund id of this payment, e.g. rfd_…' })
      .max(40, { error: 'a refund id of this payment, e.g. rfd_…' })
      .optional(),
  })
  .default({});

export function registerOrderRoutes(app: AdminApp, orders: OrdersService): void {
  app.get('/api/orders', async function listOrders(request) {
    const query = parseInput(orderQuery, request.query ?? {}, 'query');
    return orders.listOrders(actorOf(request).workspaceId, query);
  });

  app.get('/api/orders.csv', async function exportOrders(request, reply) {
    const filters = parseInput(orderFilters, request.query ?? {}, 'query');
    const csv = await orders.exportCsv(actorOf(request).workspaceId, filters);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="orders.csv"')
      .send(csv);
  });

  app.get(
    '/api/orders/:id',
    { schema: { params: z.object({ id: z.string().max(100) }) } },
    async function showOrder(request) {
      return { order: await orders.showOrder(actorOf(request).workspaceId, request.params.id) };
    },
  );

  app.post(
    '/api/payments/:id/refunds',
    { schema: { params: z.object({ id: z.string().max(100) }) } },
    async function refundPayment(request, reply) {
      const body = parseInput(refundBody, request.body ?? {});
      const refund = await orders.refundPayment({
        workspaceId: actorOf(request).workspaceId,
        paymentId: request.params.id,
        amount: body.amount,
        reason: body.reason,
        refundId: body.refund,
        actor: actorName(request),
      });
      return reply.status(201).send({ refund });
    },
  );
}
