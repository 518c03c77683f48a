import Stripe from 'stripe';
import { type StripeFailureKind, StripeGatewayError } from './errors.js';
import type {
  CallLimit,
  RefundSummary,
  StripeAccountSummary,
  StripeCredentials,
  StripeGateway,
  TimedCall,
  VerifiedWebhookEvent,
  WebhookEndpointSummary,
} from './gateway.js';
import { invoicePaymentIntentId, paymentIntentSummary, refundSummary } from './objects.js';
import { isSafeToSendAgain, isWorthRetrying, pause, stripeRetry } from './retry.js';
import { parseWebhookEvent } from './webhook-event.js';

/** The API version the SDK is pinned to: what Switchyard's code reads Stripe's objects as. */
export const pinnedApiVersion: string = Stripe.API_VERSION;

export interface StripeEndpoint {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

export interface StripeGatewayOptions {
  /** Where the API is; null for Stripe itself (the emulator in tests and the demo). */
  endpoint: StripeEndpoint | null;
  /** Timeout of calls no buyer waits on (reads, refunds, setup); 20 s by default. */
  timeoutMs?: number;
  /** The SDK's own resends of those calls (connection errors, 409, 5xx); 1 by default. */
  maxNetworkRetries?: number;
  /**
   * Timeout of the calls a checkout makes while the buyer waits (customers, PaymentIntents,
   * subscriptions, their products and prices); 4 s by default. These are sent once: the failover
   * executor retries them itself (429, reset) and records each try.
   */
  checkoutTimeoutMs?: number;
}

/**
 * The SDK resends a request whose connection was closed (ECONNRESET, EPIPE) once, even with
 * retries off, and nobody sees that try. Relabelled, the closed connection reaches the caller as
 * the connection error it was, so the failover executor decides, and records, every resend.
 */
class VisibleResetsHttpClient extends Stripe.HttpClient {
  private readonly node = Stripe.createNodeHttpClient();

  override getClientName(): string {
    return this.node.getClientName();
  }

  override makeRequest(...request: Parameters<Stripe.HttpClient['makeRequest']>) {
    return this.node.makeRequest(...request).catch((error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (
        typeof code !== 'string' ||
        !Stripe.HttpClient.CONNECTION_CLOSED_ERROR_CODES.includes(code)
      ) {
        throw error;
      }
      throw Object.assign(new Error(`the connection was closed (${code})`, { cause: error }), {
        code: 'SWITCHYARD_CONNECTION_CLOSED',
      });
    });
  }
}

/** The one place that talks to Stripe, through the official SDK. */
export function createStripeGateway(options: StripeGatewayOptions): StripeGateway {
  const clients = new Map<string, Stripe>();
  const checkoutTimeoutMs = options.checkoutTimeoutMs ?? 4_000;

  function clientFor(key: string): Stripe {
    let client = clients.get(key);
    if (!client) {
      client = new Stripe(key, {
        ...(options.endpoint ?? {}),
        timeout: options.timeoutMs ?? 20_000,
        maxNetworkRetries: options.maxNetworkRetries ?? 1,
        httpClient: new VisibleResetsHttpClient(),
        appInfo: { name: 'Switchyard' },
      });
      clients.set(key, client);
    }
    return client;
  }

  function requestOptions(credentials: StripeCredentials, idempotencyKey?: string) {
    return {
      ...(credentials.stripeAccount ? { stripeAccount: credentials.stripeAccount } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
  }

  /** A call a waiting buyer makes: a checkout's timeout, one try (the caller owns retries). */
  function checkoutOptions(credentials: StripeCredentials, idempotencyKey?: string) {
    return {
      ...requestOptions(credentials, idempotencyKey),
      timeout: checkoutTimeoutMs,
      maxNetworkRetries: 0,
    };
  }

  /** Options of a call under its caller's time limit: one try, so the limit is the caller's. */
  function timedOptions(credentials: StripeCredentials, timed: TimedCall, idempotencyKey?: string) {
    if (timed.signal?.aborted) {
      throw new StripeGatewayError({
        kind: 'connection',
        message: 'Not sent: the caller stopped waiting for Stripe.',
        timedOut: true,
      });
    }
    return {
      ...requestOptions(credentials, idempotencyKey),
      timeout: timed.timeoutMs,
      maxNetworkRetries: 0,
    };
  }

  /** Unbounded as other callers make it, or under the caller's limit (doctor, jobs): one try. */
  function limitedOptions(credentials: StripeCredentials, limit: CallLimit) {
    return limit.timeoutMs === undefined
      ? requestOptions(credentials)
      : timedOptions(credentials, { timeoutMs: limit.timeoutMs, signal: limit.signal });
  }

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      // Anything that is not the SDK's error is a bug of ours and should surface as such.
      throw error instanceof Stripe.errors.StripeError ? toGatewayError(error) : error;
    }
  }

  return {
    retrieveAccount: ({ credentials, ...limit }) =>
      call(async () => {
        const client = clientFor(credentials.secretKey);
        const options = limitedOptions({ secretKey: credentials.secretKey }, limit);
        const account = credentials.stripeAccount
          ? await client.accounts.retrieve(credentials.stripeAccount, {}, options)
          : await client.accounts.retrieveCurrent({}, options);
        return accountSummary(account);
      }),

    createPaymentIntent: (input) =>
      call(async () => {
        const intent = await clientFor(input.credentials.secretKey).paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            ...(input.customer ? { customer: input.customer } : {}),
            ...(input.paymentMethod ? { payment_method: input.paymentMethod } : {}),
            ...(input.confirm !== undefined ? { confirm: input.confirm } : {}),
            ...(input.offSession !== undefined ? { off_session: input.offSession } : {}),
            ...(input.setupFutureUsage ? { setup_future_usage: input.setupFutureUsage } : {}),
            ...(input.captureMethod ? { capture_method: input.captureMethod } : {}),
            ...(input.metadata ? { metadata: input.metadata } : {}),
            ...(input.description ? { description: input.description } : {}),
            ...(input.receiptEmail ? { receipt_email: input.receiptEmail } : {}),
            ...(input.paymentMethod ? {} : { automatic_payment_methods: { enabled: true } }),
          },
          checkoutOptions(input.credentials, input.idempotencyKey),
        );
        return { ...paymentIntentSummary(intent), requestId: requestIdOf(intent) };
      }),

