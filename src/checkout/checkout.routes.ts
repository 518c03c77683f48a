import { randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Vault } from '../accounts/vault.js';
import type { FunnelCounter } from '../analytics/funnel-counter.js';
import { contentOf, variantCookieName, variantFor } from '../analytics/variants.js';
import type {
  CatalogForSale,
  FunnelView,
  ProductView,
  StepView,
} from '../catalog/catalog.service.js';
import { formatMoney } from '../catalog/money.js';
import { couponRefusals, refusalOf, renderCouponField } from '../coupons/coupon-field.js';
import type { FunnelEventKind } from '../db/schema-analytics.js';
import type { SetupRevisions } from '../db/setup-revision.js';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import { logFailure, toAppError } from '../http/error-handler.js';
import type { Recovery } from '../recovery/recovery.service.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { CardForm } from './card-form.js';
import type { CheckoutService } from './checkout.service.js';
import { emailSchema, parseContact } from './contact-form.js';
import type { PreparedPayment } from './order-form.js';
import { countryNames, currenciesByCountry, currencyForCountry } from './pages/countries.js';
import { faviconSvg } from './pages/favicon.js';
import { pageScripts } from './pages/scripts.js';
import {
  renderCheckoutNotice,
  renderContactStep,
  renderContentStep,
  renderPaymentStep,
  renderThankYouStep,
  renderUpsellStep,
} from './pages/step-pages.js';
import { checkoutStylesheet, checkoutStylesheetEtag } from './pages/stylesheet.js';
import type { CardFormView, OfferView, PageFrame } from './pages/views.js';
import type { PaymentLine } from './payment-lines.js';
import type { CheckoutLimiter } from './rate-limits.js';

/**
 * The pages a visitor sees: `/f/{funnel}/{step}`. The visit's order lives in a cookie signed with
 * a key derived from the master key, so nobody can pay on, or read, another visitor's order.
 */

export interface CheckoutRouteOptions {
  checkout: CheckoutService;
  /** The consent checkbox's answer, and the recovery email's link back to the order. */
  recovery: Pick<Recovery, 'recordConsent' | 'openLink'>;
  /** Page views and contact submissions for the funnel stats (FUNNEL_STATS). */
  counter: Pick<FunnelCounter, 'count' | 'enabled'>;
  catalog: CatalogForSale;
  /** A page reads the setup revision once; what it reads of the setup is taken as of it. */
  revisions: SetupRevisions;
  vault: Pick<Vault, 'sign'>;
  stripeJsUrl: string;
  /** PUBLIC_URL: behind https the visit cookie is sent over https only. */
  publicUrl: string;
  /** Added before each rate-limited checkout POST (per IP and per email). */
  limiters?: CheckoutLimiter[];
}

const pathParams = z.object({ funnel: z.string().max(100), step: z.string().max(100) });
const funnelParams = z.object({ funnel: z.string().max(100) });

// Lax, not Strict: a cross-site form post (a forged "Yes" on an upsell) arrives without them, but
// the buyer's visit must: coming back from Stripe (3-D Secure, a bank's page), from the recovery
// email's resume link, or from an ad (the visitor and A/B cookies would otherwise start afresh).
const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const };
/** First-party, random, no personal data: unique visitors for the funnel stats. */
const visitorCookie = 'sy_visitor';

export async function registerCheckoutRoutes(app: App, options: CheckoutRouteOptions) {
  await app.register(async function checkoutPages(scope) {
    // Errors become a buyer's page in http/error-handler.ts: these are visitor URLs.
    await defineCheckoutRoutes(scope.withTypeProvider<ZodTypeProvider>(), options);
  });
}

