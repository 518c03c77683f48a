import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type {
  CatalogForSale,
  FunnelView,
  ProductView,
  StepView,
} from '../catalog/catalog.service.js';
import type { Clock } from '../clock.js';
import type { Coupons } from '../coupons/coupons.service.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { RoutingDecision } from '../routing/index.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import { type BumpAmounts, takesChanges } from './bump-amount.js';
import { type CardForm, type CardForms, credentialsOf } from './card-form.js';
import type { ContactInput } from './contact-form.js';
import type { Once } from './in-flight.js';
import type { NewPayments } from './new-payments.js';
import {
  findOrder,
  insertOrder,
  type Order,
  saveCustomer,
  updateOrder,
} from './orders.repository.js';
import { currencyForCountry } from './pages/countries.js';
import { lineOf, type PaymentLine, totalOf } from './payment-lines.js';
import type { PaymentRecords } from './payment-records.js';
import { findPayment, listPaymentsOfOrders, type Payment } from './payments.repository.js';
import type { Visits } from './visits.js';

export interface PreparedPayment extends CardForm {
  order: Order;
  /** The products offered, as the page shows them. */
  offer: ProductView;
  bumpOffer: ProductView | null;
  main: PaymentLine;
  bump: PaymentLine | null;
  bumpChosen: boolean;
  /** The coupon's discount on this payment, when the order holds one that applies. */
  discount: PaymentLine | null;
  /** The currencies the offer is sold in (each also for the bump, when there is one). */
  currencies: string[];
  decision: RoutingDecision | null;
}

export interface StartOrderInput {
  workspaceId: string;
  funnelSlug: string;
  contact: ContactInput;
  /** The visit's order, when the visitor came back to change their contact. */
  orderId: string | null;
  /** The funnel, when the caller has just read it. */
  funnel?: FunnelView | undefined;
}

export interface PreparePaymentInput {
  workspaceId: string;
  orderId: string;
  funnelSlug: string;
  stepSlug: string;
  currency?: string | undefined;
  bump?: boolean | undefined;
  /** A coupon code typed now; null removes the order's; undefined keeps what the order holds. */
  coupon?: string | null | undefined;
  /** The funnel, when the caller has just read it. */
  funnel?: FunnelView | undefined;
  /** The setup revision the request has read: offers, routing and keys are taken as of it. */
  revision?: number | undefined;
  /** The order, when the caller has just read it. */
  order?: Order | undefined;
}

/** The order form: the buyer's contact and country, then the payment step with its card form. */
export interface OrderForm {
  /** Saves the visitor's contact and country: the customer, and a new order for this visit. */
  startOrder(input: StartOrderInput): Promise<Order>;
  /**
   * The order form's second step: picks the currency (asked for, or the buyer's country's),
   * routes, and makes or finds the PaymentIntent for the card form. The bump choice updates
   * the PaymentIntent's amount before the card is confirmed.
   */
  preparePayment(input: PreparePaymentInput): Promise<PreparedPayment>;
  /**
   * The order step's payment in this currency: the open one, or a new id when there is none (a
   * payment canceled because the buyer switched currency is never reused).
   */
  openPaymentIdOf(order: Order, stepSlug: string, currency: string): Promise<string>;
}

export interface OrderFormDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: Pick<StripeGateway, 'cancelPaymentIntent'>;
  catalog: Pick<CatalogForSale, 'showOffers'>;
  accounts: Pick<AccountsService, 'secretKeyOf'>;
  records: Pick<PaymentRecords, 'recordIntent'>;
  visits: Visits;
  newPayments: Pick<NewPayments, 'open'>;
  cardForms: CardForms;
  bumpAmounts: BumpAmounts;
  coupons: Pick<Coupons, 'discountFor'>;
  once: Once;
}

