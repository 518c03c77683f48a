import { randomBytes } from 'node:crypto';
import type { RunningEmulator } from '@switchyard/stripe-emulator';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  type Account,
  findLiveAccountByHandle,
  listLiveAccounts,
  updateAccount,
} from '../accounts/accounts.repository.js';
import type { KeyPair } from '../accounts/key-verification.js';
import { funnelDocumentSchema, parseInput } from '../catalog/catalog.schema.js';
import type { Config } from '../config.js';
import { openStore } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { AppError } from '../errors.js';
import { type RunningServer, startServer } from '../server.js';
import type { Services } from '../services.js';
import { StripeGatewayError } from '../stripe/errors.js';
import { signInLink } from '../users/users.service.js';
import { listEndpointsOfAccount } from '../webhooks/webhooks.repository.js';
import {
  demoPurpose,
  isDemoAccount,
  recordDemoEmulator,
  startDemoEmulator,
} from './demo-emulator.js';
import { launchFunnel } from './launch-funnel.js';

/**
 * The demo behind `npm start` without Stripe: the emulator in this process, two accounts on it
 * and the `launch` funnel, so a visitor can buy with test cards a minute after `npm ci`.
 */

const demoActor = 'demo';

interface DemoAccount {
  handle: string;
  label: string;
  role: 'primary' | 'secondary';
  priority: number;
  currencies: string[];
  country: string;
  defaultCurrency: string;
}

const demoAccounts: readonly DemoAccount[] = [
  {
    handle: 'us',
    label: 'Demo US',
    role: 'primary',
    priority: 0,
    currencies: ['usd', 'cad'],
    country: 'US',
    defaultCurrency: 'usd',
  },
  {
    handle: 'eu',
    label: 'Demo EU',
    role: 'secondary',
    priority: 1,
    currencies: ['eur', 'gbp'],
    country: 'DE',
    defaultCurrency: 'eur',
  },
];

/** The emulator's test cards a visitor types into the card form. */
export const demoTestCards = [
  { number: '4242 4242 4242 4242', outcome: 'succeeds' },
  { number: '4000 0000 0000 0002', outcome: 'is declined' },
  { number: '4000 0025 0000 3155', outcome: 'asks for 3-D Secure' },
] as const;

export interface RunningDemo extends RunningServer {
  readonly emulator: RunningEmulator;
  /** Whether the emulator's state came back from DATA_DIR, in words. */
  readonly emulatorState: string;
  /** Where a buyer starts: `<publicUrl>/f/launch`. */
  readonly funnelUrl: string;
  /** A fresh one-time link that signs in the demo owner (`/admin/sign-in/link?code=…`). */
  readonly signInUrl: string;
}

/** The demo's owner: a password nobody knows; the console is opened with the printed link. */
export const demoOwner = { email: 'demo@example.com', name: 'Demo owner' } as const;

/** Makes the demo owner when missing, and a new one-time sign-in link for them. */
async function demoOwnerSignInUrl(services: Services, publicUrl: string): Promise<string> {
  const owner =
    (await services.users.findUserByEmail(DEFAULT_WORKSPACE_ID, demoOwner.email)) ??
    (await services.users.createUser({
      workspaceId: DEFAULT_WORKSPACE_ID,
      ...demoOwner,
      role: 'owner',
      password: randomBytes(24).toString('base64url'),
      actor: demoActor,
    }));
  return signInLink(publicUrl, await services.users.issueSignInCode(owner));
}

/**
 * Whether `serve` runs the demo. `auto`: only when no Stripe API host is configured and the
 * workspace has no accounts but the demo's own; `on`: always, but never over real accounts.
 */
export async function demoWanted(config: Config, logger: Logger): Promise<boolean> {
  if (config.demo === 'off') return false;
  if (config.demo === 'auto' && config.stripeApi !== null) return false;
  const realAccounts = await findRealAccounts(config, logger);
  if (realAccounts.length === 0) return true;
  if (config.demo === 'auto') return false;
  throw new AppError(
    'config_invalid',
    `SWITCHYARD_DEMO: got "on", but this workspace has Stripe accounts that are not the demo's (${realAccounts.join(', ')}); the demo would route their payments to its emulator. Set SWITCHYARD_DEMO=off (or auto) to serve them.`,
    { variables: ['SWITCHYARD_DEMO'], accounts: realAccounts },
  );
}

