import { escapeHtml } from '../http/pages.js';
import { healthStates, paymentKinds, type RoutingAccount } from '../routing/index.js';
import type { ConsoleVisit } from './console-app.js';
import {
  checkboxField,
  csrfInput,
  type FieldErrors,
  selectField,
  textareaField,
  textField,
} from './forms.js';
import { renderSimulation } from './routing-decision.js';
import type { PinForm, PinKind, RoutingForm, RuleForm, TryForm } from './routing-form.js';
import type { Simulation } from './routing-simulator.js';

/**
 * The one form of the routing page: rules, pins, the payment to try and the save. Every button
 * posts the whole form, so edits are never lost between "Add a rule", "Try" and "Save".
 */

export const draftAction = '/admin/routing/draft';

export interface EditorInput {
  visit: ConsoleVisit;
  accounts: readonly RoutingAccount[];
  form: RoutingForm;
  payment: TryForm;
  simulation: Simulation | null;
  errors: FieldErrors;
  canSave: boolean;
}

const pinNouns: Record<PinKind, { one: string; slug: string; hint: string; title: string }> = {
  products: {
    one: 'product pin',
    slug: 'Product',
    hint: 'The product’s slug, e.g. coaching. A product pin decides before anything else.',
    title: 'Product pins',
  },
  steps: {
    one: 'step pin',
    slug: 'Step',
    hint: 'funnel/step, e.g. webinar/order.',
    title: 'Step pins',
  },
  funnels: {
    one: 'funnel pin',
    slug: 'Funnel',
    hint: 'The funnel’s slug, e.g. webinar.',
    title: 'Funnel pins',
  },
};

function accountOptions(accounts: readonly RoutingAccount[], current: string) {
  const options = accounts.map((account) => ({
    value: account.handle,
    label: `${account.handle}${account.label && account.label !== account.handle ? ` — ${account.label}` : ''}${account.role === 'primary' ? ' (primary)' : ''}`,
  }));
  if (current !== '' && !accounts.some((account) => account.handle === current)) {
    options.push({ value: current, label: `${current} (not connected)` });
  }
  return options;
}

const fallbackOptions = [
  { value: 'auto', label: 'Automatic' },
  { value: 'list', label: 'Only the fallback accounts' },
  { value: 'none', label: 'None: refuse the payment' },
];

function button(label: string, intent: string, anchor: string, context = ''): string {
  return `<button type="submit" class="button secondary" name="intent" value="${escapeHtml(intent)}" formaction="${draftAction}#${escapeHtml(anchor)}">${escapeHtml(label)}${context ? `<span class="visually-hidden"> ${escapeHtml(context)}</span>` : ''}</button>`;
}

const splitKeyOptions = [
  { value: 'customer', label: 'Customer email' },
  { value: 'order', label: 'Order id' },
];

/** A split instead of one account: not for product pins, whose offers must stay on one account. */
function splitFields(at: string, row: PinForm | RuleForm, input: EditorInput): string {
  const error = (field: string) => input.errors[`${at}.${field}`];
  return `${textField({ name: `${at}.split`, label: 'Split between accounts', hint: 'Account and weight, e.g. us 80, us2 20; leave empty to use one account.', value: row.split, error: error('split') })}
${selectField({ name: `${at}.splitKey`, label: 'Split by', hint: 'The same email keeps its account while the weights stay; no email: the order id.', value: row.splitKey || 'customer', options: splitKeyOptions, error: error('splitKey') })}
`;
}

function targetFields(
  at: string,
  row: PinForm | RuleForm,
  input: EditorInput,
  context: string,
  splits: boolean,
): string {
  const error = (field: string) => input.errors[`${at}.${field}`];
  return `${selectField({ name: `${at}.use`, label: 'Account', value: row.use, options: accountOptions(input.accounts, row.use), error: error('use') })}
${splits ? splitFields(at, row, input) : ''}${selectField({ name: `${at}.fallback`, label: `If ${context} cannot take the payment`, value: row.fallback, hint: 'Automatic: the primary, then the other accounts by priority.', options: fallbackOptions, error: error('fallback') })}
${textField({ name: `${at}.fallbackList`, label: 'Fallback accounts', hint: 'Handles in the order to try them, e.g. eu, backup.', value: row.fallbackList, error: error('fallbackList') })}`;
}

