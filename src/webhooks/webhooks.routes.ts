import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../http/app.js';
import type { WebhooksService } from './webhooks.service.js';

/** Public: Stripe posts here. The signature, checked against the raw body, is the authentication. */
export async function registerWebhookRoutes(app: App, webhooks: WebhooksService): Promise<void> {
  await app.register(async function webhookScope(scope) {
    // The signature covers the exact bytes Stripe sent, so the body must not be re-serialised.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: 1024 * 1024 },
      (_request, body, done) => {
        done(null, body);
      },
    );
    scope
      .withTypeProvider<ZodTypeProvider>()
      .post(
        '/webhooks/stripe/:endpointId',
        { schema: { params: z.object({ endpointId: z.string().min(1).max(64) }) } },
        async function receiveWebhook(request) {
          const signature = request.headers['stripe-signature'];
          const result = await webhooks.receive({
            endpointId: request.params.endpointId,
            rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
            signature: typeof signature === 'string' ? signature : undefined,
          });
          if (!result.duplicate) {
            webhooks
              .processPending()
              .catch((error: unknown) =>
                request.log.error({ err: error }, 'webhook processing failed'),
              );
          }
          return { received: true, duplicate: result.duplicate };
        },
      );
  });
}
