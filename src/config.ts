import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from './errors.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables whose values must never be echoed back, not even in a config error. */
const secretVariables = new Set([
  'SWITCHYARD_MASTER_KEY',
  'STRIPE_CONNECT_SECRET_KEY',
  'ALERT_SLACK_WEBHOOK_URL',
  'ALERT_SMTP_URL',
  'SMTP_URL',
  'METRICS_TOKEN',
]);

function port(what: string) {
  return z
    .string()
    .regex(/^\d+$/, `needs ${what}`)
    .transform(Number)
    .refine((value) => value <= 65535, `needs ${what}`);
}

function httpUrl(what: string) {
  return z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: `needs ${what}`,
    });
}

function wholeNumber(what: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `needs ${what}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `needs ${what}`);
}

const environmentSchema = z.object({
  PORT: port('a whole number from 0 to 65535').default(3000),
  HOST: z.string().min(1, 'needs a host name or IP address to listen on').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(
      /^(sqlite:.+|postgres(ql)?:\/\/.+)$/,
      'needs sqlite:<file path> (e.g. sqlite:./data/switchyard.db) or postgres://user@host:port/database',
    )
    .default('sqlite:./data/switchyard.db'),
  DATA_DIR: z.string().min(1, 'needs a folder path').default('./data'),
  PUBLIC_URL: httpUrl('an http(s) URL such as https://pay.example.com')
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  TRUST_PROXY: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()))
    .refine((entries) => entries.every(isProxyAddress), {
      message:
        'needs the addresses of the proxies in front of this server, separated by commas: IPs, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal',
    })
    .optional(),
  LOG_LEVEL: z.enum(logLevels, { message: `needs one of ${logLevels.join(', ')}` }).default('info'),
  SWITCHYARD_MASTER_KEY: z
    .string()
    .refine((value) => masterKeyBytes(value) !== null, {
      message: 'needs 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)',
    })
    .optional(),
  STRIPE_API_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'needs a host name without scheme or port, e.g. 127.0.0.1')
    .optional(),
  STRIPE_API_PORT: port('a whole number from 1 to 65535').optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https'], { message: 'needs http or https' }).optional(),
  STRIPE_JS_URL: httpUrl('an http(s) URL of Stripe.js').default('https://js.stripe.com/v3/'),
  STRIPE_CHECKOUT_TIMEOUT_MS: wholeNumber(
    'a whole number of milliseconds from 100 to 60000',
    100,
    60_000,
  ).default(4_000),
  STRIPE_CONNECT_CLIENT_ID: z
    .string()
    .regex(/^ca_[A-Za-z0-9]+$/, 'needs the Connect platform client id (ca_…) from Stripe settings')
    .optional(),
  STRIPE_CONNECT_SECRET_KEY: z
    .string()
    .regex(/^sk_(test|live)_[A-Za-z0-9]+$/, "needs the platform account's secret key (sk_…)")
    .optional(),
  STRIPE_CONNECT_AUTHORIZE_URL: httpUrl('an http(s) URL of the OAuth authorize page').default(
    'https://connect.stripe.com/oauth/authorize',
  ),
  BREAKER_CONSECUTIVE_FAILURES: wholeNumber(
    'a whole number of failures from 1 to 1000',
    1,
    1000,
  ).default(5),
  BREAKER_WINDOW_SIZE: wholeNumber('a whole number of attempts from 1 to 1000', 1, 1000).default(
    20,
  ),
  BREAKER_FAILURE_RATE: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'needs a fraction above 0 and at most 1, e.g. 0.5 for 50%')
    .transform(Number)
    .refine((rate) => rate > 0, 'needs a fraction above 0 and at most 1, e.g. 0.5 for 50%')
    .default(0.5),
  BREAKER_COOLDOWN_SECONDS: wholeNumber(
    'a whole number of seconds from 1 to 86400',
    1,
    86_400,
  ).default(30),
  CHECKOUT_LIMIT_PER_IP: wholeNumber(
    'a whole number of checkout requests per minute from 1 to 1000000',
    1,
    1_000_000,
  ).default(60),
  CHECKOUT_LIMIT_PER_EMAIL: wholeNumber(
    'a whole number of checkout requests per minute from 1 to 1000000',
    1,
    1_000_000,
  ).default(10),
  RECONCILE_INTERVAL_SECONDS: wholeNumber(
    'a whole number of seconds from 1 to 3600',
    1,
    3_600,
  ).default(60),
  RECONCILE_GRACE_SECONDS: wholeNumber(
    'a whole number of seconds from 0 to 86400',
    0,
    86_400,
  ).default(120),
  SWITCHYARD_DEMO: z
    .enum(['auto', 'on', 'off'], { message: 'needs auto, on or off' })
    .default('auto'),
  // The console (issue 15): how long a signed-in session lasts.
  SESSION_IDLE_MINUTES: wholeNumber('a whole number of minutes from 1 to 43200', 1, 43_200).default(
    720,
  ),
  SESSION_MAX_HOURS: wholeNumber('a whole number of hours from 1 to 8760', 1, 8_760).default(336),
  // Operations (issue 14): doctor, jobs, alerts.
  DOCTOR_TIMEOUT_MS: wholeNumber(
    'a whole number of milliseconds from 100 to 120000',
    100,
    120_000,
  ).default(10_000),
  KEY_ROTATION_DAYS: wholeNumber('a whole number of days from 1 to 3650', 1, 3_650).default(90),
  QUIET_ACCOUNT_HOURS: wholeNumber('a whole number of hours from 1 to 8760', 1, 8_760).default(24),
  ABANDONED_AFTER_MINUTES: wholeNumber(
    'a whole number of minutes from 1 to 43200',
    1,
    43_200,
  ).default(30),
  FUNNEL_STATS: z.enum(['on', 'off'], { message: 'needs on or off' }).default('on'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'needs smtp://user:password@host:port or smtps://…')
    .optional(),
  EMAIL_FROM: z.string().email('needs an email address').optional(),
  JOBS: z.enum(['on', 'off'], { message: 'needs on or off' }).default('on'),
  JOB_VERIFY_MINUTES: wholeNumber('a whole number of minutes from 1 to 10080', 1, 10_080).default(
    15,
  ),
  JOB_TEST_PAYMENT_MINUTES: wholeNumber(
    'a whole number of minutes from 1 to 10080',
    1,
    10_080,
  ).default(1_440),
  JOB_UNRECORDED_MINUTES: wholeNumber(
    'a whole number of minutes from 1 to 10080',
    1,
    10_080,
  ).default(60),
  JOB_WEBHOOK_WATCHDOG_MINUTES: wholeNumber(
    'a whole number of minutes from 1 to 10080',
    1,
    10_080,
  ).default(15),
  JOB_KEY_AGE_MINUTES: wholeNumber('a whole number of minutes from 1 to 10080', 1, 10_080).default(
    1_440,
  ),
  JOB_ALERTS_MINUTES: wholeNumber('a whole number of minutes from 1 to 10080', 1, 10_080).default(
    5,
  ),
  ALERT_SLACK_WEBHOOK_URL: httpUrl(
    'an http(s) URL of a Slack-compatible incoming webhook',
  ).optional(),
  ALERT_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'needs smtp://user:password@host:port or smtps://…')
    .optional(),
  ALERT_EMAIL_FROM: z.string().email('needs an email address').optional(),
  ALERT_EMAIL_TO: z
    .string()
    .refine(
      (value) => value.split(',').every((one) => z.string().email().safeParse(one.trim()).success),
      'needs one email address, or several separated by commas',
    )
    .optional(),
  ALERT_WARNINGS: z.enum(['on', 'off'], { message: 'needs on or off' }).default('off'),
  ALERT_DIGEST: z.enum(['on', 'off'], { message: 'needs on or off' }).default('off'),
  // Observability (issue 18): /metrics behind a token on PORT, or open on a port of its own.
  METRICS_TOKEN: z
    .string()
    .regex(
      /^[\x21-\x7e]{16,}$/,
      'needs at least 16 printable characters without spaces (openssl rand -hex 32)',
    )
    .optional(),
  METRICS_PORT: port('a whole number from 1 to 65535, other than PORT')
    .refine((value) => value > 0, 'needs a whole number from 1 to 65535, other than PORT')
    .optional(),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly logLevel: (typeof logLevels)[number];
  /**
   * TRUST_PROXY: the proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (the
   * client's IP for rate limits, https for HSTS); empty: the connection's own address and scheme.
   */
  readonly trustedProxies: readonly string[];
  /** 32-byte key for secrets at rest; null means "use or create data/master.key". */
  readonly masterKey: Buffer | null;
  /** Where the Stripe SDK sends requests; null means Stripe itself. */
  readonly stripeApi: Readonly<{ host: string; port: number; protocol: 'http' | 'https' }> | null;
  readonly stripeJsUrl: string;
  /** How long a buyer waits on one Stripe call (a customer, a PaymentIntent) before failover. */
  readonly stripeCheckoutTimeoutMs: number;
  /** When an account's circuit breaker opens, and how long it stays open before one trial. */
  readonly breaker: Readonly<{
    consecutiveFailures: number;
    windowSize: number;
    /** Opens when more than this fraction of the last `windowSize` attempts failed. */
    failureRate: number;
    cooldownSeconds: number;
  }>;
  /** Card-testing brakes: checkout form posts per minute per visitor IP, and per email. */
  readonly checkoutLimits: Readonly<{ perIp: number; perEmail: number }>;
  /**
   * How often reconciliation and the read of Stripe's events lists run, and how long a payment
   * stays unchanged before reconciliation asks Stripe about it.
   */
  readonly reconciliation: Readonly<{ intervalSeconds: number; graceSeconds: number }>;
  /** `auto`: the demo (emulator, two accounts, a funnel) runs when no Stripe is configured. */
  readonly demo: 'auto' | 'on' | 'off';
  /** How long doctor's checks that call Stripe may take for one account and mode. */
  readonly doctorTimeoutMs: number;
  /** Console sessions: ended after this long unused, and this long after sign-in whatever. */
  readonly sessions: Readonly<{ idleMinutes: number; maxHours: number }>;
  /** Cookies get `Secure` when the public URL is https. */
  readonly secureCookies: boolean;
  /** `key_age` warns when a key is older than this. */
  readonly keyRotationDays: number;
  /** `no_recent_payment` warns when a routed-to account took nothing for this long. */
  readonly quietAccountHours: number;
  /** An order with contact details and no payment this long after it began is abandoned. */
  readonly abandonedAfterMinutes: number;
  /**
   * Where mail to buyers (the recovery email) goes out: SMTP_URL and EMAIL_FROM, or the alerts'
   * mail server and sender; null when neither is set, and no buyer is written to.
   */
  /** FUNNEL_STATS: whether page views and contact submissions are counted for the stats. */
  readonly funnelStats: boolean;
  readonly buyerMail: Readonly<{ smtpUrl: string; from: string }> | null;
  /** The job runner: off in this instance when `JOBS=off`; each job's interval in minutes. */
  readonly jobs: Readonly<{
    enabled: boolean;
    verifyMinutes: number;
    testPaymentMinutes: number;
    unrecordedMinutes: number;
    webhookWatchdogMinutes: number;
    keyAgeMinutes: number;
    alertsMinutes: number;
  }>;
  /** Alert channels set in the environment (the API and CLI can set them too). */
  readonly alerts: Readonly<{
    slackWebhookUrl: string | null;
    smtpUrl: string | null;
    emailFrom: string | null;
    emailTo: string[];
    /** Send warnings too, not only failures. */
    warnings: boolean;
    digest: boolean;
  }>;
  /**
   * /metrics: with `token`, on PORT to callers sending it as a bearer token; with `port`, on a
   * listener of its own (same host) without one. Neither: not served.
   */
  readonly metrics: Readonly<{ token: string | null; port: number | null }>;
  /** "Connect with Stripe" (OAuth), when a Connect platform is configured. */
  readonly stripeConnect: Readonly<{
    clientId: string;
    secretKey: string;
    authorizeUrl: string;
  }> | null;
}

export function masterKeyBytes(value: string): Buffer | null {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes.length === 32) return bytes;
  }
  return null;
}

function describeValue(variable: string, value: unknown): string {
  if (value === undefined) return 'nothing';
  if (secretVariables.has(variable)) return `a value of ${String(value).length} characters`;
  return JSON.stringify(value);
}

/**
 * Reads the environment once. A bad value throws `config_invalid` whose message has one line per
 * bad variable: its name, what it got and what it needs.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return `${variable}: got ${describeValue(variable, present[variable])}, ${issue.message}.`;
    });
    throw new AppError('config_invalid', lines.join('\n'), {
      variables: parsed.error.issues.map((issue) => String(issue.path[0])),
    });
  }
  const values = parsed.data;
  const stripeApi = stripeApiOf(values);
  return Object.freeze({
    port: values.PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    dataDir: values.DATA_DIR,
    publicUrl: values.PUBLIC_URL ?? `http://${hostForUrl(values.HOST)}:${values.PORT}`,
    logLevel: values.LOG_LEVEL,
    trustedProxies: Object.freeze(values.TRUST_PROXY ?? []),
    masterKey: values.SWITCHYARD_MASTER_KEY ? masterKeyBytes(values.SWITCHYARD_MASTER_KEY) : null,
    stripeApi: stripeApi ? Object.freeze(stripeApi) : null,
    stripeJsUrl: values.STRIPE_JS_URL,
    stripeCheckoutTimeoutMs: values.STRIPE_CHECKOUT_TIMEOUT_MS,
    breaker: Object.freeze({
      consecutiveFailures: values.BREAKER_CONSECUTIVE_FAILURES,
      windowSize: values.BREAKER_WINDOW_SIZE,
      failureRate: values.BREAKER_FAILURE_RATE,
      cooldownSeconds: values.BREAKER_COOLDOWN_SECONDS,
    }),
    stripeConnect: stripeConnectOf(values),
    checkoutLimits: Object.freeze({
      perIp: values.CHECKOUT_LIMIT_PER_IP,
      perEmail: values.CHECKOUT_LIMIT_PER_EMAIL,
    }),
    reconciliation: Object.freeze({
      intervalSeconds: values.RECONCILE_INTERVAL_SECONDS,
      graceSeconds: values.RECONCILE_GRACE_SECONDS,
    }),
    demo: values.SWITCHYARD_DEMO,
    doctorTimeoutMs: values.DOCTOR_TIMEOUT_MS,
    sessions: Object.freeze({
      idleMinutes: values.SESSION_IDLE_MINUTES,
      maxHours: values.SESSION_MAX_HOURS,
    }),
    secureCookies: (values.PUBLIC_URL ?? '').startsWith('https://'),
    keyRotationDays: values.KEY_ROTATION_DAYS,
    quietAccountHours: values.QUIET_ACCOUNT_HOURS,
    abandonedAfterMinutes: values.ABANDONED_AFTER_MINUTES,
    buyerMail: buyerMailOf(values),
    funnelStats: values.FUNNEL_STATS === 'on',
    jobs: Object.freeze({
      enabled: values.JOBS === 'on',
      verifyMinutes: values.JOB_VERIFY_MINUTES,
      testPaymentMinutes: values.JOB_TEST_PAYMENT_MINUTES,
      unrecordedMinutes: values.JOB_UNRECORDED_MINUTES,
      webhookWatchdogMinutes: values.JOB_WEBHOOK_WATCHDOG_MINUTES,
      keyAgeMinutes: values.JOB_KEY_AGE_MINUTES,
      alertsMinutes: values.JOB_ALERTS_MINUTES,
    }),
    alerts: Object.freeze({
      slackWebhookUrl: values.ALERT_SLACK_WEBHOOK_URL ?? null,
      smtpUrl: values.ALERT_SMTP_URL ?? null,
      emailFrom: values.ALERT_EMAIL_FROM ?? null,
      emailTo: (values.ALERT_EMAIL_TO ?? '')
        .split(',')
        .map((one) => one.trim())
        .filter((one) => one !== ''),
      warnings: values.ALERT_WARNINGS === 'on',
      digest: values.ALERT_DIGEST === 'on',
    }),
    metrics: metricsOf(values),
  });
}

