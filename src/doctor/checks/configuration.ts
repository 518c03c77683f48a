import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import {
  type Account,
  type Credential,
  listCredentials,
  listLiveAccounts,
} from '../../accounts/accounts.repository.js';
import type { Vault } from '../../accounts/vault.js';
import { listStepsWithBump } from '../../catalog/catalog.repository.js';
import type { CatalogService, FunnelView, ProductView } from '../../catalog/catalog.service.js';
import {
  describeSplitOffers,
  findSplitOffers,
  orderOffersOfStep,
} from '../../catalog/split-offers.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { fieldPath } from '../../errors.js';
import { compileRouting, type RoutingConfig, validateRoutingConfig } from '../../routing/index.js';
import type { RoutingConfigService } from '../../routing-config/routing-config.service.js';
import { listSealedEndpointSecrets } from '../../webhooks/webhooks.repository.js';
import type { DoctorCheck } from '../check.js';
import { type Finding, fail, pass, workspaceScope as scope, warn } from '../finding.js';

export interface ConfigurationDependencies {
  db: Kysely<Database>;
  config: Config;
  vault: Vault;
  routingConfig: Pick<RoutingConfigService, 'showActive'>;
  catalog: Pick<CatalogService, 'listFunnels' | 'showFunnel' | 'listProducts'>;
}

/**
 * What is wrong with the setup itself, read from our own data and environment: no Stripe call.
 * Each code answers one workspace finding that lists every place it saw the problem.
 */
export function configurationChecks(deps: ConfigurationDependencies): DoctorCheck {
  const { db, config, vault, routingConfig, catalog } = deps;
  return {
    name: 'configuration',
    scope: 'workspace',
    codes: [
      'no_primary',
      'routing_invalid',
      'routing_warning',
      'currency_unserved',
      'live_funnel_without_live_account',
      'offers_split_across_accounts',
      'public_url_local',
      'stripe_js_not_stripe',
      'master_key_unreadable',
    ],
    callsStripe: false,
    async run({ workspaceId }) {
      const accounts = await listLiveAccounts(db, workspaceId);
      const credentials = await listCredentials(
        db,
        accounts.map((account) => account.accountId),
      );
      const active = await routingConfig.showActive(workspaceId);
      const shop = await shopOf(catalog, workspaceId);
      const liveAccounts = accounts.filter((account) =>
        credentials.some((key) => key.accountId === account.accountId && key.mode === 'live'),
      );
      return [
        checkPrimary(accounts),
        ...checkRouting(active.version, active.document),
        checkCurrencies(active.document, shop),
        checkLiveFunnels(active.document, shop.funnels),
        checkSplitOffers(
          (await listStepsWithBump(db, workspaceId)).map(orderOffersOfStep),
          active.document,
        ),
        checkPublicUrl(config.publicUrl, liveAccounts),
        checkStripeJs(config.stripeJsUrl, liveAccounts),
        checkMasterKey(
          vault,
          accounts,
          credentials,
          await listSealedEndpointSecrets(db),
          config.masterKey ? 'SWITCHYARD_MASTER_KEY' : `${config.dataDir}/master.key`,
        ),
      ];
    },
  };
}

interface Shop {
  funnels: FunnelView[];
  products: ReadonlyMap<string, ProductView>;
}

async function shopOf(
  catalog: ConfigurationDependencies['catalog'],
  workspaceId: string,
): Promise<Shop> {
  const summaries = await catalog.listFunnels(workspaceId);
  const funnels = await Promise.all(
    summaries.map((summary) => catalog.showFunnel(workspaceId, summary.slug)),
  );
  const products = await catalog.listProducts(workspaceId);
  return { funnels, products: new Map(products.map((product) => [product.slug, product])) };
}

function checkPrimary(accounts: readonly Account[]): Finding {
  if (accounts.length === 0) {
    return fail(
      'no_primary',
      scope,
      'No Stripe account is connected, so there is no primary account and no payment can be taken.',
      'Connect one: "switchyard accounts add <handle> --test-secret-key … --test-publishable-key …" (the first account becomes the primary).',
    );
  }
  const primary = accounts.find((account) => account.role === 'primary');
  if (!primary) {
    return fail(
      'no_primary',
      scope,
      `None of the accounts (${accounts.map((account) => account.handle).join(', ')}) is the primary, so payments no pin or rule places have no account.`,
      'Make one the primary: "switchyard accounts primary <handle>".',
    );
  }
  return pass('no_primary', scope, `${primary.handle} is the primary account.`);
}

