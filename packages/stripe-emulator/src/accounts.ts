import type { IdFactory } from './ids.js';
import { Ledger, type LedgerState } from './ledger.js';
import type { AccountObject } from './objects.js';

export type Mode = 'test' | 'live';
export type KeyKind = 'secret' | 'publishable' | 'restricted' | 'oauth';
export type Access = 'read' | 'write';

export interface ApiKey {
  value: string;
  kind: KeyKind;
  accountId: string;
  livemode: boolean;
  /** Restricted keys only: resource (path segment after /v1/) to access. */
  permissions: ReadonlyMap<string, Access> | null;
  /** OAuth access tokens whose grant was deauthorized. */
  revoked: boolean;
  /** A rolled key stops working at this time (unix seconds), as Stripe's roll with an expiry. */
  expiresAt: number | null;
  /** OAuth access tokens: the platform the account granted access to. */
  platformId: string | null;
}

/** What Stripe asks of an account (`requirements`), when set by the control API. */
export interface AccountRequirements {
  currentlyDue: string[];
  pastDue: string[];
  eventuallyDue: string[];
  /** Unix seconds, or null. */
  currentDeadline: number | null;
}

export interface KeyPair {
  secret: string;
  publishable: string;
}

export interface AccountRecord {
  id: string;
  name: string | null;
  email: string | null;
  country: string;
  defaultCurrency: string;
  created: number;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  disabledReason: string | null;
  /** Null: derived from the account's state (a disabled account is asked for `external_account`). */
  requirements: AccountRequirements | null;
  /** Set when the account is a Connect platform: its OAuth client id (`ca_…`). */
  clientId: string | null;
  keys: Record<Mode, KeyPair>;
  ledgers: Record<Mode, Ledger>;
}

export interface Connection {
  platformId: string;
  accountId: string;
  scope: string;
  connectedAt: number;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  accountId: string;
  scope: string;
}

export type OAuthGrant = {
  access_token: string;
  livemode: boolean;
  refresh_token: string;
  scope: string;
  stripe_publishable_key: string;
  stripe_user_id: string;
  token_type: 'bearer';
};

/** The directory as plain data, for the state file (state-file.ts). */
export interface AccountDirectoryState {
  accounts: Array<Omit<AccountRecord, 'ledgers'> & { ledgers: Record<Mode, LedgerState> }>;
  keys: Array<Omit<ApiKey, 'permissions'> & { permissions: Array<[string, Access]> | null }>;
  platformsByClientId: Array<[string, string]>;
  connections: Connection[];
  codes: AuthorizationCode[];
  refreshTokens: Array<[string, { platformId: string; accountId: string; livemode: boolean }]>;
}

/**
 * Accounts, their API keys, Connect platforms and the OAuth connections between them. Key lookup
 * is one map read: it runs on every request.
 */
export class AccountDirectory {
  readonly accounts = new Map<string, AccountRecord>();
  private readonly keys = new Map<string, ApiKey>();
  private readonly platformsByClientId = new Map<string, string>();
  /** platform id -> connected account id -> connection */
  private readonly connections = new Map<string, Map<string, Connection>>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<
    string,
    { platformId: string; accountId: string; livemode: boolean }
  >();
  private readonly ids: IdFactory;
  private readonly now: () => number;

  constructor(options: { ids: IdFactory; now: () => number }) {
    this.ids = options.ids;
    this.now = options.now;
  }

  createAccount(input: {
    name?: string | null;
    email?: string | null;
    country?: string;
    defaultCurrency?: string;
  }): AccountRecord {
    const id = this.ids.newId('acct', 16);
    const account: AccountRecord = {
      id,
      name: input.name ?? null,
      email: input.email ?? null,
      country: input.country ?? 'US',
      defaultCurrency: input.defaultCurrency ?? 'usd',
      created: this.now(),
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      disabledReason: null,
      requirements: null,
      clientId: null,
      keys: { test: this.issueKeyPair(id, false), live: this.issueKeyPair(id, true) },
      ledgers: { test: new Ledger(id, false), live: new Ledger(id, true) },
    };
    this.accounts.set(id, account);
    return account;
  }

  createPlatform(input: { name?: string | null; country?: string }): AccountRecord {
    const account = this.createAccount(input);
    account.clientId = this.ids.newId('ca', 32);
    this.platformsByClientId.set(account.clientId, account.id);
    return account;
  }

  findAccount(id: string): AccountRecord | undefined {
    return this.accounts.get(id);
  }

  findPlatformByClientId(clientId: string): AccountRecord | undefined {
    const id = this.platformsByClientId.get(clientId);
    return id === undefined ? undefined : this.accounts.get(id);
  }

  findKey(value: string): ApiKey | undefined {
    return this.keys.get(value);
  }

