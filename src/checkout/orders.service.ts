import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database, OrderStatus, PaymentKind, PaymentStatus } from '../db/schema.js';
import { AppError } from '../errors.js';
import { csvDocument } from '../http/csv.js';
import type { RoutingDecision } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { RefundSummary, StripeCredentials, StripeGateway } from '../stripe/gateway.js';
import { type ChargeAttempt, listChargeAttempts } from './charge-attempts.repository.js';
import type { FailoverExecutor } from './failover.js';
import { findOrder, listOrders, type Order, type OrderFilters } from './orders.repository.js';
import type { PaymentAttempt } from './payment-attempts.repository.js';
import type { PaymentLine } from './payment-lines.js';
import type { PaymentRecords } from './payment-records.js';
import { findPayment, listPaymentsOfOrders, type Payment } from './payments.repository.js';
import {
  findRefund,
  findUnsettledRefund,
  insertRefund,
  listRefundsOfPayments,
  type Refund,
  updateRefund,
} from './refunds.repository.js';

/** What the merchant sees of orders: every payment, the account that took it, and why. */

export interface OrderSummary {
  id: string;
  funnel: string;
  mode: 'test' | 'live';
  status: OrderStatus;
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
  kind: PaymentKind;
  step: string;
  parent: string | null;
  account: string | null;
  status: PaymentStatus;
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

/** The orders' filters a merchant asks with. */
export type OrderQuery = Omit<OrderFilters, 'before' | 'limit'>;

export interface RefundInput {
  workspaceId: string;
  paymentId: string;
  amount?: number | undefined;
  reason?: string | undefined;
  /** A refund of this payment to send again; answered as it stands once Stripe made it. */
  refundId?: string | undefined;
  actor: string;
}

export interface OrdersService {
  /** A page of orders, newest first; `cursor` is the last page's `nextCursor`. */
  listOrders(
    workspaceId: string,
    query: OrderQuery & { cursor?: string | undefined; limit?: number | undefined },
  ): Promise<OrderPage>;
  /** An order with every payment, its attempts, charges and refunds. */
  showOrder(workspaceId: string, orderId: string): Promise<OrderDetail>;
  /**
   * Refunds a payment, fully or in part, always on the payment's own account (routing kind
   * `refund`). The refund is written before Stripe is called, with its own idempotency key.
   */
  refundPayment(input: RefundInput): Promise<RefundView>;
  /** Every order matching the filters as CSV rows, one per payment, for a spreadsheet. */
  exportCsv(workspaceId: string, filters: OrderQuery): Promise<string>;
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

function encodeCursor(order: Order): string {
  return Buffer.from(JSON.stringify([order.createdAt, order.orderId])).toString('base64url');
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

function isStale(refund: Refund, now: string): boolean {
  return Date.parse(now) - Date.parse(refund.updatedAt) >= pendingRefundStaleMs;
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
function unsureDetails(refund: Refund) {
  return {
    refund: refund.refundId,
    payment: refund.paymentId,
    amount: refund.amount,
    unsure: true,
    next: 'refunds.resend',
  };
}

export function createOrdersService(deps: OrdersDependencies): OrdersService {
  const { db, clock, gateway } = deps;

  /** The refund Stripe made for ours, found by the id we put in its metadata. */
  async function findMadeAtStripe(
    credentials: StripeCredentials,
    paymentIntent: string,
    refund: Refund,
  ): Promise<RefundSummary | null> {
    const refunds = await gateway.listRefunds({ credentials, paymentIntent });
    return refunds.find((made) => made.metadata.switchyard_refund === refund.refundId) ?? null;
  }

  function summaryOf(order: Order, payments: Payment[]): OrderSummary {
    const accounts: string[] = [];
    for (const payment of payments) {
      if (payment.accountHandle && !accounts.includes(payment.accountHandle)) {
        accounts.push(payment.accountHandle);
      }
    }
    return {
      id: order.orderId,
      funnel: order.funnelSlug,
      mode: order.mode,
      status: order.status,
      email: order.email,
      name: order.name,
      country: order.country,
      currency: order.currency,
      paid: order.paidAmount,
      refunded: order.refundedAmount,
      accounts,
      createdAt: order.createdAt,
    };
  }

  function refundView(row: Refund): RefundView {
    return {
      id: row.refundId,
      account: row.accountHandle,
      amount: row.amount,
      currency: row.currency,
      status: row.status,
      stripeRefundId: row.stripeRefundId,
      reason: row.reason,
      actor: row.actor,
      createdAt: row.createdAt,
    };
  }

  async function paymentView(
    payment: Payment,
    refunds: Refund[],
    charges: ChargeAttempt[],
  ): Promise<PaymentView> {
    return {
      id: payment.paymentId,
      kind: payment.kind,
      step: payment.stepSlug,
      parent: payment.parentPaymentId,
      account: payment.accountHandle,
      status: payment.status,
      amount: payment.amount,
      currency: payment.currency,
      refunded: payment.refundedAmount,
      lines: payment.lines,
      paymentIntent: payment.paymentIntentId,
      subscription: payment.subscriptionId,
      failureMessage: payment.failureMessage,
      decision: payment.decision,
      attempts: await deps.payments.listAttempts(payment.workspaceId, payment.paymentId),
      charges: charges
        .filter((charge) => charge.paymentId === payment.paymentId)
        .map(({ paymentId: _paymentId, ...charge }) => charge),
      refunds: refunds.filter((refund) => refund.paymentId === payment.paymentId).map(refundView),
      createdAt: payment.createdAt,
    };
  }

  async function showOrder(workspaceId: string, orderId: string): Promise<OrderDetail> {
    const order = await findOrder(db, workspaceId, orderId);
    if (!order) {
      throw new AppError('not_found', `Order ${orderId} does not exist.`, { order: orderId });
    }
    const payments = await listPaymentsOfOrders(db, [order.orderId]);
    const paymentIds = payments.map((payment) => payment.paymentId);
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
    async listOrders(workspaceId, query) {
      const limit = query.limit ?? 50;
      const rows = await listOrders(db, workspaceId, {
        ...query,
        before: query.cursor ? decodeCursor(query.cursor) : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const payments = await listPaymentsOfOrders(
        db,
        page.map((order) => order.orderId),
      );
      const last = page.at(-1);
      return {
        orders: page.map((order) =>
          summaryOf(
            order,
            payments.filter((payment) => payment.orderId === order.orderId),
          ),
        ),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },

    showOrder,

    async refundPayment(input) {
      const payment = await findPayment(db, input.workspaceId, input.paymentId);
      if (!payment) {
        throw new AppError('not_found', `Payment ${input.paymentId} does not exist.`, {
          payment: input.paymentId,
        });
      }
      if (
        payment.status !== 'succeeded' ||
        !payment.paymentIntentId ||
        !payment.accountId ||
        !payment.accountHandle
      ) {
        throw new AppError(
          'conflict',
          `Payment ${payment.paymentId} is ${payment.status}; only a succeeded payment can be refunded.`,
        );
      }
      const named = input.refundId === undefined ? undefined : await findRefund(db, input.refundId);
      if (input.refundId !== undefined) {
        if (!named || named.paymentId !== payment.paymentId) {
          throw AppError.validation([
            { field: 'refund', message: `${input.refundId} is not a refund of this payment` },
          ]);
        }
        // Settled since (its webhook, or an earlier send): answered, never made a second time.
        if (named.stripeRefundId !== null) return refundView(named);
        if (named.status === 'failed') {
          throw new AppError(
            'conflict',
            `Stripe refused refund ${named.refundId} (${named.reason ?? 'no reason given'}); it was not made. Ask for a new refund instead of sending this one again.`,
          );
        }
        if (input.amount !== undefined && input.amount !== named.amount) {
          throw AppError.validation([
            { field: 'amount', message: `refund ${named.refundId} is of ${named.amount}` },
          ]);
        }
      }
      const refundable = payment.amount - payment.refundedAmount;
      if (refundable <= 0) {
        throw new AppError(
          'conflict',
          `Payment ${payment.paymentId} is already refunded in full; nothing is left to refund.`,
        );
      }
      const amount = input.amount ?? (named ? named.amount : refundable);
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
        parent: { account: payment.accountHandle },
        health: {},
      });
      if (decision.outcome !== 'selected' || decision.account !== payment.accountHandle) {
        throw new AppError(
          'no_account_available',
          `Payment ${payment.paymentId} can only be refunded on ${payment.accountHandle}, which cannot take it now. ${decision.explanation.join(' ')}`,
          { decision },
        );
      }
      const secretKey = await deps.accounts.secretKeyOf(payment.accountId, payment.mode);
      if (!secretKey) {
        throw new AppError(
          'upstream_unavailable',
          `Account ${payment.accountHandle} has no ${payment.mode} key; connect its keys again to refund.`,
        );
      }
      const now = clock().toISOString();
      const unsettled = await findUnsettledRefund(db, payment.paymentId);
      if (unsettled?.status === 'pending' && !isStale(unsettled, now)) {
        throw new AppError(
          'conflict',
          `Refund ${unsettled.refundId} of ${unsettled.amount} ${unsettled.currency} on payment ${payment.paymentId} is being sent to Stripe right now; look at the order in a minute before refunding again.`,
          { refund: unsettled.refundId },
        );
      }
      if (unsettled && unsettled.amount !== amount) {
        throw new AppError(
          'conflict',
          `Refund ${unsettled.refundId} of ${unsettled.amount} ${unsettled.currency} on payment ${payment.paymentId} is unsure: Stripe's answer was unclear, so it may or may not have been made. No other amount can be refunded on this payment until it is settled.`,
          unsureDetails(unsettled),
        );
      }
      const refund: Refund = unsettled
        ? { ...unsettled, status: 'pending', actor: input.actor, updatedAt: now }
        : {
            refundId: newId('rfd'),
            workspaceId: input.workspaceId,
            paymentId: payment.paymentId,
            accountId: payment.accountId,
            accountHandle: payment.accountHandle,
            amount,
            currency: payment.currency,
            status: 'pending',
            stripeRefundId: null,
            reason: input.reason ?? null,
            actor: input.actor,
            decision,
            createdAt: now,
            updatedAt: now,
          };
      if (unsettled) {
        await updateRefund(db, refund.refundId, {
          status: 'pending',
          actor: input.actor,
          updatedAt: now,
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
            ? await findMadeAtStripe(credentials, payment.paymentIntentId, refund)
            : null) ??
          (await gateway.createRefund({
            credentials,
            idempotencyKey: `${refund.refundId}:refund`,
            paymentIntent: payment.paymentIntentId,
            amount,
            metadata: {
              switchyard_refund: refund.refundId,
              switchyard_payment: payment.paymentId,
              switchyard_order: payment.orderId,
            },
          }));
      } catch (error) {
        const failure = error instanceof StripeGatewayError ? error : null;
        if (!failure || !isRefusal(failure)) {
          // A 5xx, a timeout or a reset may come after Stripe made the refund: unsure, not failed.
          await updateRefund(db, refund.refundId, {
            status: 'unsure',
            updatedAt: clock().toISOString(),
          });
          throw new AppError(
            'upstream_unavailable',
            `Stripe's answer to refund ${refund.refundId} of ${amount} ${payment.currency} on payment ${payment.paymentId} was unclear (${failure?.message ?? 'no answer'}), so it may or may not have been made. It is kept as unsure and not counted as refunded until Stripe confirms it; nothing will be refunded twice.`,
            { ...unsureDetails(refund), account: payment.accountHandle, sent: false },
            { cause: error },
          );
        }
        await updateRefund(db, refund.refundId, {
          status: 'failed',
          reason: failure.message,
          updatedAt: clock().toISOString(),
        });
        throw new AppError(
          failure.isAccountLevel ? 'upstream_unavailable' : 'unprocessable',
          `Stripe did not refund payment ${payment.paymentId} on ${payment.accountHandle}: ${failure.message}`,
          { account: payment.accountHandle, stripeCode: failure.stripeCode },
          { cause: failure },
        );
      }
      // Made at Stripe: a crash from here on leaves it pending, and the next send finds it there.
      await deps.records.recordRefund(payment, refund, made);
      await deps.audit.record(db, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: 'payment.refunded',
        subject: payment.paymentId,
        after: {
          amount,
          currency: payment.currency,
          account: payment.accountHandle,
          refund: made.id,
        },
      });
      return refundView({ ...refund, status: made.status, stripeRefundId: made.id });
    },

    async exportCsv(workspaceId, filters) {
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
        'coupon',
        'discount',
      ];
      const rows: string[][] = [];
      let before: OrderFilters['before'];
      for (;;) {
        const page = await listOrders(db, workspaceId, { ...filters, before, limit: 500 });
        const payments = await listPaymentsOfOrders(
          db,
          page.map((order) => order.orderId),
        );
        for (const order of page) {
          const own = payments.filter((payment) => payment.orderId === order.orderId);
          const base = [
            order.orderId,
            order.createdAt,
            order.funnelSlug,
            order.mode,
            order.status,
            order.email,
            order.name,
            order.country,
          ];
          if (own.length === 0) rows.push([...base, '', '', '', '', '', '', '', '', '', '', '']);
          for (const payment of own) {
            const { decision } = payment;
            const discount = payment.lines.find((line) => line.coupon);
            rows.push([
              ...base,
              payment.paymentId,
              payment.kind,
              payment.accountHandle ?? '',
              payment.status,
              String(payment.amount),
              payment.currency,
              String(payment.refundedAmount),
              payment.paymentIntentId ?? '',
              decision
                ? `${decision.outcome}:${decision.matched.level}${decision.matched.ref ? `:${decision.matched.ref}` : ''}`
                : '',
              discount?.coupon ?? '',
              discount ? String(-discount.amount) : '',
            ]);
          }
        }
        const last = page.at(-1);
        if (page.length < 500 || !last) break;
        before = { createdAt: last.createdAt, orderId: last.orderId };
      }
      return csvDocument([header, ...rows]);
    },
  };
}