function ruleFieldset(rule: RuleForm, index: number, input: EditorInput): string {
  const at = `rules[${index}]`;
  const error = (field: string) => input.errors[`${at}.${field}`];
  const number = `rule ${index + 1}`;
  const last = index === input.form.rules.length - 1;
  const moves = [
    index > 0 ? button('Move up', `up:${index}`, `rule-${index - 1}`, number) : '',
    last ? '' : button('Move down', `down:${index}`, `rule-${index + 1}`, number),
    button('Remove', `remove-rule:${index}`, 'rules', number),
  ].join('');
  return `<fieldset class="rule" id="rule-${index}">
<legend>Rule ${index + 1}${rule.name ? `: ${escapeHtml(rule.name)}` : ''}</legend>
<div class="routing-fields">
${textField({ name: `${at}.name`, label: 'Name', hint: 'Unique, e.g. euro-sales.', value: rule.name, error: error('name') })}
${targetFields(at, rule, input, 'it', true)}
${checkboxField({ name: `${at}.prefer`, label: 'Keep returning customers on their account', value: 'customer_account', checked: rule.prefer === 'customer_account', hint: 'A buyer who already has a Stripe customer on one of this rule’s accounts pays there, so their saved card works.', error: error('prefer') })}
</div>
<p class="conditions-title">Applies when the payment matches all of these (leave a field empty for any):</p>
<div class="routing-fields">
${textField({ name: `${at}.when.currency`, label: 'Currencies', hint: 'e.g. EUR, GBP', value: rule.currency, error: error('when.currency') })}
${textField({ name: `${at}.when.country`, label: 'Buyer countries', hint: 'Two letters, e.g. DE, FR', value: rule.country, error: error('when.country') })}
${textField({ name: `${at}.when.amount.min`, label: 'Amount from', hint: 'In cents: 4900 for 49.00', value: rule.amountMin, inputmode: 'numeric', error: error('when.amount.min') })}
${textField({ name: `${at}.when.amount.max`, label: 'Amount up to', hint: 'In cents, included', value: rule.amountMax, inputmode: 'numeric', error: error('when.amount.max') })}
${textField({ name: `${at}.when.products`, label: 'Products', hint: 'Any of these slugs', value: rule.products, error: error('when.products') })}
${textField({ name: `${at}.when.tags`, label: 'Product tags', hint: 'Any of these tags', value: rule.tags, error: error('when.tags') })}
${textField({ name: `${at}.when.funnel`, label: 'Funnels', hint: 'Any of these funnel slugs', value: rule.funnel, error: error('when.funnel') })}
</div>
<div class="buttons">${moves}</div>
</fieldset>`;
}

function pinFieldset(kind: PinKind, pin: PinForm, index: number, input: EditorInput): string {
  const noun = pinNouns[kind];
  const at = `${kind}[${index}]`;
  const label = `${noun.slug} pin ${index + 1}`;
  return `<fieldset class="pin" id="${kind}-${index}">
<legend>${escapeHtml(label)}${pin.slug ? `: ${escapeHtml(pin.slug)}` : ''}</legend>
<div class="routing-fields">
${textField({ name: `${at}.slug`, label: noun.slug, hint: noun.hint, value: pin.slug, error: input.errors[`${at}.slug`] })}
${targetFields(at, pin, input, 'it', kind !== 'products')}
</div>
<div class="buttons">${button('Remove', `remove-pin:${kind}:${index}`, `pins-${kind}`, label)}</div>
</fieldset>`;
}

