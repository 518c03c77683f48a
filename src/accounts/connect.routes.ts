import { z } from 'zod';
import { type AdminApp, type App, actorName, actorOf } from '../http/app.js';
import { noticeStylesheet, noticeStylesheetPath, renderNoticePage } from '../http/pages.js';
import { handleSchema } from './accounts.routes.js';
import type { ConnectOutcome, ConnectService } from './connect.service.js';

const titles: Record<ConnectOutcome, string> = {
  connected: 'Stripe account connected',
  denied: 'Nothing was connected',
  state_invalid: 'This link is not valid',
  state_expired: 'This link has expired',
  state_replayed: 'This link was already used',
  code_rejected: 'Stripe rejected the authorization',
  failed: 'The account could not be connected',
};

/** Starting needs an admin token: whoever starts the flow decides where payments will go. */
export function registerConnectStartRoute(app: AdminApp, connect: ConnectService): void {
  app.get(
    '/connect/stripe/start',
    { schema: { querystring: z.object({ handle: handleSchema }) } },
    async function startConnect(request, reply) {
      const url = await connect.startConnect({
        workspaceId: actorOf(request).workspaceId,
        handle: request.query.handle,
        actor: actorName(request),
      });
      return reply.redirect(url, 302);
    },
  );
}

/** Public: Stripe sends the merchant's browser here; the signed state is what authorises it. */
export function registerConnectCallbackRoute(app: App, connect: ConnectService): void {
  app.get(noticeStylesheetPath, async function noticeStyles(_request, reply) {
    return reply
      .header('cache-control', 'public, max-age=3600')
      .type('text/css; charset=utf-8')
      .send(noticeStylesheet);
  });
  app.get(
    '/connect/stripe/callback',
    {
      schema: {
        querystring: z.object({
          state: z.string().max(200).optional(),
          code: z.string().max(300).optional(),
          scope: z.string().max(100).optional(),
          error: z.string().max(100).optional(),
          error_description: z.string().max(500).optional(),
        }),
      },
    },
    async function finishConnect(request, reply) {
      const result = await connect.completeConnect({
        state: request.query.state,
        code: request.query.code,
        error: request.query.error,
        errorDescription: request.query.error_description,
      });
      reply
        .status(result.outcome === 'connected' ? 200 : result.outcome === 'failed' ? 502 : 400)
        .type('text/html; charset=utf-8');
      return renderNoticePage({
        title: titles[result.outcome],
        message: result.message,
        tone: result.outcome === 'connected' ? 'success' : 'problem',
        details: result.warnings,
      });
    },
  );
}