function checkRouting(version: number | null, document: RoutingConfig): Finding[] {
  const review = validateRoutingConfig(document);
  const named = version === null ? 'The routing config' : `Routing version ${version}`;
  const listed = (findings: typeof review.errors) =>
    findings.map((finding) => `${fieldPath(finding.path)}: ${finding.message}`).join('; ');
  // A missing primary is no_primary's finding; the rest are the routing document's own.
  const errors = review.errors.filter((error) => !/^no primary account/.test(error.message));
  const export_ =
    '"switchyard config export > routing.json", edit it, then "switchyard config apply routing.json"';
  return [
    errors.length === 0
      ? pass('routing_invalid', scope, `${named} is valid.`)
      : fail(
          'routing_invalid',
          scope,
          `${named} no longer passes validation, with the accounts as they are now (${errors.length} error${errors.length === 1 ? '' : 's'}): ${listed(errors)}.`,
          `Point what it names at connected accounts: ${export_}.`,
        ),
    review.warnings.length === 0
      ? pass('routing_warning', scope, `${named} draws no warning.`)
      : warn(
          'routing_warning',
          scope,
          `${named} has ${review.warnings.length} warning${review.warnings.length === 1 ? '' : 's'}: ${listed(review.warnings)}.`,
          `Do what each warning says: ${export_}.`,
        ),
  ];
}

/** What a buyer of each price of each offer would be routed to, every account taken as healthy. */
function checkCurrencies(document: RoutingConfig, shop: Shop): Finding {
  const routing = compileRouting(document);
  const unserved: string[] = [];
  for (const funnel of shop.funnels) {
    for (const step of funnel.steps) {
      const product = step.product === null ? undefined : shop.products.get(step.product);
      if (!product) continue;
      for (const price of product.prices) {
        const decision = routing.route({
          mode: funnel.mode,
          kind: 'initial',
          funnel: funnel.slug,
          step: `${funnel.slug}/${step.slug}`,
          products: [product.slug],
          tags: product.tags,
          currency: price.currency,
          amount: price.amount,
          health: {},
        });
        if (decision.outcome !== 'no_account') continue;
        unserved.push(
          `${price.currency.toUpperCase()} for ${product.slug} at ${funnel.slug}/${step.slug} (${funnel.mode}) (${decision.candidates.map((one) => `${one.account}: ${one.reasons.join(', ') || 'eligible'}`).join('; ')})`,
        );
      }
    }
  }
  if (unserved.length === 0) {
    return pass(
      'currency_unserved',
      scope,
      'Every price of every funnel step has an account that takes its currency in the funnel’s mode.',
    );
  }
  return fail(
    'currency_unserved',
    scope,
    `No account would take ${unserved.length} price${unserved.length === 1 ? '' : 's'}: ${unserved.join('; ')}`,
    'Let an account take the currency ("switchyard accounts update <handle> --currencies usd,eur", or "any"), enable or undrain one, connect keys for the mode, or remove the price.',
  );
}

function checkLiveFunnels(document: RoutingConfig, funnels: readonly FunnelView[]): Finding {
  const live = funnels.filter((funnel) => funnel.mode === 'live').map((funnel) => funnel.slug);
  if (live.length === 0) {
    return pass('live_funnel_without_live_account', scope, 'No funnel is in live mode.');
  }
  const takers = document.accounts.filter(
    (account) => account.modes.includes('live') && account.enabled && !account.drain,
  );
  if (takers.length > 0) {
    return pass(
      'live_funnel_without_live_account',
      scope,
      `Live funnels (${live.join(', ')}) have live accounts: ${takers.map((account) => account.handle).join(', ')}.`,
    );
  }
  const withLiveKeys = document.accounts.filter((account) => account.modes.includes('live'));
  return fail(
    'live_funnel_without_live_account',
    scope,
    `Funnel${live.length === 1 ? '' : 's'} ${live.join(', ')} ${live.length === 1 ? 'is' : 'are'} live, but ${
      withLiveKeys.length === 0
        ? 'no account has live keys'
        : `every account with live keys (${withLiveKeys.map((account) => account.handle).join(', ')}) is disabled or draining`
    }: no buyer can pay.`,
    'Connect live keys: "switchyard accounts keys <handle> --live-secret-key … --live-publishable-key …" (or enable an account with "switchyard accounts update <handle> --enable --undrain").',
  );
}

function checkSplitOffers(
  steps: Parameters<typeof findSplitOffers>[0],
  document: RoutingConfig,
): Finding {
  const split = findSplitOffers(steps, document.products);
  if (split.length === 0) {
    return pass(
      'offers_split_across_accounts',
      scope,
      'Every order step’s offer and order bump go to one account.',
    );
  }
  return fail(
    'offers_split_across_accounts',
    scope,
    describeSplitOffers(split).split('\n').slice(0, -1).join(' '),
    'One payment cannot span two Stripe accounts: pin both products to the same account ("switchyard config export > routing.json", edit "products", "switchyard config apply routing.json"), or remove one of the pins.',
  );
}