export function createOrderForm(deps: OrderFormDependencies): OrderForm {
  const { db, clock, gateway, catalog, records, visits, once } = deps;

  /** The step's open payment in this currency, as just read, or the id for a new one. */
  async function openPaymentOf(
    order: Order,
    stepSlug: string,
    currency: string,
  ): Promise<{ paymentId: string; stored: Payment | undefined; first: boolean }> {
    const base = `${order.orderId}.${stepSlug}.${currency}`;
    const all = await listPaymentsOfOrders(db, [order.orderId]);
    const first = all.length === 0;
    const same = all.filter(
      (payment) =>
        payment.kind === 'initial' &&
        payment.stepSlug === stepSlug &&
        payment.currency === currency,
    );
    const open = same.find((payment) => payment.status !== 'canceled');
    if (open) return { paymentId: open.paymentId, stored: open, first };
    return {
      paymentId: same.length === 0 ? base : `${base}.${same.length + 1}`,
      stored: undefined,
      first,
    };
  }

  /**
   * Cancels the order's open PaymentIntents but `kept`: one in another currency the buyer switched
   * from (maybe on another account), or every one after the buyer changed their email (each was
   * made for the old Stripe customer). A second tab then cannot pay the same order twice.
   */
  async function cancelOpenPayments(order: Order, kept: Payment | null): Promise<void> {
    const others = (await listPaymentsOfOrders(db, [order.orderId])).filter(
      (payment) =>
        payment.paymentId !== kept?.paymentId &&
        payment.kind === 'initial' &&
        (kept === null || payment.stepSlug === kept.stepSlug) &&
        payment.paymentIntentId !== null &&
        takesChanges(payment.status),
    );
    for (const other of others) {
      if (!other.accountId || !other.accountHandle || !other.paymentIntentId) continue;
      try {
        const credentials = await credentialsOf(deps.accounts, {
          id: other.accountId,
          handle: other.accountHandle,
          mode: other.mode,
        });
        const canceled = await gateway.cancelPaymentIntent({
          credentials,
          id: other.paymentIntentId,
          idempotencyKey: `${other.paymentId}:cancel`,
        });
        await records.recordIntent(other, canceled);
      } catch (error) {
        // Stripe refuses to cancel a PaymentIntent that was paid meanwhile; its webhook says so.
        if (!(error instanceof StripeGatewayError)) throw error;
      }
    }
  }

  async function preparePayment(input: PreparePaymentInput): Promise<PreparedPayment> {
    const order = await visits.requireOrder(input.workspaceId, input.orderId, input.order);
    const { funnel, step } = await visits.requireStep(
      input.workspaceId,
      input.funnelSlug,
      input.stepSlug,
      input.funnel,
    );
    if (step.kind !== 'order' || !step.product) {
      throw new AppError('not_found', `Step ${step.slug} of ${funnel.slug} is not an order form.`);
    }
    const { main, bump: bumpProduct } = await catalog.showOffers(
      input.workspaceId,
      step.product,
      step.bump,
      input.revision,
    );
    const sellsBump = (currency: string) => {
      const mainLine = lineOf(main, currency);
      const bumpLine = bumpProduct ? lineOf(bumpProduct, currency, true) : null;
      // A bump rides on a one-time charge; a subscription's first invoice pays only the plan.
      return mainLine && !mainLine.recurring && bumpLine && !bumpLine.recurring ? bumpLine : null;
    };
    const currencies = main.prices.map((price) => price.currency);
    const wanted = input.currency?.toLowerCase();
    const currency =
      wanted && currencies.includes(wanted)
        ? wanted
        : currencyForCountry(order.country, currencies);
    const mainLine = lineOf(main, currency);
    if (!mainLine) throw new Error(`product ${main.slug} lost its ${currency} price`);
    const bumpLine = sellsBump(currency);
    const { paymentId, stored, first } = await openPaymentOf(order, step.slug, currency);

    return once(paymentId, async () => {
      // As the list of the order's payments has it, read a moment ago.
      let payment = stored;
      const chosen = input.bump ?? (payment ? payment.lines.some((line) => line.bump) : false);
      const bought = bumpLine && chosen ? [mainLine, bumpLine] : [mainLine];
      // The coupon is claimed for the order before its discount goes to Stripe: see coupons.
      // An order's first payment step holds no code yet (the field is on this step's page):
      // without one typed, there is nothing to look up.
      const discount =
        first && input.coupon === undefined
          ? null
          : await deps.coupons.discountFor({
              workspaceId: order.workspaceId,
              orderId: order.orderId,
              paymentId,
              currency,
              lines: bought,
              // A payment already confirmed or paid takes no new code: its amount is fixed.
              code: payment && !takesChanges(payment.status) ? undefined : input.coupon,
            });
      const lines = discount ? [...bought, discount] : bought;
      let created: PaymentIntentSummary | undefined;
      if (!payment?.paymentIntentId) {
        const products = bumpProduct ? [main.slug, bumpProduct.slug] : [main.slug];
        ({ payment, intent: created } = await deps.newPayments.open({
          order,
          paymentId,
          stored: payment,
          kind: 'initial',
          stepSlug: step.slug,
          lines,
          notFound: stored === undefined,
          saveCard: mainLine.recurring !== null || laterStepsSellOffers(funnel.steps, step.slug),
          context: {
            mode: order.mode,
            kind: 'initial',
            funnel: funnel.slug,
            step: `${funnel.slug}/${step.slug}`,
            products,
            tags: [...new Set([...main.tags, ...(bumpProduct?.tags ?? [])])],
            currency,
            country: order.country,
            amount: totalOf(lines),
            health: {},
          },
          revision: input.revision,
        }));
      }
      const amount = totalOf(lines);
      // A bump ticked on an open form is one request to Stripe, the change itself: its answer is
      // the PaymentIntent (Stripe refuses it once the card is confirmed).
      const changing =
        created === undefined && amount !== payment.amount && takesChanges(payment.status);
      let card = changing
        ? await deps.bumpAmounts.changeAmount(payment, lines, amount)
        : await deps.cardForms.cardFormOf(payment, created, input.revision);
      if (amount !== card.amount && takesChanges(card.status)) {
        card = await deps.bumpAmounts.changeAmount(payment, lines, amount);
      }
      const current =
        card.amount === payment.amount
          ? payment
          : ((await findPayment(db, order.workspaceId, paymentId)) ?? payment);
      await cancelOpenPayments(order, current);
      return {
        ...card,
        order,
        offer: main,
        bumpOffer: bumpLine ? bumpProduct : null,
        main: mainLine,
        bump: bumpLine,
        bumpChosen: current.lines.some((line) => line.bump),
        discount: current.lines.find((line) => line.coupon) ?? null,
        currencies: currencies.filter((candidate) => lineOf(main, candidate) !== null),
        decision: current.decision,
      };
    });
  }

  return {
    async startOrder(input) {
      const { workspaceId, contact } = input;
      const funnel = await visits.funnelOf(workspaceId, input.funnelSlug, input.funnel);
      const now = clock().toISOString();
      const existing = input.orderId ? await findOrder(db, workspaceId, input.orderId) : undefined;
      const continuing =
        existing && existing.funnelSlug === funnel.slug && existing.status === 'open'
          ? existing
          : undefined;
      // PaymentIntents made for another email belong to that email's Stripe customer.
      if (continuing && continuing.email !== contact.email) {
        await cancelOpenPayments(continuing, null);
      }
      // The customer and the order are committed together.
      return db.transaction().execute(async (trx) => {
        const customerId = await saveCustomer(trx, {
          customerId: newId('cus'),
          workspaceId,
          email: contact.email,
          name: contact.name,
          country: contact.country,
          createdAt: now,
          updatedAt: now,
        });
        const details = {
          customerId,
          email: contact.email,
          name: contact.name,
          country: contact.country,
          updatedAt: now,
        };
        if (continuing) {
          await updateOrder(trx, continuing.orderId, details);
          return { ...continuing, ...details };
        }
        const order: Order = {
          orderId: newId('ord'),
          workspaceId,
          funnelSlug: funnel.slug,
          mode: funnel.mode,
          status: 'open',
          paidAmount: 0,
          refundedAmount: 0,
          currency: null,
          createdAt: now,
          ...details,
        };
        await insertOrder(trx, order);
        return order;
      });
    },

    preparePayment,

    openPaymentIdOf: async (order, stepSlug, currency) =>
      (await openPaymentOf(order, stepSlug, currency)).paymentId,
  };
}

function laterStepsSellOffers(steps: StepView[], after: string): boolean {
  const index = steps.findIndex((step) => step.slug === after);
  return steps.slice(index + 1).some((step) => step.kind === 'upsell' || step.kind === 'downsell');
}
