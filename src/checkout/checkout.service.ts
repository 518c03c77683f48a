import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountsService } from '../accounts/accounts.service.js';
import type {
  CatalogForSale,
  FunnelView,
  ProductView,
  StepView,
} from '../catalog/catalog.service.js';
import { describePrice } from '../catalog/money.js';
import type { Clock } from '../clock.js';
import { newId } from '../db/ids.js';
import type { Database, OrderTable, PaymentKind, PaymentTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { PaymentContext, RoutingDecision } from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { PaymentIntentSummary, StripeGateway } from '../stripe/gateway.js';
import { cardDeclinedMessage, cardProblemMessage } from './card-problems.js';
import type { ContactInput } from './contact-form.js';
import {
  type AttemptTarget,
  type FailoverExecutor,
  outcomeUnknown,
  type PaymentCreated,
} from './failover.js';
import {
  findOrder,
  findPayment,
  findPaymentByIntent,
  findStripeCatalogObject,
  findStripeCustomer,
  insertOrder,
  insertPaymentIfNew,
  insertSubscriptionIfNew,
  listPaymentsOfOrders,
  rememberStripeCatalogObject,
  rememberStripeCustomer,
  saveCustomer,
  updateOrder,
  updatePayment,
} from './orders.repository.js';
import { currencyForCountry } from './pages/countries.js';
import type { PaymentRecords } from './payment-records.js';

/**
 * A visitor's way through a funnel: contact and country, the PaymentIntent on the routed account,
 * the order bump, the return from Stripe.js, one-click upsells on the parent payment's account,
 * and what was bought.
 */

export interface CheckoutDependencies {
  db: Kysely<Database>;
  clock: Clock;
  gateway: StripeGateway;
  catalog: CatalogForSale;
  payments: Pick<FailoverExecutor, 'createPaymentWithFailover' | 'listAttempts'>;
  routing: Pick<RoutingConfigService, 'liveRouting'>;
  accounts: Pick<AccountsService, 'secretKeyOf' | 'publishableKeyOf'>;
  records: PaymentRecords;
}

/** One thing a payment buys. */
export interface PaymentLine {
  product: string;
  name: string;
  amount: number;
  currency: string;
  recurring: { interval: 'day' | 'week' | 'month' | 'year'; intervalCount: number } | null;
  /** `$49.00`, `€19.00 / month`. */
  price: string;
  bump?: boolean;
}

/** What a card form needs: the PaymentIntent and the key of the account that owns it. */
export interface CardForm {
  paymentId: string;
  account: string;
  publishableKey: string;
  clientSecret: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  status: string;
  /** Stripe's message from the last try (a decline), or null. */
  error: string | null;
}

export interface PreparedPayment extends CardForm {
  order: OrderTable;
  /** The products offered, as the page shows them. */
  offer: ProductView;
  bumpOffer: ProductView | null;
  main: PaymentLine;
  bump: PaymentLine | null;
  bumpChosen: boolean;
  /** The currencies the offer is sold in (each also for the bump, when there is one). */
  currencies: string[];
  decision: RoutingDecision | null;
}

export type OfferOutcome =
  | { outcome: 'paid'; payment: PaymentTable }
  | { outcome: 'needs_card'; card: CardForm; notice: string }
  | { outcome: 'busy'; notice: string }
  /** Stripe has not said whether the saved card was charged: no card form until it does. */
  | { outcome: 'pending'; notice: string };

const unknownChargeNotice =
  'We are still waiting for your bank to confirm this purchase. You will not be charged twice: it shows as pending on your order until it is confirmed.';

const intentStatusesThatTakeChanges = new Set(['requires_payment_method', 'requires_confirmation']);

export function createCheckoutService(deps: CheckoutDependencies) {
  const { db, clock, gateway, catalog, accounts, records } = deps;
  /** Payments being made by this instance: a second click waits for the first. */
  const inFlight = new Map<string, Promise<unknown>>();

  function once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async function requireOrder(workspaceId: string, orderId: string): Promise<OrderTable> {
    const order = await findOrder(db, workspaceId, orderId);
    if (!order) {
      throw new AppError(
        'not_found',
        `Order ${orderId} does not exist. Start again from the order form.`,
      );
    }
    return order;
  }

  /** The funnel, read unless the caller has just read it (`known`). */
  async function funnelOf(workspaceId: string, funnelSlug: string, known?: FunnelView) {
    return known?.slug === funnelSlug ? known : catalog.showFunnel(workspaceId, funnelSlug);
  }

  async function requireStep(
    workspaceId: string,
    funnelSlug: string,
    stepSlug: string,
    known?: FunnelView,
  ) {
    const funnel = await funnelOf(workspaceId, funnelSlug, known);
    const step = funnel.steps.find((candidate) => candidate.slug === stepSlug);
    if (!step) {
      throw new AppError('not_found', `Funnel ${funnelSlug} has no step "${stepSlug}".`);
    }
    return { funnel, step };
  }

  async function credentialsOf(accountId: string, mode: 'test' | 'live', handle: string) {
    const secretKey = await accounts.secretKeyOf(accountId, mode);
    if (secretKey === null) {
      throw new AppError(
        'upstream_unavailable',
        `Account ${handle} has no ${mode} key any more; the payment on it cannot be read. Connect its keys again.`,
      );
    }
    return { secretKey };
  }

  function lineOf(product: ProductView, currency: string, bump = false): PaymentLine | null {
    const price = product.prices.find((candidate) => candidate.currency === currency);
    if (!price) return null;
    return {
      product: product.slug,
      name: product.name,
      amount: price.amount,
      currency,
      recurring:
        price.type === 'recurring' && price.interval
          ? { interval: price.interval, intervalCount: price.intervalCount ?? 1 }
          : null,
      price: describePrice(price),
      ...(bump ? { bump: true } : {}),
    };
  }

  /** The Stripe customer of this order's buyer on one account, made the first time it is needed. */
  async function stripeCustomerOn(target: AttemptTarget, order: OrderTable): Promise<string> {
    const key = { customerId: order.customer_id, accountId: target.accountId, mode: target.mode };
    const known = await findStripeCustomer(db, key);
    if (known) return known;
    // The key covers what is sent: after a crash before the row below, a retry with the same
    // details gets this customer back, and one with a corrected name makes another instead of
    // being refused by Stripe for reusing a key with other parameters.
    const details = createHash('sha256').update(JSON.stringify([order.email, order.name]));
    const created = await gateway.createCustomer({
      credentials: target.credentials,
      idempotencyKey: `${order.customer_id}:${target.accountId}:${target.mode}:customer:${details.digest('hex').slice(0, 16)}`,
      email: order.email,
      name: order.name,
      metadata: { switchyard_customer: order.customer_id },
    });
    // Remembered at once, whatever becomes of this payment, so the buyer's next order reuses it.
    await rememberStripeCustomer(db, {
      customer_id: order.customer_id,
      account_id: target.accountId,
      mode: target.mode,
      stripe_customer_id: created.id,
      created_at: clock().toISOString(),
    });
    return (await findStripeCustomer(db, key)) ?? created.id;
  }

  /** The Stripe price of a line on one account; products and prices are made once per account. */
  async function stripePriceOn(target: AttemptTarget, line: PaymentLine): Promise<string> {
    const scope = { accountId: target.accountId, mode: target.mode };
    const productKey = `product:${line.product}`;
    let productId = await findStripeCatalogObject(db, { ...scope, localId: productKey });
    if (!productId) {
      productId = (
        await gateway.createProduct({
          credentials: target.credentials,
          idempotencyKey: `${target.accountId}:${target.mode}:${productKey}`,
          name: line.name,
          metadata: { switchyard_product: line.product },
        })
      ).id;
      await rememberStripeCatalogObject(db, {
        account_id: target.accountId,
        mode: target.mode,
        local_id: productKey,
        stripe_id: productId,
        created_at: clock().toISOString(),
      });
    }
    // Stripe prices cannot change: new terms are a new price.
    const terms = line.recurring
      ? `${line.recurring.interval}:${line.recurring.intervalCount}`
      : 'once';
    const priceKey = `price:${line.product}:${line.currency}:${line.amount}:${terms}`;
    const known = await findStripeCatalogObject(db, { ...scope, localId: priceKey });
    if (known) return known;
    const price = await gateway.createPrice({
      credentials: target.credentials,
      idempotencyKey: `${target.accountId}:${target.mode}:${priceKey}`,
      product: productId,
      currency: line.currency,
      unitAmount: line.amount,
      recurring: line.recurring,
      metadata: { switchyard_product: line.product },
    });
    await rememberStripeCatalogObject(db, {
      account_id: target.accountId,
      mode: target.mode,
      local_id: priceKey,
      stripe_id: price.id,
      created_at: clock().toISOString(),
    });
    return price.id;
  }

  /**
   * A subscription on the attempt's account for a recurring line; its first invoice's
   * PaymentIntent is the payment's. Paid at once when a saved card is given, else by the card form.
   */
  async function subscribeOn(
    target: AttemptTarget,
    input: {
      order: OrderTable;
      paymentId: string;
      customer: string;
      line: PaymentLine;
      metadata: Record<string, string>;
      defaultPaymentMethod?: string;
    },
  ): Promise<PaymentIntentSummary> {
    const { order, paymentId } = input;
    const subscription = await gateway.createSubscription({
      credentials: target.credentials,
      idempotencyKey: `${target.idempotencyKey}:subscription`,
      customer: input.customer,
      price: await stripePriceOn(target, input.line),
      metadata: input.metadata,
      ...(input.defaultPaymentMethod ? { defaultPaymentMethod: input.defaultPaymentMethod } : {}),
    });
    const now = clock().toISOString();
    await insertSubscriptionIfNew(db, {
      stripe_subscription_id: subscription.id,
      workspace_id: order.workspace_id,
      account_id: target.accountId,
      order_id: order.order_id,
      payment_id: paymentId,
      status: subscription.status,
      created_at: now,
      updated_at: now,
    });
    await updatePayment(db, paymentId, { subscription_id: subscription.id });
    if (!subscription.paymentIntent) {
      throw new AppError(
        'internal',
        `Stripe made subscription ${subscription.id} without a first payment to take.`,
      );
    }
    return subscription.paymentIntent;
  }

  interface NewPayment {
    paymentId: string;
    kind: PaymentKind;
    stepSlug: string;
    currency: string;
    lines: PaymentLine[];
    /** The payment whose account and saved card this one continues. */
    parent: PaymentTable | null;
  }

  /** A payment as it is first written, before Stripe is asked. */
  function pendingPayment(order: OrderTable, input: NewPayment): PaymentTable {
    const now = clock().toISOString();
    return {
      payment_id: input.paymentId,
      workspace_id: order.workspace_id,
      order_id: order.order_id,
      kind: input.kind,
      step_slug: input.stepSlug,
      parent_payment_id: input.parent?.payment_id ?? null,
      account_id: null,
      account_handle: null,
      mode: order.mode,
      amount: input.lines.reduce((sum, line) => sum + line.amount, 0),
      currency: input.currency,
      lines: JSON.stringify(input.lines),
      status: 'pending',
      payment_intent_id: null,
      stripe_customer_id: input.parent?.stripe_customer_id ?? null,
      payment_method_id: input.parent?.payment_method_id ?? null,
      subscription_id: null,
      refunded_amount: 0,
      failure_message: null,
      decision: null,
      created_at: now,
      updated_at: now,
    };
  }

  /** Writes a payment before Stripe is asked (or finds the one a first click wrote). */
  async function writePayment(order: OrderTable, input: NewPayment): Promise<PaymentTable> {
    await insertPaymentIfNew(db, pendingPayment(order, input));
    const payment = await findPayment(db, order.workspace_id, input.paymentId);
    if (!payment) throw new Error(`payment ${input.paymentId} vanished after insert`);
    return payment;
  }

  /** The card form of a payment; `known` is its PaymentIntent when Stripe has just answered with it. */
  async function cardFormOf(
    payment: PaymentTable,
    known?: PaymentIntentSummary,
  ): Promise<CardForm> {
    if (!payment.account_id || !payment.account_handle || !payment.payment_intent_id) {
      throw new AppError(
        'conflict',
        `Payment ${payment.payment_id} is still being set up. Reload the page in a moment.`,
      );
    }
    const intent =
      known?.id === payment.payment_intent_id && known.clientSecret
        ? known
        : await gateway.retrievePaymentIntent({
            credentials: await credentialsOf(
              payment.account_id,
              payment.mode,
              payment.account_handle,
            ),
            id: payment.payment_intent_id,
          });
    // A buyer back on the page may have paid in a tab whose return never reached us.
    if (intent.status !== payment.status) await records.recordIntent(payment, intent);
    const publishableKey = await accounts.publishableKeyOf(payment.account_id, payment.mode);
    if (!publishableKey || !intent.clientSecret) {
      throw new AppError(
        'upstream_unavailable',
        `Account ${payment.account_handle} has no publishable key for ${payment.mode} mode; connect its keys again.`,
      );
    }
    return {
      paymentId: payment.payment_id,
      account: payment.account_handle,
      publishableKey,
      clientSecret: intent.clientSecret,
      paymentIntentId: intent.id,
      amount: intent.amount,
      currency: intent.currency,
      status: intent.status,
      // The buyer's words for Stripe's outcome; Stripe's own text stays on the failure record.
      error:
        intent.status === 'requires_payment_method' && intent.lastPaymentError
          ? cardProblemMessage(intent.lastPaymentError)
          : null,
    };
  }

  /**
   * Stores where a payment landed and its PaymentIntent's state; the executor calls it in the
   * transaction that marks the attempt succeeded.
   */
  function recordPlacement(payment: PaymentTable) {
    return async (executor: Kysely<Database>, created: PaymentCreated): Promise<void> => {
      const placed = {
        account_id: created.accountId,
        account_handle: created.account,
        decision: JSON.stringify(created.decision),
        updated_at: clock().toISOString(),
      };
      await updatePayment(executor, payment.payment_id, placed);
      await records.recordIntent({ ...payment, ...placed }, created.paymentIntent, executor);
    };
  }

  async function paymentAgain(payment: PaymentTable): Promise<PaymentTable> {
    return (await findPayment(db, payment.workspace_id, payment.payment_id)) ?? payment;
  }

  /**
   * Makes (or finds again) the PaymentIntent of a new payment on the routed account, for the card
   * form. The executor fails over on account errors; the card is entered afterwards.
   */
  async function openPayment(input: {
    order: OrderTable;
    paymentId: string;
    /** The payment as the caller has just read it, if it exists. */
    stored: PaymentTable | undefined;
    kind: PaymentKind;
    stepSlug: string;
    lines: PaymentLine[];
    context: PaymentContext;
    saveCard: boolean;
  }): Promise<{ payment: PaymentTable; intent?: PaymentIntentSummary }> {
    const { order, paymentId, lines, stored } = input;
    const currency = input.context.currency;
    if (stored?.payment_intent_id) return { payment: stored };
    // A new payment is written with its first attempt, in one commit, before Stripe is asked.
    const payment =
      stored ??
      pendingPayment(order, {
        paymentId,
        kind: input.kind,
        stepSlug: input.stepSlug,
        currency,
        lines,
        parent: null,
      });
    const storedLines = JSON.parse(payment.lines) as PaymentLine[];
    const recurring = storedLines.find((line) => line.recurring !== null);
    const created = await deps.payments.createPaymentWithFailover({
      workspaceId: order.workspace_id,
      paymentId,
      context: { ...input.context, amount: Number(payment.amount) },
      amount: Number(payment.amount),
      currency,
      confirms: false,
      recordAttempt: (executor) => insertPaymentIfNew(executor, payment),
      recordCreated: recordPlacement(payment),
      createOn: async (target) => {
        const customer = await stripeCustomerOn(target, order);
        const metadata = {
          ...target.metadata,
          switchyard_order: order.order_id,
          switchyard_funnel: order.funnel_slug,
          switchyard_step: input.stepSlug,
        };
        if (recurring) {
          return subscribeOn(target, {
            order,
            paymentId,
            customer,
            line: recurring,
            metadata,
          });
        }
        return gateway.createPaymentIntent({
          credentials: target.credentials,
          idempotencyKey: target.idempotencyKey,
          amount: Number(payment.amount),
          currency,
          customer,
          ...(input.saveCard ? { setupFutureUsage: 'off_session' as const } : {}),
          metadata,
          receiptEmail: order.email,
          description: storedLines.map((line) => line.name).join(' + '),
        });
      },
    });
    return { payment: await paymentAgain(payment), intent: created.paymentIntent };
  }

  /**
   * The order form's second step: picks the currency (asked for, or the buyer's country's),
   * routes, and makes or finds the PaymentIntent for the card form. The bump choice updates
   * the PaymentIntent's amount before the card is confirmed.
   */
  async function preparePayment(input: {
    workspaceId: string;
    orderId: string;
    funnelSlug: string;
    stepSlug: string;
    currency?: string | undefined;
    bump?: boolean | undefined;
    /** The funnel, when the caller has just read it. */
    funnel?: FunnelView | undefined;
  }): Promise<PreparedPayment> {
    const order = await requireOrder(input.workspaceId, input.orderId);
    const { funnel, step } = await requireStep(
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
    const paymentId = await openPaymentIdOf(order, step.slug, currency);

    return once(paymentId, async () => {
      let payment = await findPayment(db, order.workspace_id, paymentId);
      const chosen =
        input.bump ??
        (payment ? (JSON.parse(payment.lines) as PaymentLine[]).some((line) => line.bump) : false);
      const lines = bumpLine && chosen ? [mainLine, bumpLine] : [mainLine];
      let created: PaymentIntentSummary | undefined;
      if (!payment?.payment_intent_id) {
        const products = bumpProduct ? [main.slug, bumpProduct.slug] : [main.slug];
        ({ payment, intent: created } = await openPayment({
          order,
          paymentId,
          stored: payment,
          kind: 'initial',
          stepSlug: step.slug,
          lines,
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
            amount: lines.reduce((sum, line) => sum + line.amount, 0),
            health: {},
          },
        }));
      }
      const amount = lines.reduce((sum, line) => sum + line.amount, 0);
      // A bump ticked on an open form is one request to Stripe, the change itself: its answer is
      // the PaymentIntent (Stripe refuses it once the card is confirmed).
      const changing =
        created === undefined &&
        amount !== Number(payment.amount) &&
        intentStatusesThatTakeChanges.has(payment.status);
      let card = changing
        ? await changeAmount(payment, lines, amount)
        : await cardFormOf(payment, created);
      if (amount !== card.amount && intentStatusesThatTakeChanges.has(card.status)) {
        card = await changeAmount(payment, lines, amount);
      }
      const current =
        card.amount === payment.amount
          ? payment
          : ((await findPayment(db, order.workspace_id, paymentId)) ?? payment);
      await cancelOpenPayments(order, current);
      return {
        ...card,
        order,
        offer: main,
        bumpOffer: bumpLine ? bumpProduct : null,
        main: mainLine,
        bump: bumpLine,
        bumpChosen: (JSON.parse(current.lines) as PaymentLine[]).some((line) => line.bump),
        currencies: currencies.filter((candidate) => lineOf(main, candidate) !== null),
        decision: current.decision ? (JSON.parse(current.decision) as RoutingDecision) : null,
      };
    });
  }

  /**
   * The order step's payment in this currency: the open one, or a new id when there is none (a
   * payment canceled because the buyer switched currency is never reused).
   */
  async function openPaymentIdOf(
    order: OrderTable,
    stepSlug: string,
    currency: string,
  ): Promise<string> {
    const base = `${order.order_id}.${stepSlug}.${currency}`;
    const same = (await listPaymentsOfOrders(db, [order.order_id])).filter(
      (payment) =>
        payment.kind === 'initial' &&
        payment.step_slug === stepSlug &&
        payment.currency === currency,
    );
    const open = same.find((payment) => payment.status !== 'canceled');
    if (open) return open.payment_id;
    return same.length === 0 ? base : `${base}.${same.length + 1}`;
  }

  /**
   * Cancels the order's open PaymentIntents but `kept`: one in another currency the buyer switched
   * from (maybe on another account), or every one after the buyer changed their email (each was
   * made for the old Stripe customer). A second tab then cannot pay the same order twice.
   */
  async function cancelOpenPayments(order: OrderTable, kept: PaymentTable | null): Promise<void> {
    const others = (await listPaymentsOfOrders(db, [order.order_id])).filter(
      (payment) =>
        payment.payment_id !== kept?.payment_id &&
        payment.kind === 'initial' &&
        (kept === null || payment.step_slug === kept.step_slug) &&
        payment.payment_intent_id !== null &&
        intentStatusesThatTakeChanges.has(payment.status),
    );
    for (const other of others) {
      if (!other.account_id || !other.account_handle || !other.payment_intent_id) continue;
      try {
        const credentials = await credentialsOf(other.account_id, other.mode, other.account_handle);
        const canceled = await gateway.cancelPaymentIntent({
          credentials,
          id: other.payment_intent_id,
          idempotencyKey: `${other.payment_id}:cancel`,
        });
        await records.recordIntent(other, canceled);
      } catch (error) {
        // Stripe refuses to cancel a PaymentIntent that was paid meanwhile; its webhook says so.
        if (!(error instanceof StripeGatewayError)) throw error;
      }
    }
  }

  function laterStepsSellOffers(steps: StepView[], after: string): boolean {
    const index = steps.findIndex((step) => step.slug === after);
    return steps
      .slice(index + 1)
      .some((step) => step.kind === 'upsell' || step.kind === 'downsell');
  }

  return {
    /** Saves the visitor's contact and country: the customer, and a new order for this visit. */
    async startOrder(input: {
      workspaceId: string;
      funnelSlug: string;
      contact: ContactInput;
      /** The visit's order, when the visitor came back to change their contact. */
      orderId: string | null;
      /** The funnel, when the caller has just read it. */
      funnel?: FunnelView | undefined;
    }): Promise<OrderTable> {
      const { workspaceId, contact } = input;
      const funnel = await funnelOf(workspaceId, input.funnelSlug, input.funnel);
      const now = clock().toISOString();
      const existing = input.orderId ? await findOrder(db, workspaceId, input.orderId) : undefined;
      const continuing =
        existing && existing.funnel_slug === funnel.slug && existing.status === 'open'
          ? existing
          : undefined;
      // PaymentIntents made for another email belong to that email's Stripe customer.
      if (continuing && continuing.email !== contact.email) {
        await cancelOpenPayments(continuing, null);
      }
      // The customer and the order are committed together.
      return db.transaction().execute(async (trx) => {
        const customer = await saveCustomer(trx, {
          customer_id: newId('cus'),
          workspace_id: workspaceId,
          email: contact.email,
          name: contact.name,
          country: contact.country,
          created_at: now,
          updated_at: now,
        });
        const details = {
          customer_id: customer.customer_id,
          email: contact.email,
          name: contact.name,
          country: contact.country,
          updated_at: now,
        };
        if (continuing) {
          await updateOrder(trx, continuing.order_id, details);
          return { ...continuing, ...details };
        }
        const order: OrderTable = {
          order_id: newId('ord'),
          workspace_id: workspaceId,
          funnel_slug: funnel.slug,
          mode: funnel.mode,
          status: 'open',
          paid_amount: 0,
          refunded_amount: 0,
          currency: null,
          created_at: now,
          ...details,
        };
        await insertOrder(trx, order);
        return order;
      });
    },

    findOrder: (workspaceId: string, orderId: string) => findOrder(db, workspaceId, orderId),

    preparePayment,

    /** The return page: reads the PaymentIntent from its account and records what happened. */
    async completeReturn(input: {
      workspaceId: string;
      orderId: string;
      paymentIntentId: string;
    }): Promise<PaymentTable> {
      const payment = await findPaymentByIntent(db, input.paymentIntentId);
      if (
        !payment ||
        payment.order_id !== input.orderId ||
        payment.workspace_id !== input.workspaceId
      ) {
        throw new AppError(
          'not_found',
          'This payment does not belong to your order. Go back to the order form and pay there.',
        );
      }
      if (!payment.account_id || !payment.account_handle)
        throw new Error('a payment with a PaymentIntent has no account');
      const credentials = await credentialsOf(
        payment.account_id,
        payment.mode,
        payment.account_handle,
      );
      const intent = await gateway.retrievePaymentIntent({
        credentials,
        id: input.paymentIntentId,
      });
      await records.recordIntent(payment, intent);
      return (await findPayment(db, payment.workspace_id, payment.payment_id)) ?? payment;
    },

    /**
     * "Yes" on an upsell or downsell: charges the saved card off session on the parent payment's
     * account. Clicking twice charges once: the payment id is the order's and the step's.
     */
    async acceptOffer(input: {
      workspaceId: string;
      orderId: string;
      funnelSlug: string;
      stepSlug: string;
    }): Promise<OfferOutcome> {
      const order = await requireOrder(input.workspaceId, input.orderId);
      const { funnel, step } = await requireStep(
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
          const card = await cardFormOf(existing);
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
          const opened = await openPayment({
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
            card: await cardFormOf(opened.payment, opened.intent),
            notice: parent
              ? 'Your saved card cannot be charged for this offer right now. Enter your card to buy it.'
              : 'Enter your card to buy it.',
          };
        }
        const payment = await writePayment(order, {
          paymentId,
          kind: 'upsell',
          stepSlug: step.slug,
          currency,
          lines: [line],
          parent,
        });
        const customer = parent.stripe_customer_id ?? '';
        const method = parent.payment_method_id ?? '';
        try {
          await deps.payments.createPaymentWithFailover({
            workspaceId: order.workspace_id,
            paymentId,
            context,
            amount: line.amount,
            currency,
            // Charging the saved card is in the request: an unclear answer may have charged it.
            confirms: true,
            recordCreated: recordPlacement(payment),
            createOn: async (target) => {
              const metadata = {
                ...target.metadata,
                switchyard_order: order.order_id,
                switchyard_funnel: funnel.slug,
                switchyard_step: step.slug,
              };
              if (line.recurring) {
                return subscribeOn(target, {
                  order,
                  paymentId,
                  customer,
                  line,
                  metadata,
                  defaultPaymentMethod: method,
                });
              }
              return gateway.createPaymentIntent({
                credentials: target.credentials,
                idempotencyKey: target.idempotencyKey,
                amount: line.amount,
                currency,
                customer,
                paymentMethod: method,
                confirm: true,
                offSession: true,
                metadata,
                receiptEmail: order.email,
                description: line.name,
              });
            },
          });
          const recorded = await paymentAgain(payment);
          if (recorded.status === 'succeeded' || recorded.status === 'processing') {
            return { outcome: 'paid', payment: recorded };
          }
          const card = await cardFormOf(recorded);
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
            const card = await cardFormOf(stored);
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

    /**
     * Sets the order bump on the open PaymentIntent; answers the new amount. When the account
     * cannot change it now (the card is not entered yet), the payment stays as it was and the
     * answer says so in `notice`: the buyer can still pay, or tick again.
     */
    async chooseBump(input: {
      workspaceId: string;
      orderId: string;
      funnelSlug: string;
      stepSlug: string;
      currency: string;
      bump: boolean;
    }): Promise<BumpChoice> {
      const order = await requireOrder(input.workspaceId, input.orderId);
      const paymentId = await openPaymentIdOf(order, input.stepSlug, input.currency.toLowerCase());
      const payment = await findPayment(db, order.workspace_id, paymentId);
      if (!payment?.payment_intent_id) {
        throw new AppError('not_found', 'Open the payment step of the order form first.');
      }
      if (!intentStatusesThatTakeChanges.has(payment.status)) {
        throw new AppError(
          'conflict',
          'This payment is already being confirmed; the order can no longer change.',
        );
      }
      let prepared: PreparedPayment;
      try {
        prepared = await preparePayment({ ...input, currency: payment.currency });
      } catch (error) {
        const unknown =
          error instanceof AppError &&
          (error.details as { amountChanged?: string } | null)?.amountChanged === 'unknown';
        const failing = error instanceof StripeGatewayError && error.isAccountLevel;
        if (!unknown && !failing) throw error;
        const kept = await paymentAgain(payment);
        return {
          amount: Number(kept.amount),
          currency: kept.currency,
          bumpChosen: (JSON.parse(kept.lines) as PaymentLine[]).some((line) => line.bump),
          notice: bumpNotice(input.bump, unknown),
          reload: unknown,
        };
      }
      if (prepared.bump !== null && prepared.bumpChosen !== input.bump) {
        // Paid in another tab, or Pay was pressed meanwhile: Stripe holds the amount it took.
        throw new AppError(
          'conflict',
          'This payment is already being confirmed; the order can no longer change.',
        );
      }
      const { amount, currency, bumpChosen } = prepared;
      return { amount, currency, bumpChosen, notice: null, reload: false };
    },

    /** Payments of an order that went through, for the thank-you page. */
    async purchasesOf(workspaceId: string, orderId: string) {
      const order = await requireOrder(workspaceId, orderId);
      const payments = await listPaymentsOfOrders(db, [order.order_id]);
      return { order, payments };
    },
  };

  /**
   * Sets the PaymentIntent's amount, asking the account again after a 429, a reset or a 5xx (the
   * gateway does; the same change under one key is harmless to repeat). Throws the account's
   * failure when the amount stayed as it was, and `upstream_unavailable` with `amountChanged:
   * 'unknown'` when Stripe gave no clear answer and the PaymentIntent could not be read after it.
   */
  async function changeAmount(
    payment: PaymentTable,
    lines: PaymentLine[],
    amount: number,
  ): Promise<CardForm> {
    if (!payment.account_id || !payment.account_handle || !payment.payment_intent_id) {
      throw new Error('changeAmount needs a payment with its PaymentIntent');
    }
    const credentials = await credentialsOf(
      payment.account_id,
      payment.mode,
      payment.account_handle,
    );
    const id = payment.payment_intent_id;
    let intent: PaymentIntentSummary;
    try {
      intent = await gateway.updatePaymentIntent({
        credentials,
        id,
        amount,
        // One key per change: ticked, unticked and ticked again are three (the row moves on).
        idempotencyKey: `${payment.payment_id}:amount:${amount}:${Date.parse(payment.updated_at)}`,
      });
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
      // The buyer pressed Pay meanwhile: Stripe no longer lets the amount change.
      if (error.kind === 'invalid_request') {
        await recordWhatStripeHolds(payment, credentials, id);
        throw new AppError(
          'conflict',
          'This payment is already being confirmed; the order can no longer change.',
          { stripeCode: error.stripeCode },
        );
      }
      intent = await amountAfterNoAnswer(error, credentials, id, amount);
    }
    await updatePayment(db, payment.payment_id, {
      amount,
      lines: JSON.stringify(lines),
      updated_at: clock().toISOString(),
    });
    return cardFormOf(await paymentAgain(payment), intent);
  }

  /** A payment made in another tab is recorded now, not only when its webhook arrives. */
  async function recordWhatStripeHolds(
    payment: PaymentTable,
    credentials: { secretKey: string },
    id: string,
  ): Promise<void> {
    try {
      await records.recordIntent(payment, await gateway.retrievePaymentIntent({ credentials, id }));
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
    }
  }

  /**
   * A change that got no clear answer (a timeout, a reset, a 5xx) may have been made: the
   * PaymentIntent says. Made, it is the answer; not made, the failure stands.
   */
  async function amountAfterNoAnswer(
    failure: StripeGatewayError,
    credentials: { secretKey: string },
    id: string,
    amount: number,
  ): Promise<PaymentIntentSummary> {
    if (failure.kind !== 'connection' && failure.kind !== 'stripe_error') throw failure;
    let intent: PaymentIntentSummary;
    try {
      intent = await gateway.retrievePaymentIntent({ credentials, id });
    } catch (error) {
      if (!(error instanceof StripeGatewayError)) throw error;
      throw new AppError(
        'upstream_unavailable',
        `Stripe gave no clear answer to changing the amount of ${id} to ${amount}, nor to reading it after (${error.message}); the payment page reads it again and sets the amount its order shows.`,
        { amountChanged: 'unknown' },
        { cause: failure },
      );
    }
    if (intent.amount === amount) return intent;
    // A change that timed out may still be on its way at Stripe: the old amount proves nothing.
    if (failure.kind === 'connection' && failure.timedOut) {
      throw new AppError(
        'upstream_unavailable',
        `Changing the amount of ${id} to ${amount} timed out, and Stripe may still make the change; the payment page reads it again and sets the amount its order shows.`,
        { amountChanged: 'unknown' },
        { cause: failure },
      );
    }
    throw failure;
  }
}

/** What a bump ticked or unticked came to. */
export interface BumpChoice {
  amount: number;
  currency: string;
  bumpChosen: boolean;
  /** Why the order stayed as it was, in the buyer's words; null when the change was made. */
  notice: string | null;
  /** Whether the amount at Stripe is unknown until the page is read again (Pay should wait). */
  reload: boolean;
}

/** The buyer's words when the account could not change the amount; nothing was charged. */
function bumpNotice(wanted: boolean, unknown: boolean): string {
  const what = wanted ? 'added' : 'removed';
  return unknown
    ? `The add-on could not be ${what} just now. Please reload the page to see your total before you pay.`
    : `The add-on could not be ${what} just now. Your order is unchanged: try ${wanted ? 'ticking' : 'unticking'} it again, or pay for your order as it is.`;
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
