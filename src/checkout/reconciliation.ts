import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { repeatEvery } from '../repeat.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import { listAttempts } from './payment-attempts.repository.js';
import type { PaymentEvents } from './payment-events.js';
import type { PaymentRecords } from './payment-records.js';
import type { Payment } from './payments.repository.js';
import { listPaymentsToCheck, scheduleNextCheck } from './reconciliation.repository.js';

/**
 * Reconciliation: asks Stripe about every payment whose outcome we may not know (no PaymentIntent
 * written yet, or a PaymentIntent Stripe may still move) and records what Stripe says through the
 * same path as the webhooks, so states only move forward. A crashed instance's payments, and
 * payments whose webhooks never arrived, are settled by whichever instance runs next.
 */

export interface ReconcileOptions {
  /** How long a payment stays unchanged before it is asked about (its webhook may be on the way). */
  graceMs: number;
  /** At most this many payments per run, longest waiting first. */
  batchSize: number;
  /** Payments older than this are no longer asked about (see `defaultReconcileOptions`). */
  giveUpAfterMs: number;
}

export interface ReconcileResult {
  checked: number;
  /** Payments whose record changed because of what Stripe said. */
  healed: string[];
}

export interface Reconciliation {
  /** One run over the payments that are due. */
  reconcile(workspaceId: string, options?: Partial<ReconcileOptions>): Promise<ReconcileResult>;
  /** Repairs old order totals once, then reconciles now and every `intervalMs`. */
  start(workspaceId: string, options?: Partial<ReconcileOptions> & { intervalMs?: number }): void;
  stop(): Promise<void>;
}

const minute = 60_000;

export const defaultReconcileOptions: ReconcileOptions & { intervalMs: number } = {
  intervalMs: minute,
  graceMs: 2 * minute,
  batchSize: 100,
  // Stripe retries a webhook for up to 3 days; past that an abandoned checkout is not worth asking
  // about again (a buyer who pays later still comes through the return page, or the events list).
  giveUpAfterMs: 3 * 24 * 60 * minute,
};

export interface ReconciliationDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  accounts: Pick<AccountsService, 'secretKeyOf'>;
  records: PaymentRecords;
  events: Pick<PaymentEvents, 'adopt'>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export function createReconciliation(deps: ReconciliationDependencies): Reconciliation {
  const { db, clock, gateway, records, logger } = deps;
  let repeating: { stop(): Promise<void> } | null = null;

  /** A payment with a PaymentIntent: its state at Stripe, recorded as a webhook would record it. */
  async function settleIntent(payment: Payment, intentId: string): Promise<boolean> {
    if (!payment.accountId) return false;
    const secretKey = await deps.accounts.secretKeyOf(payment.accountId, payment.mode);
    if (!secretKey) return false;
    const intent = await gateway.retrievePaymentIntent({
      credentials: { secretKey },
      id: intentId,
    });
    return records.recordIntent(payment, intent);
  }

  /**
   * A payment without a PaymentIntent (a crash between the Stripe call and our write): asks each
   * account it was attempted on for a PaymentIntent carrying its order id in the metadata.
   */
  async function findLostIntent(payment: Payment): Promise<boolean> {
    const attempts = await listAttempts(db, payment.workspaceId, payment.paymentId);
    // Only an attempt that may have reached Stripe unanswered can have made a PaymentIntent.
    const unsure = attempts.filter(
      (attempt) =>
        attempt.status === 'pending' ||
        attempt.status === 'created' ||
        attempt.failureKind === 'connection' ||
        attempt.failureKind === 'stripe_error' ||
        attempt.failureKind === 'internal',
    );
    for (const accountId of new Set(unsure.map((attempt) => attempt.accountId))) {
      const secretKey = await deps.accounts.secretKeyOf(accountId, payment.mode);
      if (!secretKey) continue;
      const found: PaymentIntentSummary[] = await gateway.findPaymentIntentsByMetadata({
        credentials: { secretKey },
        key: 'switchyard_order',
        value: payment.orderId,
      });
      // One made by hand with our ids may be among them: adoption takes only the payment's own.
      for (const intent of found) {
        if (intent.metadata.switchyard_payment !== payment.paymentId) continue;
        if ((await deps.events.adopt(payment, intent, accountId)).adopted) return true;
      }
    }
    return false;
  }

  async function reconcile(
    workspaceId: string,
    overrides: Partial<ReconcileOptions> = {},
  ): Promise<ReconcileResult> {
    const options = { ...defaultReconcileOptions, ...overrides };
    const now = clock();
    const due = await listPaymentsToCheck(db, {
      workspaceId,
      createdAfter: new Date(now.getTime() - options.giveUpAfterMs).toISOString(),
      quietSince: new Date(now.getTime() - options.graceMs).toISOString(),
      now: now.toISOString(),
      limit: options.batchSize,
    });
    const healed: string[] = [];
    for (const payment of due) {
      try {
        const changed = payment.paymentIntentId
          ? await settleIntent(payment, payment.paymentIntentId)
          : await findLostIntent(payment);
        if (changed) {
          healed.push(payment.paymentId);
          logger.info({ payment: payment.paymentId }, 'reconciliation recorded what Stripe says');
        }
      } catch (error) {
        logger.warn(
          {
            payment: payment.paymentId,
            err: error instanceof Error ? error.message : String(error),
          },
          'reconciliation could not ask Stripe; will try again',
        );
      }
      // Backs off with the payment's age (about ×1.5 a check): a checkout the buyer abandoned is
      // asked about some twenty times over the three days, not every minute.
      const age = now.getTime() - Date.parse(payment.createdAt);
      await scheduleNextCheck(db, payment.paymentId, {
        checkedAt: now.toISOString(),
        nextCheckAt: new Date(now.getTime() + Math.max(options.graceMs, age / 2)).toISOString(),
      });
    }
    return { checked: due.length, healed };
  }

  return {
    reconcile,

    start(workspaceId, overrides = {}) {
      const { intervalMs, ...options } = { ...defaultReconcileOptions, ...overrides };
      // Totals that disagree with their payments predate the shared transaction: repaired once.
      let totalsHealed = false;
      const run = async () => {
        if (!totalsHealed) {
          const repaired = await records.healOrderTotals(workspaceId);
          totalsHealed = true;
          if (repaired.length > 0) logger.warn({ orders: repaired }, 'order totals repaired');
        }
        return reconcile(workspaceId, options);
      };
      repeating = repeatEvery(intervalMs, run, (error) =>
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'reconciliation failed; will try again',
        ),
      );
    },

    async stop() {
      await repeating?.stop();
      repeating = null;
    },
  };
}
