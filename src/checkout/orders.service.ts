import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database, OrderTable, PaymentTable, RefundTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { RoutingDecision } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { RefundSummary, StripeCredentials, StripeGateway } from '../stripe/gateway.js';
import { type ChargeAttempt, listChargeAttempts } from './charge-attempts.repository.js';
import type { FailoverExecutor } from './failover.js';
import {
  findOrder,
  findPayment,
  findRefund,
  findUnsettledRefund,
  insertRefund,
  listOrders,
  listPaymentsOfOrders,
  listRefundsOfPayments,
  type OrderFilters,
  updateRefund,
} from './orders.repository.js';
import type { PaymentAttempt } from './payment-attempts.repository.js';
import type { PaymentLine } from './payment-lines.js';
import type { PaymentRecords } from './payment-records.js';

/** What the merchant sees of orders: every payment, the account that took it, and why. */

export interface OrderSummary {
  id: string;
  funnel: string;
  mode: 'test' | 'live';
  status: OrderTable['status'];
  email: string;
  name: string;
  country: string;
  currency: string | null;
  paid: number;
  refunded: number;
  /** The accounts that took its payments, in the order they did. */
  accounts: string[];
  createdAt: string;
}

export interface RefundView {
  id: string;
  account: string;
  amount: number;
  currency: string;
  status: string;
  stripeRefundId: string | null;
  reason: string | null;
  actor: string;
  createdAt: string;
}

export interface PaymentView {
  id: string;
  kind: PaymentTable['kind'];
  step: string;
  parent: string | null;
  account: string | null;
  status: PaymentTable['status'];
  amount: number;
  currency: string;
  refunded: number;
  lines: PaymentLine[];
  paymentIntent: string | null;
  subscription: string | null;
  failureMessage: string | null;
  /** The routing decision that put it on its account, with the explanation in words. */
  decision: RoutingDecision | null;
  /** Each try to make its PaymentIntent on an account, with every request it sent. */
  attempts: PaymentAttempt[];
  /** Each charge of a card Stripe reported on it: declines, failed 3-D Secure, the one that paid. */
  charges: Omit<ChargeAttempt, 'paymentId'>[];
  refunds: RefundView[];
  createdAt: string;
}

export interface OrderDetail extends OrderSummary {
  payments: PaymentView[];
}