    // Read by the return page, the card form and the bump while the buyer waits.
    retrievePaymentIntent: ({ credentials, id }) =>
      withRetries(
        () =>
          call(async () =>
            paymentIntentSummary(
              await clientFor(credentials.secretKey).paymentIntents.retrieve(
                id,
                {},
                checkoutOptions(credentials),
              ),
            ),
          ),
        stripeRetry,
        isSafeToSendAgain,
      ),

    newestPaymentIntent: ({ credentials, ...limit }) =>
      call(async () => {
        const page = await clientFor(credentials.secretKey).paymentIntents.list(
          { limit: 1 },
          limitedOptions(credentials, limit),
        );
        const [newest] = page.data;
        return newest ? paymentIntentSummary(newest) : null;
      }),

    retrievePaymentIntentAsClient: ({ publishableKey, stripeAccount, clientSecret }) =>
      withRetries(() =>
        call(async () => {
          const id = clientSecret.split('_secret_')[0] ?? '';
          const intent = await clientFor(publishableKey).paymentIntents.retrieve(
            id,
            { client_secret: clientSecret },
            {
              ...(stripeAccount ? { stripeAccount } : {}),
              timeout: checkoutTimeoutMs,
              maxNetworkRetries: 0,
            },
          );
          return paymentIntentSummary(intent);
        }),
      ),

    // The order bump, while the buyer waits: the same change under its key is harmless to send
    // again, so a 429, a reset or a 5xx is retried here (there is no attempt to record it on).
    updatePaymentIntent: ({ credentials, idempotencyKey, id, amount, metadata }) =>
      withRetries(
        () =>
          call(async () =>
            paymentIntentSummary(
              await clientFor(credentials.secretKey).paymentIntents.update(
                id,
                { amount, ...(metadata ? { metadata } : {}) },
                checkoutOptions(credentials, idempotencyKey),
              ),
            ),
          ),
        stripeRetry,
        isSafeToSendAgain,
      ),

