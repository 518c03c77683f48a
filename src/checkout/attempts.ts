import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { HealthService } from '../accounts/health.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { Mode, RoutingDecision } from '../routing/index.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { PaymentIntentSummary } from '../stripe/gateway.js';
import { isWorthRetrying, pause, type RetryPolicy, stripeRetry } from '../stripe/retry.js';
import {
  type Attempt,
  finishAttempt,
  insertTry,
  listAttempts,
  listTries,
  noFailure,
  type PaymentAttempt,
  paymentAttemptOf,
  type StoredTry,
  type StripeFailureRecord,
} from './payment-attempts.repository.js';

/**
 * An attempt: the payment on one account under one idempotency key, sent again on the same
 * account after a 429 or a reset, each try recorded, and the account's breaker told how it went.
 */

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
  /**
   * Adds a write to the transaction that records how this try ends (made or failed): what the
   * call made at Stripe on its way (a customer) is remembered in the same commit as the try.
   */
  alongside(write: AlongsideWrite): void;
}

/** A write a try's call asks for, committed with the try's record. */
export type AlongsideWrite = (executor: Kysely<Database>) => Promise<void>;

export interface PaymentCreated {
  paymentIntent: PaymentIntentSummary;
  /** The handle of the account that took it, and its id. */
  account: string;
  accountId: string;
  /** The decision the successful attempt followed, with what happened before it in words. */
  decision: RoutingDecision;
  attempts: PaymentAttempt[];
}

/** What of a payment request its attempts send and record. */
export interface AttemptRequest {
  workspaceId: string;
  /** The setup revision the request has read: the keys are taken as of it. */
  revision?: number | undefined;

  /** Our id of the payment; each attempt's idempotency key is derived from it. */
  paymentId: string;
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
   * Writes the caller's own record of the payment once it has its PaymentIntent, in the
   * transaction that marks the attempt succeeded (`executor`): both are on disk, or neither, and
   * then the attempt stays pending and a retry gets the same PaymentIntent back from Stripe.
   * Also called when a retry finds the PaymentIntent an earlier attempt made.
   */
  recordCreated?: (executor: Kysely<Database>, created: PaymentCreated) => Promise<void>;
}

/** What one attempt came to: the PaymentIntent, or the failure to act on. */
export type AttemptOutcome =
  | { created: PaymentCreated; failure?: undefined }
  | {
      created?: undefined;
      failure: StripeGatewayError;
      /** A confirming attempt some send of which got no clear answer: it may have charged. */
      unclear: boolean;
    };

export interface Attempts {
  /**
   * Sends an attempt with its own idempotency key (`sentBefore`: again, after a crash or an
   * unclear answer), and records each try. Only the call itself is inside the try: once Stripe
   * has answered with a PaymentIntent, nothing of ours may turn that into a failure (a retry
   * would then charge again).
   */
  send(
    request: AttemptRequest,
    attempt: Attempt,
    sentBefore: boolean,
    /** The payment's attempts before this one, when the caller knows them all (none, say). */
    logBefore?: readonly PaymentAttempt[],
  ): Promise<AttemptOutcome>;
  /** Every attempt of a payment with its tries, in order, for the transaction log. */
  attemptsOf(
    workspaceId: string,
    paymentId: string,
    executor?: Kysely<Database>,
  ): Promise<PaymentAttempt[]>;
}

export interface AttemptsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  health: Pick<HealthService, 'recordOutcome'>;
  secretKeyOf(accountId: string, mode: Mode, revision?: number): Promise<string | null>;
  /** Milliseconds from a monotonic source, for attempt latency; the clock may stand still in tests. */
  stopwatch?: (() => number) | undefined;
  retry?: RetryPolicy | undefined;
  logger?: Pick<Logger, 'warn'> | undefined;
}

