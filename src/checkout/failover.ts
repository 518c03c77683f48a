import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { HealthService } from '../accounts/health.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database, PaymentAttemptTable, PaymentAttemptTryTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { HealthState, Mode, PaymentContext, RoutingDecision } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import { isWorthRetrying, pause, type RetryPolicy, stripeRetry } from '../stripe/retry.js';
import {
  finishAttempt,
  insertAttempt,
  insertTry,
  listAttempts,
  listTries,
} from './payment-attempts.repository.js';

/**
 * Failover at run time (docs/design.md §3): create the PaymentIntent on the routed account; when that
 * account fails (not the card), set it aside for this payment and route again within the same
 * policy. A declined card never moves: retrying it elsewhere is what card testers do.
 */

export interface PaymentRequest {
  workspaceId: string;
  /** Our id of the payment; each attempt's idempotency key is derived from it. */
  paymentId: string;
  /** What routing sees of the payment (docs/design.md §2); its amount and currency are charged. */
  context: PaymentContext & { amount: number };
  /**
   * True when the request itself charges the card (an off-session upsell): one that gets no clear
   * answer may have charged it, so it is never tried on another account, nor under a new key.
   */
  confirms: boolean;
  /**
   * Makes the payment on the chosen account: a PaymentIntent (a customer first, perhaps), or a
   * subscription whose first invoice is paid by one. The one way an attempt reaches Stripe; its
   * Stripe errors fail over as the attempt's.
   */
  createOn(attempt: AttemptTarget): Promise<PaymentIntentSummary>;
  /**
   * Writes the caller's own record of the payment (if it is not there yet) in the transaction that
   * writes each attempt before Stripe is called: both are on disk before the call, in one commit.
   */
  recordAttempt?: (executor: Kysely<Database>) => Promise<void>;
  /**
   * Writes the caller's own record of the payment once it has its PaymentIntent, in the
   * transaction that marks the attempt succeeded (`executor`): both are on disk, or neither, and
   * then the attempt stays pending and a retry gets the same PaymentIntent back from Stripe.
   * Also called when a retry finds the PaymentIntent an earlier attempt made.
   */
  recordCreated?: (executor: Kysely<Database>, created: PaymentCreated) => Promise<void>;
}

/** What an attempt may use on the account it runs on. */
export interface AttemptTarget {
  accountId: string;
  handle: string;
  mode: Mode;
  credentials: { secretKey: string };
  /** The attempt's idempotency key; derive further keys from it (`<key>:customer`). */
  idempotencyKey: string;
  /** Our ids for the PaymentIntent's metadata. */
  metadata: Record<string, string>;
}

/** How Stripe's answer went wrong, or all null when it did not. */
export interface StripeFailureRecord {
  failureKind: string | null;
  stripeCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  requestId: string | null;
  message: string | null;
}

/** One request an attempt sent to Stripe. */
export interface PaymentAttemptTry extends StripeFailureRecord {
  number: number;
  outcome: PaymentAttemptTryTable['outcome'];
  latencyMs: number;
  startedAt: string;
  finishedAt: string;
}

export interface PaymentAttempt extends StripeFailureRecord {
  number: number;
  account: string;
  idempotencyKey: string;
  /** `created`: Stripe made the PaymentIntent; whether the card pays is told by the charges. */
  status: PaymentAttemptTable['status'];
  paymentIntentId: string | null;
  /** The time its tries took, together. */
  latencyMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** Every request it sent, in order: a 429, a reset and the one that made it are three. */
  tries: PaymentAttemptTry[];
}

export interface PaymentCreated {
  paymentIntent: PaymentIntentSummary;
  /** The handle of the account that took it, and its id. */
  account: string;
  accountId: string;
  /** The decision the successful attempt followed, with what happened before it in words. */
  decision: RoutingDecision;
  attempts: PaymentAttempt[];
}

export interface FailoverDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'retrievePaymentIntent'>;
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  health: Pick<HealthService, 'admitCall' | 'recordOutcome'>;
  secretKeyOf(accountId: string, mode: Mode): Promise<string | null>;
  /** Milliseconds from a monotonic source, for attempt latency; the clock may stand still in tests. */
  stopwatch?: () => number;
  retry?: RetryPolicy;
  logger?: Pick<Logger, 'warn'>;
}

