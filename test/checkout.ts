import type { LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { expect } from 'vitest';
import { funnelDocumentSchema, parseInput } from '../src/catalog/catalog.schema.js';
import { launchFunnel } from '../src/demo/launch-funnel.js';
import type { App } from '../src/web/app.js';
import type { RunningEmulator } from './emulator.js';

/**
 * A visitor walking a funnel in-process: keeps the visit's cookie between requests, like a
 * browser, and confirms card payments with the SDK the way Stripe.js would.
 */
export interface Visitor {
  get(path: string): Promise<LightMyRequestResponse>;
  post(path: string, form?: Record<string, string>): Promise<LightMyRequestResponse>;
  postJson(path: string, body: unknown): Promise<LightMyRequestResponse>;
}

export function visitorOf(app: App, headers: Record<string, string> = {}): Visitor {
  const cookies = new Map<string, string>();
  function keep(response: LightMyRequestResponse) {
    for (const cookie of response.cookies) cookies.set(cookie.name, cookie.value);
    return response;
  }
  function cookieHeader() {
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  return {
    async get(path) {
      return keep(
        await app.inject({
          method: 'GET',
          url: path,
          headers: { ...headers, cookie: cookieHeader() },
        }),
      );
    },
    async post(path, form = {}) {
      return keep(
        await app.inject({
          method: 'POST',
          url: path,
          headers: {
            ...headers,
            cookie: cookieHeader(),
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: new URLSearchParams(form).toString(),
        }),
      );
    },
    async postJson(path, body) {
      return keep(
        await app.inject({
          method: 'POST',
          url: path,
          headers: { ...headers, cookie: cookieHeader(), 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        }),
      );
    },
  };
}

/** Imports the demo's `launch` funnel (course + bump, upsell, downsell, thank-you). */
export async function importLaunchFunnel(services: {
  catalog: {
    importFunnel(
      workspaceId: string,
      input: ReturnType<typeof parseDocument>,
      actor: string,
    ): Promise<unknown>;
  };
}) {
  await services.catalog.importFunnel('default', parseDocument(), 'test');
}

function parseDocument() {
  return parseInput(funnelDocumentSchema, launchFunnel);
}

/** The card-form settings a payment page embeds: key and client secret of the routed account. */
export function cardConfigOf(html: string): {
  publishableKey: string;
  clientSecret: string;
  returnUrl: string;
} {
  const match = /<script type="application\/json" id="card-config">([\s\S]*?)<\/script>/.exec(html);
  expect(match, 'the page has a card form').not.toBeNull();
  return JSON.parse(match?.[1] ?? '{}');
}

/** Confirms a PaymentIntent with a card, as Stripe.js does in the browser (publishable key only). */
export async function confirmAsBrowser(
  emulator: RunningEmulator,
  card: { publishableKey: string; clientSecret: string },
  paymentMethod = 'pm_card_visa',
): Promise<Stripe.PaymentIntent> {
  const stripe = new Stripe(card.publishableKey, {
    host: emulator.host,
    port: emulator.port,
    protocol: 'http',
  });
  const id = card.clientSecret.split('_secret_')[0] ?? '';
  try {
    return await stripe.paymentIntents.confirm(id, {
      payment_method: paymentMethod,
      client_secret: card.clientSecret,
    } as Stripe.PaymentIntentConfirmParams);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) {
      return stripe.paymentIntents.retrieve(id, {
        client_secret: card.clientSecret,
      } as Stripe.PaymentIntentRetrieveParams);
    }
    throw error;
  }
}
