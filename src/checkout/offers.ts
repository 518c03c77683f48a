import type { Kysely } from 'kysely';
import type { CatalogForSale } from '../catalog/catalog.service.js';
import type { Clock } from '../clock.js';
import type { Database, PaymentTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { PaymentContext } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import type { CardForm, CardForms } from './card-form.js';
import { cardDeclinedMessage } from './card-problems.js';
import { type FailoverExecutor, outcomeUnknown } from './failover.js';
import type { Once } from './in-flight.js';
import type { NewPayments } from './new-payments.js';
import { findPayment, listPaymentsOfOrders, updatePayment } from './orders.repository.js';
import { currencyForCountry } from './pages/countries.js';
import { lineOf } from './payment-lines.js';
import type { Visits } from './visits.js';

export type OfferOutcome =
  | { outcome: 'paid'; payment: PaymentTable }
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
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  payments: Pick<FailoverExecutor, 'listAttempts'>;
  visits: Visits;
  newPayments: NewPayments;
  cardForms: CardForms;
  once: Once;
}

const unknownChargeNotice =
  'We are still waiting for your bank to confirm this purchase. You will not be charged twice: it shows as pending on your order until it is confirmed.';

export function createOffers(deps: OffersDependencies): Offers {
  const { db, clock, catalog, visits, newPayments, cardForms, once } = deps;
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
      const paid = (await listPaymentsOfOrders(db, [order.order_id])).filter(
        (payment) =>
          payment.status === 'succeeded' && payment.payment_method_id && payment.account_handle,
      );
      const parent = paid.find((payment) => payment.kind === 'initial') ?? paid[0];
      const currencies = product.prices.map((price) => price.currency);
      const currency =
        parent && currencies.includes(parent.currency)
          ? parent.currency
          : currencyForCountry(order.country, currencies);
      const line = lineOf(product, currency);
      if (!line) throw new Error(`product ${product.slug} lost its ${currency} price`);
      const paymentId = `${order.order_id}.${step.slug}`;

      return once(paymentId, async (): Promise<OfferOutcome> => {
        const existing = await findPayment(db, order.workspace_id, paymentId);
        if (existing?.status === 'succeeded') return { outcome: 'paid', payment: existing };
        if (existing?.payment_intent_id) {
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
        const context: PaymentContext = {
          mode: order.mode,
          kind: 'upsell',
          funnel: funnel.slug,
          step: `${funnel.slug}/${step.slug}`,
          products: [product.slug],
          tags: product.tags,
          currency,
          country: order.country,
          amount: line.amount,
          ...(parent?.account_handle ? { parent: { account: parent.account_handle } } : {}),
          health: {},
        };
        const live = await deps.routing.liveRouting(order.workspace_id, order.mode);
        const decision = parent
          ? live.routing.route({ ...context, health: { ...live.health } })
          : null;
        // A charge of the saved card that got no clear answer is only ever sent again as it was:
        // a card form now (on any account) could charge the buyer a second time.
        const charging =
          existing?.parent_payment_id != null &&
          outcomeUnknown(await deps.payments.listAttempts(order.workspace_id, paymentId));
        if (
          !parent ||
          (!charging && (!decision || decision.outcome === 'needs_new_payment_method'))
        ) {
          // The saved card cannot be used here: a card form on the account routed for a new sale.
          const opened = await newPayments.open({
            order,
            paymentId,
            stored: existing,
            kind: 'upsell',
            stepSlug: step.slug,
            lines: [line],
            saveCard: line.recurring !== null,
            context: { ...context, kind: 'initial', parent: undefined, health: {} },
          });
          return {
            outcome: 'needs_card',
            card: await cardForms.cardFormOf(opened.payment, opened.intent),
            notice: parent
              ? 'Your saved card cannot be charged for this offer right now. Enter your card to buy it.'
              : 'Enter your card to buy it.',
          };
        }
        const payment = await newPayments.write(order, {
          paymentId,
          kind: 'upsell',
          stepSlug: step.slug,
          currency,
          lines: [line],
          parent,
        });
        try {
          await newPayments.make({
            order,
            payment,
            funnelSlug: funnel.slug,
            stepSlug: step.slug,
            lines: [line],
            amount: line.amount,
            context,
            payer: {
              card: 'saved',
              customer: parent.stripe_customer_id ?? '',
              paymentMethod: parent.payment_method_id ?? '',
            },
            writeWithAttempt: false,
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
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          const details = (error.details ?? {}) as {
            paymentIntentId?: string | null;
            stripeCode?: string | null;
            stripeMessage?: string;
          };
          if (error.code === 'card_error' && details.paymentIntentId && parent.account_id) {
            // Declined or needs the buyer (3-D Secure): the same PaymentIntent, on the same account.
            await updatePayment(db, paymentId, {
              account_id: parent.account_id,
              account_handle: parent.account_handle,
              payment_intent_id: details.paymentIntentId,
              decision: JSON.stringify(decision),
              failure_message: details.stripeMessage ?? error.message,
              status: 'requires_payment_method',
              updated_at: clock().toISOString(),
            });
            const stored = await findPayment(db, order.workspace_id, paymentId);
            if (!stored) throw error;
            const card = await cardForms.cardFormOf(stored);
            return {
              outcome: 'needs_card',
              card,
              notice:
                details.stripeCode === 'authentication_required'
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
          if (outcomeUnknown(await deps.payments.listAttempts(order.workspace_id, paymentId))) {
            return { outcome: 'pending', notice: unknownChargeNotice };
          }
          throw error;
        }
      });
    },
  };
}