  createRestrictedKey(
    account: AccountRecord,
    mode: Mode,
    permissions: ReadonlyMap<string, Access>,
  ): ApiKey {
    const key: ApiKey = {
      value: `rk_${mode}_${this.ids.newSecret(99)}`,
      kind: 'restricted',
      accountId: account.id,
      livemode: mode === 'live',
      permissions,
      revoked: false,
      expiresAt: null,
      platformId: null,
    };
    this.keys.set(key.value, key);
    return key;
  }

  /** Changes what a restricted key may do, as editing it in Stripe's dashboard does. */
  setRestrictedKeyPermissions(
    account: AccountRecord,
    value: string,
    permissions: ReadonlyMap<string, Access>,
  ): boolean {
    const key = this.keys.get(value);
    if (key?.kind !== 'restricted' || key.accountId !== account.id) return false;
    key.permissions = permissions;
    return true;
  }

  /** Deletes a restricted key (Stripe deletes only those; the others are rolled): it is unknown after. */
  deleteRestrictedKey(account: AccountRecord, value: string): boolean {
    const key = this.keys.get(value);
    if (key?.kind !== 'restricted' || key.accountId !== account.id) return false;
    return this.keys.delete(value);
  }

  /**
   * Issues new keys; the old ones the account issued itself (not OAuth grants) expire after
   * `expiresInSeconds` (0: at once), as a roll in Stripe's dashboard does.
   */
  rollKeys(account: AccountRecord, expiresInSeconds = 0): void {
    const expiresAt = this.now() + expiresInSeconds;
    for (const key of this.keys.values()) {
      if (key.accountId === account.id && key.kind !== 'oauth') {
        key.expiresAt = Math.min(key.expiresAt ?? expiresAt, expiresAt);
      }
    }
    account.keys = {
      test: this.issueKeyPair(account.id, false),
      live: this.issueKeyPair(account.id, true),
    };
  }

  createAuthorizationCode(platform: AccountRecord, account: AccountRecord, scope: string): string {
    const code = this.ids.newId('ac', 32);
    this.codes.set(code, {
      code,
      clientId: platform.clientId ?? '',
      accountId: account.id,
      scope,
    });
    return code;
  }

  /** Single use, as Stripe's codes are. */
  takeAuthorizationCode(code: string): AuthorizationCode | undefined {
    const found = this.codes.get(code);
    if (found !== undefined) this.codes.delete(code);
    return found;
  }

  connect(platform: AccountRecord, account: AccountRecord, scope: string, livemode: boolean) {
    let connected = this.connections.get(platform.id);
    if (connected === undefined) {
      connected = new Map();
      this.connections.set(platform.id, connected);
    }
    connected.set(account.id, {
      platformId: platform.id,
      accountId: account.id,
      scope,
      connectedAt: this.now(),
    });
    return this.grantAccess(platform, account, scope, livemode);
  }

  grantAccess(
    platform: AccountRecord,
    account: AccountRecord,
    scope: string,
    livemode: boolean,
  ): OAuthGrant {
    const mode: Mode = livemode ? 'live' : 'test';
    const accessToken: ApiKey = {
      value: `sk_${mode}_${this.ids.newSecret(99)}`,
      kind: 'oauth',
      accountId: account.id,
      livemode,
      permissions: null,
      revoked: false,
      expiresAt: null,
      platformId: platform.id,
    };
    this.keys.set(accessToken.value, accessToken);
    const refreshToken = `rt_${this.ids.newSecret(48)}`;
    this.refreshTokens.set(refreshToken, {
      platformId: platform.id,
      accountId: account.id,
      livemode,
    });
    return {
      access_token: accessToken.value,
      livemode,
      refresh_token: refreshToken,
      scope,
      stripe_publishable_key: account.keys[mode].publishable,
      stripe_user_id: account.id,
      token_type: 'bearer',
    };
  }

  findRefreshToken(token: string) {
    return this.refreshTokens.get(token);
  }

  findConnection(platformId: string, accountId: string): Connection | undefined {
    return this.connections.get(platformId)?.get(accountId);
  }

  /** The platform that hears about this account's events: the one connected last. */
  findPlatformOf(accountId: string): string | null {
    let latest: Connection | undefined;
    for (const connected of this.connections.values()) {
      const connection = connected.get(accountId);
      if (
        connection !== undefined &&
        (latest === undefined || connection.connectedAt >= latest.connectedAt)
      ) {
        latest = connection;
      }
    }
    return latest?.platformId ?? null;
  }

  listConnectedAccounts(platformId: string): string[] {
    return [...(this.connections.get(platformId)?.keys() ?? [])];
  }

  /** Ends a connection: its OAuth tokens stop working at once. */
  disconnect(platformId: string, accountId: string): boolean {
    const connected = this.connections.get(platformId);
    if (connected?.delete(accountId) !== true) return false;
    for (const key of this.keys.values()) {
      if (key.kind === 'oauth' && key.platformId === platformId && key.accountId === accountId) {
        key.revoked = true;
      }
    }
    for (const [token, grant] of this.refreshTokens) {
      if (grant.platformId === platformId && grant.accountId === accountId) {
        this.refreshTokens.delete(token);
      }
    }
    return true;
  }