export function createAttempts(deps: AttemptsDependencies): Attempts {
  const { db, clock, health } = deps;
  const stopwatch = deps.stopwatch ?? (() => performance.now());
  const retry = deps.retry ?? stripeRetry;

  async function attemptsOf(
    workspaceId: string,
    paymentId: string,
    executor: Kysely<Database> = db,
  ): Promise<PaymentAttempt[]> {
    const tries = await listTries(executor, workspaceId, paymentId);
    return (await listAttempts(executor, workspaceId, paymentId)).map((attempt) =>
      paymentAttemptOf(attempt, tries),
    );
  }

  /** One request of an attempt: the caller's `createOn`, on the attempt's account. */
  async function callStripe(
    request: AttemptRequest,
    attempt: Attempt,
    alongside: AlongsideWrite[],
  ): Promise<PaymentIntentSummary> {
    const secretKey = await deps.secretKeyOf(attempt.accountId, attempt.mode, request.revision);
    if (secretKey === null) {
      throw new StripeGatewayError({
        kind: 'authentication',
        message: `${attempt.account} has no ${attempt.mode} key`,
      });
    }
    return request.createOn({
      accountId: attempt.accountId,
      handle: attempt.account,
      mode: attempt.mode,
      credentials: { secretKey },
      idempotencyKey: attempt.idempotencyKey,
      metadata: {
        switchyard_payment: request.paymentId,
        switchyard_attempt: String(attempt.number),
      },
      alongside: (write) => {
        alongside.push(write);
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

  async function send(
    request: AttemptRequest,
    attempt: Attempt,
    sentBefore: boolean,
    logBefore?: readonly PaymentAttempt[],
  ): Promise<AttemptOutcome> {
    const { workspaceId, paymentId } = request;
    const scope = { workspaceId, accountId: attempt.accountId, mode: attempt.mode };
    const triedOf = (tried: Omit<StoredTry, 'id' | 'attemptId' | 'workspaceId' | 'paymentId'>) => ({
      id: newId('try'),
      attemptId: attempt.id,
      workspaceId,
      paymentId,
      ...tried,
    });
    // An attempt sent again (a crash, an unclear answer) continues its own count of tries.
    const earlier = !sentBefore
      ? []
      : (await listTries(db, workspaceId, paymentId)).filter(
          (entry) => entry.attemptId === attempt.id,
        );
    let tryNumber = earlier.reduce((max, entry) => Math.max(max, entry.number), 0);
    // What this send has written of its tries: with `logBefore`, the log needs no reading back.
    const written: StoredTry[] = [...earlier];
    let latencyMs = attempt.latencyMs ?? 0;
    // A charge that got no clear answer stays unknown until Stripe answers this key with a
    // PaymentIntent or a card error: a later 429, refused key or idempotency error says nothing
    // of whether the earlier send charged the card (Stripe's limiter runs before its key store).
    const unsettledBefore = sentBefore && isUnsettled(attempt);
    let firstUnclear: StripeFailureRecord | null = null;
    for (let retries = 0; ; retries++) {
      tryNumber += 1;
      const startedAt = clock().toISOString();
      const started = stopwatch();
      let paymentIntent: PaymentIntentSummary;
      const alongside: AlongsideWrite[] = [];
      const writeAlongside = async (executor: Kysely<Database>) => {
        for (const write of alongside) await write(executor);
      };
      try {
        paymentIntent = await callStripe(request, attempt, alongside);
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
        const outcome: StripeFailureRecord = {
          failureKind: failure?.kind ?? 'internal',
          stripeCode: failure?.stripeCode ?? null,
          declineCode: failure?.declineCode ?? null,
          httpStatus: failure?.statusCode ?? null,
          requestId: failure?.requestId ?? null,
          message: error instanceof Error ? error.message.slice(0, 1000) : String(error),
        };
        const tried = triedOf({
          number: tryNumber,
          outcome: 'failed',
          ...outcome,
          latencyMs: elapsed,
          startedAt,
          finishedAt: clock().toISOString(),
        });
        if (request.confirms && firstUnclear === null && (!failure || isAmbiguous(failure))) {
          firstUnclear = outcome;
        }
        if (failure && retries + 1 < retry.tries && isWorthRetrying(failure)) {
          // Stripe's advice for a 429 or a dropped connection: the same request, a little later.
          if (alongside.length === 0) await insertTry(db, tried);
          else {
            await db.transaction().execute(async (trx) => {
              await insertTry(trx, tried);
              await writeAlongside(trx);
            });
          }
          written.push(tried);
          await pause(retry.backoffMs(retries + 1));
          continue;
        }
        const unclear =
          request.confirms &&
          (unsettledBefore || firstUnclear !== null) &&
          failure?.kind !== 'card';
        await db.transaction().execute(async (trx) => {
          await insertTry(trx, tried);
          await writeAlongside(trx);
          await finishAttempt(
            trx,
            attempt.id,
            unclear && unsettledBefore
              ? // Resent: the attempt keeps the unclear failure it had.
                { latencyMs, finishedAt: tried.finishedAt }
              : {
                  status: 'failed',
                  // An unclear try outweighs the clearer ones after it.
                  ...(unclear && firstUnclear ? firstUnclear : outcome),
                  paymentIntentId: failure?.paymentIntentId ?? null,
                  latencyMs,
                  finishedAt: tried.finishedAt,
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
        const tried = triedOf({
          number: tryNumber,
          outcome: 'created',
          ...noFailure,
          // The transaction log shows which request made it, as Stripe's dashboard lists it.
          requestId: paymentIntent.requestId ?? null,
          latencyMs: elapsed,
          startedAt,
          finishedAt,
        });
        await insertTry(trx, tried);
        await writeAlongside(trx);
        const finished = {
          status: 'created' as const,
          paymentIntentId: paymentIntent.id,
          ...noFailure,
          requestId: paymentIntent.requestId ?? null,
          latencyMs: latencyMs + elapsed,
          finishedAt,
        };
        await finishAttempt(trx, attempt.id, finished);
        const done: PaymentCreated = {
          paymentIntent,
          account: attempt.account,
          accountId: attempt.accountId,
          decision: attempt.decision,
          attempts: logBefore
            ? [...logBefore, paymentAttemptOf({ ...attempt, ...finished }, [...written, tried])]
            : await attemptsOf(workspaceId, paymentId, trx),
        };
        await request.recordCreated?.(trx, done);
        return done;
      });
      await recordHealth(scope, { ok: true });
      return { created };
    }
  }

  return { send, attemptsOf };
}

/** Never finished (a crash, a concurrent request), or got no clear answer: it may have reached Stripe. */
export function isUnsettled(attempt: Pick<Attempt, 'status' | 'failureKind'>): boolean {
  return (
    attempt.status === 'pending' ||
    (attempt.status === 'failed' &&
      (attempt.failureKind === 'connection' || attempt.failureKind === 'stripe_error'))
  );
}

/** No answer, or a server error: Stripe may have done the work before failing to say so. */
export function isAmbiguous(failure: StripeGatewayError): boolean {
  return failure.kind === 'connection' || failure.kind === 'stripe_error';
}
