import { z } from 'zod';
import { credentialsSchema, newAccountSchema } from '../accounts/accounts.routes.js';
import type { NewAccount } from '../accounts/accounts.service.js';
import type { KeyPair, Mode } from '../accounts/key-verification.js';
import { AppError, type FieldProblem, fieldPath, isAppError } from '../errors.js';
import { escapeHtml } from '../http/pages.js';
import type { ConsoleVisit } from './console-app.js';
import {
  csrfField,
  csrfInput,
  errorSummary,
  type FieldErrors,
  textareaField,
  textField,
} from './forms.js';

/**
 * The "Add by API keys" and "Replace keys" forms: what was typed (never a secret key, which is
 * not sent back into a page), and Stripe's refusal beside the field it is about, with its fix.
 */

/** What the form posts: flat fields, one per input. */
export const keysFormBody = z.object({
  ...csrfField,
  handle: z.string().max(200).default(''),
  label: z.string().max(400).default(''),
  purpose: z.string().max(4000).default(''),
  currencies: z.string().max(400).default(''),
  testSecretKey: z.string().max(500).default(''),
  testPublishableKey: z.string().max(500).default(''),
  liveSecretKey: z.string().max(500).default(''),
  livePublishableKey: z.string().max(500).default(''),
});
export type KeysForm = z.infer<typeof keysFormBody>;

export const emptyKeysForm: KeysForm = keysFormBody.parse({});

const labels: Record<string, string> = {
  handle: 'Handle',
  label: 'Name',
  purpose: 'Purpose',
  currencies: 'Currencies',
  testSecretKey: 'Test secret key',
  testPublishableKey: 'Test publishable key',
  liveSecretKey: 'Live secret key',
  livePublishableKey: 'Live publishable key',
};

/** The form's field of a service's field path (`credentials.test.secretKey` → `testSecretKey`). */
function formFieldOf(path: string, form: KeysForm): string {
  const key = /^credentials\.(test|live)\.(secretKey|publishableKey)/.exec(path);
  if (key) return `${key[1]}${key[2] === 'secretKey' ? 'SecretKey' : 'PublishableKey'}`;
  if (path.startsWith('credentials'))
    return givenModes(form)[0] === 'live' ? 'liveSecretKey' : 'testSecretKey';
  if (path.startsWith('currencies')) return 'currencies';
  return path in labels ? path : 'handle';
}

function givenModes(form: KeysForm): Mode[] {
  return (['test', 'live'] as const).filter((mode) => keyPairOf(form, mode) !== undefined);
}

function keyPairOf(form: KeysForm, mode: Mode): KeyPair | undefined {
  const secretKey = form[`${mode}SecretKey`].trim();
  const publishableKey = form[`${mode}PublishableKey`].trim();
  return secretKey || publishableKey ? { secretKey, publishableKey } : undefined;
}

function credentialsOf(form: KeysForm): Partial<Record<Mode, KeyPair>> {
  const credentials: Partial<Record<Mode, KeyPair>> = {};
  for (const mode of ['test', 'live'] as const) {
    const pair = keyPairOf(form, mode);
    if (pair) credentials[mode] = pair;
  }
  return credentials;
}

function refusedBy(issues: z.core.$ZodIssue[]): AppError {
  const problems: FieldProblem[] = issues.map((issue) => ({
    field: fieldPath(issue.path),
    message: issue.message,
  }));
  return AppError.validation(problems);
}

/** The new account the form describes, checked as the API checks it. */
export function newAccountOf(form: KeysForm): NewAccount {
  const parsed = newAccountSchema.safeParse({
    handle: form.handle.trim(),
    ...(form.label.trim() ? { label: form.label } : {}),
    ...(form.purpose.trim() ? { purpose: form.purpose } : {}),
    ...(form.currencies.trim()
      ? { currencies: form.currencies.split(/[\s,]+/).filter(Boolean) }
      : {}),
    credentials: credentialsOf(form),
  });
  if (!parsed.success) throw refusedBy(parsed.error.issues);
  return parsed.data;
}