function metricsOf(values: z.infer<typeof environmentSchema>): Config['metrics'] {
  if (values.METRICS_PORT !== undefined && values.METRICS_PORT === values.PORT) {
    throw new AppError(
      'config_invalid',
      `METRICS_PORT: got "${values.METRICS_PORT}", needs a port other than PORT: the metrics listener cannot share the main one (set METRICS_TOKEN instead to serve /metrics there).`,
      { variables: ['METRICS_PORT'] },
    );
  }
  return Object.freeze({ token: values.METRICS_TOKEN ?? null, port: values.METRICS_PORT ?? null });
}

function buyerMailOf(values: z.infer<typeof environmentSchema>): Config['buyerMail'] {
  const smtpUrl = values.SMTP_URL ?? values.ALERT_SMTP_URL;
  const from = values.EMAIL_FROM ?? values.ALERT_EMAIL_FROM;
  return smtpUrl && from ? Object.freeze({ smtpUrl, from }) : null;
}

function stripeApiOf(values: z.infer<typeof environmentSchema>): Config['stripeApi'] {
  const { STRIPE_API_HOST: host, STRIPE_API_PORT: port, STRIPE_API_PROTOCOL: protocol } = values;
  if (host === undefined && port === undefined && protocol === undefined) return null;
  if (host === undefined) {
    throw new AppError(
      'config_invalid',
      `STRIPE_API_HOST: got nothing, needs a host name when STRIPE_API_PORT or STRIPE_API_PROTOCOL is set.`,
      { variables: ['STRIPE_API_HOST'] },
    );
  }
  const scheme = protocol ?? 'https';
  return { host, port: port ?? (scheme === 'https' ? 443 : 80), protocol: scheme };
}

function stripeConnectOf(values: z.infer<typeof environmentSchema>): Config['stripeConnect'] {
  const { STRIPE_CONNECT_CLIENT_ID: clientId, STRIPE_CONNECT_SECRET_KEY: secretKey } = values;
  if (clientId === undefined && secretKey === undefined) return null;
  if (clientId === undefined || secretKey === undefined) {
    const missing =
      clientId === undefined ? 'STRIPE_CONNECT_CLIENT_ID' : 'STRIPE_CONNECT_SECRET_KEY';
    throw new AppError(
      'config_invalid',
      `${missing}: got nothing, needs a value: "Connect with Stripe" needs both STRIPE_CONNECT_CLIENT_ID and STRIPE_CONNECT_SECRET_KEY.`,
      { variables: [missing] },
    );
  }
  return Object.freeze({ clientId, secretKey, authorizeUrl: values.STRIPE_CONNECT_AUTHORIZE_URL });
}

const proxyAddressNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (proxyAddressNames.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