function rulesPanel(input: EditorInput): string {
  const rules = input.form.rules.map((rule, index) => ruleFieldset(rule, index, input)).join('\n');
  return `<section class="panel" id="rules" aria-labelledby="rules-title">
<h2 id="rules-title">Rules</h2>
<p class="muted">The first rule that matches a payment picks its account. Pins (below) come before the rules; with no pin or rule, the primary account takes the payment.</p>
${rules || '<p class="empty">No rules yet: every payment without a pin goes to the primary account.</p>'}
<div class="buttons">${button('Add a rule', 'add-rule', `rule-${input.form.rules.length}`)}</div>
</section>`;
}

function pinsPanel(input: EditorInput): string {
  const groups = (['products', 'steps', 'funnels'] as const)
    .map((kind) => {
      const noun = pinNouns[kind];
      const pins = input.form.pins[kind]
        .map((pin, index) => pinFieldset(kind, pin, index, input))
        .join('\n');
      return `<div class="pin-group" id="pins-${kind}"><h3>${noun.title}</h3>
${pins || `<p class="muted">No ${noun.one}s.</p>`}
<div class="buttons">${button(`Add a ${noun.one}`, `add-pin:${kind}`, `${kind}-${input.form.pins[kind].length}`)}</div></div>`;
    })
    .join('\n');
  return `<section class="panel" id="pins" aria-labelledby="pins-title">
<h2 id="pins-title">Pins</h2>
<p class="muted">A pin sends every payment of a product, a funnel step or a funnel to one account. A product pin wins over a step pin, a step pin over a funnel pin.</p>
${groups}
</section>`;
}

const healthWords: Record<(typeof healthStates)[number], string> = {
  healthy: 'Healthy',
  degraded: 'Degraded (still takes payments)',
  down: 'Down',
  disconnected: 'Disconnected',
  restricted: 'Restricted by Stripe',
};

const kindWords: Record<(typeof paymentKinds)[number], string> = {
  initial: 'First payment',
  upsell: 'Upsell or downsell (saved card)',
  renewal: 'Subscription renewal',
  refund: 'Refund',
};

