import {
  compileRouting,
  findContextWarnings,
  type HealthState,
  type Mode,
  parsePaymentContext,
  parseRoutingConfig,
  type RoutingConfig,
  type RoutingDecision,
  validateRoutingConfig,
} from '../routing/index.js';
import type { RoutingConfigService } from '../routing-config/routing-config.service.js';
import {
  contextOf,
  documentOf,
  type FormProblem,
  formFieldOf,
  inWords,
  type RoutingForm,
  type TryForm,
  tryFieldOf,
} from './routing-form.js';

/**
 * The rules as edited on the page, checked and tried on one payment without saving anything:
 * the accounts and their live health come from the workspace, the rules and pins from the form.
 */

export interface DraftReview {
  /** The document the form describes, when it is valid. */
  document: RoutingConfig | null;
  /** Problems by form field (or `document` for those no field holds). */
  errors: FormProblem[];
  warnings: FormProblem[];
}

export type Simulation =
  | { kind: 'draft_invalid'; errors: FormProblem[] }
  | { kind: 'payment_invalid'; errors: FormProblem[] }
  | {
      kind: 'decided';
      decision: RoutingDecision;
      /** What the saved rules decide for the same payment, to show what the edits change. */
      saved: RoutingDecision;
      savedVersion: number | null;
      mode: Mode;
      currency: string;
      /** The health the decision saw: live, with the person's pretended states on top. */
      health: Record<string, HealthState>;
      warnings: FormProblem[];
    };

function problemAt(path: ReadonlyArray<string | number>, form: RoutingForm, message: string) {
  return { field: formFieldOf(path, form) ?? 'document', message: inWords(message) };
}

/** The form's document joined with the workspace's accounts, validated as a save would. */
export function reviewDraft(form: RoutingForm, active: RoutingConfig): DraftReview {
  const { document: input, problems } = documentOf(form);
  const parsed = parseRoutingConfig(input);
  if (!parsed.success) {
    return {
      document: null,
      errors: [
        ...problems,
        ...parsed.problems.map((problem) => problemAt(problem.path, form, problem.message)),
      ],
      warnings: [],
    };
  }
  const document = { ...parsed.value, accounts: active.accounts };
  const review = validateRoutingConfig(document);
  const errors = [
    ...problems,
    ...review.errors.map((error) => problemAt(error.path, form, error.message)),
  ];
  return {
    document: errors.length === 0 ? document : null,
    errors,
    warnings: review.warnings.map((warning) => problemAt(warning.path, form, warning.message)),
  };
}

export async function simulate(
  routing: Pick<RoutingConfigService, 'showActive' | 'liveRouting'>,
  workspaceId: string,
  form: RoutingForm,
  payment: TryForm,
): Promise<Simulation> {
  const active = await routing.showActive(workspaceId);
  const draft = reviewDraft(form, active.document);
  if (draft.document === null) return { kind: 'draft_invalid', errors: draft.errors };
  const parsed = parsePaymentContext(contextOf(payment));
  if (!parsed.success) {
    return {
      kind: 'payment_invalid',
      errors: parsed.problems.map((problem) => ({
        field: tryFieldOf(problem.path),
        message: problem.message,
      })),
    };
  }
  const context = parsed.value;
  const live = await routing.liveRouting(workspaceId, context.mode);
  const health = { ...live.health, ...context.health };
  const seen = { ...context, health };
  return {
    kind: 'decided',
    decision: compileRouting(draft.document).route(seen),
    saved: live.routing.route(seen),
    savedVersion: live.version,
    mode: context.mode,
    currency: context.currency,
    health,
    warnings: findContextWarnings(draft.document, context).map((warning) => ({
      field: tryFieldOf(warning.path),
      message: warning.message,
    })),
  };
}
