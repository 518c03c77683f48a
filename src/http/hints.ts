import type { AppError } from '../errors.js';

/**
 * Services say what happened in the domain's words; the surface the user is in adds where to look
 * next (an API caller is pointed at a route, a CLI user at a command, never the other way round).
 * A service names the next step as `details.next`, or a missing thing by its `details` key.
 */
export type Surface = 'api' | 'cli' | 'console';

/** A surface with no hint of its own shows the message alone. */
type Hint = Partial<Record<Surface, string>>;
type Details = Record<string, unknown>;

/** What to look at when something named in `details` does not exist. */
const notFoundHints: Record<string, Hint> = {
  funnel: {
    api: 'GET /api/funnels lists them.',
    cli: 'Run "switchyard funnels list" to see them.',
  },
  product: {
    api: 'GET /api/products lists them.',
    cli: 'Run "switchyard products list" to see them.',
  },
  order: {
    api: 'GET /api/orders lists them.',
    cli: 'Run "switchyard orders list" to see them.',
    console: 'Orders lists them.',
  },
  payment: {
    api: "GET /api/orders/{id} lists an order's payments.",
    cli: 'Run "switchyard orders show <order id>" to see an order\'s payments.',
  },
  handle: {
    api: 'GET /api/accounts lists the handles.',
    cli: 'Run "switchyard accounts list" to see the handles.',
    console: 'Payment gateways lists them.',
  },
  version: {
    api: 'GET /api/routing/versions lists them.',
    cli: 'Run "switchyard config history" to see them.',
    console: 'Routing lists the versions.',
  },
  unrecordedPayment: {
    api: 'GET /api/unrecorded-payments lists them.',
    cli: 'Run "switchyard unrecorded list" to see them.',
  },
  // Tokens are made and revoked from the command line only.
  token: { cli: 'Run "switchyard tokens list" to see them.' },
};

const createToken = 'Create a token with "switchyard tokens create --name <who>".';

/** The steps a service can name as `details.next`. */
const nextSteps: Record<string, (details: Details) => Hint> = {
  'accounts.list': () => ({
    api: 'Check GET /api/accounts and try again.',
    cli: 'Check "switchyard accounts list" and try again.',
    console: 'Check Payment gateways and try again.',
  }),
  'accounts.primary': () => ({
    api: 'Make another account primary first (POST /api/accounts/{handle}/primary), then remove it.',
    cli: 'Make another account primary first ("switchyard accounts primary <handle>"), then remove it.',
    console:
      'Make another account primary first (Make primary, under Payment gateways), then remove it.',
  }),
  'accounts.keys': (details) => ({
    api: `Connect the new key with POST /api/accounts/${String(details.handle ?? '{handle}')}/keys.`,
    cli: `Connect the new key with "switchyard accounts keys ${String(details.handle ?? '<handle>')}".`,
    console: `Connect the new key with Replace keys on the page of ${String(details.handle ?? 'the account')}, under Payment gateways.`,
  }),
  'routing.history': () => ({
    api: 'Look at it (GET /api/routing/versions) and apply again.',
    cli: 'Look at it ("switchyard config history") and apply again.',
    console: 'Reload Routing to see the newer version, then make your change again.',
  }),
  'funnels.change': (details) => ({
    api: `Change it with PUT or PATCH /api/funnels/${String(details.funnel)}.`,
    cli: 'Importing its file again with "switchyard funnels import" changes it.',
  }),
  // Sent again, an unsure refund is looked for at Stripe by its id before it is sent.
  'refunds.resend': (details) => ({
    api: `To settle it, POST /api/payments/${String(details.payment)}/refunds again with {"refund": "${String(details.refund)}"}: Switchyard finds it at Stripe by its id and records it, or sends it if Stripe never made it, never a second time.`,
    cli: `To settle it, run "switchyard payments refund ${String(details.payment)} --refund ${String(details.refund)}" again: Switchyard finds it at Stripe by its id and records it, or sends it if Stripe never made it, never a second time.`,

    console:
      'To settle it, press Send the refund again on the order: Switchyard finds it at Stripe by its id and records it, or sends it if Stripe never made it, never a second time.',
  }),
  // Tokens are made on the command line, for the API too.
  'tokens.create': () => ({ api: createToken, cli: createToken }),
  migrate: () => ({ cli: 'Run "switchyard migrate" again.' }),
  // The demo's emulator lives inside the server's process; commands in another terminal need it.
  'demo.start': () => ({
    cli: 'Start the demo with "npm start" in the project folder (the same DATA_DIR), leave it running, and run this command again in another terminal.',
  }),
  'products.change': (details) => ({
    api: `Change it with PATCH /api/products/${String(details.product)}.`,
    cli: 'Importing a funnel file that holds it with "switchyard funnels import" changes it.',
  }),
  'alerts.set': () => ({
    api: 'Set one with PUT /api/alerts: {"slackWebhookUrl"}, or {"smtpUrl", "emailFrom", "emailTo"}.',
    cli: 'Set one with "switchyard alerts set --stdin < alerts.json", the file holding {"slackWebhookUrl"}, or {"smtpUrl", "emailFrom", "emailTo"}; or set ALERT_SLACK_WEBHOOK_URL, or ALERT_SMTP_URL, ALERT_EMAIL_FROM and ALERT_EMAIL_TO.',

    console: 'Set one under Alerts: a Slack webhook URL, or email (SMTP) settings.',
  }),
};

/** The error's message with the hint for this surface, when there is one. */
export function messageFor(error: AppError, surface: Surface): string {
  const hint = hintFor(error, surface);
  return hint ? `${error.message} ${hint}` : error.message;
}

function hintFor(error: AppError, surface: Surface): string | null {
  if (typeof error.details !== 'object' || error.details === null) return null;
  const details = error.details as Details;
  const next = typeof details.next === 'string' ? nextSteps[details.next] : undefined;
  if (next) return next(details)[surface] ?? null;
  if (error.code !== 'not_found') return null;
  const named = Object.keys(details).find((key) => key in notFoundHints);
  return named ? (notFoundHints[named]?.[surface] ?? null) : null;
}
