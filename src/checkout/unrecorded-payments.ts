import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  type Account,
  listCredentials,
  listLiveAccounts,
} from '../accounts/accounts.repository.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { Mode } from '../accounts/key-verification.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { testPaymentMetadataKey } from '../operations/test-payments.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import { findOrder } from './orders.repository.js';
import type { PaymentEvents } from './payment-events.js';
import type { PaymentRecords } from './payment-records.js';
import { findPayment, insertPaymentIfNew, listPaymentsOfOrders } from './payments.repository.js';
import {
  findSearchCursor,
  findUnrecorded,
  isIntentRecorded,
  listUnrecorded,
  saveSearchCursor,
  saveUnrecorded,
  type UnrecordedPayment,
} from './unrecorded-payments.repository.js';

export type { UnrecordedPayment } from './unrecorded-payments.repository.js';

/**
 * Unrecorded payments: PaymentIntents at Stripe that carry Switchyard's metadata but that no
 * payment or attempt here holds (a crash before the answer was written, a database restored from
 * an older backup, a PaymentIntent made by hand with our ids). Each account and mode is searched
 * with Stripe's search from where the last run stopped; what is found is adopted into its order
 * when the order is here, through the same records as every payment, and kept as an unrecorded
 * payment otherwise, for doctor to report until the merchant explains it.
 */

/** The key every PaymentIntent Switchyard makes carries (attempts.ts): the search looks for it. */
const ourPaymentKey = 'switchyard_payment';

export interface UnrecordedRun {
  /** Accounts and modes searched to the end. */
  searched: number;
  /** Found this run and adopted into their orders. */
  adopted: UnrecordedPayment[];
  /** Found and still unrecorded (no order here, or a second PaymentIntent of one payment). */
  open: UnrecordedPayment[];
  /** Accounts and modes Stripe did not answer for; searched again next run from the same place. */
  failed: Array<{ account: string; mode: Mode; message: string }>;
}

export interface UnrecordedPayments {
  /** Searches every account and mode from its cursor; adopts or keeps what it finds. */
  reconcile(workspaceId: string, options?: { signal?: AbortSignal }): Promise<UnrecordedRun>;
  /** The open ones (or those in `state`), newest first; for doctor, the API and the CLI. */
  list(
    workspaceId: string,
    options?: {
      state?: UnrecordedPayment['state'] | undefined;
      accountId?: string | undefined;
      mode?: Mode | undefined;
    },
  ): Promise<UnrecordedPayment[]>;
  /** The merchant's word on one that cannot be adopted (refunded by hand, another shop's): closed. */
  explain(input: {
    workspaceId: string;
    paymentIntentId: string;
    note: string;
    actor: string;
  }): Promise<UnrecordedPayment>;
}

export interface UnrecordedPaymentsDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  accounts: Pick<AccountsService, 'secretKeyOf'>;
  records: PaymentRecords;
  events: Pick<PaymentEvents, 'adopt'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** A PaymentIntent younger than this may still be on its way into our records: left for later. */
  graceSeconds: number;
  /** How long each search call may take. */
  timeoutMs: number;
}

/** Stripe's search may take up to a minute to see a new object: each run reads back this far. */
const overlapSeconds = 10 * 60;
/** The first search of an account reaches back to its connection, and at most this far. */
const firstLookbackSeconds = 30 * 24 * 60 * 60;
/** Pages of 100 a run reads per account and mode; past it the cursor waits for the next run. */
const maxPages = 100;