    findPaymentIntentsByMetadata: ({ credentials, key, value }) =>
      call(async () => {
        const quoted = value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
        const found = await clientFor(credentials.secretKey).paymentIntents.search(
          { query: `metadata['${key}']:'${quoted}'`, limit: 100 },
          requestOptions(credentials),
        );
        return found.data.map(paymentIntentSummary);
      }),

    createCustomer: ({ credentials, idempotencyKey, email, name, metadata }) =>
      call(async () => {
        const customer = await clientFor(credentials.secretKey).customers.create(
          { email, ...(name ? { name } : {}), metadata },
          checkoutOptions(credentials, idempotencyKey),
        );
        return { id: customer.id };
      }),

    createProduct: ({ credentials, idempotencyKey, name, metadata }) =>
      call(async () => {
        const product = await clientFor(credentials.secretKey).products.create(
          { name, metadata },
          checkoutOptions(credentials, idempotencyKey),
        );
        return { id: product.id };
      }),

    createPrice: ({
      credentials,
      idempotencyKey,
      product,
      currency,
      unitAmount,
      recurring,
      metadata,
    }) =>
      call(async () => {
        const price = await clientFor(credentials.secretKey).prices.create(
          {
            product,
            currency,
            unit_amount: unitAmount,
            metadata,
            ...(recurring
              ? {
                  recurring: {
                    interval: recurring.interval,
                    interval_count: recurring.intervalCount,
                  },
                }
              : {}),
          },
          checkoutOptions(credentials, idempotencyKey),
        );
        return { id: price.id };
      }),

    createSubscription: ({
      credentials,
      idempotencyKey,
      customer,
      price,
      defaultPaymentMethod,
      metadata,
    }) =>
      call(async () => {
        const client = clientFor(credentials.secretKey);
        const subscription = await client.subscriptions.create(
          {
            customer,
            items: [{ price }],
            metadata,
            expand: ['latest_invoice'],
            ...(defaultPaymentMethod
              ? { default_payment_method: defaultPaymentMethod, off_session: true }
              : {
                  payment_behavior: 'default_incomplete',
                  payment_settings: { save_default_payment_method: 'on_subscription' },
                }),
          },
          checkoutOptions(credentials, idempotencyKey),
        );
        const invoice = subscription.latest_invoice;
        const paymentIntentId =
          invoice !== null && typeof invoice === 'object' ? invoicePaymentIntentId(invoice) : null;
        const paymentIntent =
          paymentIntentId === null
            ? null
            : paymentIntentSummary(
                await client.paymentIntents.retrieve(
                  paymentIntentId,
                  {},
                  { ...requestOptions(credentials), timeout: checkoutTimeoutMs },
                ),
              );
        return { id: subscription.id, status: subscription.status, paymentIntent };
      }),

    createRefund: ({ credentials, idempotencyKey, paymentIntent, amount, metadata }) =>
      call(async () =>
        refundSummary(
          await clientFor(credentials.secretKey).refunds.create(
            {
              payment_intent: paymentIntent,
              ...(amount === undefined ? {} : { amount }),
              metadata,
            },
            requestOptions(credentials, idempotencyKey),
          ),
        ),
      ),

    listRefunds: ({ credentials, paymentIntent }) =>
      call(async () => {
        const refunds: RefundSummary[] = [];
        for await (const refund of clientFor(credentials.secretKey).refunds.list(
          { payment_intent: paymentIntent, limit: 100 },
          requestOptions(credentials),
        )) {
          refunds.push(refundSummary(refund));
        }
        return refunds;
      }),

    cancelPaymentIntent: ({ credentials, id, idempotencyKey, ...limit }) =>
      call(async () =>
        paymentIntentSummary(
          await clientFor(credentials.secretKey).paymentIntents.cancel(
            id,
            {},
            { ...limitedOptions(credentials, limit), idempotencyKey },
          ),
        ),
      ),

