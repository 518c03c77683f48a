import type { Kysely, Updateable } from 'kysely';
import { prepareInsert, prepareQuery } from '../db/prepared-query.js';
import type { Database, OrderStatus, OrderTable } from '../db/schema.js';
import type { Mode } from '../routing/index.js';

/**
 * Customers, their orders, and the Stripe objects made for them on each account: one query per
 * function, rows mapped here.
 */

/** A buyer of the workspace, known by email. */
export interface Customer {
  customerId: string;
  workspaceId: string;
  /** Lower case; one customer per email in a workspace. */
  email: string;
  name: string;
  country: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A visit's order: the buyer's contact and country, and what its payments came to. */
export interface Order {
  orderId: string;
  workspaceId: string;
  funnelSlug: string;
  mode: Mode;
  customerId: string;
  email: string;
  name: string;
  /** ISO alpha-2, upper case: known before the card form, so routing rules on country work. */
  country: string;
  /** Derived from the payments: never stored ahead of them. */
  status: OrderStatus;
  paidAmount: number;
  refundedAmount: number;
  /** The currency of the first payment; null until one is made. */
  currency: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a change of an order may set: its buyer's contact, or its totals. */
export type OrderChanges = Partial<
  Omit<Order, 'orderId' | 'workspaceId' | 'funnelSlug' | 'mode' | 'createdAt'>
>;

/** Where a Stripe object of ours lives: one account, one mode. */
interface OnAccount {
  accountId: string;
  mode: Mode;
}

function orderOf(row: OrderTable): Order {
  return {
    orderId: row.order_id,
    workspaceId: row.workspace_id,
    funnelSlug: row.funnel_slug,
    mode: row.mode,
    customerId: row.customer_id,
    email: row.email,
    name: row.name,
    country: row.country,
    status: row.status,
    paidAmount: Number(row.paid_amount),
    refundedAmount: Number(row.refunded_amount),
    currency: row.currency,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The workspace's customer with this email, made or brought up to date (name kept when none is
 * given): one statement, so two first visits with one email make one customer. Answers its id.
 */
export async function saveCustomer(db: Kysely<Database>, customer: Customer): Promise<string> {
  const upsert = customer.name === '' ? saveCustomerKeepingName : saveCustomerRow;
  const { rows } = await upsert.execute(db, {
    customer_id: customer.customerId,
    workspace_id: customer.workspaceId,
    email: customer.email,
    name: customer.name,
    country: customer.country,
    created_at: customer.createdAt,
    updated_at: customer.updatedAt,
  });
  const saved = rows[0];
  if (!saved) throw new Error(`saving customer ${customer.email} answered no row`);
  return saved.customer_id;
}

/** The upsert of a customer by email; `keepName`: an empty name leaves the stored one. */
function customerUpsert(keepName: boolean) {
  return prepareInsert('customers', (insert) =>
    insert
      .onConflict((conflict) =>
        conflict.columns(['workspace_id', 'email']).doUpdateSet((update) => ({
          name: keepName ? update.ref('customers.name') : update.ref('excluded.name'),
          country: update.ref('excluded.country'),
          updated_at: update.ref('excluded.updated_at'),
        })),
      )
      .returning('customer_id'),
  );
}

const saveCustomerRow = customerUpsert(false);
const saveCustomerKeepingName = customerUpsert(true);

const findStripeCustomerRow = prepareQuery<
  OnAccount & { customerId: string },
  { stripe_customer_id: string }
>((db, slot) =>
  db
    .selectFrom('customer_accounts')
    .select('stripe_customer_id')
    .where('customer_id', '=', slot('customerId'))
    .where('account_id', '=', slot('accountId'))
    .where('mode', '=', slot('mode')),
);

export async function findStripeCustomer(
  db: Kysely<Database>,
  key: OnAccount & { customerId: string },
): Promise<string | undefined> {
  const { rows } = await findStripeCustomerRow.execute(db, key);
  return rows[0]?.stripe_customer_id;
}

const listStripeCustomerRows = prepareQuery<
  { customerId: string; mode: Mode },
  { account_id: string; stripe_customer_id: string }
>((db, slot) =>
  db
    .selectFrom('customer_accounts')
    .select(['account_id', 'stripe_customer_id'])
    .where('customer_id', '=', slot('customerId'))
    .where('mode', '=', slot('mode'))
    .orderBy('created_at')
    .orderBy('account_id'),
);

/** The customer's Stripe customers in the mode, one per account, oldest first. */
export async function listStripeCustomers(
  db: Kysely<Database>,
  customerId: string,
  mode: Mode,
): Promise<Array<{ accountId: string; stripeCustomerId: string }>> {
  const { rows } = await listStripeCustomerRows.execute(db, { customerId, mode });
  return rows.map((row) => ({
    accountId: row.account_id,
    stripeCustomerId: row.stripe_customer_id,
  }));
}

/** Remembers a Stripe customer; a second writer (a concurrent checkout) keeps the first one. */
export async function rememberStripeCustomer(
  db: Kysely<Database>,
  known: OnAccount & { customerId: string; stripeCustomerId: string; createdAt: string },
): Promise<void> {
  await rememberStripeCustomerRow.execute(db, {
    customer_id: known.customerId,
    account_id: known.accountId,
    mode: known.mode,
    stripe_customer_id: known.stripeCustomerId,
    created_at: known.createdAt,
  });
}

const rememberStripeCustomerRow = prepareInsert('customer_accounts', (insert) =>
  insert.onConflict((conflict) =>
    conflict.columns(['customer_id', 'account_id', 'mode']).doNothing(),
  ),
);

/** The Stripe id of one of our products or prices (`localId`) on an account. */
export async function findStripeCatalogObject(
  db: Kysely<Database>,
  key: OnAccount & { localId: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('stripe_catalog_objects')
    .select('stripe_id')
    .where('account_id', '=', key.accountId)
    .where('mode', '=', key.mode)
    .where('local_id', '=', key.localId)
    .executeTakeFirst();
  return row?.stripe_id;
}

export async function rememberStripeCatalogObject(
  db: Kysely<Database>,
  known: OnAccount & { localId: string; stripeId: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('stripe_catalog_objects')
    .values({
      account_id: known.accountId,
      mode: known.mode,
      local_id: known.localId,
      stripe_id: known.stripeId,
      created_at: known.createdAt,
    })
    .onConflict((conflict) => conflict.columns(['account_id', 'mode', 'local_id']).doNothing())
    .execute();
}

const insertOrderRow = prepareInsert('orders', (insert) => insert);

export async function insertOrder(db: Kysely<Database>, order: Order): Promise<void> {
  await insertOrderRow.execute(db, {
    order_id: order.orderId,
    workspace_id: order.workspaceId,
    funnel_slug: order.funnelSlug,
    mode: order.mode,
    customer_id: order.customerId,
    email: order.email,
    name: order.name,
    country: order.country,
    status: order.status,
    paid_amount: order.paidAmount,
    refunded_amount: order.refundedAmount,
    currency: order.currency,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
  });
}

export async function findOrder(
  db: Kysely<Database>,
  workspaceId: string,
  orderId: string,
): Promise<Order | undefined> {
  const row = await db
    .selectFrom('orders')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  return row && orderOf(row);
}

/**
 * The order and the setup revision, in one read: a page that starts from the visit's order takes
 * the setup (funnel, offers, routing, keys) as of that revision (db/setup-revision.ts).
 */
const findOrderWithRevision = prepareQuery<
  { workspaceId: string; orderId: string },
  OrderTable & { setup_revision: number | null }
>((db, slot) =>
  db
    .selectFrom('orders')
    .selectAll()
    .select((query) => query.selectFrom('setup_revision').select('revision').as('setup_revision'))
    .where('workspace_id', '=', slot('workspaceId'))
    .where('order_id', '=', slot('orderId')),
);

export async function findOrderWithSetupRevision(
  db: Kysely<Database>,
  workspaceId: string,
  orderId: string,
): Promise<{ order: Order; setupRevision: number } | undefined> {
  const [row] = (await findOrderWithRevision.execute(db, { workspaceId, orderId })).rows;
  if (!row) return undefined;
  if (row.setup_revision === null) throw new Error('setup_revision has no row: run the migrations');
  return { order: orderOf(row), setupRevision: row.setup_revision };
}

export async function updateOrder(
  db: Kysely<Database>,
  orderId: string,
  changes: OrderChanges,
): Promise<void> {
  // Kysely leaves out what is undefined: only the changes given are written.
  const row: Updateable<OrderTable> = {
    customer_id: changes.customerId,
    email: changes.email,
    name: changes.name,
    country: changes.country,
    status: changes.status,
    paid_amount: changes.paidAmount,
    refunded_amount: changes.refundedAmount,
    currency: changes.currency,
    updated_at: changes.updatedAt,
  };
  await db.updateTable('orders').set(row).where('order_id', '=', orderId).execute();
}

export interface OrderFilters {
  account?: string | undefined;
  status?: string | undefined;
  funnel?: string | undefined;
  /** The buyer's email, in any case (emails are kept lower case). */
  email?: string | undefined;
  /** ISO times: created at or after `from`, before `to`. */
  from?: string | undefined;
  to?: string | undefined;
  /** Newest first: orders strictly older than this (created_at, order_id). */
  before?: { createdAt: string; orderId: string } | undefined;
  limit: number;
}

export async function listOrders(
  db: Kysely<Database>,
  workspaceId: string,
  filters: OrderFilters,
): Promise<Order[]> {
  let query = db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId);
  if (filters.status) query = query.where('status', '=', filters.status as OrderTable['status']);
  if (filters.funnel) query = query.where('funnel_slug', '=', filters.funnel);
  if (filters.email) query = query.where('email', '=', filters.email.trim().toLowerCase());
  if (filters.from) query = query.where('created_at', '>=', filters.from);
  if (filters.to) query = query.where('created_at', '<', filters.to);
  if (filters.account) {
    const handle = filters.account;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('payments')
          .select('payment_id')
          .whereRef('payments.order_id', '=', 'orders.order_id')
          .where('payments.account_handle', '=', handle),
      ),
    );
  }
  const before = filters.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('order_id', '<', before.orderId)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('order_id', 'desc')
    .limit(filters.limit)
    .execute();
  return rows.map(orderOf);
}

/**
 * Orders whose totals miss (or overcount) their succeeded payments: what a crash between a
 * payment's success and its order's totals left before both shared a transaction.
 */
export async function listMiscountedOrders(
  db: Kysely<Database>,
  workspaceId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('orders')
    .innerJoin('payments', 'payments.order_id', 'orders.order_id')
    .select('orders.order_id')
    .where('orders.workspace_id', '=', workspaceId)
    .where('payments.status', '=', 'succeeded')
    .where((eb) =>
      eb.or([
        eb('orders.currency', 'is', null),
        eb('payments.currency', '=', eb.ref('orders.currency')),
      ]),
    )
    .groupBy(['orders.order_id', 'orders.paid_amount', 'orders.refunded_amount'])
    .having((eb) =>
      eb.or([
        eb(eb.fn.sum('payments.amount'), '<>', eb.ref('orders.paid_amount')),
        eb(eb.fn.sum('payments.refunded_amount'), '<>', eb.ref('orders.refunded_amount')),
      ]),
    )
    .orderBy('orders.order_id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.order_id);
}
