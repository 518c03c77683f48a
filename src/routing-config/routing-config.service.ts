import type { Kysely } from 'kysely';
import type { AccountChanges, AccountsService, AccountView } from '../accounts/accounts.service.js';
import type { Breaker } from '../accounts/health.repository.js';
import type { HealthService } from '../accounts/health.service.js';
import type { LiveAccountsCache } from '../accounts/live-accounts.js';
import type { AuditLog } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';
import { createSetupCache } from '../db/setup-cache.js';
import type { SetupRevisions } from '../db/setup-revision.js';
import { AppError, type FieldProblem, fieldPath } from '../errors.js';
import {
  type CompiledRouting,
  type ConfigFinding,
  compileRouting,
  findContextWarnings,
  type HealthState,
  type Mode,
  modes,
  type PaymentContext,
  parsePaymentContext,
  parseRoutingConfig,
  type RoutingAccount,
  type RoutingConfig,
  type RoutingDecision,
  type SchemaProblem,
  validateRoutingConfig,
} from '../routing/index.js';
import {
  activateVersion,
  findActiveVersion,
  findLatestVersionNumber,
  findVersion,
  insertVersion,
  listVersions,
  type RoutingVersion,
} from './routing-config.repository.js';

export type { RoutingVersion };

/**
 * The routing config of a workspace, as it runs: immutable numbered versions of the rules and
 * pins, joined with the accounts part, which always comes from the connected accounts themselves.
 */

export interface ActiveRouting {
  /** null until the first `PUT /api/routing` or `config apply`. */
  version: number | null;
  author: string | null;
  createdAt: string | null;
  message: string | null;
  document: RoutingConfig;
}

export interface RoutingVersionSummary {
  version: number;
  active: boolean;
  author: string;
  createdAt: string;
  message: string;
  restoredFrom: number | null;
  rules: number;
  pins: number;
}

export interface AppliedRouting {
  version: number | null;
  /** False when the document matched the active version and the accounts: nothing was stored. */
  changed: boolean;
  /** The handles whose routing fields changed, with the fields. */
  accountChanges: Array<{ handle: string; fields: string[] }>;
  warnings: Array<{ path: string; message: string }>;
  document: RoutingConfig;
}

/** What one payment routes over right now: the compiled config and every account's health. */
export interface LiveRouting {
  version: number | null;
  document: RoutingConfig;
  routing: CompiledRouting;
  /** Only the accounts that are not healthy, as `context.health` wants it. */
  health: Record<string, HealthState>;
  /** Handle -> internal account id, for the calls the decision leads to. */
  accountIds: ReadonlyMap<string, string>;
  /** The circuit breakers the health was read from, for the call's admission (admitCall). */
  breakers: readonly Breaker[];
}

export interface ExplainedRoute {
  version: number | null;
  decision: RoutingDecision;
  /** The health the decision saw: live health, overridden by the caller's entries. */
  health: Record<string, HealthState>;
  warnings: Array<{ path: string; message: string }>;
}

export interface ApplyOptions {
  actor: string;
  message?: string | undefined;
  /** Refuse when the active version is no longer this one: someone else applied meanwhile. */
  basedOn?: number | undefined;
  /** How the caller names the document in error paths: `document` (API) or `config` (CLI file). */
  root?: string | undefined;
  /**
   * The caller's own writes that stand or fall with this version (the catalog change whose pins
   * it holds): run first in its transaction, so a refusal or a conflict leaves neither.
   */
  alongside?: ((trx: Kysely<Database>) => Promise<void>) | undefined;
}

/** A workspace's routing config: versions applied and rolled back, and the routing it runs. */
export interface RoutingConfigService {
  /** The active document, its accounts part read from the accounts themselves. */
  showActive(workspaceId: string): Promise<ActiveRouting>;
  /** What one payment of the mode routes over right now. */
  /** `revision`: the setup revision the caller's request has read already, if it has. */
  liveRouting(workspaceId: string, mode: Mode, revision?: number): Promise<LiveRouting>;
  /** The newest versions first. */
  listVersions(workspaceId: string, limit?: number): Promise<RoutingVersionSummary[]>;
  /**
   * Validates a whole routing document, stores it as a new version, makes it active and applies
   * its accounts part to the accounts (routing fields only, never credentials).
   */
  applyDocument(
    workspaceId: string,
    input: unknown,
    options: ApplyOptions,
  ): Promise<AppliedRouting>;
  /** A new version equal to an old one; accounts removed since then are left out. */
  rollback(workspaceId: string, version: number, actor: string): Promise<AppliedRouting>;
  /** One stored version and the one before it (for its diff); undefined when there is none. */
  showVersion(
    workspaceId: string,
    version: number,
  ): Promise<{ version: RoutingVersion; previous: RoutingVersion | undefined } | undefined>;
  /** The decision for one payment context with live health; the caller's `health` wins. */
  explain(workspaceId: string, input: unknown): Promise<ExplainedRoute>;
}