async function defineCheckoutRoutes(app: App, options: CheckoutRouteOptions) {
  const { checkout, catalog, vault, recovery, counter } = options;
  const workspaceId = DEFAULT_WORKSPACE_ID;
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
  const limited = { preHandler: options.limiters ?? [] };

  const publicHttps = options.publicUrl.startsWith('https:');
  // Secure behind an https PUBLIC_URL, or when this request came over https (TRUST_PROXY).
  const secureFor = (request: FastifyRequest) => publicHttps || request.protocol === 'https';
  const cookieName = (funnel: string) => `sy_order_${funnel}`;

  function visitOrderId(request: FastifyRequest, funnel: string): string | null {
    const value = request.cookies[cookieName(funnel)];
    if (!value) return null;
    const [orderId, signature] = value.split('.');
    if (!orderId || !signature) return null;
    const expected = Buffer.from(vault.sign('checkout-visit', orderId));
    const given = Buffer.from(signature);
    // Constant time: how much of a forged signature matched must not show in the answer's timing.
    return given.length === expected.length && timingSafeEqual(given, expected) ? orderId : null;
  }

  function rememberOrder(reply: FastifyReply, funnel: string, orderId: string) {
    reply.setCookie(cookieName(funnel), `${orderId}.${vault.sign('checkout-visit', orderId)}`, {
      ...cookieOptions,
      secure: secureFor(reply.request),
      maxAge: 60 * 60 * 24 * 30,
    });
  }

  /** The first-party visitor cookie the stats count unique visitors by; made on a first view. */
  function visitorOf(request: FastifyRequest, reply: FastifyReply): string {
    const known = request.cookies[visitorCookie];
    if (known && /^[A-Za-z0-9_-]{16,40}$/.test(known)) return known;
    const made = randomBytes(16).toString('base64url');
    reply.setCookie(visitorCookie, made, {
      ...cookieOptions,
      secure: secureFor(request),
      maxAge: 60 * 60 * 24 * 365,
    });
    return made;
  }

  function countEvent(
    request: FastifyRequest,
    reply: FastifyReply,
    at: { funnel: string; step: StepView; kind: FunnelEventKind; variant?: string | null },
  ) {
    if (!counter.enabled) return;
    counter.count({
      workspaceId,
      funnel: at.funnel,
      step: at.step.slug,
      variant:
        at.variant === undefined ? rememberedVariant(request, at.funnel, at.step) : at.variant,
      visitorId: visitorOf(request, reply),
      kind: at.kind,
    });
  }

  /** The A/B variant the visitor was shown of `step`, when it has a test and they saw one. */
  function rememberedVariant(
    request: FastifyRequest,
    funnel: string,
    step: StepView,
  ): string | null {
    const chosen = variantFor(step.content, request.cookies[variantCookieName(funnel, step.slug)]);
    return chosen && !chosen.assigned ? chosen.variant.name : null;
  }

  /**
   * `step` as this visitor sees it: with an A/B test, the variant their cookie keeps, or one
   * drawn by weight and remembered for a year.
   */
  function inVariant(
    request: FastifyRequest,
    reply: FastifyReply,
    funnel: string,
    step: StepView,
  ): { step: StepView; variant: string | null } {
    const name = variantCookieName(funnel, step.slug);
    const chosen = variantFor(step.content, request.cookies[name]);
    if (!chosen) return { step, variant: null };
    if (chosen.assigned) {
      reply.setCookie(name, chosen.variant.name, {
        ...cookieOptions,
        secure: secureFor(request),
        maxAge: 60 * 60 * 24 * 365,
      });
    }
    return {
      step: { ...step, content: contentOf(step.content, chosen.variant) },
      variant: chosen.variant.name,
    };
  }

  function stepUrl(funnel: string, step: string, suffix = ''): string {
    return `/f/${encodeURIComponent(funnel)}/${encodeURIComponent(step)}${suffix}`;
  }

  function frameOf(funnel: FunnelView, title: string): PageFrame {
    return { funnelName: funnel.name, mode: funnel.mode, title, secure: publicHttps };
  }

  /** The step after `step`; after an accepted offer (or a downsell), downsells are skipped. */
  function nextStep(funnel: FunnelView, step: StepView, skipDownsells: boolean): StepView | null {
    const index = funnel.steps.findIndex((candidate) => candidate.slug === step.slug);
    for (const candidate of funnel.steps.slice(index + 1)) {
      if (skipDownsells && candidate.kind === 'downsell') continue;
      return candidate;
    }
    return null;
  }

  function nextUrl(funnel: FunnelView, step: StepView, skipDownsells: boolean): string {
    const next = nextStep(funnel, step, skipDownsells);
    return next ? stepUrl(funnel.slug, next.slug) : stepUrl(funnel.slug, step.slug);
  }

  async function findStep(funnelSlug: string, stepSlug: string, revision?: number) {
    const funnel = await catalog.showFunnel(workspaceId, funnelSlug, revision);
    const step = funnel.steps.find((candidate) => candidate.slug === stepSlug);
    if (!step) {
      // The error page links back to this funnel's start: it exists.
      throw new AppError('not_found', `This funnel has no page "${stepSlug}".`, {
        knownFunnel: funnel.slug,
      });
    }
    return { funnel, step };
  }

  function offerOf(product: ProductView, line: PaymentLine): OfferView {
    return {
      product: product.slug,
      name: product.name,
      description: product.description,
      image: product.image,
      price: line.price,
      amount: line.amount,
      currency: line.currency,
      recurring: line.recurring !== null,
    };
  }

  function firstPriceLine(product: ProductView, currency?: string): PaymentLine {
    const price =
      product.prices.find((candidate) => candidate.currency === currency) ?? product.prices[0];
    if (!price) throw new Error(`product ${product.slug} has no price`);
    return {
      product: product.slug,
      name: product.name,
      amount: price.amount,
      currency: price.currency,
      recurring: price.interval
        ? { interval: price.interval, intervalCount: price.intervalCount ?? 1 }
        : null,
      price: price.display,
    };
  }

  function cardView(card: CardForm, returnUrl: string): CardFormView {
    return {
      stripeJsUrl: options.stripeJsUrl,
      publishableKey: card.publishableKey,
      stripeAccount: null,
      clientSecret: card.clientSecret,
      returnUrl,
      payLabel: `Pay ${formatMoney(card.amount, card.currency)}`,
      error: card.error,
    };
  }

  // PUBLIC_URL, never the Host header: a forged Host must not choose where Stripe sends the buyer.
  const publicBase = options.publicUrl.replace(/\/+$/, '');
  function absolute(path: string): string {
    return `${publicBase}${path}`;
  }

  function sendHtml(reply: FastifyReply, html: string, status = 200) {
    return reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(html);
  }

  function notice(
    reply: FastifyReply,
    funnel: FunnelView,
    heading: string,
    message: string,
    link: { href: string; label: string } | null,
    status: number,
  ) {
    return sendHtml(
      reply,
      renderCheckoutNotice({ ...frameOf(funnel, heading), heading, message, link }),
      status,
    );
  }

  /** A notice that loads `url` again by itself every few seconds, without script. */
  function selfRefreshingPage(
    funnel: FunnelView,
    url: string,
    heading: string,
    message: string,
    label: string,
  ): string {
    return renderCheckoutNotice({
      ...frameOf(funnel, heading),
      heading,
      message,
      link: { href: url, label },
      refresh: { url, seconds: confirmingRefreshSeconds },
    });
  }

  /** "Your payment is being confirmed", reloading `url` by itself every few seconds. */
  function confirmingPage(funnel: FunnelView, url: string): string {
    return selfRefreshingPage(
      funnel,
      url,
      'Your payment is being confirmed',
      'This takes a moment. This page checks again by itself; please do not pay a second time.',
      'Check now',
    );
  }

  /** "Getting your payment form ready", reloading the payment step by itself. */
  function preparingPage(funnel: FunnelView, url: string): string {
    return selfRefreshingPage(
      funnel,
      url,
      'Getting your payment form ready',
      'This takes a moment. Nothing has been charged; this page tries again by itself.',
      'Try now',
    );
  }

  app.get('/assets/checkout.css', async function stylesheet(request, reply) {
    reply.header('etag', checkoutStylesheetEtag).header('cache-control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === checkoutStylesheetEtag)
      return reply.status(304).send();
    return reply.type('text/css; charset=utf-8').send(checkoutStylesheet);
  });

  for (const script of pageScripts) {
    app.get(script.path, async function pageScriptFile(request, reply) {
      reply.header('etag', script.etag).header('cache-control', 'public, max-age=3600');
      if (request.headers['if-none-match'] === script.etag) return reply.status(304).send();
      return reply.type('text/javascript; charset=utf-8').send(script.source);
    });
  }

  // Browsers ask for /favicon.ico on any page without a <link rel="icon">: ours have one, others not.
  app.get('/favicon.ico', async function favicon(_request, reply) {
    return reply
      .header('cache-control', 'public, max-age=86400')
      .type('image/svg+xml')
      .send(faviconSvg);
  });

  app.get(
    '/f/:funnel',
    { schema: { params: funnelParams } },
    async function funnelStart(request, reply) {
      const funnel = await catalog.showFunnel(workspaceId, request.params.funnel);
      const first = funnel.steps[0];
      if (!first) throw new AppError('not_found', `Funnel ${funnel.slug} has no pages yet.`);
      return reply.redirect(stepUrl(funnel.slug, first.slug));
    },
  );

  async function renderContact(
    funnel: FunnelView,
    step: StepView,
    values: Record<string, string>,
    errors: Record<string, string>,
    revision?: number,
  ) {
    if (!step.product) throw new Error('an order step without a product');
    const { main, bump } = await catalog.showOffers(workspaceId, step.product, step.bump, revision);
    // The currency the payment step will charge for this country (checkout.service's rule).
    const currencies = main.prices.map((price) => price.currency);
    const currency = currencyForCountry(values.country ?? '', currencies);
    const byCurrency = Object.fromEntries(
      currencies.map((candidate) => [
        candidate,
        {
          offer: firstPriceLine(main, candidate).price,
          bump: bump ? firstPriceLine(bump, candidate).price : null,
        },
      ]),
    );
    return renderContactStep({
      ...frameOf(funnel, step.content.headline ?? main.name),
      content: step.content,
      offer: offerOf(main, firstPriceLine(main, currency)),
      bump: bump ? offerOf(bump, firstPriceLine(bump, currency)) : null,
      action: stepUrl(funnel.slug, step.slug, '/contact'),
      form: { values, errors },
      countries: countryNames(),
      prices: { byCurrency, ...currenciesByCountry(currencies) },
    });
  }

  app.get(
    '/f/:funnel/:step',
    { schema: { params: pathParams } },
    async function showStep(request, reply) {
      const revision = await options.revisions.current();
      const found = await findStep(request.params.funnel, request.params.step, revision);
      const funnel = found.funnel;
      const { step, variant } = inVariant(request, reply, funnel.slug, found.step);
      const orderId = visitOrderId(request, funnel.slug);
      const order = orderId ? await checkout.findOrder(workspaceId, orderId) : undefined;
      countEvent(request, reply, { funnel: funnel.slug, step, kind: 'view', variant });
      switch (step.kind) {
        case 'sales':
        case 'optin':
          return sendHtml(
            reply,
            renderContentStep({
              ...frameOf(funnel, step.content.headline ?? funnel.name),
              kind: step.kind,
              content: step.content,
              action:
                step.kind === 'sales'
                  ? nextUrl(funnel, step, false)
                  : stepUrl(funnel.slug, step.slug),
              form: step.kind === 'optin' ? { values: {}, errors: {} } : null,
            }),
          );
        case 'order': {
          const values: Record<string, string> = order
            ? { email: order.email, name: order.name, country: order.country }
            : { country: countryFromHeaders(request) };
          return sendHtml(reply, await renderContact(funnel, step, values, {}, revision));
        }
        case 'upsell':
        case 'downsell': {
          if (!step.product) throw new Error('an offer step without a product');
          const product = await catalog.showProduct(workspaceId, step.product);
          return sendHtml(
            reply,
            renderUpsellStep({
              ...frameOf(funnel, step.content.headline ?? product.name),
              kind: step.kind,
              content: step.content,
              offer: offerOf(product, firstPriceLine(product, order?.currency ?? undefined)),
              acceptAction: stepUrl(funnel.slug, step.slug, '/accept'),
              declineAction: stepUrl(funnel.slug, step.slug, '/decline'),
              card: null,
              notice: order ? null : 'Start from the order form to buy this with one click.',
            }),
          );
        }
        case 'thankyou': {
          const purchases = order ? await checkout.purchasesOf(workspaceId, order.orderId) : null;
          const payments = purchases?.payments ?? [];
          const paid = payments.filter((payment) => payment.status === 'succeeded');
          if (paid.length === 0) {
            // Nobody is thanked without a paid order: no visit, a forged cookie, or nothing paid yet.
            if (payments.some((payment) => payment.status === 'processing')) {
              return sendHtml(reply, confirmingPage(funnel, stepUrl(funnel.slug, step.slug)));
            }
            return notice(
              reply,
              funnel,
              'No purchase on this visit',
              'We found no paid order from this browser, so nothing was bought on this visit. If you paid in another browser, your receipt is in your email.',
              {
                href: stepUrl(funnel.slug, funnel.steps[0]?.slug ?? step.slug),
                label: `Go to ${funnel.name}`,
              },
              200,
            );
          }
          const totals = new Map<string, number>();
          for (const payment of paid) {
            totals.set(payment.currency, (totals.get(payment.currency) ?? 0) + payment.amount);
          }
          return sendHtml(
            reply,
            renderThankYouStep({
              ...frameOf(funnel, step.content.headline ?? 'Thank you'),
              content: step.content,
              lines: paid.flatMap((payment) =>
                payment.lines.map((line) => ({
                  name: line.name,
                  price: line.price,
                  status: line.coupon
                    ? 'discount'
                    : payment.refundedAmount > 0
                      ? 'refunded'
                      : 'paid',
                })),
              ),
              totals: [...totals].map(([currency, amount]) => formatMoney(amount, currency)),
              receiptEmail: order?.email ?? null,
              orderId: order?.orderId ?? null,
            }),
          );
        }
      }
    },
  );

  app.post(
    '/f/:funnel/:step',
    { schema: { params: pathParams }, ...limited },
    async function submitOptin(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      if (step.kind !== 'optin') return reply.redirect(stepUrl(funnel.slug, step.slug), 303);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const email = typeof body.email === 'string' ? body.email.trim() : '';
      const parsed = emailSchema.safeParse(email);
      if (!parsed.success) {
        return sendHtml(
          reply,
          renderContentStep({
            ...frameOf(funnel, step.content.headline ?? funnel.name),
            kind: 'optin',
            content: step.content,
            action: stepUrl(funnel.slug, step.slug),
            form: {
              values: { email, name: typeof body.name === 'string' ? body.name : '' },
              errors: { email: parsed.error.issues[0]?.message ?? 'enter your email address' },
            },
          }),
          400,
        );
      }
      return reply.redirect(nextUrl(funnel, step, false), 303);
    },
  );

  app.post(
    '/f/:funnel/:step/contact',
    { schema: { params: pathParams }, ...limited },
    async function submitContact(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      if (step.kind !== 'order') return reply.redirect(stepUrl(funnel.slug, step.slug), 303);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const parsed = parseContact(body);
      if (!parsed.ok) {
        const values = Object.fromEntries(
          ['email', 'name', 'country', 'consent'].map((field) => [
            field,
            typeof body[field] === 'string' ? String(body[field]) : '',
          ]),
        );
        return sendHtml(reply, await renderContact(funnel, step, values, parsed.errors), 400);
      }
      const earlierOrderId = visitOrderId(request, funnel.slug);
      const order = await checkout.startOrder({
        workspaceId,
        funnelSlug: funnel.slug,
        contact: parsed.contact,
        orderId: earlierOrderId,
        funnel,
      });
      countEvent(request, reply, { funnel: funnel.slug, step, kind: 'contact' });
      const ticked = body.consent === 'yes';
      // A new order has no consent to withdraw: an unticked box on it writes nothing.
      if (step.content.consent && (ticked || earlierOrderId === order.orderId)) {
        await recovery.recordConsent({
          workspaceId,
          orderId: order.orderId,
          step: step.slug,
          wording: ticked ? step.content.consent : null,
        });
      }
      rememberOrder(reply, funnel.slug, order.orderId);
      return reply.redirect(stepUrl(funnel.slug, step.slug, '/pay'), 303);
    },
  );

  const resumeQuery = z.object({ token: z.string().max(300).optional() });

  // The recovery email's link: the buyer's own order, in any browser, back at its payment step.
  app.get(
    '/f/:funnel/:step/resume',
    { schema: { params: pathParams, querystring: resumeQuery }, ...limited },
    async function resumeOrder(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      const start = { href: stepUrl(funnel.slug, step.slug), label: 'Start a new order' };
      const opened = recovery.openLink(request.query.token ?? '');
      const order =
        'orderId' in opened ? await checkout.findOrder(workspaceId, opened.orderId) : undefined;
      if ('problem' in opened || !order || order.funnelSlug !== funnel.slug) {
        const expired = 'problem' in opened && opened.problem === 'expired';
        return notice(
          reply,
          funnel,
          expired ? 'This link has expired' : 'This link does not work',
          expired
            ? 'The link in your email is only good for a few days, and this one is older. Nothing was charged; you can start the order again.'
            : 'This link is not complete or was changed. Copy the whole link from your email, or start the order again.',
          start,
          expired ? 410 : 400,
        );
      }
      if (order.status !== 'open') {
        return notice(
          reply,
          funnel,
          'This order is already paid',
          `Your receipt went to ${order.email}. There is nothing more to pay.`,
          null,
          200,
        );
      }
      rememberOrder(reply, funnel.slug, order.orderId);
      return reply.redirect(stepUrl(funnel.slug, step.slug, '/pay'), 303);
    },
  );

  const payQuery = z.object({
    currency: z.string().max(3).optional(),
    // A refused coupon comes back with what the buyer typed and why.
    code: z.string().max(100).optional(),
    refused: z.enum(couponRefusals).optional(),
  });

  app.get(
    '/f/:funnel/:step/pay',
    { schema: { params: pathParams, querystring: payQuery }, ...limited },
    async function showPayment(request, reply) {
      const orderId = visitOrderId(request, request.params.funnel);
      // The visit's order comes with the setup revision: the page takes the setup as of it.
      const visit = orderId ? await checkout.findVisit(workspaceId, orderId) : undefined;
      const revision = visit?.revision ?? (await options.revisions.current());
      const found = await findStep(request.params.funnel, request.params.step, revision);
      const funnel = found.funnel;
      const { step } = inVariant(request, reply, funnel.slug, found.step);
      if (!orderId || step.kind !== 'order')
        return reply.redirect(stepUrl(funnel.slug, step.slug), 303);
      let prepared: PreparedPayment;
      try {
        prepared = await checkout.preparePayment({
          workspaceId,
          orderId,
          funnelSlug: funnel.slug,
          stepSlug: step.slug,
          currency: request.query.currency,
          funnel,
          revision,
          order: visit?.order,
        });
      } catch (error) {
        if (error instanceof AppError && error.code === 'no_account_available') {
          return notice(
            reply,
            funnel,
            'We cannot take payments right now',
            'Nothing was charged. Please try again in a few minutes.',
            { href: stepUrl(funnel.slug, step.slug), label: 'Back to the order form' },
            503,
          );
        }
        if (error instanceof StripeGatewayError && error.isAccountLevel) {
          // The card form's PaymentIntent could not be read just now (nothing is charged before
          // the card is entered): the page asks again by itself instead of showing an error.
          request.log.warn(
            { kind: error.kind, stripeRequest: error.requestId },
            'card form not ready',
          );
          return sendHtml(reply, preparingPage(funnel, request.url));
        }
        throw error;
      }
      if (prepared.status === 'succeeded' || prepared.status === 'processing') {
        return reply.redirect(nextUrl(funnel, step, false), 303);
      }
      const { order, offer: main, bumpOffer: bump } = prepared;
      return sendHtml(
        reply,
        renderPaymentStep({
          ...frameOf(funnel, step.content.headline ?? main.name),
          content: step.content,
          offer: offerOf(main, prepared.main),
          bump: bump && prepared.bump ? offerOf(bump, prepared.bump) : null,
          bumpChosen: prepared.bumpChosen,
          bumpAction: stepUrl(funnel.slug, step.slug, `/bump?currency=${prepared.currency}`),
          couponField: renderCouponField({
            action: stepUrl(funnel.slug, step.slug, '/coupon'),
            currency: prepared.currency,
            applied: prepared.discount,
            typed: request.query.refused ? (request.query.code ?? '') : '',
            refused: request.query.refused ?? null,
            productName: main.name,
          }),
          total: formatMoney(prepared.amount, prepared.currency),
          email: order.email,
          country: order.country,
          editContactUrl: stepUrl(funnel.slug, step.slug),
          currencies: prepared.currencies.map((currency) => ({
            currency,
            url: stepUrl(funnel.slug, step.slug, `/pay?currency=${currency}`),
            current: currency === prepared.currency,
          })),
          card: cardView(prepared, absolute(stepUrl(funnel.slug, step.slug, '/return'))),
        }),
      );
    },
  );

  app.post(
    '/f/:funnel/:step/bump',
    {
      schema: {
        params: pathParams,
        querystring: z.object({ currency: z.string().regex(/^[a-z]{3}$/) }),
        body: z.object({ bump: z.boolean() }),
      },
    },
    async function chooseBump(request) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      const orderId = visitOrderId(request, funnel.slug);
      if (!orderId)
        throw new AppError('not_found', 'Your order was not found; reload the order form.');
      const prepared = await checkout.chooseBump({
        workspaceId,
        orderId,
        funnelSlug: funnel.slug,
        stepSlug: step.slug,
        currency: request.query.currency,
        bump: request.body.bump,
      });
      const total = formatMoney(prepared.amount, prepared.currency);
      return {
        total,
        payLabel: `Pay ${total}`,
        amount: prepared.amount,
        bump: prepared.bumpChosen,
        // A percent off follows the bump: the coupon's line shows the new discount.
        ...(prepared.discount ? { discount: prepared.discount } : {}),
        // The account could not change the amount now: the order stands as it was, and says so.
        ...(prepared.notice ? { notice: prepared.notice, reload: prepared.reload } : {}),
      };
    },
  );

  app.post(
    '/f/:funnel/:step/coupon',
    {
      schema: {
        params: pathParams,
        body: z.object({
          code: z.string().trim().max(100).default(''),
          currency: z.string().regex(/^[a-z]{3}$/),
          remove: z.literal('yes').optional(),
        }),
      },
      ...limited,
    },
    async function applyCoupon(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      const orderId = visitOrderId(request, funnel.slug);
      if (!orderId || step.kind !== 'order')
        return reply.redirect(stepUrl(funnel.slug, step.slug), 303);
      const { code, currency, remove } = request.body;
      const pay = (query: Record<string, string>) =>
        stepUrl(funnel.slug, step.slug, `/pay?${new URLSearchParams({ currency, ...query })}`);
      if (!remove && code === '') return reply.redirect(pay({}), 303);
      try {
        await checkout.preparePayment({
          workspaceId,
          orderId,
          funnelSlug: funnel.slug,
          stepSlug: step.slug,
          currency,
          coupon: remove ? null : code,
          funnel,
        });
      } catch (error) {
        const refused = refusalOf(error);
        if (!refused) throw error;
        return reply.redirect(pay({ code, refused }), 303);
      }
      return reply.redirect(pay({}), 303);
    },
  );

  const returnQuery = z.object({ payment_intent: z.string().max(100).optional() }).loose();

  app.get(
    '/f/:funnel/:step/return',
    { schema: { params: pathParams, querystring: returnQuery } },
    async function returnFromStripe(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      const orderId = visitOrderId(request, funnel.slug);
      const intentId = request.query.payment_intent;
      if (!orderId || !intentId) return reply.redirect(stepUrl(funnel.slug, step.slug), 303);
      let payment: Awaited<ReturnType<CheckoutService['completeReturn']>>;
      try {
        payment = await readAfterStripe(() =>
          checkout.completeReturn({ workspaceId, orderId, paymentIntentId: intentId }),
        );
      } catch (error) {
        if (!isPassingStripeFault(error)) throw error;
        // The buyer may well have paid: never an error page here, a page that asks again soon.
        logFailure(toAppError(error, request), error, request);
        const again = stepUrl(
          funnel.slug,
          step.slug,
          `/return?payment_intent=${encodeURIComponent(intentId)}`,
        );
        return sendHtml(reply, confirmingPage(funnel, again));
      }
      if (payment.status === 'succeeded' || payment.status === 'processing') {
        return reply.redirect(nextUrl(funnel, step, step.kind !== 'order'), 303);
      }
      // Not paid (declined, or authentication failed): back to the same PaymentIntent's form.
      return reply.redirect(
        step.kind === 'order'
          ? stepUrl(funnel.slug, step.slug, `/pay?currency=${payment.currency}`)
          : stepUrl(funnel.slug, step.slug),
        303,
      );
    },
  );

  app.post(
    '/f/:funnel/:step/accept',
    { schema: { params: pathParams }, ...limited },
    async function acceptOffer(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      const orderId = visitOrderId(request, funnel.slug);
      if (!orderId) {
        return notice(
          reply,
          funnel,
          'Start from the order form',
          'This offer is for buyers who just ordered.',
          {
            href: `/f/${funnel.slug}`,
            label: 'Go to the order form',
          },
          400,
        );
      }
      const outcome = await checkout.acceptOffer({
        workspaceId,
        orderId,
        funnelSlug: funnel.slug,
        stepSlug: step.slug,
      });
      if (outcome.outcome === 'paid') {
        // A/B tests of offers compare these yeses (bought in one click) per variant.
        countEvent(request, reply, { funnel: funnel.slug, step, kind: 'accept' });
        return reply.redirect(nextUrl(funnel, step, true), 303);
      }
      if (!step.product) throw new Error('an offer step without a product');
      const product = await catalog.showProduct(workspaceId, step.product);
      const line = firstPriceLine(
        product,
        outcome.outcome === 'needs_card' ? outcome.card.currency : undefined,
      );
      return sendHtml(
        reply,
        renderUpsellStep({
          ...frameOf(funnel, step.content.headline ?? product.name),
          kind: step.kind === 'downsell' ? 'downsell' : 'upsell',
          content: step.content,
          offer: offerOf(product, line),
          acceptAction: stepUrl(funnel.slug, step.slug, '/accept'),
          declineAction: stepUrl(funnel.slug, step.slug, '/decline'),
          card:
            outcome.outcome === 'needs_card'
              ? cardView(outcome.card, absolute(stepUrl(funnel.slug, step.slug, '/return')))
              : null,
          notice: outcome.notice,
        }),
        outcome.outcome === 'busy' ? 409 : 200,
      );
    },
  );

  app.post(
    '/f/:funnel/:step/decline',
    { schema: { params: pathParams } },
    async function declineOffer(request, reply) {
      const { funnel, step } = await findStep(request.params.funnel, request.params.step);
      return reply.redirect(nextUrl(funnel, step, step.kind === 'downsell'), 303);
    },
  );
}

