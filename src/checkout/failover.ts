import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { HealthService } from '../accounts/health.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database, PaymentAttemptTable } from '../db/schema.js';
import { AppError, fieldPath } from '../errors.js';
import {
  type HealthState,
  type Mode,
  type PaymentContext,
  parsePaymentContext,
  type RoutingDecision,
} from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type {
  CreatePaymentIntentInput,
  PaymentIntentSummary,
  StripeGateway,
} from '../stripe/gateway.js';
import { finishAttempt, insertAttempt, listAttempts } from './payment-attempts.repository.js';

/**
 * Failover at run time (DESIGN.md §3): create the PaymentIntent on the routed account; when that
 * account fails (not the card), set it aside for this payment and route again within the same
 * policy. A declined card never moves: retrying it elsewhere is what card testers do.
 */

export interface PaymentRequest
  extends Omit<CreatePaymentIntentInput, 'credentials' | 'idempotencyKey'> {
  workspaceId: string;
  /** Our id of the payment; each attempt's idempotency key is derived from it. */
  paymentId: string;
  /** The routing context (DESIGN.md §2); its currency and amount must match the PaymentIntent's. */
  context: unknown;
}

export interface PaymentAttempt {
  number: number;
  account: string;
  idempotencyKey: string;
  status: PaymentAttemptTable['status'];
  failureKind: string | null;
  stripeCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  requestId: string | null;
  message: string | null;
  paymentIntentId: string | null;
  latencyMs: number | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface PaymentCreated {
  paymentIntent: PaymentIntentSummary;
  account: string;
  /** The decision the successful attempt followed, with what happened before it in words. */
  decision: RoutingDecision;
  attempts: PaymentAttempt[];
}

export interface FailoverDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'createPaymentIntent' | 'retrievePaymentIntent'>;
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  health: Pick<HealthService, 'admitCall' | 'recordOutcome'>;
  secretKeyOf(accountId: string, mode: Mode): Promise<string | null>;
  /** Milliseconds from a monotonic source, for attempt latency; the clock may stand still in tests. */
  stopwatch?: () => number;
}