function unixOf(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

export function createUnrecordedPayments(deps: UnrecordedPaymentsDependencies): UnrecordedPayments {
  const { db, clock, gateway, records, logger } = deps;

  /**
   * Puts a PaymentIntent found on `account` where it belongs: into the payment that lost track of
   * it, or as a new payment of its order. Answers how it was left.
   */
  async function adopt(
    account: Account,
    mode: Mode,
    intent: PaymentIntentSummary & { created: number },
    before: UnrecordedPayment | undefined,
  ): Promise<UnrecordedPayment> {
    const now = clock().toISOString();
    const paymentId = intent.metadata[ourPaymentKey] ?? null;
    const orderId = intent.metadata.switchyard_order ?? null;
    const found: UnrecordedPayment = {
      paymentIntentId: intent.id,
      workspaceId: account.workspaceId,
      accountId: account.accountId,
      account: account.handle,
      mode,
      amount: intent.amount,
      currency: intent.currency,
      stripeStatus: intent.status,
      orderId,
      paymentId,
      stripeCreatedAt: new Date(intent.created * 1000).toISOString(),
      foundAt: before?.foundAt ?? now,
      state: 'open',
      reason: '',
      resolvedAt: null,
      resolvedBy: null,
    };
    const adopted = (reason: string): UnrecordedPayment => ({
      ...found,
      state: 'adopted',
      reason,
      resolvedAt: now,
      resolvedBy: 'job:reconcile_unrecorded',
    });
    const payment = paymentId ? await findPayment(db, account.workspaceId, paymentId) : undefined;
    if (payment && payment.paymentIntentId === null) {
      // The payment was written before Stripe was called; the answer never was. Only a
      // PaymentIntent that is that payment's, to the cent, is recorded on it.
      const adoption = await deps.events.adopt(payment, intent, account.accountId);
      if (!adoption.adopted) return { ...found, reason: adoption.reason };
      return adopted(`Adopted as payment ${payment.paymentId} of order ${payment.orderId}.`);
    }
    if (payment) {
      return {
        ...found,
        reason: `Payment ${payment.paymentId} of order ${payment.orderId} already has PaymentIntent ${payment.paymentIntentId}; this is a second one, ${intent.status} at Stripe.`,
      };
    }
    const order = orderId ? await findOrder(db, account.workspaceId, orderId) : undefined;
    if (!order) {
      return {
        ...found,
        reason: orderId
          ? `It names order ${orderId}, which is not in this Switchyard.`
          : 'It names no order.',
      };
    }
    // An order is of one mode and one currency: a PaymentIntent of another is not its payment.
    if (order.mode !== mode) {
      return {
        ...found,
        reason: `It names order ${order.orderId}, a ${order.mode} order, but it is a ${mode} PaymentIntent.`,
      };
    }
    const currency =
      order.currency ?? (await listPaymentsOfOrders(db, [order.orderId]))[0]?.currency ?? null;
    if (currency !== null && currency !== intent.currency) {
      return {
        ...found,
        reason: `It names order ${order.orderId}, whose payments are in ${currency.toUpperCase()}, but it is in ${intent.currency.toUpperCase()}.`,
      };
    }
    const newPaymentId = paymentId ?? `${order.orderId}.unrecorded.${intent.id}`;
    const added = await db.transaction().execute(async (trx) => {
      // The PaymentIntent id is unique among payments: it is never recorded on two.
      await insertPaymentIfNew(trx, {
        paymentId: newPaymentId,
        workspaceId: order.workspaceId,
        orderId: order.orderId,
        kind: 'initial',
        stepSlug: intent.metadata.switchyard_step ?? '',
        parentPaymentId: null,
        accountId: account.accountId,
        accountHandle: account.handle,
        mode,
        amount: intent.amount,
        currency: intent.currency,
        lines: [],
        status: 'pending',
        paymentIntentId: intent.id,
        stripeCustomerId: intent.customer,
        paymentMethodId: intent.paymentMethod,
        subscriptionId: null,
        refundedAmount: 0,
        failureMessage: null,
        decision: null,
        createdAt: now,
        updatedAt: now,
      });
      const stored = await findPayment(trx, order.workspaceId, newPaymentId);
      // The id was taken meanwhile (the buyer paying again, another workspace's payment): that
      // payment is not this PaymentIntent's, and its state must not move with it.
      if (stored?.paymentIntentId !== intent.id) return false;
      await records.recordIntent(stored, intent, trx);
      return true;
    });
    if (!added) {
      return {
        ...found,
        reason: `Payment ${newPaymentId} is recorded already, without this PaymentIntent; it was not added to order ${order.orderId}.`,
      };
    }
    return adopted(`Added to order ${order.orderId} as payment ${newPaymentId}.`);
  }

  /** One account and mode, from its cursor to the grace; answers what it found. */
  async function searchAccount(
    account: Account,
    mode: Mode,
    secretKey: string,
    signal: AbortSignal | undefined,
  ): Promise<UnrecordedPayment[]> {
    const now = unixOf(clock().toISOString());
    const until = now - deps.graceSeconds;
    const cursor = await findSearchCursor(db, account.accountId, mode);
    const since =
      cursor === undefined
        ? Math.max(unixOf(account.createdAt) - overlapSeconds, now - firstLookbackSeconds)
        : cursor - overlapSeconds;
    const results: UnrecordedPayment[] = [];
    let page: string | undefined;
    for (let pages = 0; ; pages++) {
      if (pages === maxPages) {
        logger.warn(
          { account: account.handle, mode },
          'unrecorded payments: more PaymentIntents than one run reads; the rest next run',
        );
        return results;
      }
      const found = await gateway.searchPaymentIntentsWithMetadataKey({
        credentials: { secretKey },
        key: ourPaymentKey,
        createdSince: since,
        page,
        timeoutMs: deps.timeoutMs,
        signal,
      });
      for (const intent of found.intents) {
        // Too young: its attempt may be writing it down right now.
        if (intent.created > until) continue;
        if (intent.metadata[testPaymentMetadataKey]) continue;
        const before = await findUnrecorded(db, intent.id);
        if (before && before.state !== 'open') continue;
        if (await isIntentRecorded(db, intent.id)) {
          // Recorded since it was found (a late webhook, reconciliation of its payment).
          if (before) {
            await saveUnrecorded(db, {
              ...before,
              state: 'adopted',
              reason: 'Recorded by its payment since it was found.',
              resolvedAt: clock().toISOString(),
              resolvedBy: 'job:reconcile_unrecorded',
            });
          }
          continue;
        }
        const settled = await adopt(account, mode, intent, before);
        await saveUnrecorded(db, settled);
        if (!before || settled.state !== 'open') results.push(settled);
      }
      if (found.nextPage === null) break;
      page = found.nextPage;
    }
    await saveSearchCursor(db, {
      accountId: account.accountId,
      mode,
      workspaceId: account.workspaceId,
      searchedUntil: until,
      updatedAt: clock().toISOString(),
    });
    return results;
  }

  return {
    async reconcile(workspaceId, options = {}) {
      const accounts = await listLiveAccounts(db, workspaceId);
      const credentials = await listCredentials(
        db,
        accounts.map((account) => account.accountId),
      );
      const run: UnrecordedRun = { searched: 0, adopted: [], open: [], failed: [] };
      for (const account of accounts) {
        for (const { mode } of credentials.filter((one) => one.accountId === account.accountId)) {
          options.signal?.throwIfAborted();
          const secretKey = await deps.accounts.secretKeyOf(account.accountId, mode);
          if (secretKey === null) continue;
          try {
            const found = await searchAccount(account, mode, secretKey, options.signal);
            run.searched += 1;
            for (const one of found) (one.state === 'open' ? run.open : run.adopted).push(one);
          } catch (error) {
            // One account Stripe does not answer for must not keep the others unsearched.
            const message = error instanceof Error ? error.message : String(error);
            run.failed.push({ account: account.handle, mode, message });
            logger.warn(
              { account: account.handle, mode, err: message },
              'unrecorded payments: could not search the account; will try again',
            );
          }
        }
      }
      for (const one of run.adopted) {
        logger.info(
          { paymentIntent: one.paymentIntentId, account: one.account },
          `unrecorded payment adopted: ${one.reason}`,
        );
      }
      return run;
    },

    list(workspaceId, options = {}) {
      return listUnrecorded(db, {
        workspaceId,
        state: options.state ?? 'open',
        accountId: options.accountId,
        mode: options.mode,
      });
    },

    async explain({ workspaceId, paymentIntentId, note, actor }) {
      const found = await findUnrecorded(db, paymentIntentId);
      if (!found || found.workspaceId !== workspaceId) {
        throw new AppError(
          'not_found',
          `No unrecorded payment has the PaymentIntent ${paymentIntentId}.`,
          { unrecordedPayment: paymentIntentId },
        );
      }
      if (found.state === 'adopted') {
        throw new AppError(
          'conflict',
          `PaymentIntent ${paymentIntentId} is already recorded: ${found.reason}`,
          { unrecordedPayment: paymentIntentId },
        );
      }
      const explained: UnrecordedPayment = {
        ...found,
        state: 'explained',
        reason: note,
        resolvedAt: clock().toISOString(),
        resolvedBy: actor,
      };
      await saveUnrecorded(db, explained);
      return explained;
    },
  };
}
