import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import {
  type Account,
  findLiveAccountByHandle,
  listCredentials,
} from '../accounts/accounts.repository.js';
import type { Mode } from '../accounts/key-verification.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { StripeCredentials, StripeGateway } from '../stripe/gateway.js';
import {
  alreadyRefunded,
  findLatestTestPayment,
  finishTestPayment,
  insertTestPayment,
  listLostTestPayments,
  listTestPayments,
  listUnrefundedTestPayments,
  recordLateRefund,
  type TestPayment,
  type TestPaymentEnd,
} from './test-payments.repository.js';

export type { TestPayment } from './test-payments.repository.js';

/**
 * Test payments: proof that an account can still take a payment, made the way checkout makes one.
 * In test mode a PaymentIntent is confirmed with Stripe's test card and refunded; in live mode one
 * is created and canceled, never confirmed, so nothing is ever charged. Each carries
 * `switchyard_test_payment` in its metadata and no payment id of ours, so neither the webhooks nor
 * reconciliation take it for a sale.
 */

/** The metadata key that marks a PaymentIntent (and its refund) as a test payment. */
export const testPaymentMetadataKey = 'switchyard_test_payment';

/** Stripe's test card: it always pays. */
const testCard = 'pm_card_visa';

/** A small amount every currency Stripe takes allows (above its minimums), in minor units. */
const testAmount = 100;

/** How far back the next run looks for runs whose create call's answer was lost. */
const lostLookbackDays = 7;

/** How much earlier than a lost run Stripe's search starts: the two clocks may differ. */
const clockSkewSeconds = 3600;

/** At most this many pages of 100 are searched per run; the rest waits for the next one. */
const maxSearchPages = 10;

/** A run as kept when it starts: nothing known yet. */
const notFinished: TestPaymentEnd = {
  finishedAt: null,
  outcome: 'running',
  paymentIntentId: null,
  refundId: null,
  requestId: null,
  errorCode: null,
  errorMessage: null,
  latencyMs: null,
};

export interface TestPaymentRequest {
  workspaceId: string;
  handle: string;
  mode: Mode;
  /** Who runs it, as kept with the result. */
  actor: string;
}

export interface TestPayments {
  /** Runs one test payment on the account by its handle; answers the kept result, failed or not. */
  run(request: TestPaymentRequest): Promise<TestPayment>;
  /** Runs one on an account and mode already read (the scheduled job); the caller may abort. */
  runOn(account: Account, mode: Mode, actor: string, signal?: AbortSignal): Promise<TestPayment>;
  /** An account's test payments, newest first. */
  list(
    workspaceId: string,
    handle: string,
    options?: { mode?: Mode | undefined; limit?: number | undefined },
  ): Promise<TestPayment[]>;
  /** The newest finished one of an account and mode, for doctor. */
  latest(accountId: string, mode: Mode): Promise<TestPayment | null>;
}

export interface TestPaymentsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  secretKeyOf(accountId: string, mode: Mode): Promise<string | null>;
  /** How long each Stripe call may take. */
  timeoutMs: number;
}