    async checkPermission({ credentials, permission, ...limit }) {
      const [resource, access] = permission.split(':');
      const client = clientFor(credentials.secretKey);
      const options = limitedOptions(credentials, limit);
      try {
        // A write to an id that cannot exist is refused for permission (403) before it is looked
        // up (404), so it proves the permission without changing anything.
        if (access === 'write') {
          await client.rawRequest(
            'POST',
            `/v1/${resource}/switchyard_permission_probe`,
            {},
            options,
          );
        } else if (resource === 'account' || resource === 'balance') {
          await client.rawRequest('GET', `/v1/${resource}`, {}, options);
        } else {
          const path = `/v1/${resource}?limit=1`;
          await client.rawRequest('GET', path, {}, options);
        }
        return 'granted';
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeError)) throw error;
        const failure = toGatewayError(error);
        if (failure.kind === 'permission') return 'missing';
        if (failure.kind === 'invalid_request') return 'granted';
        throw failure;
      }
    },

    createWebhookEndpoint: ({
      credentials,
      url,
      events,
      description,
      idempotencyKey,
      apiVersion,
    }) =>
      call(async () => {
        const endpoint = await clientFor(credentials.secretKey).webhookEndpoints.create(
          {
            url,
            enabled_events: events as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
            description,
            ...(apiVersion
              ? { api_version: apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion }
              : {}),
          },
          requestOptions(credentials, idempotencyKey),
        );
        if (!endpoint.secret) {
          throw new StripeGatewayError({
            kind: 'invalid_request',
            message: 'Stripe created the webhook endpoint but returned no signing secret.',
          });
        }
        return { id: endpoint.id, secret: endpoint.secret };
      }),

    deleteWebhookEndpoint: ({ credentials, id }) =>
      call(async () => {
        await clientFor(credentials.secretKey).webhookEndpoints.del(
          id,
          {},
          requestOptions(credentials),
        );
      }),

    retrieveWebhookEndpoint: ({ credentials, id, ...limit }) =>
      call(async () =>
        webhookEndpointSummary(
          await clientFor(credentials.secretKey).webhookEndpoints.retrieve(
            id,
            {},
            limitedOptions(credentials, limit),
          ),
        ),
      ),

    updateWebhookEndpoint: ({ credentials, id, url, events, disabled, ...limit }) =>
      call(async () =>
        webhookEndpointSummary(
          await clientFor(credentials.secretKey).webhookEndpoints.update(
            id,
            {
              ...(url === undefined ? {} : { url }),
              ...(events === undefined
                ? {}
                : {
                    enabled_events: events as Stripe.WebhookEndpointUpdateParams.EnabledEvent[],
                  }),
              ...(disabled === undefined ? {} : { disabled }),
            },
            limitedOptions(credentials, limit),
          ),
        ),
      ),

    exchangeOAuthCode: ({ platformSecretKey, code }) =>
      call(async () => {
        const token = await clientFor(platformSecretKey).oauth.token({
          grant_type: 'authorization_code',
          code,
        });
        if (!token.stripe_user_id || !token.access_token || !token.stripe_publishable_key) {
          throw new StripeGatewayError({
            kind: 'oauth',
            message:
              'Stripe answered the OAuth code exchange without an account, token or publishable key.',
          });
        }
        return {
          stripeUserId: token.stripe_user_id,
          accessToken: token.access_token,
          refreshToken: token.refresh_token ?? null,
          publishableKey: token.stripe_publishable_key,
          livemode: Boolean(token.livemode),
          scope: token.scope ?? null,
        };
      }),

    async checkOAuthClient({ platformSecretKey, clientId, ...limit }) {
      // Deauthorizing an account that cannot exist changes nothing: Stripe refuses an unknown
      // client id with "No such application", and a known one with "not connected".
      try {
        await clientFor(platformSecretKey).oauth.deauthorize(
          { client_id: clientId, stripe_user_id: 'acct_switchyardclientcheck' },
          limitedOptions({ secretKey: platformSecretKey }, limit),
        );
        return { known: true };
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeError)) throw error;
        const failure = toGatewayError(error);
        // Refused for the account, not for the client: the client id is the platform's.
        if (
          (failure.kind === 'oauth' || failure.kind === 'invalid_request') &&
          /not connected|no such (stripe )?account/i.test(failure.message)
        ) {
          return { known: true };
        }
        if (failure.kind === 'oauth' || failure.kind === 'authentication') {
          return { known: false, error: failure.message };
        }
        throw failure;
      }
    },

    deauthorizeAccount: ({ platformSecretKey, clientId, stripeUserId }) =>
      call(async () => {
        await clientFor(platformSecretKey).oauth.deauthorize({
          client_id: clientId,
          stripe_user_id: stripeUserId,
        });
      }),

    createTestPaymentIntent: (input) =>
      call(async () => {
        const intent = await clientFor(input.credentials.secretKey).paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            metadata: input.metadata,
            description: input.description,
            ...(input.paymentMethod
              ? {
                  payment_method: input.paymentMethod,
                  confirm: true,
                  payment_method_types: ['card'],
                }
              : { payment_method_types: ['card'] }),
          },
          timedOptions(input.credentials, input, input.idempotencyKey),
        );
        return { answer: paymentIntentSummary(intent), requestId: requestIdOf(intent) };
      }),

    refundTestPayment: (input) =>
      call(async () => {
        const refund = await clientFor(input.credentials.secretKey).refunds.create(
          { payment_intent: input.paymentIntent, metadata: input.metadata },
          timedOptions(input.credentials, input, input.idempotencyKey),
        );
        return { answer: refundSummary(refund), requestId: requestIdOf(refund) };
      }),

    cancelTestPaymentIntent: (input) =>
      call(async () => {
        const intent = await clientFor(input.credentials.secretKey).paymentIntents.cancel(
          input.id,
          {},
          timedOptions(input.credentials, input, input.idempotencyKey),
        );
        return { answer: paymentIntentSummary(intent), requestId: requestIdOf(intent) };
      }),

    searchPaymentIntentsWithMetadataKey: (input) =>
      call(async () => {
        const key = input.key.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
        const found = await clientFor(input.credentials.secretKey).paymentIntents.search(
          {
            query: `-metadata['${key}']:null AND created>=${Math.floor(input.createdSince)}`,
            limit: 100,
            ...(input.page ? { page: input.page } : {}),
          },
          timedOptions(input.credentials, input),
        );
        return {
          intents: found.data.map((intent) => ({
            ...paymentIntentSummary(intent),
            created: intent.created,
          })),
          nextPage: found.has_more ? (found.next_page ?? null) : null,
        };
      }),

    verifyWebhookEvent({ payload, signature, secret, toleranceSeconds }) {
      // Verification needs no API key; any client instance can do it.
      const event = clientFor('sk_webhook_verification').webhooks.constructEvent(
        payload,
        signature,
        secret,
        toleranceSeconds,
      );
      return parseWebhookEvent(event);
    },

    listEvents: ({
      credentials,
      types,
      endingBefore,
      startingAfter,
      createdSince,
      limit,
      ...callLimit
    }) =>
      call(async () => {
        const page = await clientFor(credentials.secretKey).events.list(
          {
            types: [...types],
            limit,
            ...(endingBefore ? { ending_before: endingBefore } : {}),
            ...(startingAfter ? { starting_after: startingAfter } : {}),
            ...(createdSince !== undefined ? { created: { gte: createdSince } } : {}),
          },
          limitedOptions(credentials, callLimit),
        );
        return { events: page.data.map(eventSummary), hasMore: page.has_more };
      }),
  };
}

