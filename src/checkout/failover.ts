import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { HealthService } from '../accounts/health.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { HealthState, Mode, PaymentContext, RoutingDecision } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import type { StripeGatewayError } from '../stripe/errors.js';
import type { StripeGateway } from '../stripe/gateway.js';
import type { RetryPolicy } from '../stripe/retry.js';
import {
  type AttemptRequest,
  createAttempts,
  isAmbiguous,
  isUnsettled,
  type PaymentCreated,
} from './attempts.js';
import {
  type Attempt,
  insertAttempt,
  listAttempts,
  noFailure,
  type PaymentAttempt,
} from './payment-attempts.repository.js';
import type { StoredRoutingContext } from './payments.repository.js';
import { completeRoutingContext } from './routing-context.js';

/**
 * Failover at run time (docs/design.md §3): create the PaymentIntent on the routed account; when that
 * account fails (not the card), set it aside for this payment and route again within the same
 * policy. A declined card never moves: retrying it elsewhere is what card testers do.
 */

export interface PaymentRequest extends AttemptRequest {
  /** What routing sees of the payment (docs/design.md §2); its amount and currency are charged. */
  context: PaymentContext & { amount: number };
  /** The accounts (ids) where the buyer has a Stripe customer: the context's `customer.accounts`. */
  customerAccountIds?: readonly string[] | undefined;
  /**
   * Writes the caller's own record of the payment (if it is not there yet) in the transaction that
   * writes each attempt before Stripe is called: both are on disk before the call, in one commit.
   * `routingContext` is what the router was asked, without health, for replay.
   */
  recordAttempt?: (
    executor: Kysely<Database>,
    routingContext: StoredRoutingContext,
  ) => Promise<void>;
  /**
   * True when the caller has just found that the payment does not exist: it has no attempts to
   * read (should another instance make it meanwhile, its first attempt's number is taken and
   * this request is refused as a concurrent one).
   */
  noAttemptsYet?: boolean | undefined;
}

export interface FailoverExecutor {
  /**
   * Routes the payment with the live config and health, and creates its PaymentIntent on the
   * chosen account, failing over on account-level errors. Throws `card_error` (never retried
   * elsewhere) or `no_account_available` with the decision and the attempts in the details.
   * Calling it again for the same payment never makes a second charge: a finished payment
   * returns its PaymentIntent, and an attempt that may have reached Stripe is sent again as it was.
   */
  createPaymentWithFailover(request: PaymentRequest): Promise<PaymentCreated>;
  /** Every attempt of a payment, in order, for the transaction log. */
  listAttempts(workspaceId: string, paymentId: string): Promise<PaymentAttempt[]>;
}

export interface FailoverDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'retrievePaymentIntent'>;
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  health: Pick<HealthService, 'admitCall' | 'recordOutcome'>;
  secretKeyOf(accountId: string, mode: Mode, revision?: number): Promise<string | null>;
  metrics: Pick<Metrics, 'countFailover'>;
  /** Milliseconds from a monotonic source, for attempt latency; the clock may stand still in tests. */
  stopwatch?: () => number;
  retry?: RetryPolicy;
  logger?: Pick<Logger, 'warn'>;
}

/** What the AppError refusing a payment carries in its details, as far as each refusal has it. */
export interface PaymentRefusal {
  decision?: RoutingDecision;
  attempts?: PaymentAttempt[];
  /** The accounts this request set aside before the refusal (they failed, or let no call in). */
  setAside?: string[];
  account?: string;
  paymentIntentId?: string | null;
  stripeCode?: string | null;
  declineCode?: string | null;
  stripeMessage?: string;
}