/** Handles of the connected accounts the demo did not make; migrates first so a new file works. */
async function findRealAccounts(config: Config, logger: Logger): Promise<string[]> {
  const store = openStore(config.databaseUrl);
  try {
    const applied = await migrateToLatest(store);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    const accounts = await listLiveAccounts(store.db, DEFAULT_WORKSPACE_ID);
    return accounts.filter((account) => !isDemoAccount(account)).map((account) => account.handle);
  } finally {
    await store.close();
  }
}

/**
 * Starts the emulator, then the server pointed at it (API and Stripe.js), with the demo accounts
 * connected and the funnel imported before it listens. Closing it closes both.
 */
export async function startDemo(options: { config: Config; logger: Logger }): Promise<RunningDemo> {
  const { config, logger } = options;
  const { emulator, state: emulatorState } = await startDemoEmulator(config.dataDir, logger);
  let forgetEmulator = () => {};
  try {
    // Commands in another terminal find the emulator here (src/demo/demo-emulator.ts).
    forgetEmulator = recordDemoEmulator(config.dataDir, emulator);
    const demoConfig: Config = Object.freeze({
      ...config,
      stripeApi: Object.freeze({
        host: emulator.host,
        port: emulator.port,
        protocol: 'http' as const,
      }),
      stripeJsUrl: `${emulator.url}/v3/`,
    });
    let signInUrl = '';
    const server = await startServer({
      config: demoConfig,
      logger,
      prepare: async (services, store) => {
        await setUpDemo({ services, db: store.db, emulator, logger, publicUrl: config.publicUrl });
        signInUrl = await demoOwnerSignInUrl(services, config.publicUrl);
      },
    });
    let closing: Promise<void> | undefined;
    return {
      ...server,
      emulator,
      emulatorState,
      funnelUrl: `${config.publicUrl}/f/${launchFunnel.funnel.slug}`,
      signInUrl,
      close() {
        closing ??= server.close().finally(() => {
          forgetEmulator();
          return emulator.close();
        });
        return closing;
      },
    };
  } catch (error) {
    forgetEmulator();
    await emulator.close();
    throw error;
  }
}

/**
 * Connects the demo accounts, keeps them when the emulator came back with their Stripe accounts
 * (or re-keys them onto new ones when it did not), and imports the funnel.
 */
async function setUpDemo(input: {
  services: Services;
  db: Kysely<Database>;
  emulator: RunningEmulator;
  logger: Logger;
  publicUrl: string;
}): Promise<void> {
  const { services, db, emulator, logger } = input;
  const workspaceId = DEFAULT_WORKSPACE_ID;
  for (const account of demoAccounts) {
    const known = await findLiveAccountByHandle(db, workspaceId, account.handle);
    if (known && !isDemoAccount(known)) {
      throw new AppError(
        'conflict',
        `The demo needs the handle "${account.handle}", but a real account has it. Set SWITCHYARD_DEMO=off to serve it.`,
        { handle: account.handle },
      );
    }
    if (known && (await isOnEmulator(services, known))) {
      const warnings = await keepWebhookEndpoint({
        services,
        db,
        account: known,
        publicUrl: input.publicUrl,
      });
      for (const warning of warnings) logger.warn({ handle: account.handle }, warning);
      logger.info(
        { handle: account.handle, stripeAccount: known.stripeAccountId },
        'demo account kept: the emulator came back with its Stripe account',
      );
      continue;
    }
    const made = await createEmulatorAccount(emulator, account);
    const credentials = {
      test: { secretKey: made.keys.test.secret, publishableKey: made.keys.test.publishable },
    };
    const warnings = known
      ? await reconnectDemoAccount({
          services,
          db,
          account: known,
          stripeAccountId: made.id,
          credentials,
        })
      : await connectDemoAccount({ services, account, credentials });
    for (const warning of warnings) logger.warn({ handle: account.handle }, warning);
    logger.info(
      { handle: account.handle, stripeAccount: made.id },
      known
        ? "demo account re-connected to this run's emulator"
        : 'demo account connected to the emulator',
    );
  }
  // Imported once: after that the funnel is the merchant's to change.
  const slug = launchFunnel.funnel.slug;
  const present = (await services.catalog.listFunnels(workspaceId)).some(
    (funnel) => funnel.slug === slug,
  );
  if (present) {
    logger.info({ funnel: slug }, 'demo funnel kept as it is');
    return;
  }
  await services.catalog.importFunnel(
    workspaceId,
    parseInput(funnelDocumentSchema, launchFunnel),
    demoActor,
  );
  logger.info({ funnel: slug }, 'demo funnel imported');
}