/** The replacement keys the form holds, checked as the API checks them. */
export function replacementKeysOf(form: KeysForm): Partial<Record<Mode, KeyPair>> {
  const parsed = credentialsSchema.safeParse(credentialsOf(form));
  if (!parsed.success) {
    throw refusedBy(
      parsed.error.issues.map((issue) => ({ ...issue, path: ['credentials', ...issue.path] })),
    );
  }
  return parsed.data;
}

/** The codes a key form shows beside its fields; any other error is a page of its own. */
export const keyFormCodes = new Set([
  'validation_failed',
  'invalid_api_key',
  'api_key_expired',
  'wrong_key_type',
  'mode_mismatch',
  'missing_permissions',
  'keys_from_different_accounts',
  'duplicate_handle',
  'duplicate_account',
  'stripe_unreachable',
]);

export interface KeyFormProblems {
  message: string;
  fields: FieldErrors;
  /** The permissions a restricted key lacks, by the field of that key. */
  missing: Record<string, string[]>;
}

const modeWord = (field: string) => (field.startsWith('live') ? 'live' : 'test');

/** A refusal in the form's words: which field, what is wrong and how to fix it. */
export function keyFormProblems(error: unknown, form: KeysForm): KeyFormProblems {
  if (!isAppError(error)) throw error;
  const details = (error.details ?? {}) as {
    field?: string;
    fields?: FieldProblem[];
    missing?: string[];
    handle?: string;
    stripeAccountId?: string;
  };
  const fields: FieldErrors = {};
  const missing: Record<string, string[]> = {};
  if (error.code === 'validation_failed') {
    for (const problem of details.fields ?? []) {
      fields[formFieldOf(problem.field, form)] ??=
        `${problem.message.charAt(0).toUpperCase()}${problem.message.slice(1)}.`;
    }
    return {
      message: 'Some of what you entered needs a change before the account can be added.',
      fields,
      missing,
    };
  }
  const field = formFieldOf(
    details.field ?? (error.code.startsWith('duplicate_h') ? 'handle' : 'credentials'),
    form,
  );
  const mode = modeWord(field);
  const other = mode === 'test' ? 'live' : 'test';
  let beside = error.message;
  if (error.code === 'mode_mismatch') {
    beside = field.endsWith('SecretKey')
      ? `This is a ${other} key in the ${mode} slot. Paste it under ${other === 'live' ? 'Live' : 'Test'} keys, and put the ${mode} key (sk_${mode}_… or rk_${mode}_…) here.`
      : `This is a ${other} publishable key in the ${mode} slot. Paste it under ${other === 'live' ? 'Live' : 'Test'} keys, and put the ${mode} publishable key (pk_${mode}_…) here.`;
  } else if (error.code === 'missing_permissions') {
    const lacking = details.missing ?? [];
    missing[field] = lacking;
    beside = `This restricted key lacks ${lacking.length === 1 ? 'a permission' : `${lacking.length} permissions`} Switchyard needs (listed below). In Stripe's dashboard, edit the key to grant ${lacking.length === 1 ? 'it' : 'them'}, or use a key that has them.`;
  } else if (error.code === 'duplicate_handle') {
    beside = `Another account already has the handle "${form.handle.trim()}". Pick another handle.`;
  } else if (error.code === 'duplicate_account') {
    beside = `This Stripe account is already connected as "${details.handle ?? '?'}". Open that account to replace its keys, or remove it first.`;
  } else if (
    error.code === 'keys_from_different_accounts' &&
    details.field === 'credentials' &&
    details.stripeAccountId === undefined
  ) {
    beside = `The ${mode} keys belong to a different Stripe account than the ${other} keys. Copy both from the same Stripe account, and add the other account under its own handle.`;
  }
  fields[field] = beside;
  const message =
    error.code === 'stripe_unreachable'
      ? error.message
      : `The ${labels[field]?.toLowerCase() ?? 'keys'} was not accepted. Nothing was saved.`;
  if (error.code === 'duplicate_handle')
    return { message: 'That handle is taken. Nothing was saved.', fields, missing };
  return { message, fields, missing };
}