export function createTestPayments(deps: TestPaymentsDependencies): TestPayments {
  const { db, clock, gateway, timeoutMs } = deps;

  async function accountByHandle(workspaceId: string, handle: string): Promise<Account> {
    const account = await findLiveAccountByHandle(db, workspaceId, handle);
    if (!account) {
      throw new AppError('not_found', `No account has the handle "${handle}".`, { handle });
    }
    return account;
  }

  async function runOn(
    account: Account,
    mode: Mode,
    actor: string,
    signal?: AbortSignal,
  ): Promise<TestPayment> {
    const secretKey = await deps.secretKeyOf(account.accountId, mode);
    if (secretKey === null) {
      throw AppError.validation([
        {
          field: 'mode',
          message: `account ${account.handle} has no ${mode} keys to make a test payment with`,
        },
      ]);
    }
    const id = newId('tpay');
    const started: TestPayment = {
      id,
      workspaceId: account.workspaceId,
      accountId: account.accountId,
      account: account.handle,
      mode,
      actor,
      startedAt: clock().toISOString(),
      amount: testAmount,
      currency: account.defaultCurrency ?? account.currencies?.[0] ?? 'usd',
      ...notFinished,
    };
    if (mode === 'test') await refundLeftCharged(account, { secretKey }, id, signal);
    // Kept before Stripe is called: a crash mid-way leaves a run that says it never finished.
    await insertTestPayment(db, started);
    const end = await makeTestPayment(started, { secretKey }, signal);
    await finishTestPayment(db, id, end);
    return { ...started, ...end };
  }

  /**
   * Refunds what earlier runs charged and could not refund, so a test charge never stays: those
   * whose refund failed, and those whose create call's answer was lost, found at Stripe by their
   * metadata.
   */
  async function refundLeftCharged(
    account: Account,
    credentials: StripeCredentials,
    runId: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (const earlier of await listUnrefundedTestPayments(db, account.accountId)) {
      if (earlier.paymentIntentId === null) continue;
      await refundEarlier(earlier, earlier.paymentIntentId, credentials, runId, signal);
    }
    for (const [earlier, paymentIntentId] of await findLost(account, credentials, signal)) {
      await refundEarlier(earlier, paymentIntentId, credentials, runId, signal);
    }
  }

  /**
   * The succeeded test-mode PaymentIntents at Stripe of earlier runs that failed without learning
   * their PaymentIntent id, with those runs. A search that fails finds none: the next run tries
   * again.
   */
  async function findLost(
    account: Account,
    credentials: StripeCredentials,
    signal: AbortSignal | undefined,
  ): Promise<Array<[TestPayment, string]>> {
    const lookbackStart = new Date(clock().getTime() - lostLookbackDays * 86_400_000);
    const lost = await listLostTestPayments(db, account.accountId, lookbackStart.toISOString());
    if (lost.length === 0) return [];
    const runs = new Map(lost.map((run) => [run.id, run]));
    // From a while before the oldest: Stripe's clock and ours may differ a little.
    const since = Date.parse(lost[0]?.startedAt ?? '') / 1000 - clockSkewSeconds;
    const found: Array<[TestPayment, string]> = [];
    let page: string | undefined;
    try {
      for (let pages = 0; pages < maxSearchPages; pages++) {
        const answer = await gateway.searchPaymentIntentsWithMetadataKey({
          credentials,
          key: testPaymentMetadataKey,
          createdSince: since,
          page,
          timeoutMs,
          signal,
        });
        for (const intent of answer.intents) {
          const run = runs.get(intent.metadata[testPaymentMetadataKey] ?? '');
          // Only a charged test card: a live one is never confirmed, another status never paid.
          if (!run || intent.livemode || intent.status !== 'succeeded') continue;
          found.push([run, intent.id]);
        }
        if (answer.nextPage === null) break;
        page = answer.nextPage;
      }
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
    }
    return found;
  }

  /**
   * Refunds one earlier run's charge under a key of this run's: Stripe keeps a refund's failed
   * answer under the key it was sent with. A refund Stripe did make after all is refused as
   * already refunded, and so counts as done.
   */
  async function refundEarlier(
    earlier: TestPayment,
    paymentIntentId: string,
    credentials: StripeCredentials,
    runId: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // Named on a run that never learnt it: its record then says which charge was refunded.
    const learnt = earlier.paymentIntentId === null ? paymentIntentId : undefined;
    const found = learnt ? ` Its PaymentIntent ${learnt} was found at Stripe.` : '';
    try {
      const refunded = await gateway.refundTestPayment({
        timeoutMs,
        signal,
        credentials,
        idempotencyKey: `${earlier.id}:refund:${runId}`,
        paymentIntent: paymentIntentId,
        metadata: { [testPaymentMetadataKey]: earlier.id },
      });
      await recordLateRefund(db, earlier.id, {
        paymentIntentId: learnt,
        refundId: refunded.answer.id,
        errorCode: earlier.errorCode,
        errorMessage: `${earlier.errorMessage ?? ''}${found} Refunded later by test payment ${runId} (${refunded.answer.id}).`,
      });
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
      // Still failing: this run says so itself, and the next one tries again.
      if (error.stripeCode !== alreadyRefunded) return;
      await recordLateRefund(db, earlier.id, {
        paymentIntentId: learnt,
        refundId: null,
        errorCode: alreadyRefunded,
        errorMessage: `${earlier.errorMessage ?? ''}${found} Stripe says it was refunded after all.`,
      });
    }
  }

  /** The calls of one test payment; a failure ends it, kept with Stripe's code and request id. */
  async function makeTestPayment(
    run: TestPayment,
    credentials: StripeCredentials,
    signal: AbortSignal | undefined,
  ): Promise<TestPaymentEnd> {
    const stopwatch = performance.now();
    const metadata = { [testPaymentMetadataKey]: run.id };
    const timed = { timeoutMs, signal };
    const end: TestPaymentEnd = { ...notFinished };
    const finish = (outcome: TestPaymentEnd['outcome']): TestPaymentEnd => ({
      ...end,
      outcome,
      finishedAt: clock().toISOString(),
      latencyMs: Math.round(performance.now() - stopwatch),
    });
    try {
      const created = await gateway.createTestPaymentIntent({
        ...timed,
        credentials,
        // One key per run and step: a resend of this run never makes a second PaymentIntent.
        idempotencyKey: `${run.id}:intent`,
        amount: run.amount,
        currency: run.currency,
        paymentMethod: run.mode === 'test' ? testCard : null,
        metadata,
        description: `Switchyard test payment ${run.id} (${run.mode === 'test' ? 'refunded at once' : 'never charged'})`,
      });
      end.paymentIntentId = created.answer.id;
      end.requestId = created.requestId;
      if (run.mode === 'live') {
        const canceled = await gateway.cancelTestPaymentIntent({
          ...timed,
          credentials,
          idempotencyKey: `${run.id}:cancel`,
          id: created.answer.id,
        });
        end.requestId = canceled.requestId;
        return finish('succeeded');
      }
      if (created.answer.status !== 'succeeded') {
        end.errorCode = `payment_intent_${created.answer.status}`;
        end.errorMessage = `Stripe left the test card's PaymentIntent ${created.answer.id} in status ${created.answer.status}, not succeeded${created.answer.lastPaymentError?.message ? `: ${created.answer.lastPaymentError.message}` : ''}.`;
        return finish('failed');
      }
      const refunded = await gateway.refundTestPayment({
        ...timed,
        credentials,
        idempotencyKey: `${run.id}:refund`,
        paymentIntent: created.answer.id,
        metadata,
      });
      end.refundId = refunded.answer.id;
      end.requestId = refunded.requestId;
      return finish('succeeded');
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
      end.errorCode = error.stripeCode ?? error.kind;
      end.requestId = error.requestId ?? end.requestId;
      end.errorMessage = `${error.message}${
        end.paymentIntentId
          ? run.mode === 'live'
            ? ` PaymentIntent ${end.paymentIntentId} was made but not canceled; it was never confirmed, so nothing is charged.`
            : ` PaymentIntent ${end.paymentIntentId} was charged with the test card but not refunded.`
          : ''
      }`.slice(0, 1000);
      return finish('failed');
    }
  }

  return {
    async run(request) {
      const account = await accountByHandle(request.workspaceId, request.handle);
      return runOn(account, request.mode, request.actor);
    },

    runOn,

    async list(workspaceId, handle, options = {}) {
      const account = await accountByHandle(workspaceId, handle);
      return listTestPayments(db, {
        workspaceId,
        accountId: account.accountId,
        mode: options.mode,
        limit: options.limit ?? 50,
      });
    },

    async latest(accountId, mode) {
      return (await findLatestTestPayment(db, accountId, mode)) ?? null;
    },
  };
}

/** The modes an account has keys for: a test payment runs in each. */
export async function modesOf(db: Kysely<Database>, account: Account): Promise<Mode[]> {
  return (await listCredentials(db, [account.accountId])).map((credential) => credential.mode);
}
