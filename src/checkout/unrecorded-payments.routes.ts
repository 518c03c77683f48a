import { z } from 'zod';
import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorName, actorOf } from '../http/app.js';
import type { UnrecordedPayments } from './unrecorded-payments.js';

const unrecordedQuery = z.strictObject({
  state: z
    .enum(['open', 'adopted', 'explained'], { error: 'open, adopted or explained' })
    .optional(),
});

const explanationBody = z.strictObject({
  note: z
    .string({ error: 'why it stands, e.g. "refunded by hand in the dashboard"' })
    .trim()
    .min(1, { error: 'why it stands, e.g. "refunded by hand in the dashboard"' })
    .max(1000, { error: 'at most 1000 characters' }),
});

const byIntent = z.object({
  paymentIntentId: z.string().regex(/^pi_[A-Za-z0-9]{1,96}$/, 'a PaymentIntent id (pi_…)'),
});

/** The PaymentIntents found at Stripe with our metadata and no payment here, and their closing. */
export function registerUnrecordedPaymentRoutes(
  app: AdminApp,
  unrecorded: UnrecordedPayments,
): void {
  app.get('/api/unrecorded-payments', async function listUnrecordedPayments(request) {
    const query = parseInput(unrecordedQuery, request.query ?? {}, 'query');
    return {
      unrecordedPayments: await unrecorded.list(actorOf(request).workspaceId, {
        state: query.state ?? 'open',
      }),
    };
  });

  app.post(
    '/api/unrecorded-payments/:paymentIntentId/explanation',
    { schema: { params: byIntent } },
    async function explainUnrecordedPayment(request) {
      const body = parseInput(explanationBody, request.body ?? {});
      return {
        unrecordedPayment: await unrecorded.explain({
          workspaceId: actorOf(request).workspaceId,
          paymentIntentId: request.params.paymentIntentId,
          note: body.note,
          actor: actorName(request),
        }),
      };
    },
  );
}
