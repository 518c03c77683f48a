import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError, type FieldProblem, fieldPath } from '../errors.js';
import {
  compileRouting,
  parseRoutingConfig,
  type RoutingAccount,
  type RoutingConfig,
  validateRoutingConfig,
} from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import {
  listCustomersKnownBefore,
  listProductTags,
  listReplayPayments,
  type ReplayCursor,
  sumUsageBefore,
} from './replay.repository.js';
import { createReplayWorld, type ReplayPlacement } from './replay-world.js';

/**
 * `route replay`: the stored payments of a window routed again by a candidate routing document,
 * in time order, and what would have moved where. Reads only: nothing is stored or changed.
 */

export interface ReplayRequest {
  /** The candidate routing document, as `PUT /api/routing` takes it. */
  document: unknown;
  /** ISO 8601: inclusive start of the window; absent: the first payment. */
  from?: string | undefined;
  /** ISO 8601: exclusive end of the window; absent: up to now. */
  to?: string | undefined;
}

export interface ReplayOptions {
  /** How the caller names the document in error paths: `document` (API) or `config` (CLI file). */
  root?: 'document' | 'config';
  /** How the caller names the window's bounds: `from`/`to` (API) or `--from`/`--to` (CLI). */
  windowFields?: { from: string; to: string };
  /** Payments read per query. */
  pageSize?: number;
}

/** Minor units per currency, e.g. {"usd": 123400}. */
export type Volume = Record<string, number>;

export interface ReplayExample {
  payment: string;
  order: string;
  createdAt: string;
  amount: number;
  currency: string;
  from: string;
  to: string | null;
  /** The first sentences of the new decision. */
  explanation: string[];
}

export interface ReplayMove {
  from: string;
  to: string;
  payments: number;
  volume: Volume;
  /** At most three. */
  examples: ReplayExample[];
}

export interface ReplayReport {
  window: {
    from: string | null;
    to: string | null;
    /** When the first and last replayed payments were made; null when there were none. */
    first: string | null;
    last: string | null;
  };
  document: {
    /** The active routing version the candidate is compared with (what placed the payments). */
    activeVersion: number | null;
    /** `document`: the candidate's own accounts part (merged with the live accounts); `live`: it had none. */
    accounts: 'document' | 'live';
    warnings: FieldProblem[];
  };
  /** What the replay assumed where nothing is stored. */
  assumptions: string[];
  totals: { payments: number; moved: number; unchanged: number; noAccount: number };
  /** Contexts stored with the payment, and rebuilt from the payment and its order. */
  contexts: { stored: number; rebuilt: number };
  /** Most payments first. */
  moves: ReplayMove[];
  noAccount: { payments: number; volume: Volume; examples: ReplayExample[] };
}

/** Runs a candidate routing over stored payments, writing nothing. */
export interface RoutingReplay {
  replay(
    workspaceId: string,
    request: ReplayRequest,
    options?: ReplayOptions,
  ): Promise<ReplayReport>;
}

export interface RoutingReplayDependencies {
  db: Kysely<Database>;
  routing: Pick<RoutingConfigService, 'showActive'>;
}

const examplesPerMove = 3;
const sentencesPerExample = 3;

export const replayAssumptions = [
  "Every account is assumed healthy: health is the moment's and is not stored with a payment.",
  'Usage against caps, and the accounts a buyer is known on, come from the replayed payments, plus what really happened before the window starts (the volume of its first day and month, the Stripe customers made before it).',
  "Contexts rebuilt for payments stored without one take the products' tags as they are now.",
];

export function createRoutingReplay(deps: RoutingReplayDependencies): RoutingReplay {
  const { db } = deps;
  return {
    async replay(workspaceId, request, options = {}) {
      const root = options.root ?? 'document';
      const window = windowOf(request, options.windowFields ?? { from: 'from', to: 'to' });
      const active = await deps.routing.showActive(workspaceId);
      const candidate = candidateOf(request.document, active.document.accounts, root);
      const world = createReplayWorld(
        compileRouting(candidate.document),
        await listProductTags(db, workspaceId),
        window.from === null
          ? undefined
          : {
              at: window.from,
              usage: await sumUsageBefore(db, workspaceId, window.from),
              customers: await listCustomersKnownBefore(db, workspaceId, window.from),
            },
      );
      const report = createReportBuilder();
      let after: ReplayCursor | null = null;
      const limit = options.pageSize ?? 500;
      for (;;) {
        const page = await listReplayPayments(db, { workspaceId, ...window, after, limit });
        for (const payment of page) report.add(world.place(payment));
        const last = page.at(-1);
        if (last === undefined || page.length < limit) break;
        after = { createdAt: last.createdAt, paymentId: last.paymentId };
      }
      return report.finish({
        window,
        document: {
          activeVersion: active.version,
          accounts: candidate.accounts,
          warnings: candidate.warnings,
        },
      });
    },
  };
}