function simulatorPanel(input: EditorInput): string {
  const { payment, errors } = input;
  const handles = input.accounts.map((account) => account.handle);
  const health = handles
    .map((handle) =>
      selectField({
        name: `try.health.${handle}`,
        label: `Health of ${handle}`,
        value: payment.health[handle] ?? '',
        options: [
          { value: '', label: 'As it is now' },
          ...healthStates.map((state) => ({ value: state, label: healthWords[state] })),
        ],
        error: errors[`try.health.${handle}`],
      }),
    )
    .join('\n');
  const usage = handles
    .flatMap((handle) => [
      textField({
        name: `try.usage.${handle}.day`,
        label: `${handle} took today`,
        value: payment.usage[handle]?.day ?? '',
        inputmode: 'numeric',
        error: errors[`try.usage.${handle}.day`],
      }),
      textField({
        name: `try.usage.${handle}.month`,
        label: `${handle} took this month`,
        value: payment.usage[handle]?.month ?? '',
        inputmode: 'numeric',
        error: errors[`try.usage.${handle}.month`],
      }),
    ])
    .join('\n');
  return `<section class="panel simulator" id="simulator" aria-labelledby="simulator-title">
<h2 id="simulator-title">Try a payment</h2>
<p class="muted">See which account would take a payment with the rules and pins as edited above, before you save them. Nothing is charged or saved.</p>
<div class="routing-fields">
${selectField({
  name: 'try.mode',
  label: 'Mode',
  value: payment.mode,
  options: [
    { value: 'test', label: 'Test' },
    { value: 'live', label: 'Live' },
  ],
  error: errors['try.mode'],
})}
${selectField({ name: 'try.kind', label: 'Kind of payment', value: payment.kind, options: paymentKinds.map((kind) => ({ value: kind, label: kindWords[kind] })), error: errors['try.kind'] })}
${textField({ name: 'try.currency', label: 'Currency', hint: 'e.g. EUR', value: payment.currency, error: errors['try.currency'] })}
${textField({ name: 'try.country', label: 'Buyer country', hint: 'e.g. DE', value: payment.country, error: errors['try.country'] })}
${textField({ name: 'try.amount', label: 'Amount', hint: 'In cents: 4900 for 49.00', value: payment.amount, inputmode: 'numeric', error: errors['try.amount'] })}
${textField({ name: 'try.products', label: 'Products', hint: 'Slugs, e.g. coaching, ebook', value: payment.products, error: errors['try.products'] })}
${textField({ name: 'try.tags', label: 'Product tags', value: payment.tags, error: errors['try.tags'] })}
${textField({ name: 'try.funnel', label: 'Funnel', hint: 'e.g. webinar', value: payment.funnel, error: errors['try.funnel'] })}
${textField({ name: 'try.step', label: 'Step', hint: 'funnel/step, e.g. webinar/order', value: payment.step, error: errors['try.step'] })}
${textField({ name: 'try.customer', label: 'Customer email', hint: 'A split buckets by it, e.g. ann@example.com', type: 'email', value: payment.customer, error: errors['try.customer'] })}
${textField({ name: 'try.customerAccounts', label: 'Accounts where the customer is known', hint: 'Where they already have a Stripe customer, e.g. us', value: payment.customerAccounts, error: errors['try.customerAccounts'] })}
${textField({ name: 'try.order', label: 'Order id', hint: 'The key of a split by order, or without an email', value: payment.order, error: errors['try.order'] })}
${selectField({ name: 'try.parent', label: 'Account of the original payment', hint: 'For upsells, renewals and refunds.', value: payment.parent, options: [{ value: '', label: 'None' }, ...handles.map((handle) => ({ value: handle, label: handle }))], error: errors['try.parent'] })}
</div>
<details class="usage-overrides"${Object.values(payment.usage).some((taken) => taken.day !== '' || taken.month !== '') ? ' open' : ''}>
<summary>Pretend an account already took payments (for its caps)…</summary>
<p class="muted">In cents of the payment’s currency: 98000 for 980.00.</p>
<div class="routing-fields">${usage}</div>
</details>
<details class="health-overrides"${Object.values(payment.health).some((state) => state !== '') ? ' open' : ''}>
<summary>Pretend an account is down, degraded…</summary>
<div class="routing-fields">${health}</div>
</details>
<div class="buttons"><button type="submit" class="button primary" name="intent" value="try" formaction="${draftAction}#simulator" hx-post="${draftAction}" hx-target="#simulation-result" hx-swap="outerHTML">Try this payment</button></div>
${renderSimulation(input.simulation)}
</section>`;
}

function savePanel(input: EditorInput): string {
  if (!input.canSave) {
    return `<section class="panel" aria-labelledby="save-title"><h2 id="save-title">Save</h2><p class="muted">You can change the rules here and try payments against them; only an owner or an admin can save them.</p></section>`;
  }
  return `<section class="panel" id="save" aria-labelledby="save-title">
<h2 id="save-title">Save as a new version</h2>
${textareaField({ name: 'message', label: 'What changed, and why', hint: 'Shown in the list of versions. Left empty: “Changed in the console”.', value: input.form.message, rows: 2, error: input.errors.message })}
<div class="buttons"><button type="submit" class="button primary" name="intent" value="save" formaction="/admin/routing">Save routing</button></div>
</section>`;
}

export function renderEditor(input: EditorInput): string {
  // The first submit button is what Enter in a field presses: trying, never saving or removing.
  return `<form method="post" action="${draftAction}#simulator" class="routing-form" novalidate>
${csrfInput(input.visit)}<input type="hidden" name="basedOn" value="${escapeHtml(input.form.basedOn)}">
<button type="submit" name="intent" value="try" class="visually-hidden" tabindex="-1" aria-hidden="true">Try this payment</button>
<div class="routing-layout">
<div class="routing-edit">
${rulesPanel(input)}
${pinsPanel(input)}
</div>
<div class="routing-side">
${simulatorPanel(input)}
${savePanel(input)}
</div>
</div>
</form>`;
}
