import { z } from 'zod';
import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import { couponSchema } from './coupons.schema.js';
import type { Coupons } from './coupons.service.js';

const codeParams = z.object({ code: z.string().max(40) });

/** `POST/GET/DELETE /api/coupons`: the codes buyers type on the payment step. */
export function registerCouponRoutes(app: AdminApp, coupons: Coupons): void {
  app.get('/api/coupons', async function listCoupons(request) {
    return { coupons: await coupons.listCoupons(actorOf(request).workspaceId) };
  });

  app.post('/api/coupons', async function createCoupon(request, reply) {
    const input = parseInput(couponSchema, request.body);
    const coupon = await coupons.createCoupon(
      actorOf(request).workspaceId,
      input,
      actorName(request),
    );
    return reply.status(201).send({ coupon });
  });

  app.delete(
    '/api/coupons/:code',
    { schema: { params: codeParams } },
    async function removeCoupon(request, reply) {
      await coupons.removeCoupon(
        actorOf(request).workspaceId,
        request.params.code,
        actorName(request),
      );
      return reply.status(204).send();
    },
  );
}