export function createFailoverExecutor(deps: FailoverDependencies) {
  const { db, clock, gateway, routing, health } = deps;
  const stopwatch = deps.stopwatch ?? (() => performance.now());
  const retry = deps.retry ?? stripeRetry;

  async function attemptsOf(
    workspaceId: string,
    paymentId: string,
    executor: Kysely<Database> = db,
  ): Promise<PaymentAttempt[]> {
    const tries = await listTries(executor, workspaceId, paymentId);
    return (await listAttempts(executor, workspaceId, paymentId)).map((row) =>
      attemptOf(
        row,
        tries.filter((entry) => entry.attempt_id === row.attempt_id),
      ),
    );
  }

  /** A payment that already has its PaymentIntent gets it back instead of a second one. */
  async function replayCreated(
    request: PaymentRequest,
    mode: Mode,
    rows: PaymentAttemptTable[],
  ): Promise<PaymentCreated | null> {
    const done = rows.find((row) => row.status === 'created' && row.payment_intent_id !== null);
    if (!done || done.payment_intent_id === null) return null;
    const secretKey = await deps.secretKeyOf(done.account_id, mode);
    if (secretKey === null) return null;
    const paymentIntent = await gateway.retrievePaymentIntent({
      credentials: { secretKey },
      id: done.payment_intent_id,
    });
    const created: PaymentCreated = {
      paymentIntent,
      account: done.account_handle,
      accountId: done.account_id,
      decision: JSON.parse(done.decision) as RoutingDecision,
      attempts: await attemptsOf(request.workspaceId, request.paymentId),
    };
    await request.recordCreated?.(db, created);
    return created;
  }

  /** What one attempt came to: the PaymentIntent, or the failure to act on. */
  type AttemptOutcome =
    | { created: PaymentCreated; failure?: undefined }
    | {
        created?: undefined;
        failure: StripeGatewayError;
        /** A confirming attempt some send of which got no clear answer: it may have charged. */
        unclear: boolean;
      };

  /**
   * Sends one attempt to Stripe with the attempt's own idempotency key, again on the same account
   * after a 429 or a reset (within the retry policy), and records each try. Only the call itself
   * is inside the try: once Stripe has answered with a PaymentIntent, nothing of ours may turn
   * that into a failure (a retry would then charge again).
   */
  async function sendAttempt(
    request: PaymentRequest,
    row: PaymentAttemptTable,
    decision: RoutingDecision,
    sentBefore: boolean,
  ): Promise<AttemptOutcome> {
    const { workspaceId, paymentId } = request;
    const scope = { workspaceId, accountId: row.account_id, mode: row.mode };
    // An attempt sent again (a crash, an unclear answer) continues its own count of tries.
    const earlier = !sentBefore
      ? []
      : (await listTries(db, workspaceId, paymentId)).filter(
          (entry) => entry.attempt_id === row.attempt_id,
        );
    let tryNumber = earlier.reduce((max, entry) => Math.max(max, entry.try_number), 0);
    let latencyMs = row.latency_ms ?? 0;
    // A charge that got no clear answer stays unknown until Stripe answers this key with a
    // PaymentIntent or a card error: a later 429, refused key or idempotency error says nothing
    // of whether the earlier send charged the card (Stripe's limiter runs before its key store).
    const unsettledBefore = sentBefore && isUnsettled(row);
    let firstUnclear: AttemptFailureRow | null = null;
    for (let retries = 0; ; retries++) {
      tryNumber += 1;
      const startedAt = clock().toISOString();
      const started = stopwatch();
      let paymentIntent: PaymentIntentSummary;
      try {
        paymentIntent = await callStripe(request, row);
      } catch (error) {
        if (error instanceof StripeGatewayError && error.statusCode === 409) {
          // Stripe is still working on this very key for another request: that request owns it.
          throw new AppError(
            'conflict',
            `Payment ${paymentId} is being taken by another request right now. Wait for it instead of starting another.`,
            { paymentId },
          );
        }
        const failure = error instanceof StripeGatewayError ? error : null;
        const elapsed = Math.round(stopwatch() - started);
        latencyMs += elapsed;
        const outcome: AttemptFailureRow = {
          failure_kind: failure?.kind ?? 'internal',
          stripe_code: failure?.stripeCode ?? null,
          decline_code: failure?.declineCode ?? null,
          http_status: failure?.statusCode ?? null,
          request_id: failure?.requestId ?? null,
          message: error instanceof Error ? error.message.slice(0, 1000) : String(error),
        };
        const tried: PaymentAttemptTryTable = {
          try_id: newId('try'),
          attempt_id: row.attempt_id,
          try_number: tryNumber,
          workspace_id: workspaceId,
          payment_id: paymentId,
          outcome: 'failed',
          ...outcome,
          latency_ms: elapsed,
          started_at: startedAt,
          finished_at: clock().toISOString(),
        };
        if (request.confirms && firstUnclear === null && (!failure || isAmbiguous(failure))) {
          firstUnclear = outcome;
        }
        if (failure && retries + 1 < retry.tries && isWorthRetrying(failure)) {
          // Stripe's advice for a 429 or a dropped connection: the same request, a little later.
          await insertTry(db, tried);
          await pause(retry.backoffMs(retries + 1));
          continue;
        }
        const unclear =
          request.confirms &&
          (unsettledBefore || firstUnclear !== null) &&
          failure?.kind !== 'card';
        await db.transaction().execute(async (trx) => {
          await insertTry(trx, tried);
          await finishAttempt(
            trx,
            row.attempt_id,
            unclear && unsettledBefore
              ? // Resent: the attempt keeps the unclear failure it had.
                { latency_ms: latencyMs, finished_at: tried.finished_at }
              : {
                  status: 'failed',
                  // An unclear try outweighs the clearer ones after it.
                  ...(unclear && firstUnclear ? firstUnclear : outcome),
                  payment_intent_id: failure?.paymentIntentId ?? null,
                  latency_ms: latencyMs,
                  finished_at: tried.finished_at,
                },
          );
        });
        if (!failure) throw error;
        // A card or request problem means the account answered: as far as the breaker knows, it works.
        await recordHealth(
          scope,
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
        return { failure, unclear };
      }
      // If these writes fail the attempt stays pending, and a retry resends the same key: Stripe
      // then answers with this PaymentIntent instead of making another.
      const elapsed = Math.round(stopwatch() - started);
      const finishedAt = clock().toISOString();
      const created = await db.transaction().execute(async (trx) => {
        await insertTry(trx, {
          try_id: newId('try'),
          attempt_id: row.attempt_id,
          try_number: tryNumber,
          workspace_id: workspaceId,
          payment_id: paymentId,
          outcome: 'created',
          ...noFailure,
          latency_ms: elapsed,
          started_at: startedAt,
          finished_at: finishedAt,
        });
        await finishAttempt(trx, row.attempt_id, {
          status: 'created',
          payment_intent_id: paymentIntent.id,
          ...noFailure,
          latency_ms: latencyMs + elapsed,
          finished_at: finishedAt,
        });
        const done: PaymentCreated = {
          paymentIntent,
          account: row.account_handle,
          accountId: row.account_id,
          decision,
          attempts: await attemptsOf(workspaceId, paymentId, trx),
        };
        await request.recordCreated?.(trx, done);
        return done;
      });
      await recordHealth(scope, { ok: true });
      return { created };
    }
  }

  /** One request of an attempt: the caller's `createOn`, on the attempt's account. */
  async function callStripe(
    request: PaymentRequest,
    row: PaymentAttemptTable,
  ): Promise<PaymentIntentSummary> {
    const secretKey = await deps.secretKeyOf(row.account_id, row.mode);
    if (secretKey === null) {
      throw new StripeGatewayError({
        kind: 'authentication',
        message: `${row.account_handle} has no ${row.mode} key`,
      });
    }
    return request.createOn({
      accountId: row.account_id,
      handle: row.account_handle,
      mode: row.mode,
      credentials: { secretKey },
      idempotencyKey: row.idempotency_key,
      metadata: {
        switchyard_payment: request.paymentId,
        switchyard_attempt: String(row.attempt_number),
      },
    });
  }

  /** The breaker missing one outcome is better than a charged payment reported as failed. */
  async function recordHealth(
    scope: { workspaceId: string; accountId: string; mode: Mode },
    outcome: Parameters<HealthService['recordOutcome']>[1],
  ): Promise<void> {
    try {
      await health.recordOutcome(scope, outcome);
    } catch (error) {
      deps.logger?.warn(
        { account: scope.accountId, err: error instanceof Error ? error.message : String(error) },
        'could not record an outcome on the circuit breaker',
      );
    }
  }

  return {
    /**
     * Routes the payment with the live config and health, and creates its PaymentIntent on the
     * chosen account, failing over on account-level errors. Throws `card_error` (never retried
     * elsewhere) or `no_account_available` with the decision and the attempts in the details.
     * Calling it again for the same payment never makes a second charge: a finished payment
     * returns its PaymentIntent, and an attempt that may have reached Stripe is sent again as it was.
     */
    async createPaymentWithFailover(request: PaymentRequest): Promise<PaymentCreated> {
      const { workspaceId, paymentId, context } = request;
      requirePaymentId(paymentId);
      requireAmount(context.amount);
      const previous = await listAttempts(db, workspaceId, paymentId);
      requireSameParameters(paymentId, previous, context);
      const replay = await replayCreated(request, context.mode, previous);
      if (replay) return replay;

      let nextNumber = previous.reduce((max, row) => Math.max(max, row.attempt_number), 0) + 1;
      const setAside: Record<string, HealthState> = {};
      const story: string[] = [];

      /** Fails over, or ends the payment, after an attempt on `handle` failed. */
      async function handleFailure(
        failure: StripeGatewayError,
        row: PaymentAttemptTable,
        decision: RoutingDecision,
        /** Some send of the attempt got no clear answer: it may have charged the card. */
        unclear: boolean,
      ): Promise<void> {
        const handle = row.account_handle;
        const attempts = await attemptsOf(workspaceId, paymentId);
        if (request.confirms && (isAmbiguous(failure) || unclear)) {
          // A confirming request that got no clear answer may have charged the card; trying
          // another account, or a new attempt, could charge it twice. A retry resends this one.
          throw new AppError(
            'upstream_unavailable',
            `Stripe gave no clear answer for payment ${paymentId} on ${handle} (${describeFailure(failure)}), so it may or may not have been charged. It was not tried on another account; ask again for the same payment id and the same attempt is sent again, so it cannot be charged twice.`,
            { account: handle, decision, attempts },
            { cause: failure },
          );
        }
        if (failure.isAccountLevel) {
          setAside[handle] = healthAfter(failure);
          story.push(
            `Attempt ${row.attempt_number} on ${handle} failed (${describeFailure(failure)}); ${handle} is set aside for this payment.`,
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

      // An attempt that never finished (a crash, a concurrent request) or that got no clear
      // answer may have reached Stripe: send it again unchanged, same account and same key.
      const last = previous.at(-1);
      if (last && isUnsettled(last)) {
        const decision = JSON.parse(last.decision) as RoutingDecision;
        const outcome = await sendAttempt(request, last, decision, true);
        if (outcome.created) return outcome.created;
        await handleFailure(outcome.failure, last, decision, outcome.unclear);
      }

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
            {
              decision,
              attempts: await attemptsOf(workspaceId, paymentId),
              setAside: Object.keys(setAside),
            } satisfies PaymentRefusal,
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
        const row: PaymentAttemptTable = {
          attempt_id: newId('att'),
          workspace_id: workspaceId,
          payment_id: paymentId,
          attempt_number: number,
          account_id: accountId,
          account_handle: handle,
          mode: context.mode,
          idempotency_key: `${paymentId}:attempt:${number}`,
          amount: context.amount,
          currency: context.currency,
          status: 'pending',
          ...noFailure,
          payment_intent_id: null,
          latency_ms: null,
          decision: JSON.stringify(decision),
          started_at: clock().toISOString(),
          finished_at: null,
        };
        try {
          // Written before Stripe is called: a crash after the call leaves a trace to resume from.
          await db.transaction().execute(async (trx) => {
            await request.recordAttempt?.(trx);
            await insertAttempt(trx, row);
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

        const outcome = await sendAttempt(request, row, decision, false);
        if (outcome.created) return outcome.created;
        await handleFailure(outcome.failure, row, decision, outcome.unclear);
      }
    },

    /** Every attempt of a payment, in order, for the transaction log. */
    listAttempts: attemptsOf,
  };
}

export type FailoverExecutor = ReturnType<typeof createFailoverExecutor>;

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
  previous: PaymentAttemptTable[],
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

/** Never finished (a crash, a concurrent request), or got no clear answer: it may have reached Stripe. */
function isUnsettled(row: Pick<PaymentAttemptTable, 'status' | 'failure_kind'>): boolean {
  return (
    row.status === 'pending' ||
    (row.status === 'failed' &&
      (row.failure_kind === 'connection' || row.failure_kind === 'stripe_error'))
  );
}

/**
 * Whether a payment's charge may have happened without our knowing: its last attempt is
 * unsettled. Such a payment is only ever sent again as that attempt, never offered a card form.
 */
export function outcomeUnknown(attempts: readonly PaymentAttempt[]): boolean {
  const last = attempts.at(-1);
  return last !== undefined && isUnsettled({ status: last.status, failure_kind: last.failureKind });
}

const noFailure = {
  failure_kind: null,
  stripe_code: null,
  decline_code: null,
  http_status: null,
  request_id: null,
  message: null,
} as const;

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

/** What a try or an attempt recorded of its failure, in the transaction log's words. */
function failureOf(row: AttemptFailureRow) {
  return {
    failureKind: row.failure_kind,
    stripeCode: row.stripe_code,
    declineCode: row.decline_code,
    httpStatus: row.http_status,
    requestId: row.request_id,
    message: row.message,
  };
}

/** What a failed try says, as the attempt and the try record it. */
type AttemptFailureRow = Pick<
  PaymentAttemptTable,
  'failure_kind' | 'stripe_code' | 'decline_code' | 'http_status' | 'request_id' | 'message'
>;

function tryOf(row: PaymentAttemptTryTable): PaymentAttemptTry {
  return {
    number: row.try_number,
    outcome: row.outcome,
    ...failureOf(row),
    latencyMs: row.latency_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function attemptOf(row: PaymentAttemptTable, tries: PaymentAttemptTryTable[]): PaymentAttempt {
  return {
    number: row.attempt_number,
    account: row.account_handle,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    ...failureOf(row),
    paymentIntentId: row.payment_intent_id,
    latencyMs: row.latency_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    tries: tries.map(tryOf),
  };
}