export interface RoutingConfigDependencies {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  accounts: Pick<AccountsService, 'listAccounts' | 'applyRoutingFields'>;
  health: Pick<HealthService, 'healthOf'>;
  /** The accounts and keys payments read, kept until the setup changes. */
  liveAccounts: Pick<LiveAccountsCache, 'of'>;
  revisions: SetupRevisions;
  /**
   * Refuses pins the catalog cannot live with (offers of one step on two accounts); reads through
   * the transaction that writes the version, so it sees the catalog change written alongside.
   */
  refuseCatalogConflicts?: (
    trx: Kysely<Database>,
    workspaceId: string,
    document: RoutingConfig,
  ) => Promise<void>;
}

const routingFields = [
  'role',
  'priority',
  'currencies',
  'caps',
  'enabled',
  'drain',
  'label',
  'purpose',
] as const;

export function createRoutingConfigService(deps: RoutingConfigDependencies): RoutingConfigService {
  const { db, clock, audit, accounts, health, liveAccounts, revisions } = deps;
  /** The active config of each workspace, compiled, read and compiled again after a change. */
  const activeRouting = createSetupCache<{ active: ActiveRouting; routing: CompiledRouting }>({
    revisions,
    async load(workspaceId) {
      const active = await loadActive(workspaceId);
      return { active, routing: compileRouting(active.document) };
    },
  });

  async function loadActive(workspaceId: string): Promise<ActiveRouting> {
    const [views, active] = await Promise.all([
      accounts.listAccounts(workspaceId),
      findActiveVersion(db, workspaceId),
    ]);
    return {
      version: active?.version ?? null,
      author: active?.author ?? null,
      createdAt: active?.createdAt ?? null,
      message: active?.message ?? null,
      document: documentOf(views, active),
    };
  }

  async function applyParsed(
    workspaceId: string,
    proposed: RoutingConfig,
    options: ApplyOptions & { restoredFrom?: number; always?: boolean },
  ): Promise<AppliedRouting> {
    const root = options.root ?? 'document';
    const views = await accounts.listAccounts(workspaceId);
    const live = new Map(views.map((view) => [view.handle, view]));
    const warnings: ConfigFinding[] = [];

    const unknown: FieldProblem[] = [];
    proposed.accounts.forEach((account, index) => {
      if (!live.has(account.handle)) {
        unknown.push({
          field: fieldPath(['accounts', index, 'handle'], root),
          message: `unknown account "${account.handle}": accounts are connected with their keys first, not created by applying a config`,
        });
      }
    });
    if (unknown.length > 0) throw refuse(unknown, []);

    const named = new Set(proposed.accounts.map((account) => account.handle));
    const merged: RoutingConfig = {
      ...proposed,
      accounts: [
        ...proposed.accounts.map((account, index) => {
          const view = live.get(account.handle);
          const liveModes = view ? modesOf(view) : account.modes;
          if (!sameList(liveModes, account.modes)) {
            warnings.push({
              path: ['accounts', index, 'modes'],
              message: `modes come from the keys ${account.handle} has (${liveModes.join(', ') || 'none'}); connect or replace keys to change them`,
            });
          }
          return { ...account, modes: liveModes };
        }),
        // Accounts the document leaves out keep their routing fields as they are.
        ...views.filter((view) => !named.has(view.handle)).map(routingAccountOf),
      ],
    };
    const review = validateRoutingConfig(merged);
    warnings.push(...review.warnings);
    const printedWarnings = warnings.map((warning) => ({
      path: fieldPath(warning.path, root),
      message: warning.message,
    }));
    if (review.errors.length > 0) {
      throw refuse(
        review.errors.map((error) => ({
          field: fieldPath(error.path, root),
          message: error.message,
        })),
        printedWarnings,
      );
    }

    const active = await findActiveVersion(db, workspaceId);
    if (options.basedOn !== undefined && (active?.version ?? 0) !== options.basedOn) {
      throw new AppError(
        'conflict',
        `The active routing version is ${active?.version ?? 'none'}, not ${options.basedOn}: someone applied a change meanwhile. Fetch the active version, merge your change into it and apply again.`,
        { activeVersion: active?.version ?? null },
      );
    }
    const changes = accountChangesOf(merged.accounts, live);
    const previous = active ? documentOf(views, active) : null;
    const sameRouting =
      previous !== null &&
      JSON.stringify(withoutAccounts(previous)) === JSON.stringify(withoutAccounts(merged));
    if (sameRouting && changes.length === 0 && options.always !== true) {
      if (options.alongside) await db.transaction().execute(options.alongside);
      return {
        version: active?.version ?? null,
        changed: false,
        accountChanges: [],
        warnings: printedWarnings,
        document: merged,
      };
    }

    const now = clock().toISOString();
    const message =
      options.message?.trim() ||
      (options.restoredFrom === undefined
        ? 'Routing config applied'
        : `Rollback to version ${options.restoredFrom}`);
    const version = (await findLatestVersionNumber(db, workspaceId)) + 1;
    try {
      await db.transaction().execute(async (trx) => {
        await options.alongside?.(trx);
        await deps.refuseCatalogConflicts?.(trx, workspaceId, merged);
        await insertVersion(trx, {
          workspaceId,
          version,
          document: merged,
          author: options.actor,
          message,
          restoredFrom: options.restoredFrom ?? null,
          createdAt: now,
        });
        await activateVersion(trx, workspaceId, version, now);
        await audit.record(trx, {
          workspaceId,
          actor: options.actor,
          action: options.restoredFrom === undefined ? 'routing.applied' : 'routing.rolled_back',
          subject: 'routing',
          before: { version: active?.version ?? null },
          after: {
            version,
            message,
            restoredFrom: options.restoredFrom ?? null,
            accounts: changes.map(({ handle, fields }) => ({ handle, fields })),
          },
        });
        // In the same transaction: a version is never active without the account changes it made.
        await accounts.applyRoutingFields(
          trx,
          workspaceId,
          {
            primary: changes.find((change) => change.primary)?.handle ?? null,
            patches: changes.map(({ handle, patch }) => ({ handle, patch })),
          },
          options.actor,
        );
      });
    } catch (error) {
      // Two applies raced for the same version number; the other one won.
      if (await findVersion(db, workspaceId, version)) {
        throw new AppError(
          'conflict',
          `Routing version ${version} was just applied by someone else.`,
          { version, next: 'routing.history' },
        );
      }
      throw error;
    }

    return {
      version,
      changed: true,
      accountChanges: changes.map(({ handle, fields }) => ({ handle, fields })),
      warnings: printedWarnings,
      document: (await loadActive(workspaceId)).document,
    };
  }

  async function liveRouting(
    workspaceId: string,
    mode: Mode,
    known?: number,
  ): Promise<LiveRouting> {
    const revision = known ?? (await revisions.current());
    const [{ active, routing }, live] = await Promise.all([
      activeRouting.get(workspaceId, revision),
      liveAccounts.of(workspaceId, revision),
    ]);
    const { accounts: healthList, breakers } = await health.healthOf(live, mode);
    const healthByHandle: Record<string, HealthState> = {};
    for (const account of healthList) {
      const state = account.modes[mode]?.health ?? 'healthy';
      if (state !== 'healthy') healthByHandle[account.handle] = state;
    }
    return {
      version: active.version,
      document: active.document,
      routing,
      health: healthByHandle,
      accountIds: new Map(healthList.map((account) => [account.handle, account.accountId])),
      breakers,
    };
  }

  return {
    showActive: loadActive,
    liveRouting,

    async listVersions(workspaceId, limit = 100) {
      const [versions, active] = await Promise.all([
        listVersions(db, workspaceId, limit),
        findActiveVersion(db, workspaceId),
      ]);
      return versions.map(({ version, author, createdAt, message, restoredFrom, document }) => ({
        version,
        active: version === active?.version,
        author,
        createdAt,
        message,
        restoredFrom,
        rules: document.rules.length,
        pins:
          Object.keys(document.products).length +
          Object.keys(document.steps).length +
          Object.keys(document.funnels).length,
      }));
    },

    async applyDocument(workspaceId, input, options) {
      const parsed = parseRoutingConfig(input);
      if (!parsed.success) throw AppError.validation(fieldsOf(parsed.problems, options.root));
      return applyParsed(workspaceId, parsed.value, options);
    },

    async rollback(workspaceId, version, actor) {
      const stored = await findVersion(db, workspaceId, version);
      if (!stored) {
        throw new AppError('not_found', `There is no routing version ${version}.`, { version });
      }
      const old = stored.document;
      const live = new Set((await accounts.listAccounts(workspaceId)).map((view) => view.handle));
      const restored = { ...old, accounts: old.accounts.filter((a) => live.has(a.handle)) };
      return applyParsed(workspaceId, restored, {
        actor,
        message: `Rollback to version ${version}`,
        restoredFrom: version,
        always: true,
      });
    },

    async showVersion(workspaceId, version) {
      const [stored, previous] = await Promise.all([
        findVersion(db, workspaceId, version),
        version > 1 ? findVersion(db, workspaceId, version - 1) : undefined,
      ]);
      return stored && { version: stored, previous };
    },

    async explain(workspaceId, input) {
      const parsed = parsePaymentContext(input);
      if (!parsed.success) throw AppError.validation(fieldsOf(parsed.problems, 'context'));
      const context: PaymentContext = parsed.value;
      const live = await liveRouting(workspaceId, context.mode);
      const healthSeen = { ...live.health, ...context.health };
      const decision = live.routing.route({ ...context, health: healthSeen });
      return {
        version: live.version,
        decision,
        health: healthSeen,
        warnings: findContextWarnings(live.document, context).map((warning) => ({
          path: fieldPath(warning.path, 'context'),
          message: warning.message,
        })),
      };
    },
  };
}