function checkPublicUrl(publicUrl: string, liveAccounts: readonly Account[]): Finding {
  if (liveAccounts.length === 0) {
    return pass('public_url_local', scope, `No account has live keys; PUBLIC_URL is ${publicUrl}.`);
  }
  const url = new URL(publicUrl);
  const problem =
    url.protocol !== 'https:'
      ? 'is not https (Stripe sends live webhooks only to https, and buyers’ card pages need it)'
      : isLocalHost(url.hostname)
        ? 'names a local or private host that Stripe and buyers cannot reach'
        : null;
  if (problem === null) {
    return pass('public_url_local', scope, `PUBLIC_URL ${publicUrl} is public https.`);
  }
  return fail(
    'public_url_local',
    scope,
    `Accounts with live keys (${liveAccounts.map((account) => account.handle).join(', ')}) take real payments, but PUBLIC_URL ${publicUrl} ${problem}.`,
    'Set PUBLIC_URL to the https address buyers and Stripe reach this server at (e.g. https://pay.example.com) and restart it.',
  );
}

function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local')) return true;
  if (isIP(host) === 6) return host === '::1' || /^(fc|fd|fe80)/.test(host);
  if (isIP(host) !== 4) return false;
  const [a = 0, b = 0] = host.split('.').map(Number);
  return (
    a === 127 ||
    a === 10 ||
    a === 0 ||
    (a === 192 && b === 168) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 169 && b === 254)
  );
}

function checkStripeJs(stripeJsUrl: string, liveAccounts: readonly Account[]): Finding {
  const fromStripe = stripeJsUrl.startsWith('https://js.stripe.com/');
  if (liveAccounts.length === 0 || fromStripe) {
    return pass(
      'stripe_js_not_stripe',
      scope,
      fromStripe
        ? `Stripe.js comes from Stripe (${stripeJsUrl}).`
        : `No account has live keys; STRIPE_JS_URL is ${stripeJsUrl}.`,
    );
  }
  return fail(
    'stripe_js_not_stripe',
    scope,
    `Accounts with live keys (${liveAccounts.map((account) => account.handle).join(', ')}) take real cards, but the card form loads Stripe.js from ${stripeJsUrl}; Stripe requires https://js.stripe.com.`,
    'Unset STRIPE_JS_URL (its default is https://js.stripe.com/v3/) and restart the server.',
  );
}

/** Opens every stored secret once; the secret itself goes nowhere. */
function checkMasterKey(
  vault: Vault,
  accounts: readonly Account[],
  credentials: readonly Credential[],
  endpointSecrets: ReadonlyArray<{ endpointId: string; sealedSecret: string }>,
  keySource: string,
): Finding {
  const handles = new Map(accounts.map((account) => [account.accountId, account.handle]));
  const sealed = [
    ...credentials.flatMap((credential) => {
      const owner = `${handles.get(credential.accountId)} (${credential.mode})`;
      return [
        { what: `the ${credential.mode} key of ${owner}`, sealed: credential.sealedSecret },
        ...(credential.sealedRefreshToken === null
          ? []
          : [
              {
                what: `the OAuth refresh token of ${owner}`,
                sealed: credential.sealedRefreshToken,
              },
            ]),
      ];
    }),
    ...endpointSecrets.map((endpoint) => ({
      what: `the signing secret of webhook endpoint ${endpoint.endpointId}`,
      sealed: endpoint.sealedSecret,
    })),
  ];
  const unreadable: string[] = [];
  let reason = '';
  for (const { what, sealed: value } of sealed) {
    try {
      vault.open(value);
    } catch (error) {
      unreadable.push(what);
      reason ||= error instanceof Error ? error.message : String(error);
    }
  }
  if (unreadable.length === 0) {
    return pass(
      'master_key_unreadable',
      scope,
      `The master key (${vault.keyId}, from ${keySource}) opens all ${sealed.length} stored secret${sealed.length === 1 ? '' : 's'}.`,
    );
  }
  return fail(
    'master_key_unreadable',
    scope,
    `The master key ${vault.keyId} (from ${keySource}) cannot open ${unreadable.length} of ${sealed.length} stored secrets: ${unreadable.join(', ')}. ${reason}`,
    `Start the server with the master key the secrets were saved under (restore ${keySource} from your backup); if that key is lost, connect the keys again ("switchyard accounts keys <handle>").`,
  );
}
