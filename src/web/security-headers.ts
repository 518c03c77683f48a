import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../http/app.js';

/**
 * The headers that tell a browser what a page may load and who may frame it: a
 * Content-Security-Policy on every HTML page, HSTS behind https, nosniff on every answer.
 */

export interface SecurityHeaderSettings {
  /** STRIPE_JS_URL: the only script from another origin any page loads (the emulator's in tests). */
  stripeJsUrl: string;
  /** PUBLIC_URL: https there means the browser reaches us over https, even without TRUST_PROXY. */
  publicUrl: string;
  /** Where "Connect with Stripe" sends the merchant after the console's form posts. */
  connectAuthorizeUrl: string | null;
}

/** Where Stripe.js comes from, what it frames and what it calls. */
export interface StripeSources {
  scripts: readonly string[];
  frames: readonly string[];
  api: readonly string[];
}

export function stripeSourcesOf(stripeJsUrl: string): StripeSources {
  const origin = new URL(stripeJsUrl).origin;
  if (origin === 'https://js.stripe.com') {
    // Stripe's security guide: Stripe.js loads parts from its subdomains, shows 3-D Secure from
    // hooks.stripe.com and calls api.stripe.com; all are Stripe's own.
    return {
      scripts: [origin, 'https://*.js.stripe.com'],
      frames: [origin, 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
      api: ['https://api.stripe.com'],
    };
  }
  // Anything else is a stand-in (the emulator): it serves Stripe.js and its API from one origin.
  return { scripts: [origin], frames: [origin], api: [origin] };
}

/** What the merchant's content on one page shows from other sites: images and video embeds. */
export interface EmbeddedOrigins {
  images: string[];
  frames: string[];
}

// Our renderers write every <img> and <iframe> (merchant text is escaped, its Markdown allows no
// HTML); a console preview holds the same tags escaped inside its srcdoc, which inherits our policy.
const embedPattern =
  /(?:<|&lt;)(img|iframe)\b(?:(?!>|&gt;)[\s\S])*?\ssrc=(?:"|&quot;)(https?:\/\/[^"&/?#\s]+)/g;
// Only a plain scheme, host and port goes into the header: nothing a merchant typed can add a directive.
const plainOrigin = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/;

export function embeddedOriginsOf(html: string): EmbeddedOrigins {
  const images = new Set<string>();
  const frames = new Set<string>();
  for (const [, tag, address] of html.matchAll(embedPattern)) {
    const origin = URL.canParse(address ?? '') ? new URL(address ?? '').origin : '';
    if (!plainOrigin.test(origin)) continue;
    (tag === 'img' ? images : frames).add(origin);
  }
  return { images: [...images], frames: [...frames] };
}

/** A page of the console at /admin, and any other page that pays nothing (sign-in, notices). */
export function consolePolicy(
  embedded: EmbeddedOrigins,
  settings: Pick<SecurityHeaderSettings, 'connectAuthorizeUrl'>,
): string {
  // The connect form's answer is a redirect to Stripe's authorize page: form-action covers it.
  const formTargets = settings.connectAuthorizeUrl
    ? [new URL(settings.connectAuthorizeUrl).origin]
    : [];
  return joinPolicy({
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    // The step editor's previews are srcdoc frames; a video in one needs its own origin.
    'frame-src': ["'self'", ...embedded.frames],
    'connect-src': ["'self'"],
    'img-src': ["'self'", 'data:', ...embedded.images],
    'style-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'", ...formTargets],
    'frame-ancestors': ["'none'"],
  });
}

/** A buyer's page under /f/: the same, plus Stripe.js for the card form. */
export function checkoutPolicy(embedded: EmbeddedOrigins, stripe: StripeSources): string {
  return joinPolicy({
    'default-src': ["'self'"],
    'script-src': ["'self'", ...stripe.scripts],
    'frame-src': [...stripe.frames, ...embedded.frames],
    // 'self' for the bump and coupon answers the card form asks for.
    'connect-src': ["'self'", ...stripe.api],
    'img-src': ["'self'", 'data:', ...embedded.images],
    'style-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    // No funnel is meant to be framed by another site (clickjacking the Pay button).
    'frame-ancestors': ["'none'"],
  });
}

function joinPolicy(directives: Record<string, readonly string[]>): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

// A URL that carries one of these is never sent on as a referrer (resume links, Stripe's return).
const secretQueryNames = new Set([
  'token',
  'code',
  'state',
  'payment_intent_client_secret',
  'setup_intent_client_secret',
]);

function carriesSecret(url: string): boolean {
  const query = url.indexOf('?');
  if (query < 0) return false;
  for (const name of new URLSearchParams(url.slice(query + 1)).keys()) {
    if (secretQueryNames.has(name)) return true;
  }
  return false;
}

function isHtml(reply: FastifyReply): boolean {
  const type = reply.getHeader('content-type');
  return typeof type === 'string' && type.startsWith('text/html');
}

/** Adds the headers to every answer the app gives, after the route has written it. */
export function addSecurityHeaders(app: App, settings: SecurityHeaderSettings): void {
  const headers = securityHeaders(settings);
  app.addHook(
    'onSend',
    async function securityHeadersHook(request: FastifyRequest, reply: FastifyReply, payload) {
      headers.transport(request, reply);
      if (!isHtml(reply) || reply.hasHeader('content-security-policy')) return payload;
      headers.page(request, reply, embeddedOriginsOf(typeof payload === 'string' ? payload : ''));
      return payload;
    },
  );
}

/**
 * The same headers set before the answer is written, for Fastify's own refusals of a URL (a bad
 * %-escape, an over-long segment), which no hook sees. The page's policy is set whatever the
 * answer's type: the error page embeds nothing, and a policy on JSON does no harm.
 */
export function presetSecurityHeaders(
  settings: SecurityHeaderSettings,
): (request: FastifyRequest, reply: FastifyReply) => void {
  const headers = securityHeaders(settings);
  return function presetHeaders(request, reply) {
    headers.transport(request, reply);
    headers.page(request, reply, { images: [], frames: [] });
  };
}

function securityHeaders(settings: SecurityHeaderSettings) {
  const stripe = stripeSourcesOf(settings.stripeJsUrl);
  const publicHttps = settings.publicUrl.startsWith('https:');
  return {
    transport(request: FastifyRequest, reply: FastifyReply): void {
      reply.header('x-content-type-options', 'nosniff');
      // request.protocol believes X-Forwarded-Proto only from TRUST_PROXY; plain http never gets it.
      if (request.protocol === 'https' || publicHttps) {
        reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
      }
      reply.header(
        'referrer-policy',
        carriesSecret(request.url)
          ? 'no-referrer'
          : request.url.startsWith('/f/')
            ? 'strict-origin-when-cross-origin'
            : 'same-origin',
      );
    },
    page(request: FastifyRequest, reply: FastifyReply, embedded: EmbeddedOrigins): void {
      reply.header(
        'content-security-policy',
        request.url.startsWith('/f/')
          ? checkoutPolicy(embedded, stripe)
          : consolePolicy(embedded, settings),
      );
      reply.header('x-frame-options', 'DENY');
    },
  };
}