/** Whether the emulator still knows the account under the keys Switchyard keeps for it. */
async function isOnEmulator(services: Services, account: Account): Promise<boolean> {
  const secretKey = await services.accounts.secretKeyOf(account.accountId, 'test');
  if (!secretKey) return false;
  try {
    const found = await services.gateway.retrieveAccount({ credentials: { secretKey } });
    return found.id === account.stripeAccountId;
  } catch (error) {
    if (error instanceof StripeGatewayError) return false;
    throw error;
  }
}

/** The saved endpoint still works unless PUBLIC_URL changed since; then it is registered anew. */
async function keepWebhookEndpoint(input: {
  services: Services;
  db: Kysely<Database>;
  account: Account;
  publicUrl: string;
}): Promise<string[]> {
  const { services, account } = input;
  const endpoints = await listEndpointsOfAccount(input.db, account.accountId);
  const current = endpoints.some(
    (endpoint) =>
      endpoint.mode === 'test' &&
      endpoint.stripeEndpointId !== null &&
      endpoint.url.startsWith(`${input.publicUrl}/webhooks/stripe/`),
  );
  const secretKey = await services.accounts.secretKeyOf(account.accountId, 'test');
  if (current || !secretKey) return [];
  await services.webhooks.removeEndpoints({
    accountId: account.accountId,
    secretKeyOf: async () => secretKey,
  });
  const registered = await services.webhooks.registerEndpoint({
    workspaceId: account.workspaceId,
    accountId: account.accountId,
    mode: 'test',
    secretKey,
  });
  return registered.warnings;
}

async function connectDemoAccount(input: {
  services: Services;
  account: DemoAccount;
  credentials: { test: KeyPair };
}): Promise<string[]> {
  const { account } = input;
  const connected = await input.services.accounts.connectWithKeys(
    DEFAULT_WORKSPACE_ID,
    {
      handle: account.handle,
      label: account.label,
      purpose: demoPurpose,
      role: account.role,
      priority: account.priority,
      currencies: account.currencies,
      credentials: input.credentials,
    },
    demoActor,
  );
  return connected.warnings;
}

/**
 * The emulator came back without the account (its state file was lost or unreadable), so its
 * Stripe account, customers and prices are gone: point the account at its new emulator account,
 * forget the Stripe objects made on the old one, and swap keys and webhook endpoint. Handle,
 * settings and past orders stay.
 */
async function reconnectDemoAccount(input: {
  services: Services;
  db: Kysely<Database>;
  account: Account;
  stripeAccountId: string;
  credentials: { test: KeyPair };
}): Promise<string[]> {
  const { services, db, account, stripeAccountId, credentials } = input;
  await db.transaction().execute(async function forgetOldEmulator(trx) {
    await updateAccount(trx, account.accountId, { stripeAccountId });
    await trx.deleteFrom('customer_accounts').where('account_id', '=', account.accountId).execute();
    await trx
      .deleteFrom('stripe_catalog_objects')
      .where('account_id', '=', account.accountId)
      .execute();
  });
  // The old endpoints lived on the old emulator: nothing to delete there.
  await services.webhooks.removeEndpoints({
    accountId: account.accountId,
    secretKeyOf: async () => null,
  });
  const replaced = await services.accounts.replaceKeys(
    account.workspaceId,
    account.handle,
    credentials,
    demoActor,
  );
  const registered = await services.webhooks.registerEndpoint({
    workspaceId: account.workspaceId,
    accountId: account.accountId,
    mode: 'test',
    secretKey: credentials.test.secretKey,
  });
  return [...replaced.warnings, ...registered.warnings];
}

interface EmulatorAccount {
  id: string;
  keys: { test: { secret: string; publishable: string } };
}

async function createEmulatorAccount(
  emulator: RunningEmulator,
  account: DemoAccount,
): Promise<EmulatorAccount> {
  const response = await fetch(`${emulator.url}/_emulator/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Switchyard ${account.label}`,
      country: account.country,
      default_currency: account.defaultCurrency,
    }),
  });
  if (!response.ok) {
    throw new Error(
      `the emulator refused a demo account: ${response.status} ${await response.text()}`,
    );
  }
  return (await response.json()) as EmulatorAccount;
}