/** The routing document: accounts from the live accounts, the rest from the stored version. */
function documentOf(
  views: readonly AccountView[],
  active: RoutingVersion | undefined,
): RoutingConfig {
  const stored = active?.document ?? null;
  return {
    accounts: views.map(routingAccountOf),
    rules: stored?.rules ?? [],
    funnels: stored?.funnels ?? {},
    steps: stored?.steps ?? {},
    products: stored?.products ?? {},
  };
}

function routingAccountOf(view: AccountView): RoutingAccount {
  return {
    handle: view.handle,
    role: view.role,
    modes: modesOf(view),
    priority: view.priority,
    ...(view.currencies === null ? {} : { currencies: view.currencies }),
    ...(view.caps === null ? {} : { caps: view.caps }),
    enabled: view.enabled,
    drain: view.drain,
    label: view.label,
    purpose: view.purpose,
  };
}

function modesOf(view: AccountView): Mode[] {
  return modes.filter((mode) => view.modes[mode] !== undefined);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

function withoutAccounts(config: RoutingConfig) {
  return {
    rules: config.rules,
    funnels: config.funnels,
    steps: config.steps,
    products: config.products,
  };
}

interface AccountChange {
  handle: string;
  fields: string[];
  /** Becomes the primary: done through `makePrimary`, which demotes the old one. */
  primary: boolean;
  patch: AccountChanges;
}

function accountChangesOf(
  proposed: readonly RoutingAccount[],
  live: ReadonlyMap<string, AccountView>,
): AccountChange[] {
  const changes: AccountChange[] = [];
  for (const account of proposed) {
    const view = live.get(account.handle);
    if (!view) continue;
    const patch: AccountChanges = {};
    const fields: string[] = [];
    for (const field of routingFields) {
      switch (field) {
        case 'role':
          if (account.role !== view.role) fields.push('role');
          break;
        case 'currencies': {
          const wanted = account.currencies ?? null;
          if (JSON.stringify(wanted) !== JSON.stringify(view.currencies)) {
            patch.currencies = wanted;
            fields.push(field);
          }
          break;
        }
        case 'caps': {
          const wanted =
            account.caps === undefined || account.caps.length === 0 ? null : account.caps;
          if (JSON.stringify(wanted) !== JSON.stringify(view.caps)) {
            patch.caps = wanted;
            fields.push(field);
          }
          break;
        }
        case 'label':
        case 'purpose': {
          // Left out: unchanged; labels are for people and an export always carries them.
          const wanted = account[field];
          if (wanted !== undefined && wanted !== view[field]) {
            patch[field] = wanted;
            fields.push(field);
          }
          break;
        }
        case 'priority':
          if (account.priority !== view.priority) {
            patch.priority = account.priority;
            fields.push(field);
          }
          break;
        case 'enabled':
        case 'drain':
          if (account[field] !== view[field]) {
            patch[field] = account[field];
            fields.push(field);
          }
      }
    }
    if (fields.length > 0) {
      changes.push({
        handle: account.handle,
        fields,
        primary: account.role === 'primary' && view.role !== 'primary',
        patch,
      });
    }
  }
  return changes;
}

function fieldsOf(problems: readonly SchemaProblem[], root = 'document'): FieldProblem[] {
  return problems.map((problem) => ({
    field: fieldPath(problem.path, root),
    message: problem.message,
  }));
}

function refuse(
  errors: FieldProblem[],
  warnings: ReadonlyArray<{ path: string; message: string }>,
): AppError {
  return new AppError(
    'routing_config_invalid',
    [
      `The routing config has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was changed:`,
      ...errors.map((error) => `  ${error.field}: ${error.message}`),
    ].join('\n'),
    { fields: errors, warnings },
  );
}
