import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import { logFailure, toAppError } from '../http/error-handler.js';
import { messageFor } from '../http/hints.js';
import { escapeHtml } from '../http/pages.js';
import { registerAbandonedScreens } from './abandoned.pages.js';
import { registerAccountScreens } from './accounts.pages.js';
import { registerAlertScreens } from './alerts.pages.js';
import { registerAuditScreens } from './audit.pages.js';
import { type ConsoleDependencies, sendPage, takeNotice } from './console-app.js';
import { registerDashboardScreens } from './dashboard.pages.js';
import { registerDoctorScreens } from './doctor.pages.js';
import { registerFunnelScreens } from './funnels.pages.js';
import { renderConsolePage, renderWelcomePage } from './layout.js';
import { registerOrderScreens } from './orders.pages.js';
import { registerProductScreens } from './products.pages.js';
import { registerRoutingScreens } from './routing.pages.js';
import { csrfTokenMatches, csrfTokenOf, sessionCookie } from './session-cookie.js';
import { registerSetupScreens } from './setup.pages.js';
import { registerSignInScreens } from './sign-in.pages.js';
import { registerStatsScreens } from './stats.pages.js';
import { consoleIconSvg, consoleStylesheet, consoleStylesheetEtag } from './stylesheet.js';
import { registerTransactionScreens } from './transactions.pages.js';
import { registerUserScreens } from './users.pages.js';

const htmxSource = readFileSync(
  createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'),
  'utf8',
);

/**
 * A link from another site (an alert email read in a webmail) brings no SameSite=Strict session
 * cookie, so a signed-in merchant would be asked to sign in again. This page moves on to sign-in
 * by itself: a navigation our own page starts is same-site, the cookie comes with it, and sign-in
 * sends a signed-in browser straight on to the page the link named.
 */
function sendOnFromOurPage(reply: FastifyReply, signIn: string) {
  const to = escapeHtml(signIn);
  return reply
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${to}"><title>Opening Switchyard</title></head><body><main><p><a href="${to}">Continue to Switchyard</a></p></main></body></html>`,
    );
}

/**
 * The merchant's console at /admin: server-rendered pages over the same services as the API.
 * Pages before sign-in (sign-in, setup, invites) are public; every other page needs a live
 * session, and every post on them the session's CSRF token.
 */
export async function registerConsoleRoutes(app: App, deps: ConsoleDependencies): Promise<void> {
  await app.register(async function consoleScope(scope) {
    const consoleApp = scope.withTypeProvider<ZodTypeProvider>();
    await consoleApp.register(fastifyCookie);
    // The routing document can be large; nothing else a form posts comes close.
    await consoleApp.register(fastifyFormbody, { bodyLimit: 512 * 1024 });
    consoleApp.decorateRequest('consoleVisit', null);
    consoleApp.setErrorHandler(renderConsoleError);

    registerAssets(consoleApp);
    registerSignInScreens(consoleApp, deps);
    registerSetupScreens(consoleApp, deps);

    await consoleApp.register(async function signedInScope(signedIn) {
      signedIn.addHook('onRequest', async function requireSession(request, reply) {
        const token = request.cookies[sessionCookie] ?? '';
        const found = token ? await deps.services.users.authenticate(token) : null;
        if (!found) {
          const next = request.method === 'GET' ? request.url : '/admin';
          const signIn = `/admin/sign-in?next=${encodeURIComponent(next)}`;
          if (request.method === 'GET' && request.headers['sec-fetch-site'] === 'cross-site') {
            return sendOnFromOurPage(reply, signIn);
          }
          return reply.redirect(signIn, 303);
        }
        request.consoleVisit = {
          ...found,
          csrfToken: csrfTokenOf(token),
          notice: request.method === 'GET' ? takeNotice(request, reply) : null,
        };
      });
      signedIn.addHook('preHandler', async function requireCsrfToken(request) {
        if (request.method === 'GET' || request.method === 'HEAD') return;
        const body = request.body as Record<string, unknown> | undefined;
        const given = body?._csrf ?? request.headers['x-csrf-token'];
        if (!csrfTokenMatches(request.cookies[sessionCookie] ?? '', given)) {
          throw new AppError(
            'forbidden',
            'This form had no valid security token, so nothing was changed. Go back, reload the page and try again.',
            { csrf: 'missing' },
          );
        }
      });
      const screens = signedIn.withTypeProvider<ZodTypeProvider>();
      registerDashboardScreens(screens, deps);
      registerAccountScreens(screens, deps);
      registerRoutingScreens(screens, deps);
      registerProductScreens(screens, deps);
      registerFunnelScreens(screens, deps);
      registerOrderScreens(screens, deps);
      registerAbandonedScreens(screens, deps);
      registerStatsScreens(screens, deps);
      registerTransactionScreens(screens, deps);
      registerDoctorScreens(screens, deps);
      registerAlertScreens(screens, deps);
      registerAuditScreens(screens, deps);
      registerUserScreens(screens, deps);
      // Static routes win over a wildcard: this answers only for pages that do not exist.
      screens.get('/admin/*', async function consoleNotFound() {
        throw new AppError(
          'not_found',
          'There is no such page in the console. Choose one from the menu.',
        );
      });
    });
  });
}

function registerAssets(app: App): void {
  app.get('/admin/assets/console.css', async function stylesheet(request, reply) {
    reply.header('etag', consoleStylesheetEtag).header('cache-control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === consoleStylesheetEtag) return reply.status(304).send();
    return reply.type('text/css; charset=utf-8').send(consoleStylesheet);
  });
  app.get('/admin/assets/htmx.min.js', async function htmx(_request, reply) {
    return reply
      .header('cache-control', 'public, max-age=86400')
      .type('text/javascript; charset=utf-8')
      .send(htmxSource);
  });
  app.get('/admin/assets/icon.svg', async function icon(_request, reply) {
    return reply
      .header('cache-control', 'public, max-age=86400')
      .type('image/svg+xml')
      .send(consoleIconSvg);
  });
}

const headings: Partial<Record<string, string>> = {
  forbidden: 'Not allowed',
  not_found: 'Not found',
  unauthorized: 'Please sign in',
  rate_limited: 'Too many tries',
  validation_failed: 'Please check what you entered',
  internal: 'Something went wrong',
};

/**
 * An error on a console page becomes a console page that says what happened and what to do,
 * with the menu when the person is signed in. Forms show their own field errors; this is for
 * the rest (a refused role, a missing CSRF token, a page that does not exist, our own bug).
 */
function renderConsoleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error, request);
  logFailure(appError, error, request);
  const title = headings[appError.code] ?? 'That did not work';
  const message = messageFor(appError, 'console');
  const body = `<div class="panel" role="alert"><p>${escapeHtml(message)}</p><p><a href="${request.method === 'GET' ? '/admin' : escapeHtml(backOf(request))}">${request.method === 'GET' ? 'Go to the dashboard' : 'Go back'}</a></p></div>`;
  const visit = request.consoleVisit;
  const html = visit
    ? renderConsolePage({ visit, title, section: 'dashboard', body })
    : renderWelcomePage({ title, body });
  void sendPage(reply, html, appError.status);
}

/** Where a refused post came from, when it was this console; the dashboard otherwise. */
function backOf(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return '/admin';
  try {
    const path = new URL(referer).pathname;
    return path.startsWith('/admin') ? path : '/admin';
  } catch {
    return '/admin';
  }
}