export function createFailoverExecutor(deps: FailoverDependencies): FailoverExecutor {
  const { db, clock, gateway, routing, health, metrics } = deps;
  const attempts = createAttempts(deps);

  /** A payment that already has its PaymentIntent gets it back instead of a second one. */
  async function replayCreated(
    request: PaymentRequest,
    previous: Attempt[],
  ): Promise<PaymentCreated | null> {
    const done = previous.find(
      (attempt) => attempt.status === 'created' && attempt.paymentIntentId !== null,
    );
    if (!done || done.paymentIntentId === null) return null;
    const secretKey = await deps.secretKeyOf(
      done.accountId,
      request.context.mode,
      request.revision,
    );
    if (secretKey === null) return null;
    const paymentIntent = await gateway.retrievePaymentIntent({
      credentials: { secretKey },
      id: done.paymentIntentId,
    });
    const created: PaymentCreated = {
      paymentIntent,
      account: done.account,
      accountId: done.accountId,
      decision: done.decision,
      attempts: await attempts.attemptsOf(request.workspaceId, request.paymentId),
    };
    await request.recordCreated?.(db, created);
    return created;
  }

  /** Writes a new attempt before Stripe is called: a crash after the call leaves a trace to resume from. */
  async function writeAttempt(
    request: PaymentRequest,
    attempt: Attempt,
    routingContext: StoredRoutingContext,
  ): Promise<void> {
    try {
      await db.transaction().execute(async (trx) => {
        await request.recordAttempt?.(trx, routingContext);
        await insertAttempt(trx, attempt);
      });
    } catch (error) {
      const taken = await listAttempts(db, request.workspaceId, request.paymentId);
      if (taken.some((other) => other.number === attempt.number)) {
        throw new AppError(
          'conflict',
          `Payment ${request.paymentId} is being taken by another request right now (attempt ${attempt.number} exists). Wait for it instead of starting another.`,
          { paymentId: request.paymentId },
        );
      }
      throw error;
    }
  }

  async function createPaymentWithFailover(request: PaymentRequest): Promise<PaymentCreated> {
    const { workspaceId, paymentId, context } = request;
    requirePaymentId(paymentId);
    requireAmount(context.amount);
    const previous = request.noAttemptsYet ? [] : await listAttempts(db, workspaceId, paymentId);
    requireSameParameters(paymentId, previous, context);
    const replay = await replayCreated(request, previous);
    if (replay) return replay;

    let nextNumber = previous.reduce((max, attempt) => Math.max(max, attempt.number), 0) + 1;
    // The whole log so far, while this request knows it without reading: none yet, until one fails.
    let logBefore: PaymentAttempt[] | undefined = request.noAttemptsYet ? [] : undefined;
    const setAside: Record<string, HealthState> = {};
    const story: string[] = [];
    // The buyer's known accounts and the caps' usage, read once for the whole payment.
    let completed: StoredRoutingContext | undefined;

    /** Fails over, or ends the payment, after an attempt failed. */
    async function handleFailure(
      failure: StripeGatewayError,
      attempt: Attempt,
      /** Some send of the attempt got no clear answer: it may have charged the card. */
      unclear: boolean,
    ): Promise<void> {
      const handle = attempt.account;
      const { decision } = attempt;
      const logged = await attempts.attemptsOf(workspaceId, paymentId);
      if (request.confirms && (isAmbiguous(failure) || unclear)) {
        // A confirming request that got no clear answer may have charged the card; trying
        // another account, or a new attempt, could charge it twice. A retry resends this one.
        throw new AppError(
          'upstream_unavailable',
          `Stripe gave no clear answer for payment ${paymentId} on ${handle} (${describeFailure(failure)}), so it may or may not have been charged. It was not tried on another account; ask again for the same payment id and the same attempt is sent again, so it cannot be charged twice.`,
          { account: handle, decision, attempts: logged } satisfies PaymentRefusal,
          { cause: failure },
        );
      }
      if (failure.isAccountLevel) {
        setAside[handle] = healthAfter(failure);
        metrics.countFailover({ account: handle, reason: failoverReason(failure) });
        story.push(
          `Attempt ${attempt.number} on ${handle} failed (${describeFailure(failure)}); ${handle} is set aside for this payment.`,
        );
        return;
      }
      if (failure.kind === 'card') {
        throw new AppError(
          'card_error',
          `${failure.message} The payment was not tried on another account: a declined card stays declined.`,
          {
            stripeCode: failure.stripeCode,
            declineCode: failure.declineCode,
            account: handle,
            paymentIntentId: failure.paymentIntentId,
            stripeMessage: failure.message,
            decision,
            attempts: logged,
          } satisfies PaymentRefusal,
          { cause: failure },
        );
      }
      throw new AppError(
        'bad_request',
        `Stripe refused the payment request on ${handle}: ${failure.message}`,
        { stripeCode: failure.stripeCode, param: failure.param, decision, attempts: logged },
        { cause: failure },
      );
    }

    // An attempt that never finished (a crash, a concurrent request) or that got no clear
    // answer may have reached Stripe: send it again unchanged, same account and same key.
    const last = previous.at(-1);
    if (last && isUnsettled(last)) {
      const outcome = await attempts.send(request, last, true);
      if (outcome.created) return outcome.created;
      await handleFailure(outcome.failure, last, outcome.unclear);
    }

    for (;;) {
      const live = await routing.liveRouting(workspaceId, context.mode, request.revision);
      completed ??= withoutHealth(await completeRoutingContext(deps, live, request));
      const routed = live.routing.route({
        ...completed,
        health: { ...live.health, ...context.health, ...setAside },
      });
      const decision = { ...routed, explanation: [...story, ...routed.explanation] };
      const handle = decision.account;
      const accountId = handle === null ? undefined : live.accountIds.get(handle);
      const takes = decision.outcome === 'selected' || decision.outcome === 'fallback';
      if (!takes || handle === null || accountId === undefined || handle in setAside) {
        throw new AppError(
          'no_account_available',
          `No account can take payment ${paymentId} now (${decision.outcome}). ${decision.explanation.join(' ')}`,
          {
            decision,
            attempts: await attempts.attemptsOf(workspaceId, paymentId),
            setAside: Object.keys(setAside),
          } satisfies PaymentRefusal,
        );
      }

      const admission = await health.admitCall(accountId, context.mode, live.breakers);
      if (admission === 'refused') {
        // Another instance holds the half-open trial, or the breaker opened meanwhile.
        setAside[handle] = 'down';
        metrics.countFailover({ account: handle, reason: 'breaker_open' });
        story.push(`${handle}'s circuit breaker let no call through; it is set aside.`);
        continue;
      }

      const number = nextNumber++;
      const attempt: Attempt = {
        id: newId('att'),
        workspaceId,
        paymentId,
        number,
        accountId,
        account: handle,
        mode: context.mode,
        idempotencyKey: `${paymentId}:attempt:${number}`,
        amount: context.amount,
        currency: context.currency,
        status: 'pending',
        ...noFailure,
        paymentIntentId: null,
        latencyMs: null,
        decision,
        startedAt: clock().toISOString(),
        finishedAt: null,
      };
      await writeAttempt(request, attempt, completed);
      const outcome = await attempts.send(request, attempt, false, logBefore);
      if (outcome.created) return outcome.created;
      logBefore = undefined;
      await handleFailure(outcome.failure, attempt, outcome.unclear);
    }
  }

  return {
    createPaymentWithFailover,
    listAttempts: (workspaceId, paymentId) => attempts.attemptsOf(workspaceId, paymentId),
  };
}

