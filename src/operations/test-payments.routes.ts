import { z } from 'zod';
import { handleSchema } from '../accounts/accounts.routes.js';
import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import type { TestPayments } from './test-payments.js';

const modeSchema = z.enum(['test', 'live'], { error: 'test or live' });

const testPaymentBody = z.strictObject({ mode: modeSchema.default('test') }).default({
  mode: 'test',
});

const testPaymentQuery = z.strictObject({ mode: modeSchema.optional() });

const byHandle = z.object({ handle: handleSchema });

/** `POST` runs a test payment now; `GET` lists the newest 50 kept, newest first. */
export function registerTestPaymentRoutes(app: AdminApp, testPayments: TestPayments): void {
  app.post(
    '/api/accounts/:handle/test-payments',
    { schema: { params: byHandle } },
    async function runTestPayment(request, reply) {
      const body = parseInput(testPaymentBody, request.body ?? {});
      const testPayment = await testPayments.run({
        workspaceId: actorOf(request).workspaceId,
        handle: request.params.handle,
        mode: body.mode,
        actor: actorName(request),
      });
      return reply.status(201).send({ testPayment });
    },
  );

  app.get(
    '/api/accounts/:handle/test-payments',
    { schema: { params: byHandle } },
    async function listTestPayments(request) {
      const query = parseInput(testPaymentQuery, request.query ?? {}, 'query');
      return {
        testPayments: await testPayments.list(actorOf(request).workspaceId, request.params.handle, {
          mode: query.mode,
        }),
      };
    },
  );
}
