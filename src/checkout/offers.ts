import type { Kysely } from 'kysely';
import type { CatalogForSale, FunnelView, StepView } from '../catalog/catalog.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { PaymentContext } from '../routing/index.js';
import type { CardForm, CardForms } from './card-form.js';
import { cardDeclinedMessage } from './card-problems.js';
import {
  type FailoverExecutor,
  needsNewPaymentMethod,
  outcomeUnknown,
  refusalOf,
} from './failover.js';
import type { Once } from './in-flight.js';
import type { NewPayments } from './new-payments.js';
import type { Order } from './orders.repository.js';
import { currencyForCountry } from './pages/countries.js';
import { lineOf, type PaymentLine } from './payment-lines.js';
import {
  findPayment,
  listPaymentsOfOrders,
  type Payment,
  updatePayment,
} from './payments.repository.js';
import type { Visits } from './visits.js';

export type OfferOutcome =
  | { outcome: 'paid'; payment: Payment }
  | { outcome: 'needs_card'; card: CardForm; notice: string }
  | { outcome: 'busy'; notice: string }
  /** Stripe has not said whether the saved card was charged: no card form until it does. */
  | { outcome: 'pending'; notice: string };

export interface AcceptOfferInput {
  workspaceId: string;
  orderId: string;
  funnelSlug: string;
  stepSlug: string;
}

/** The one-click offers after the order form: upsells and downsells. */
export interface Offers {
  /**
   * "Yes" on an upsell or downsell: charges the saved card off session on the parent payment's
   * account. Clicking twice charges once: the payment id is the order's and the step's.
   */
  acceptOffer(input: AcceptOfferInput): Promise<OfferOutcome>;
}

export interface OffersDependencies {
  db: Kysely<Database>;
  clock: Clock;
  catalog: Pick<CatalogForSale, 'showProduct'>;
  payments: Pick<FailoverExecutor, 'listAttempts'>;
  visits: Visits;
  newPayments: NewPayments;
  cardForms: CardForms;
  once: Once;
}

const unknownChargeNotice =
  'We are still waiting for your bank to confirm this purchase. You will not be charged twice: it shows as pending on your order until it is confirmed.';

/** An offer the buyer said yes to, with what it is bought with. */
interface AcceptedOffer {
  order: Order;
  funnel: FunnelView;
  step: StepView;
  paymentId: string;
  line: PaymentLine;
  /** What routing sees of it: an upsell of the parent's account. */
  context: PaymentContext & { amount: number };
}