function requestIdOf(answer: { lastResponse?: { requestId?: string } }): string | null {
  return answer.lastResponse?.requestId ?? null;
}

function webhookEndpointSummary(endpoint: Stripe.WebhookEndpoint): WebhookEndpointSummary {
  return {
    id: endpoint.id,
    url: endpoint.url,
    status: endpoint.status,
    enabledEvents: [...endpoint.enabled_events],
    apiVersion: endpoint.api_version ?? null,
  };
}

function eventSummary(event: Stripe.Event): VerifiedWebhookEvent {
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    account: event.account ?? null,
    object: Object.fromEntries(Object.entries(event.data.object)),
  };
}

/** Runs a call that is safe to repeat again after a 429 or a reset (or what `worthRetrying` takes). */
async function withRetries<T>(
  work: () => Promise<T>,
  policy = stripeRetry,
  worthRetrying = isWorthRetrying,
): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await work();
    } catch (error) {
      const again =
        error instanceof StripeGatewayError && retry < policy.tries && worthRetrying(error);
      if (!again) throw error;
      await pause(policy.backoffMs(retry));
    }
  }
}

function accountSummary(account: Stripe.Account): StripeAccountSummary {
  return {
    id: account.id,
    country: account.country ?? null,
    defaultCurrency: account.default_currency ?? null,
    chargesEnabled: account.charges_enabled ?? false,
    disabledReason: account.requirements?.disabled_reason ?? null,
    displayName:
      account.settings?.dashboard?.display_name ?? account.business_profile?.name ?? null,
    payoutsEnabled: account.payouts_enabled ?? false,
    requirements: {
      currentlyDue: account.requirements?.currently_due ?? [],
      pastDue: account.requirements?.past_due ?? [],
      currentDeadline:
        typeof account.requirements?.current_deadline === 'number'
          ? new Date(account.requirements.current_deadline * 1000).toISOString()
          : null,
    },
  };
}