export interface OrderPage {
  orders: OrderSummary[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

export interface OrdersDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  audit: AuditLog;
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  accounts: Pick<AccountsService, 'secretKeyOf'>;
  payments: Pick<FailoverExecutor, 'listAttempts'>;
  records: PaymentRecords;
}

function encodeCursor(order: OrderTable): string {
  return Buffer.from(JSON.stringify([order.created_at, order.order_id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; orderId: string } {
  try {
    const [createdAt, orderId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (typeof createdAt === 'string' && typeof orderId === 'string') return { createdAt, orderId };
  } catch {
    // Falls through to the refusal below.
  }
  throw AppError.validation([
    {
      field: 'cursor',
      message: 'is not a cursor this API gave out; use nextCursor from the last page',
    },
  ]);
}

/** A `pending` refund unchanged this long was left by a process that died while sending it. */
const pendingRefundStaleMs = 2 * 60_000;

function isStale(refund: RefundTable, now: string): boolean {
  return Date.parse(now) - Date.parse(refund.updated_at) >= pendingRefundStaleMs;
}

/** Stripe's clear no (a card, request, key or rate-limit error): the refund was not made. */
function isRefusal(failure: StripeGatewayError): boolean {
  return (
    failure.kind === 'card' ||
    failure.kind === 'invalid_request' ||
    failure.kind === 'authentication' ||
    failure.kind === 'permission' ||
    failure.kind === 'rate_limit'
  );
}

/** What a surface needs to tell the merchant how to settle an unsure refund. */
function unsureDetails(refund: RefundTable) {
  return {
    refund: refund.refund_id,
    payment: refund.payment_id,
    amount: Number(refund.amount),
    unsure: true,
    next: 'refunds.resend',
  };
}

export function createOrdersService(deps: OrdersDependencies) {
  const { db, clock, gateway } = deps;

  /** The refund Stripe made for ours, found by the id we put in its metadata. */
  async function findMadeAtStripe(
    credentials: StripeCredentials,
    paymentIntent: string,
    refund: RefundTable,
  ): Promise<RefundSummary | null> {
    const refunds = await gateway.listRefunds({ credentials, paymentIntent });
    return refunds.find((made) => made.metadata.switchyard_refund === refund.refund_id) ?? null;
  }

  function summaryOf(order: OrderTable, payments: PaymentTable[]): OrderSummary {
    const accounts: string[] = [];
    for (const payment of payments) {
      if (payment.account_handle && !accounts.includes(payment.account_handle)) {
        accounts.push(payment.account_handle);
      }
    }
    return {
      id: order.order_id,
      funnel: order.funnel_slug,
      mode: order.mode,
      status: order.status,
      email: order.email,
      name: order.name,
      country: order.country,
      currency: order.currency,
      paid: Number(order.paid_amount),
      refunded: Number(order.refunded_amount),
      accounts,
      createdAt: order.created_at,
    };
  }

  function refundView(row: RefundTable): RefundView {
    return {
      id: row.refund_id,
      account: row.account_handle,
      amount: Number(row.amount),
      currency: row.currency,
      status: row.status,
      stripeRefundId: row.stripe_refund_id,
      reason: row.reason,
      actor: row.actor,
      createdAt: row.created_at,
    };
  }

  async function paymentView(
    payment: PaymentTable,
    refunds: RefundTable[],
    charges: ChargeAttempt[],
  ): Promise<PaymentView> {
    return {
      id: payment.payment_id,
      kind: payment.kind,
      step: payment.step_slug,
      parent: payment.parent_payment_id,
      account: payment.account_handle,
      status: payment.status,
      amount: Number(payment.amount),
      currency: payment.currency,
      refunded: Number(payment.refunded_amount),
      lines: JSON.parse(payment.lines) as PaymentLine[],
      paymentIntent: payment.payment_intent_id,
      subscription: payment.subscription_id,
      failureMessage: payment.failure_message,
      decision: payment.decision ? (JSON.parse(payment.decision) as RoutingDecision) : null,
      attempts: await deps.payments.listAttempts(payment.workspace_id, payment.payment_id),
      charges: charges
        .filter((charge) => charge.paymentId === payment.payment_id)
        .map(({ paymentId: _paymentId, ...charge }) => charge),
      refunds: refunds.filter((refund) => refund.payment_id === payment.payment_id).map(refundView),
      createdAt: payment.created_at,
    };
  }

  async function showOrder(workspaceId: string, orderId: string): Promise<OrderDetail> {
    const order = await findOrder(db, workspaceId, orderId);
    if (!order) {
      throw new AppError('not_found', `Order ${orderId} does not exist.`, { order: orderId });
    }
    const payments = await listPaymentsOfOrders(db, [order.order_id]);
    const paymentIds = payments.map((payment) => payment.payment_id);
    const refunds = await listRefundsOfPayments(db, paymentIds);
    const charges = await listChargeAttempts(db, paymentIds);
    return {
      ...summaryOf(order, payments),
      payments: await Promise.all(
        payments.map((payment) => paymentView(payment, refunds, charges)),
      ),
    };
  }

  return {
    async listOrders(
      workspaceId: string,
      query: Omit<OrderFilters, 'before' | 'limit'> & {
        cursor?: string | undefined;
        limit?: number | undefined;
      },
    ): Promise<OrderPage> {
      const limit = query.limit ?? 50;
      const rows = await listOrders(db, workspaceId, {
        ...query,
        before: query.cursor ? decodeCursor(query.cursor) : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const payments = await listPaymentsOfOrders(
        db,
        page.map((order) => order.order_id),
      );
      const last = page.at(-1);
      return {
        orders: page.map((order) =>
          summaryOf(
            order,
            payments.filter((payment) => payment.order_id === order.order_id),
          ),
        ),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },

    showOrder,

    /**
     * Refunds a payment, fully or in part, always on the payment's own account (routing kind
     * `refund`). The refund is written before Stripe is called, with its own idempotency key.
     */
    async refundPayment(input: {
      workspaceId: string;
      paymentId: string;
      amount?: number | undefined;
      reason?: string | undefined;
      /** A refund of this payment to send again; answered as it stands once Stripe made it. */
      refundId?: string | undefined;
      actor: string;
    }): Promise<RefundView> {
      const payment = await findPayment(db, input.workspaceId, input.paymentId);
      if (!payment) {
        throw new AppError('not_found', `Payment ${input.paymentId} does not exist.`, {
          payment: input.paymentId,
        });
      }
      if (
        payment.status !== 'succeeded' ||
        !payment.payment_intent_id ||
        !payment.account_id ||
        !payment.account_handle
      ) {
        throw new AppError(
          'conflict',
          `Payment ${payment.payment_id} is ${payment.status}; only a succeeded payment can be refunded.`,
        );
      }
      const named = input.refundId === undefined ? undefined : await findRefund(db, input.refundId);
      if (input.refundId !== undefined) {
        if (!named || named.payment_id !== payment.payment_id) {
          throw AppError.validation([
            { field: 'refund', message: `${input.refundId} is not a refund of this payment` },
          ]);
        }
        // Settled since (its webhook, or an earlier send): answered, never made a second time.
        if (named.stripe_refund_id !== null) return refundView(named);
        if (named.status === 'failed') {
          throw new AppError(
            'conflict',
            `Stripe refused refund ${named.refund_id} (${named.reason ?? 'no reason given'}); it was not made. Ask for a new refund instead of sending this one again.`,
          );
        }
        if (input.amount !== undefined && input.amount !== Number(named.amount)) {
          throw AppError.validation([
            { field: 'amount', message: `refund ${named.refund_id} is of ${named.amount}` },
          ]);
        }
      }
      const refundable = Number(payment.amount) - Number(payment.refunded_amount);
      if (refundable <= 0) {
        throw new AppError(
          'conflict',
          `Payment ${payment.payment_id} is already refunded in full; nothing is left to refund.`,
        );
      }
      const amount = input.amount ?? (named ? Number(named.amount) : refundable);
      if (!Number.isInteger(amount) || amount < 1) {
        throw AppError.validation([
          { field: 'amount', message: 'must be a whole number of minor units, at least 1' },
        ]);
      }
      if (amount > refundable) {
        throw AppError.validation([
          {
            field: 'amount',
            message: `at most ${refundable} ${payment.currency} is left to refund on this payment`,
          },
        ]);
      }
      const live = await deps.routing.liveRouting(input.workspaceId, payment.mode);
      const decision = live.routing.route({
        mode: payment.mode,
        kind: 'refund',
        currency: payment.currency,
        amount,
        products: [],
        tags: [],
        parent: { account: payment.account_handle },
        health: {},
      });
      if (decision.outcome !== 'selected' || decision.account !== payment.account_handle) {
        throw new AppError(
          'no_account_available',
          `Payment ${payment.payment_id} can only be refunded on ${payment.account_handle}, which cannot take it now. ${decision.explanation.join(' ')}`,
          { decision },
        );
      }
      const secretKey = await deps.accounts.secretKeyOf(payment.account_id, payment.mode);
      if (!secretKey) {
        throw new AppError(
          'upstream_unavailable',
          `Account ${payment.account_handle} has no ${payment.mode} key; connect its keys again to refund.`,
        );
      }
      const now = clock().toISOString();
      const unsettled = await findUnsettledRefund(db, payment.payment_id);
      if (unsettled?.status === 'pending' && !isStale(unsettled, now)) {
        throw new AppError(
          'conflict',
          `Refund ${unsettled.refund_id} of ${unsettled.amount} ${unsettled.currency} on payment ${payment.payment_id} is being sent to Stripe right now; look at the order in a minute before refunding again.`,
          { refund: unsettled.refund_id },
        );
      }
      if (unsettled && Number(unsettled.amount) !== amount) {
        throw new AppError(
          'conflict',
          `Refund ${unsettled.refund_id} of ${unsettled.amount} ${unsettled.currency} on payment ${payment.payment_id} is unsure: Stripe's answer was unclear, so it may or may not have been made. No other amount can be refunded on this payment until it is settled.`,
          unsureDetails(unsettled),
        );
      }
      const refund: RefundTable = unsettled
        ? { ...unsettled, status: 'pending', actor: input.actor, updated_at: now }
        : {
            refund_id: newId('rfd'),
            workspace_id: input.workspaceId,
            payment_id: payment.payment_id,
            account_id: payment.account_id,
            account_handle: payment.account_handle,
            amount,
            currency: payment.currency,
            status: 'pending',
            stripe_refund_id: null,
            reason: input.reason ?? null,
            actor: input.actor,
            decision: JSON.stringify(decision),
            created_at: now,
            updated_at: now,
          };
      if (unsettled) {
        await updateRefund(db, refund.refund_id, {
          status: 'pending',
          actor: input.actor,
          updated_at: now,
        });
      } else {
        await insertRefund(db, refund);
      }
      const credentials = { secretKey };
      let made: RefundSummary;
      try {
        // A refund sent before may have been made though its answer was lost, and Stripe forgets
        // idempotency keys after 24 hours: look for it by our id before sending it again.
        made =
          (unsettled
            ? await findMadeAtStripe(credentials, payment.payment_intent_id, refund)
            : null) ??
          (await gateway.createRefund({
            credentials,
            idempotencyKey: `${refund.refund_id}:refund`,
            paymentIntent: payment.payment_intent_id,
            amount,
            metadata: {
              switchyard_refund: refund.refund_id,
              switchyard_payment: payment.payment_id,
              switchyard_order: payment.order_id,
            },
          }));
      } catch (error) {
        const failure = error instanceof StripeGatewayError ? error : null;
        if (!failure || !isRefusal(failure)) {
          // A 5xx, a timeout or a reset may come after Stripe made the refund: unsure, not failed.
          await updateRefund(db, refund.refund_id, {
            status: 'unsure',
            updated_at: clock().toISOString(),
          });
          throw new AppError(
            'upstream_unavailable',
            `Stripe's answer to refund ${refund.refund_id} of ${amount} ${payment.currency} on payment ${payment.payment_id} was unclear (${failure?.message ?? 'no answer'}), so it may or may not have been made. It is kept as unsure and not counted as refunded until Stripe confirms it; nothing will be refunded twice.`,
            { ...unsureDetails(refund), account: payment.account_handle, sent: false },
            { cause: error },
          );
        }
        await updateRefund(db, refund.refund_id, {
          status: 'failed',
          reason: failure.message,
          updated_at: clock().toISOString(),
        });
        throw new AppError(
          failure.isAccountLevel ? 'upstream_unavailable' : 'unprocessable',
          `Stripe did not refund payment ${payment.payment_id} on ${payment.account_handle}: ${failure.message}`,
          { account: payment.account_handle, stripeCode: failure.stripeCode },
          { cause: failure },
        );
      }
      // Made at Stripe: a crash from here on leaves it pending, and the next send finds it there.
      await deps.records.recordRefund(payment, refund, made);
      await deps.audit.record(db, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: 'payment.refunded',
        subject: payment.payment_id,
        after: {
          amount,
          currency: payment.currency,
          account: payment.account_handle,
          refund: made.id,
        },
      });
      return refundView({ ...refund, status: made.status, stripe_refund_id: made.id });
    },

    /** Every order matching the filters as CSV rows, one per payment, for a spreadsheet. */
    async exportCsv(
      workspaceId: string,
      filters: Omit<OrderFilters, 'before' | 'limit'>,
    ): Promise<string> {
      const header = [
        'order_id',
        'created_at',
        'funnel',
        'mode',
        'order_status',
        'email',
        'name',
        'country',
        'payment_id',
        'kind',
        'account',
        'payment_status',
        'amount',
        'currency',
        'refunded',
        'payment_intent',
        'routed_by',
      ];
      const rows: string[][] = [];
      let before: OrderFilters['before'];
      for (;;) {
        const page = await listOrders(db, workspaceId, { ...filters, before, limit: 500 });
        const payments = await listPaymentsOfOrders(
          db,
          page.map((order) => order.order_id),
        );
        for (const order of page) {
          const own = payments.filter((payment) => payment.order_id === order.order_id);
          const base = [
            order.order_id,
            order.created_at,
            order.funnel_slug,
            order.mode,
            order.status,
            order.email,
            order.name,
            order.country,
          ];
          if (own.length === 0) rows.push([...base, '', '', '', '', '', '', '', '', '']);
          for (const payment of own) {
            const decision = payment.decision
              ? (JSON.parse(payment.decision) as RoutingDecision)
              : null;
            rows.push([
              ...base,
              payment.payment_id,
              payment.kind,
              payment.account_handle ?? '',
              payment.status,
              String(payment.amount),
              payment.currency,
              String(payment.refunded_amount),
              payment.payment_intent_id ?? '',
              decision
                ? `${decision.outcome}:${decision.matched.level}${decision.matched.ref ? `:${decision.matched.ref}` : ''}`
                : '',
            ]);
          }
        }
        const last = page.at(-1);
        if (page.length < 500 || !last) break;
        before = { createdAt: last.created_at, orderId: last.order_id };
      }
      return [header, ...rows]
        .map((row) => row.map(csvField).join(','))
        .join('\r\n')
        .concat('\r\n');
    },
  };
}

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed so spreadsheets do not run it as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export type OrdersService = ReturnType<typeof createOrdersService>;