const confirmingRefreshSeconds = 3;
/** Tries of reading a PaymentIntent after the buyer paid, and the pause before each retry. */
const readTries = 3;
const readRetryPauseMs = 150;

/** A fault Stripe recovers from by itself (5xx, 429, no answer): worth asking again. */
function isPassingStripeFault(error: unknown): boolean {
  return (
    error instanceof StripeGatewayError &&
    (error.kind === 'stripe_error' || error.kind === 'rate_limit' || error.kind === 'connection')
  );
}

/**
 * Reading what Stripe did, tried again a couple of times quickly when Stripe falters. A read that
 * ran out of the checkout's time is not: a hung account stays hung, and the page asks again soon.
 */
async function readAfterStripe<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      const hung = error instanceof StripeGatewayError && error.timedOut;
      if (attempt >= readTries || !isPassingStripeFault(error) || hung) throw error;
      await setTimeout(readRetryPauseMs * attempt);
    }
  }
}

/** A first guess at the visitor's country from the browser's language (`de-DE` -> DE). */
function countryFromHeaders(request: FastifyRequest): string {
  const language = request.headers['accept-language'];
  const match = typeof language === 'string' ? /^[a-z]{2,3}-([A-Z]{2})\b/.exec(language) : null;
  return match?.[1] ?? '';
}
