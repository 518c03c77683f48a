// `npm run test:faults -- --self-check`: shows the audit can see what it counts. After settling it
// makes a second succeeded charge at the emulator for a payment already paid (a doubled charge
// Switchyard did not make) and sets a paid order's totals back to open in the database (a stuck
// order), then expects the next audit to count both.
import Database from 'better-sqlite3';
import pg from 'pg';
import Stripe from 'stripe';

export async function plantMistakes({ audit, emulatorPort, accounts, databaseUrl }) {
  const paid = audit.raw.intents.filter(
    (intent) => intent.status === 'succeeded' && intent.payment && intent.handle === 'main',
  );
  const [charged, other] = [paid[0], paid.find((intent) => intent.order !== paid[0]?.order)];
  if (!charged || !other) throw new Error('the self-check needs two paid orders on main');
  const stripe = new Stripe(accounts.main.secretKey, {
    host: '127.0.0.1',
    port: emulatorPort,
    protocol: 'http',
  });
  await stripe.paymentIntents.create({
    amount: charged.amount,
    currency: charged.currency,
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    metadata: {
      switchyard_order: charged.order,
      switchyard_payment: charged.payment,
      switchyard_step: charged.step,
    },
  });
  await reopenOrder(databaseUrl, other.order);
  return { doubledPayment: charged.payment, stuckOrder: other.order };
}

async function reopenOrder(databaseUrl, orderId) {
  const statement = "UPDATE orders SET status = 'open', paid_amount = 0 WHERE order_id = ";
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    try {
      db.prepare(`${statement}?`).run(orderId);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`${statement}$1`, [orderId]);
  } finally {
    await client.end();
  }
}

export function caughtMistakes(audit, planted) {
  return {
    doubled: audit.doubled.some((group) => group.key === planted.doubledPayment),
    stuck: audit.stuck.some((order) => order.order === planted.stuckOrder),
  };
}