export function createFailoverExecutor(deps: FailoverDependencies) {
  const { db, clock, gateway, routing, health } = deps;
  const stopwatch = deps.stopwatch ?? (() => performance.now());

  async function attemptsOf(workspaceId: string, paymentId: string): Promise<PaymentAttempt[]> {
    return (await listAttempts(db, workspaceId, paymentId)).map(attemptOf);
  }

  /** A payment that already has its PaymentIntent gets it back instead of a second one. */
  async function replayCreated(
    _request: PaymentRequest,
    mode: Mode,
    rows: PaymentAttemptTable[],
  ): Promise<PaymentCreated | null> {
    const done = rows.find((row) => row.status === 'succeeded' && row.payment_intent_id !== null);
    if (!done || done.payment_intent_id === null) return null;
    const secretKey = await deps.secretKeyOf(done.account_id, mode);
    if (secretKey === null) return null;
    const paymentIntent = await gateway.retrievePaymentIntent({
      credentials: { secretKey },
      id: done.payment_intent_id,
    });
    return {
      paymentIntent,
      account: done.account_handle,
      decision: JSON.parse(done.decision) as RoutingDecision,
      attempts: rows.map(attemptOf),
    };
  }

  return {
    /**
     * Routes the payment with the live config and health, and creates its PaymentIntent on the
     * chosen account, failing over on account-level errors. Throws `card_error` (never retried
     * elsewhere) or `no_account_available` with the decision and the attempts in the details.
     */
    async createPaymentWithFailover(request: PaymentRequest): Promise<PaymentCreated> {
      const { workspaceId, paymentId, context: contextInput, ...intent } = request;
      const context = requireContext(contextInput, intent.currency, intent.amount);
      const previous = await listAttempts(db, workspaceId, paymentId);
      const replay = await replayCreated(request, context.mode, previous);
      if (replay) return replay;

      let nextNumber = previous.reduce((max, row) => Math.max(max, row.attempt_number), 0) + 1;
      const setAside: Record<string, HealthState> = {};
      const story: string[] = [];

      for (;;) {
        const live = await routing.liveRouting(workspaceId, context.mode);
        const routed = live.routing.route({
          ...context,
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
            { decision, attempts: await attemptsOf(workspaceId, paymentId) },
          );
        }

        const admission = await health.admitCall(accountId, context.mode);
        if (admission === 'refused') {
          // Another instance holds the half-open trial, or the breaker opened meanwhile.
          setAside[handle] = 'down';
          story.push(`${handle}'s circuit breaker let no call through; it is set aside.`);
          continue;
        }

        const number = nextNumber++;
        const idempotencyKey = `${paymentId}:attempt:${number}`;
        const attemptId = newId('att');
        const startedAt = clock().toISOString();
        try {
          await insertAttempt(db, {
            attempt_id: attemptId,
            workspace_id: workspaceId,
            payment_id: paymentId,
            attempt_number: number,
            account_id: accountId,
            account_handle: handle,
            mode: context.mode,
            idempotency_key: idempotencyKey,
            amount: intent.amount,
            currency: intent.currency.toLowerCase(),
            status: 'pending',
            failure_kind: null,
            stripe_code: null,
            decline_code: null,
            http_status: null,
            request_id: null,
            message: null,
            payment_intent_id: null,
            latency_ms: null,
            decision: JSON.stringify(decision),
            started_at: startedAt,
            finished_at: null,
          });
        } catch (error) {
          if (
            (await listAttempts(db, workspaceId, paymentId)).some(
              (r) => r.attempt_number === number,
            )
          ) {
            throw new AppError(
              'conflict',
              `Payment ${paymentId} is being taken by another request right now (attempt ${number} exists). Wait for it instead of starting another.`,
              { paymentId },
            );
          }
          throw error;
        }

        const secretKey = await deps.secretKeyOf(accountId, context.mode);
        const started = stopwatch();
        try {
          if (secretKey === null) {
            throw new StripeGatewayError({
              kind: 'authentication',
              message: `${handle} has no ${context.mode} key`,
            });
          }
          const paymentIntent = await gateway.createPaymentIntent({
            ...intent,
            credentials: { secretKey },
            idempotencyKey,
            metadata: {
              ...intent.metadata,
              switchyard_payment: paymentId,
              switchyard_attempt: String(number),
            },
          });
          await finishAttempt(db, attemptId, {
            status: 'succeeded',
            payment_intent_id: paymentIntent.id,
            latency_ms: Math.round(stopwatch() - started),
            finished_at: clock().toISOString(),
          });
          await health.recordOutcome({ workspaceId, accountId, mode: context.mode }, { ok: true });
          return {
            paymentIntent,
            account: handle,
            decision,
            attempts: await attemptsOf(workspaceId, paymentId),
          };
        } catch (error) {
          const failure = error instanceof StripeGatewayError ? error : null;
          await finishAttempt(db, attemptId, {
            status: 'failed',
            failure_kind: failure?.kind ?? 'internal',
            stripe_code: failure?.stripeCode ?? null,
            decline_code: failure?.declineCode ?? null,
            http_status: failure?.statusCode ?? null,
            request_id: failure?.requestId ?? null,
            message: error instanceof Error ? error.message.slice(0, 1000) : String(error),
            latency_ms: Math.round(stopwatch() - started),
            finished_at: clock().toISOString(),
          });
          if (!failure) throw error;
          // The account answered: as far as the breaker knows, it works.
          await health.recordOutcome(
            { workspaceId, accountId, mode: context.mode },
            failure.isAccountLevel
              ? {
                  ok: false,
                  kind: failure.kind,
                  stripeCode: failure.stripeCode,
                  httpStatus: failure.statusCode,
                  requestId: failure.requestId,
                  message: failure.message,
                }
              : { ok: true },
          );
          const attempts = await attemptsOf(workspaceId, paymentId);
          if (intent.confirm && isAmbiguous(failure)) {
            // A confirming request that got no clear answer may have charged the card; trying
            // another account could charge it twice.
            throw new AppError(
              'upstream_unavailable',
              `Stripe gave no clear answer for payment ${paymentId} on ${handle} (${describeFailure(failure)}), so it may or may not have been charged. It was not tried on another account; look it up by its payment id before charging again.`,
              { account: handle, decision, attempts },
              { cause: failure },
            );
          }
          if (failure.isAccountLevel) {
            setAside[handle] = healthAfter(failure);
            story.push(
              `Attempt ${number} on ${handle} failed (${describeFailure(failure)}); ${handle} is set aside for this payment.`,
            );
            continue;
          }
          if (failure.kind === 'card') {
            throw new AppError(
              'card_error',
              `${failure.message} The payment was not tried on another account: a declined card stays declined.`,
              {
                stripeCode: failure.stripeCode,
                declineCode: failure.declineCode,
                account: handle,
                decision,
                attempts,
              },
              { cause: failure },
            );
          }
          throw new AppError(
            'bad_request',
            `Stripe refused the payment request on ${handle}: ${failure.message}`,
            { stripeCode: failure.stripeCode, param: failure.param, decision, attempts },
            { cause: failure },
          );
        }
      }
    },

    /** Every attempt of a payment, in order, for the transaction log. */
    listAttempts: attemptsOf,
  };
}

export type FailoverExecutor = ReturnType<typeof createFailoverExecutor>;

function requireContext(input: unknown, currency: string, amount: number): PaymentContext {
  const parsed = parsePaymentContext(input);
  if (!parsed.success) {
    throw AppError.validation(
      parsed.problems.map((problem) => ({
        field: fieldPath(problem.path, 'context'),
        message: problem.message,
      })),
    );
  }
  const context = parsed.value;
  if (context.currency !== currency.toLowerCase()) {
    throw AppError.validation([
      {
        field: 'context.currency',
        message: `is "${context.currency}" but the payment is in "${currency.toLowerCase()}"; route the currency you charge`,
      },
    ]);
  }
  if (context.amount !== undefined && context.amount !== amount) {
    throw AppError.validation([
      {
        field: 'context.amount',
        message: `is ${context.amount} but the payment is for ${amount}; route the amount you charge`,
      },
    ]);
  }
  return { ...context, amount };
}

/** No answer, or a server error: Stripe may have done the work before failing to say so. */
function isAmbiguous(failure: StripeGatewayError): boolean {
  return failure.kind === 'connection' || failure.kind === 'stripe_error';
}

/** What a failure says about the account, for the rest of this payment's routing. */
function healthAfter(failure: StripeGatewayError): HealthState {
  if (failure.kind === 'authentication' || failure.kind === 'permission') return 'disconnected';
  if (failure.stripeCode === 'account_invalid') return 'restricted';
  return 'down';
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

function attemptOf(row: PaymentAttemptTable): PaymentAttempt {
  return {
    number: row.attempt_number,
    account: row.account_handle,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    failureKind: row.failure_kind,
    stripeCode: row.stripe_code,
    declineCode: row.decline_code,
    httpStatus: row.http_status,
    requestId: row.request_id,
    message: row.message,
    paymentIntentId: row.payment_intent_id,
    latencyMs: row.latency_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