  exportState(): AccountDirectoryState {
    return {
      accounts: [...this.accounts.values()].map((account) => ({
        ...account,
        ledgers: {
          test: account.ledgers.test.exportState(),
          live: account.ledgers.live.exportState(),
        },
      })),
      keys: [...this.keys.values()].map((key) => ({
        ...key,
        permissions: key.permissions === null ? null : [...key.permissions],
      })),
      platformsByClientId: [...this.platformsByClientId],
      connections: [...this.connections.values()].flatMap((connected) => [...connected.values()]),
      codes: [...this.codes.values()],
      refreshTokens: [...this.refreshTokens],
    };
  }

  /** Replaces everything with a saved directory. */
  restoreState(state: AccountDirectoryState): void {
    this.clear();
    for (const account of state.accounts) {
      this.accounts.set(account.id, {
        ...account,
        requirements: account.requirements ?? null,
        ledgers: {
          test: Ledger.restore(account.ledgers.test),
          live: Ledger.restore(account.ledgers.live),
        },
      });
    }
    for (const key of state.keys) {
      this.keys.set(key.value, {
        ...key,
        expiresAt: key.expiresAt ?? null,
        permissions: key.permissions === null ? null : new Map(key.permissions),
      });
    }
    for (const [clientId, accountId] of state.platformsByClientId) {
      this.platformsByClientId.set(clientId, accountId);
    }
    for (const connection of state.connections) {
      const connected = this.connections.get(connection.platformId) ?? new Map();
      connected.set(connection.accountId, connection);
      this.connections.set(connection.platformId, connected);
    }
    for (const code of state.codes) this.codes.set(code.code, code);
    for (const [token, grant] of state.refreshTokens) this.refreshTokens.set(token, grant);
  }

  clear(): void {
    this.accounts.clear();
    this.keys.clear();
    this.platformsByClientId.clear();
    this.connections.clear();
    this.codes.clear();
    this.refreshTokens.clear();
  }

  private issueKeyPair(accountId: string, livemode: boolean): KeyPair {
    const mode: Mode = livemode ? 'live' : 'test';
    const shared = this.ids.newSecret(24);
    const secret: ApiKey = {
      value: `sk_${mode}_${shared}${this.ids.newSecret(75)}`,
      kind: 'secret',
      accountId,
      livemode,
      permissions: null,
      revoked: false,
      expiresAt: null,
      platformId: null,
    };
    const publishable: ApiKey = {
      value: `pk_${mode}_${shared}${this.ids.newSecret(75)}`,
      kind: 'publishable',
      accountId,
      livemode,
      permissions: null,
      revoked: false,
      expiresAt: null,
      platformId: null,
    };
    this.keys.set(secret.value, secret);
    this.keys.set(publishable.value, publishable);
    return { secret: secret.value, publishable: publishable.value };
  }
}

/** What Stripe asks for: as set by the control API, or derived from a disabled account's state. */
function requirementsOf(account: AccountRecord): AccountRequirements {
  if (account.requirements !== null) return account.requirements;
  const disabled = !account.chargesEnabled || !account.payoutsEnabled;
  return {
    currentlyDue: disabled ? ['external_account'] : [],
    pastDue:
      disabled && account.disabledReason === 'requirements.past_due' ? ['external_account'] : [],
    eventuallyDue: disabled ? ['external_account'] : [],
    currentDeadline: null,
  };
}

export function presentAccount(account: AccountRecord): AccountObject {
  const requirements = requirementsOf(account);
  return {
    id: account.id,
    object: 'account',
    business_profile: {
      mcc: null,
      minority_owned_business_designation: null,
      name: account.name,
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: account.email,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: 'company',
    capabilities: {
      card_payments: account.chargesEnabled ? 'active' : 'inactive',
      transfers: account.payoutsEnabled ? 'active' : 'inactive',
    },
    charges_enabled: account.chargesEnabled,
    country: account.country,
    created: account.created,
    default_currency: account.defaultCurrency,
    details_submitted: account.detailsSubmitted,
    email: account.email,
    metadata: {},
    payouts_enabled: account.payoutsEnabled,
    requirements: {
      alternatives: [],
      current_deadline: requirements.currentDeadline,
      currently_due: [...requirements.currentlyDue],
      disabled_reason: account.disabledReason,
      errors: [],
      eventually_due: [...requirements.eventuallyDue],
      past_due: [...requirements.pastDue],
      pending_verification: [],
    },
    settings: {
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_payments: {
        decline_on: { avs_failure: false, cvc_failure: false },
        statement_descriptor_prefix: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: account.name, timezone: 'Etc/UTC' },
      payments: {
        statement_descriptor: account.name?.toUpperCase().slice(0, 22) ?? null,
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
    },
    type: 'standard',
  };
}