function keyFields(
  form: KeysForm,
  problems: KeyFormProblems | null,
  mode: Mode,
  legend: string,
): string {
  const secret = `${mode}SecretKey` as const;
  const publishable = `${mode}PublishableKey` as const;
  const lacking = problems?.missing[secret] ?? [];
  const missingList = lacking.length
    ? `<ul class="gw-missing" aria-label="Permissions the ${mode} key lacks">${lacking.map((permission) => `<li><code>${escapeHtml(permission)}</code></li>`).join('')}</ul>`
    : '';
  return `<fieldset><legend>${legend}</legend>
${textField({ name: secret, label: labels[secret] ?? secret, type: 'password', autocomplete: 'off', hint: `Starts with sk_${mode}_ (secret key) or rk_${mode}_ (restricted key, recommended). Copied from Stripe's dashboard, Developers, API keys. It is stored encrypted and never shown again.`, error: problems?.fields[secret] })}
${missingList}${textField({ name: publishable, label: labels[publishable] ?? publishable, autocomplete: 'off', hint: `Starts with pk_${mode}_.`, value: form[publishable], error: problems?.fields[publishable] })}
</fieldset>`;
}

/** `/admin/accounts/new`: connect an account by pasting its keys. */
const secretsAgain =
  '<p class="hint gw-again">Secret keys are never sent back to this page: paste them again before you send the form.</p>';

export function renderAddForm(
  visit: ConsoleVisit,
  form: KeysForm,
  problems: KeyFormProblems | null,
): string {
  const summary = problems
    ? `${errorSummary(problems.message, problems.fields, labels)}${secretsAgain}`
    : '';
  return `${summary}<form method="post" action="/admin/accounts" class="panel gw-form" novalidate>
${csrfInput(visit)}
${textField({ name: 'handle', label: labels.handle ?? 'Handle', required: true, hint: 'A short name routing and reports use: lowercase letters, digits or "-", such as us or eu-ltd. It cannot be changed later.', value: form.handle, error: problems?.fields.handle, autocomplete: 'off' })}
${textField({ name: 'label', label: labels.label ?? 'Name', hint: "How people see it here, such as 'US LLC'. Empty: the name Stripe has for the account.", value: form.label, error: problems?.fields.label })}
${textareaField({ name: 'purpose', label: labels.purpose ?? 'Purpose', rows: 3, hint: 'What this account is for, so the whole team knows: which company, which sales, why it exists.', value: form.purpose, error: problems?.fields.purpose })}
${textField({ name: 'currencies', label: labels.currencies ?? 'Currencies', hint: 'The currencies it takes, separated by commas, such as usd, cad. Empty: any currency.', value: form.currencies, error: problems?.fields.currencies })}
<p class="hint">Give the keys of test mode, live mode, or both. Switchyard checks them with Stripe before it saves anything.</p>
${keyFields(form, problems, 'test', 'Test keys')}
${keyFields(form, problems, 'live', 'Live keys')}
<div class="buttons"><button type="submit" class="primary">Check the keys and add the account</button><a href="/admin/accounts">Cancel</a></div>
</form>`;
}

/** `/admin/accounts/{handle}/keys`: new keys after a roll; the old ones stay if these fail. */
export function renderReplaceKeysForm(
  visit: ConsoleVisit,
  handle: string,
  form: KeysForm,
  problems: KeyFormProblems | null,
): string {
  const summary = problems
    ? `${errorSummary(problems.message, problems.fields, labels)}${secretsAgain}`
    : '';
  return `${summary}<p class="muted">After you roll a key in Stripe's dashboard, paste the new keys here. Switchyard checks them with Stripe first; if they fail, the keys in use now stay in force. Give only the mode whose keys you rolled.</p>
<form method="post" action="/admin/accounts/${encodeURIComponent(handle)}/keys" class="panel gw-form" novalidate>
${csrfInput(visit)}
${keyFields(form, problems, 'test', 'Test keys')}
${keyFields(form, problems, 'live', 'Live keys')}
<div class="buttons"><button type="submit" class="primary">Check and replace the keys</button><a href="/admin/accounts/${encodeURIComponent(handle)}">Cancel</a></div>
</form>`;
}