/** A context as stored with its payment: health is the moment's, not the payment's. */
function withoutHealth(context: PaymentContext): StoredRoutingContext {
  const { health, ...stored } = context;
  return stored;
}

/** The details of a payment's refusal. */
export function refusalOf(error: AppError): PaymentRefusal {
  return (error.details ?? {}) as PaymentRefusal;
}

/**
 * Whether a payment that continues another (an upsell) was refused because that payment's
 * account cannot take it, before this request tried or set aside any account: it needs a new
 * payment method, on the account a new sale would get.
 */
export function needsNewPaymentMethod(error: AppError): boolean {
  const refusal = refusalOf(error);
  return (
    error.code === 'no_account_available' &&
    refusal.decision?.outcome === 'needs_new_payment_method' &&
    refusal.setAside?.length === 0
  );
}

/**
 * Whether a payment's charge may have happened without our knowing: its last attempt is
 * unsettled. Such a payment is only ever sent again as that attempt, never offered a card form.
 */
export function outcomeUnknown(logged: readonly PaymentAttempt[]): boolean {
  const last = logged.at(-1);
  return last !== undefined && isUnsettled(last);
}

/** Our payment ids go into idempotency keys and metadata: keep them short and plain. */
function requirePaymentId(paymentId: string): void {
  if (!/^[A-Za-z0-9_.:-]{1,80}$/.test(paymentId)) {
    throw AppError.validation([
      { field: 'paymentId', message: 'use 1 to 80 letters, digits, "_", ".", ":" or "-"' },
    ]);
  }
}

/** Stripe takes at most eight digits of minor units. */
function requireAmount(amount: number): void {
  if (!Number.isInteger(amount) || amount < 1 || amount > 99_999_999) {
    throw AppError.validation([
      { field: 'amount', message: 'must be a whole number of minor units from 1 to 99999999' },
    ]);
  }
}

/** A payment id names one payment: asking again with other terms is a mistake, not a new sale. */
function requireSameParameters(
  paymentId: string,
  previous: readonly Attempt[],
  terms: { amount: number; currency: string; mode: Mode },
): void {
  const first = previous[0];
  if (!first) return;
  if (
    first.amount !== terms.amount ||
    first.currency !== terms.currency ||
    first.mode !== terms.mode
  ) {
    throw new AppError(
      'conflict',
      `Payment ${paymentId} was started as ${first.amount} ${first.currency} (${first.mode}); it cannot be retried as ${terms.amount} ${terms.currency} (${terms.mode}). Use a new payment id for a different payment.`,
      { paymentId },
    );
  }
}

/** What a failure says about the account, for the rest of this payment's routing. */
function healthAfter(failure: StripeGatewayError): HealthState {
  if (failure.kind === 'authentication' || failure.kind === 'permission') return 'disconnected';
  if (failure.stripeCode === 'account_invalid') return 'restricted';
  return 'down';
}

/** Why an account was set aside, as the failovers metric labels it. */
function failoverReason(failure: StripeGatewayError): string {
  return failure.stripeCode === 'account_invalid' ? 'account_invalid' : failure.kind;
}

function describeFailure(failure: StripeGatewayError): string {
  switch (failure.kind) {
    case 'connection':
      return 'no answer from Stripe: network failure or timeout';
    case 'stripe_error':
      return `Stripe error ${failure.statusCode ?? ''}`.trim();
    case 'rate_limit':
      return 'rate limited by Stripe';
    case 'authentication':
      return 'Stripe rejected the key';
    case 'permission':
      return 'the key lacks a permission';
    default:
      return failure.stripeCode === 'account_invalid'
        ? 'the account cannot take charges'
        : (failure.stripeCode ?? failure.kind);
  }
}