/** The candidate as `PUT /api/routing` would run it, or its problems by JSON path. */
function candidateOf(
  input: unknown,
  live: readonly RoutingAccount[],
  root: string,
): { document: RoutingConfig; accounts: 'document' | 'live'; warnings: FieldProblem[] } {
  const parsed = parseRoutingConfig(input);
  if (!parsed.success) {
    throw AppError.validation(
      parsed.problems.map((problem) => ({
        field: fieldPath(problem.path, root),
        message: problem.message,
      })),
    );
  }
  const proposed = parsed.value;
  const ownAccounts = proposed.accounts.length > 0;
  const errors: FieldProblem[] = [];
  const byHandle = new Map(live.map((account) => [account.handle, account]));
  proposed.accounts.forEach((account, index) => {
    if (!byHandle.has(account.handle)) {
      errors.push({
        field: fieldPath(['accounts', index, 'handle'], root),
        message: `unknown account "${account.handle}": a replay routes over the connected accounts (${[...byHandle.keys()].join(', ') || 'none yet'})`,
      });
    }
  });
  const named = new Set(proposed.accounts.map((account) => account.handle));
  const document: RoutingConfig = ownAccounts
    ? {
        ...proposed,
        accounts: [
          // Modes come from the keys an account has, as when the document is applied.
          ...proposed.accounts.map((account) => ({
            ...account,
            modes: byHandle.get(account.handle)?.modes ?? account.modes,
          })),
          ...live.filter((account) => !named.has(account.handle)),
        ],
      }
    : { ...proposed, accounts: [...live] };
  const review = validateRoutingConfig(document);
  errors.push(
    ...review.errors.map((error) => ({
      field: fieldPath(error.path, root),
      message: error.message,
    })),
  );
  if (errors.length > 0) {
    throw new AppError(
      'routing_config_invalid',
      [
        `The routing config has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was replayed:`,
        ...errors.map((error) => `  ${error.field}: ${error.message}`),
      ].join('\n'),
      { fields: errors },
    );
  }
  return {
    document,
    accounts: ownAccounts ? 'document' : 'live',
    warnings: review.warnings.map((warning) => ({
      field: fieldPath(warning.path, root),
      message: warning.message,
    })),
  };
}

const isoInstant = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The window as the stored `created_at` strings compare: ISO 8601 in UTC. */
function windowOf(
  request: ReplayRequest,
  fields: { from: string; to: string },
): { from: string | null; to: string | null } {
  const from = instantOf(request.from, fields.from);
  const to = instantOf(request.to, fields.to);
  if (from !== null && to !== null && from >= to) {
    throw AppError.validation([
      {
        field: fields.to,
        message: `must come after ${fields.from} (${from}); the window is empty`,
      },
    ]);
  }
  return { from, to };
}

function instantOf(text: string | undefined, field: string): string | null {
  if (text === undefined) return null;
  const time = isoInstant.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw AppError.validation([
      {
        field,
        message: `"${text.slice(0, 40)}" is not a date: use ISO 8601, e.g. 2026-11-01 (UTC midnight) or 2026-11-01T12:00:00Z`,
      },
    ]);
  }
  return new Date(time).toISOString();
}

/** Counts placements into moves as they come, keeping a few examples of each. */
function createReportBuilder() {
  const moves = new Map<string, ReplayMove>();
  const noAccount: ReplayReport['noAccount'] = { payments: 0, volume: {}, examples: [] };
  const totals = { payments: 0, moved: 0, unchanged: 0, noAccount: 0 };
  const contexts = { stored: 0, rebuilt: 0 };
  let first: string | null = null;
  let last: string | null = null;

  function exampleOf(placement: ReplayPlacement): ReplayExample {
    const { payment } = placement;
    return {
      payment: payment.paymentId,
      order: payment.orderId,
      createdAt: payment.createdAt,
      amount: payment.amount,
      currency: payment.currency,
      from: payment.account,
      to: placement.account,
      explanation: placement.explanation.slice(0, sentencesPerExample),
    };
  }

  return {
    add(placement: ReplayPlacement): void {
      const { payment } = placement;
      totals.payments += 1;
      contexts[placement.context] += 1;
      first ??= payment.createdAt;
      last = payment.createdAt;
      if (placement.account === null) {
        totals.noAccount += 1;
        noAccount.payments += 1;
        addVolume(noAccount.volume, payment.currency, payment.amount);
        if (noAccount.examples.length < examplesPerMove)
          noAccount.examples.push(exampleOf(placement));
        return;
      }
      if (placement.account === payment.account) {
        totals.unchanged += 1;
        return;
      }
      totals.moved += 1;
      const key = `${payment.account}>${placement.account}`;
      let move = moves.get(key);
      if (move === undefined) {
        move = {
          from: payment.account,
          to: placement.account,
          payments: 0,
          volume: {},
          examples: [],
        };
        moves.set(key, move);
      }
      move.payments += 1;
      addVolume(move.volume, payment.currency, payment.amount);
      if (move.examples.length < examplesPerMove) move.examples.push(exampleOf(placement));
    },

    finish(
      about: Pick<ReplayReport, 'document'> & {
        window: { from: string | null; to: string | null };
      },
    ): ReplayReport {
      return {
        window: { ...about.window, first, last },
        document: about.document,
        assumptions: replayAssumptions,
        totals,
        contexts,
        moves: [...moves.values()].sort(
          (a, b) =>
            b.payments - a.payments || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
        ),
        noAccount,
      };
    },
  };
}

function addVolume(volume: Volume, currency: string, amount: number): void {
  volume[currency] = (volume[currency] ?? 0) + amount;
}