export function createOffers(deps: OffersDependencies): Offers {
  const { db, clock, catalog, visits, newPayments, cardForms, once } = deps;

  /** A card form on the account routed for a new sale: the saved card cannot pay here. */
  async function cardFormFor(
    offer: AcceptedOffer,
    existing: Payment | undefined,
    notice: string,
  ): Promise<OfferOutcome> {
    const opened = await newPayments.open({
      order: offer.order,
      paymentId: offer.paymentId,
      stored: existing,
      kind: 'upsell',
      stepSlug: offer.step.slug,
      lines: [offer.line],
      saveCard: offer.line.recurring !== null,
      context: { ...offer.context, kind: 'initial', parent: undefined, health: {} },
    });
    return {
      outcome: 'needs_card',
      card: await cardForms.cardFormOf(opened.payment, opened.intent),
      notice,
    };
  }

  /**
   * Charges the parent's saved card. The payment is written with its first attempt; the executor
   * routes it (to the parent's account, or nowhere), and sends a charge that got no clear answer
   * again as it was before anything else.
   */
  async function chargeSavedCard(
    offer: AcceptedOffer,
    parent: Payment,
    existing: Payment | undefined,
  ): Promise<OfferOutcome> {
    const { order, line } = offer;
    const payment =
      existing ??
      newPayments.pending(order, {
        paymentId: offer.paymentId,
        kind: 'upsell',
        stepSlug: offer.step.slug,
        currency: line.currency,
        lines: [line],
        parent,
      });
    await newPayments.make({
      order,
      payment,
      funnelSlug: offer.funnel.slug,
      stepSlug: offer.step.slug,
      lines: [line],
      amount: line.amount,
      context: offer.context,
      payer: {
        card: 'saved',
        customer: parent.stripeCustomerId ?? '',
        paymentMethod: parent.paymentMethodId ?? '',
      },
    });
    const recorded = await newPayments.again(payment);
    if (recorded.status === 'succeeded' || recorded.status === 'processing') {
      return { outcome: 'paid', payment: recorded };
    }
    const card = await cardForms.cardFormOf(recorded);
    return {
      outcome: 'needs_card',
      card,
      notice: card.error ?? 'Your bank asks you to confirm this purchase.',
    };
  }

  /** What the buyer is shown when the saved card's charge was refused. */
  async function afterRefusal(
    offer: AcceptedOffer,
    parent: Payment,
    existing: Payment | undefined,
    error: AppError,
  ): Promise<OfferOutcome> {
    const { order, paymentId } = offer;
    if (needsNewPaymentMethod(error)) {
      return cardFormFor(
        offer,
        existing,
        'Your saved card cannot be charged for this offer right now. Enter your card to buy it.',
      );
    }
    const refusal = refusalOf(error);
    if (error.code === 'card_error' && refusal.paymentIntentId && parent.accountId) {
      // Declined or needs the buyer (3-D Secure): the same PaymentIntent, on the same account.
      await updatePayment(db, paymentId, {
        accountId: parent.accountId,
        accountHandle: parent.accountHandle,
        paymentIntentId: refusal.paymentIntentId,
        decision: refusal.decision ?? null,
        failureMessage: refusal.stripeMessage ?? error.message,
        status: 'requires_payment_method',
        updatedAt: clock().toISOString(),
      });
      const stored = await findPayment(db, order.workspaceId, paymentId);
      if (!stored) throw error;
      const card = await cardForms.cardFormOf(stored);
      return {
        outcome: 'needs_card',
        card,
        notice:
          refusal.stripeCode === 'authentication_required'
            ? 'Your bank asks you to confirm this purchase. Enter your card to complete it.'
            : (card.error ?? cardDeclinedMessage),
      };
    }
    if (error.code === 'conflict') {
      return {
        outcome: 'busy',
        notice: 'This purchase is already being processed. Reload the page in a moment.',
      };
    }
    if (outcomeUnknown(await deps.payments.listAttempts(order.workspaceId, paymentId))) {
      return { outcome: 'pending', notice: unknownChargeNotice };
    }
    throw error;
  }

  async function takeOffer(
    offer: AcceptedOffer,
    parent: Payment | undefined,
  ): Promise<OfferOutcome> {
    const existing = await findPayment(db, offer.order.workspaceId, offer.paymentId);
    if (existing?.status === 'succeeded') return { outcome: 'paid', payment: existing };
    if (existing?.paymentIntentId) {
      const card = await cardForms.cardFormOf(existing);
      if (card.status === 'succeeded' || card.status === 'processing') {
        return { outcome: 'paid', payment: existing };
      }
      return {
        outcome: 'needs_card',
        card,
        notice: card.error ?? 'Confirm this purchase with your card.',
      };
    }
    if (!parent) return cardFormFor(offer, existing, 'Enter your card to buy it.');
    try {
      return await chargeSavedCard(offer, parent, existing);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return afterRefusal(offer, parent, existing, error);
    }
  }

  return {
    async acceptOffer(input) {
      const order = await visits.requireOrder(input.workspaceId, input.orderId);
      const { funnel, step } = await visits.requireStep(
        input.workspaceId,
        input.funnelSlug,
        input.stepSlug,
      );
      if ((step.kind !== 'upsell' && step.kind !== 'downsell') || !step.product) {
        throw new AppError(
          'not_found',
          `Step ${step.slug} of ${funnel.slug} offers nothing to accept.`,
        );
      }
      const product = await catalog.showProduct(input.workspaceId, step.product);
      const paid = (await listPaymentsOfOrders(db, [order.orderId])).filter(
        (payment) =>
          payment.status === 'succeeded' && payment.paymentMethodId && payment.accountHandle,
      );
      const parent = paid.find((payment) => payment.kind === 'initial') ?? paid[0];
      const currencies = product.prices.map((price) => price.currency);
      const currency =
        parent && currencies.includes(parent.currency)
          ? parent.currency
          : currencyForCountry(order.country, currencies);
      const line = lineOf(product, currency);
      if (!line) throw new Error(`product ${product.slug} lost its ${currency} price`);
      const paymentId = `${order.orderId}.${step.slug}`;
      const context: AcceptedOffer['context'] = {
        mode: order.mode,
        kind: 'upsell',
        funnel: funnel.slug,
        step: `${funnel.slug}/${step.slug}`,
        products: [product.slug],
        tags: product.tags,
        currency,
        country: order.country,
        amount: line.amount,
        ...(parent?.accountHandle ? { parent: { account: parent.accountHandle } } : {}),
        health: {},
      };
      const offer = { order, funnel, step, paymentId, line, context };
      return once(paymentId, () => takeOffer(offer, parent));
    },
  };
}