const kindsByErrorClass: Array<[new (...args: never[]) => Error, StripeFailureKind]> = [
  [Stripe.errors.StripeCardError, 'card'],
  [Stripe.errors.StripeAuthenticationError, 'authentication'],
  [Stripe.errors.StripePermissionError, 'permission'],
  [Stripe.errors.StripeRateLimitError, 'rate_limit'],
  [Stripe.errors.StripeAPIError, 'stripe_error'],
  [Stripe.errors.StripeConnectionError, 'connection'],
  [Stripe.errors.StripeIdempotencyError, 'idempotency'],
  [Stripe.errors.StripeOAuthError, 'oauth'],
  [Stripe.errors.StripeInvalidRequestError, 'invalid_request'],
];

/** Maps the SDK's error classes to our kinds; messages never include the key (Stripe masks it). */
function toGatewayError(error: unknown): StripeGatewayError {
  if (error instanceof StripeGatewayError) return error;
  if (error instanceof Stripe.errors.StripeError) {
    const kind =
      kindsByErrorClass.find(([errorClass]) => error instanceof errorClass)?.[1] ??
      kindByStatus(error.statusCode);
    const closed = connectionCodeOf(error) === 'SWITCHYARD_CONNECTION_CLOSED';
    return new StripeGatewayError({
      kind,
      message: closed ? `${error.message} The connection was reset.` : error.message,
      statusCode: error.statusCode ?? null,
      stripeCode: error.code ?? null,
      declineCode: error.decline_code ?? null,
      requestId: error.requestId ?? null,
      param: error.param ?? null,
      paymentIntentId: paymentIntentIdOf(error.raw),
      timedOut: connectionCodeOf(error) === Stripe.HttpClient.TIMEOUT_ERROR_CODE,
      networkCause: networkCauseOf(error),
    });
  }
  return new StripeGatewayError({
    kind: 'connection',
    message: `Could not talk to Stripe: ${error instanceof Error ? error.message : String(error)}`,
  });
}

/** The network error code behind a connection error (`ETIMEDOUT`, our closed connection). */
function connectionCodeOf(error: InstanceType<typeof Stripe.errors.StripeError>): string | null {
  if (!(error instanceof Stripe.errors.StripeConnectionError)) return null;
  const code = (error.detail as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : null;
}

/** What the network said under a connection error: the DNS, TLS or socket error's own message. */
function networkCauseOf(error: InstanceType<typeof Stripe.errors.StripeError>): string | null {
  if (!(error instanceof Stripe.errors.StripeConnectionError)) return null;
  const detail = error.detail as { message?: unknown; cause?: unknown } | undefined;
  const cause = detail?.cause as { message?: unknown } | undefined;
  const message = typeof cause?.message === 'string' ? cause.message : detail?.message;
  return typeof message === 'string' && message.length > 0 ? message : null;
}

function paymentIntentIdOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || !('payment_intent' in raw)) return null;
  const intent = raw.payment_intent;
  if (typeof intent === 'object' && intent !== null && 'id' in intent) {
    return typeof intent.id === 'string' ? intent.id : null;
  }
  return null;
}

function kindByStatus(status: number | undefined): StripeFailureKind {
  if (status === undefined) return 'connection';
  if (status === 401) return 'authentication';
  if (status === 402) return 'card';
  if (status === 403) return 'permission';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'stripe_error';
  return 'invalid_request';
}
