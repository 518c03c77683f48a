import { escapeHtml } from '../http/pages.js';
import { explainReason } from '../routing/explanation.js';
import type { Outcome, RoutingDecision } from '../routing/index.js';
import { badge, fieldId, type Tone } from './forms.js';
import type { Simulation } from './routing-simulator.js';

/** The simulator's answer: the decision for the tried payment, and every reason, in sentences. */

export const simulationId = 'simulation-result';

const outcomeTones: Record<Outcome, Tone> = {
  selected: 'ok',
  fallback: 'warn',
  needs_new_payment_method: 'warn',
  conflict: 'fail',
  no_account: 'fail',
  unavailable: 'fail',
};

const outcomeWords: Record<Outcome, string> = {
  selected: 'Chosen',
  fallback: 'Fallback',
  needs_new_payment_method: 'New card needed',
  conflict: 'Conflict',
  no_account: 'No account',
  unavailable: 'Unavailable',
};

/** One line a merchant reads first: who takes the payment. */
export function headlineOf(decision: RoutingDecision): string {
  const account = decision.account ?? 'no account';
  switch (decision.outcome) {
    case 'selected':
      return `${account} takes the payment.`;
    case 'fallback':
      return `${account} takes the payment, in place of ${decision.fallbackFrom ?? 'the first choice'}.`;
    case 'needs_new_payment_method':
      return `The customer must enter a new card, which ${account} would take.`;
    case 'conflict':
      return 'The payment is refused: its products are pinned to different accounts.';
    case 'no_account':
      return 'No account can take this payment.';
    case 'unavailable':
      return 'This payment cannot run now.';
  }
}

export function decidedBy(decision: RoutingDecision): string {
  const { level, ref } = decision.matched;
  switch (level) {
    case 'continuation':
      return 'the account of the original payment';
    case 'product':
      return `product pin ${ref ?? ''}`;
    case 'step':
      return `step pin ${ref ?? ''}`;
    case 'funnel':
      return `funnel pin ${ref ?? ''}`;
    case 'rule':
      return `rule ${ref ?? ''}`;
    case 'default':
      return 'the primary account (no pin or rule applies)';
  }
}

function candidatesTable(
  decision: RoutingDecision,
  payment: { mode: 'test' | 'live'; currency: string },
): string {
  if (decision.candidates.length === 0) return '';
  const rows = decision.candidates
    .map((candidate) => {
      const reasons =
        candidate.reasons.length === 0
          ? '—'
          : candidate.reasons
              .map((reason) => escapeHtml(explainReason(candidate.account, reason, payment)))
              .join(' ');
      return `<tr><td>${escapeHtml(candidate.account)}</td><td>${candidate.eligible ? badge('Can take it', 'ok') : badge('Cannot', 'fail')}</td><td>${reasons}</td></tr>`;
    })
    .join('');
  return `<div class="table-wrap" role="region" aria-label="Accounts the router looked at" tabindex="0"><table><caption class="visually-hidden">Accounts the router looked at</caption><thead><tr><th scope="col">Account</th><th scope="col">This payment</th><th scope="col">Why not</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const splitKeyWords: Record<NonNullable<RoutingDecision['split']>['key'], string> = {
  customer: 'the customer’s email',
  order: 'the order id',
  none: 'no email or order id',
};

/** The split and customer affinity in words: which bucket, which weights, who was picked and why. */
function pickLines(decision: RoutingDecision): string {
  const lines: string[] = [];
  const split = decision.split;
  if (split !== undefined) {
    const shares = split.weights.map((share) => `${share.account} ${share.weight}`).join(', ');
    lines.push(
      `<p class="split-pick" data-split-bucket="${split.bucket}" data-split-pick="${escapeHtml(split.pick)}">Split by weight ${escapeHtml(shares)}: bucket <strong>${split.bucket}</strong> of 10,000, from ${splitKeyWords[split.key]}, falls on <strong>${escapeHtml(split.pick)}</strong>.</p>`,
    );
  }
  if (decision.picked?.reason === 'customer_affinity') {
    lines.push(
      `<p class="split-pick">Kept on <strong>${escapeHtml(decision.picked.account)}</strong>: the customer already has a Stripe customer there, and the rule keeps returning customers on their account.</p>`,
    );
  } else if (split !== undefined && decision.account !== null && decision.account !== split.pick) {
    lines.push(
      `<p class="split-pick">${escapeHtml(split.pick)} cannot take it, so ${escapeHtml(decision.account)} does (see why below).</p>`,
    );
  }
  return lines.join('\n');
}

export function problemList(problems: ReadonlyArray<{ field: string; message: string }>): string {
  return `<ul>${problems
    .map(
      (problem) =>
        `<li>${problem.field === 'document' ? '' : `<a href="#${fieldId(problem.field)}">`}${escapeHtml(problem.message)}${problem.field === 'document' ? '' : '</a>'}</li>`,
    )
    .join('')}</ul>`;
}

/** The result box; htmx swaps exactly this element when "Try this payment" is pressed. */
export function renderSimulation(simulation: Simulation | null): string {
  const open = `<div id="${simulationId}" class="simulation" aria-live="polite">`;
  if (simulation === null) {
    return `${open}<p class="muted">Fill in a payment and press “Try this payment”.</p></div>`;
  }
  if (simulation.kind === 'draft_invalid') {
    return `${open}<p><strong>The rules as edited have ${simulation.errors.length === 1 ? 'a problem' : `${simulation.errors.length} problems`}, so they cannot be tried yet:</strong></p>${problemList(simulation.errors)}</div>`;
  }
  if (simulation.kind === 'payment_invalid') {
    return `${open}<p><strong>Check the payment to try:</strong></p>${problemList(simulation.errors)}</div>`;
  }
  const { decision, saved } = simulation;
  const payment = { mode: simulation.mode, currency: simulation.currency };
  const changed = saved.account !== decision.account || saved.outcome !== decision.outcome;
  const savedLine =
    simulation.savedVersion === null
      ? ''
      : `<p class="${changed ? 'saved-differs' : 'muted'}">${
          changed
            ? `With the saved rules (version ${simulation.savedVersion}): ${escapeHtml(headlineOf(saved))} Your edits change this.`
            : `Same as with the saved rules (version ${simulation.savedVersion}).`
        }</p>`;
  const unhealthy = Object.entries(simulation.health);
  const healthLine = `<p class="muted">Health used: ${
    unhealthy.length === 0
      ? 'every account healthy.'
      : `${unhealthy.map(([handle, state]) => `${escapeHtml(handle)} ${escapeHtml(state)}`).join(', ')}; the others healthy.`
  }</p>`;
  const warnings =
    simulation.warnings.length === 0
      ? ''
      : `<div class="routing-warnings"><p><strong>Worth a look:</strong></p>${problemList(simulation.warnings)}</div>`;
  return `${open}<p class="decision-head">${badge(outcomeWords[decision.outcome], outcomeTones[decision.outcome])} <strong data-decision-account="${escapeHtml(decision.account ?? '')}">${escapeHtml(headlineOf(decision))}</strong></p>
<p>Decided by ${escapeHtml(decidedBy(decision))}.</p>
${pickLines(decision)}${savedLine}<h3>Why</h3>
<ol class="explanation">${decision.explanation.map((sentence) => `<li>${escapeHtml(sentence)}</li>`).join('')}</ol>
${candidatesTable(decision, payment)}${healthLine}${warnings}</div>`;
}
