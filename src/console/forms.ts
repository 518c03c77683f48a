import { z } from 'zod';
import { type FieldProblem, isAppError } from '../errors.js';
import { escapeHtml } from '../http/pages.js';

/** The CSRF field in a form body's schema (the session hook checks its value). */
export const csrfField = { _csrf: z.string().max(200).optional() };

/** The hidden field every state-changing form of a signed-in page carries. */
export function csrfInput(visit: { csrfToken: string }): string {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(visit.csrfToken)}">`;
}

/** Problems by field, as a form shows them beside each field. */
export type FieldErrors = Record<string, string>;

/**
 * The field problems of a refused change (`AppError.validation`, or details.fields of any
 * AppError), keyed by field path; null when the error is not about fields.
 */
export function fieldErrorsOf(error: unknown): FieldErrors | null {
  if (!isAppError(error)) return null;
  const fields = (error.details as { fields?: FieldProblem[] } | null)?.fields;
  if (!Array.isArray(fields) || fields.length === 0) return null;
  const errors: FieldErrors = {};
  for (const problem of fields) errors[problem.field] ??= problem.message;
  return errors;
}

/** `email` → `field-email`; a dotted path becomes dashes. */
export function fieldId(name: string): string {
  return `field-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

interface FieldBase {
  name: string;
  label: string;
  hint?: string;
  error?: string | undefined;
  required?: boolean;
  /** An id when the same name appears twice on a page. */
  id?: string;
}

function describedBy(id: string, field: FieldBase): string {
  const ids = [field.hint ? `${id}-hint` : '', field.error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ` aria-describedby="${ids.join(' ')}"` : '';
}

function hintAndError(id: string, field: FieldBase): string {
  return `${field.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(field.hint)}</p>` : ''}${
    field.error ? `<p class="field-error" id="${id}-error">${escapeHtml(field.error)}</p>` : ''
  }`;
}

function invalid(field: FieldBase): string {
  return field.error ? ' aria-invalid="true"' : '';
}

/** A labelled input with its hint and, when refused, the reason beside it. */
export function textField(
  field: FieldBase & {
    value?: string | undefined;
    type?: 'text' | 'email' | 'password' | 'number' | 'url' | 'search' | 'date' | 'datetime-local';
    autocomplete?: string;
    inputmode?: 'numeric' | 'decimal' | 'email' | 'text';
    placeholder?: string;
  },
): string {
  const id = field.id ?? fieldId(field.name);
  const value = field.type === 'password' ? '' : (field.value ?? '');
  return `<div class="field${field.error ? ' has-error' : ''}">
<label for="${id}">${escapeHtml(field.label)}</label>
${hintAndError(id, field)}<input id="${id}" name="${escapeHtml(field.name)}" type="${field.type ?? 'text'}" value="${escapeHtml(value)}"${field.required ? ' required' : ''}${field.autocomplete ? ` autocomplete="${field.autocomplete}"` : ''}${field.inputmode ? ` inputmode="${field.inputmode}"` : ''}${field.placeholder ? ` placeholder="${escapeHtml(field.placeholder)}"` : ''}${describedBy(id, field)}${invalid(field)}>
</div>`;
}

export function textareaField(
  field: FieldBase & { value?: string | undefined; rows?: number },
): string {
  const id = field.id ?? fieldId(field.name);
  return `<div class="field${field.error ? ' has-error' : ''}">
<label for="${id}">${escapeHtml(field.label)}</label>
${hintAndError(id, field)}<textarea id="${id}" name="${escapeHtml(field.name)}" rows="${field.rows ?? 4}"${field.required ? ' required' : ''}${describedBy(id, field)}${invalid(field)}>${escapeHtml(field.value ?? '')}</textarea>
</div>`;
}

export function selectField(
  field: FieldBase & {
    value?: string | undefined;
    options: Array<{ value: string; label: string }>;
  },
): string {
  const id = field.id ?? fieldId(field.name);
  const options = field.options
    .map(
      (option) =>
        `<option value="${escapeHtml(option.value)}"${option.value === field.value ? ' selected' : ''}>${escapeHtml(option.label)}</option>`,
    )
    .join('');
  return `<div class="field${field.error ? ' has-error' : ''}">
<label for="${id}">${escapeHtml(field.label)}</label>
${hintAndError(id, field)}<select id="${id}" name="${escapeHtml(field.name)}"${field.required ? ' required' : ''}${describedBy(id, field)}${invalid(field)}>${options}</select>
</div>`;
}

export function checkboxField(field: FieldBase & { checked: boolean; value?: string }): string {
  const id = field.id ?? fieldId(field.name);
  return `<div class="field check${field.error ? ' has-error' : ''}">
<input id="${id}" name="${escapeHtml(field.name)}" type="checkbox" value="${escapeHtml(field.value ?? 'on')}"${field.checked ? ' checked' : ''}${describedBy(id, field)}${invalid(field)}>
<label for="${id}">${escapeHtml(field.label)}</label>
${hintAndError(id, field)}</div>`;
}

/**
 * The list of what was refused, at the top of a form, each linking to its field. Problems of
 * fields the form does not show are listed here too, so none is hidden.
 */
export function errorSummary(
  message: string,
  errors: FieldErrors | null,
  labels: Record<string, string> = {},
): string {
  const items = Object.entries(errors ?? {})
    .map(
      ([field, problem]) =>
        `<li><a href="#${fieldId(field)}">${escapeHtml(labels[field] ?? field)}: ${escapeHtml(problem)}</a></li>`,
    )
    .join('');
  return `<div class="error-summary" role="alert" tabindex="-1"><p><strong>${escapeHtml(message)}</strong></p>${items ? `<ul>${items}</ul>` : ''}</div>`;
}

/** A one-button form that posts a change (make primary, drain, verify now, …). */
export function postButton(input: {
  action: string;
  label: string;
  visit: { csrfToken: string };
  /** Hidden fields besides the CSRF token. */
  fields?: Record<string, string>;
  tone?: 'primary' | 'secondary' | 'danger';
  /** Visually hidden words that complete the label for a screen reader ("Drain" → "Drain us"). */
  context?: string;
}): string {
  const hidden = Object.entries(input.fields ?? {})
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('');
  const context = input.context
    ? `<span class="visually-hidden"> ${escapeHtml(input.context)}</span>`
    : '';
  return `<form method="post" action="${escapeHtml(input.action)}" class="inline">${csrfInput(input.visit)}${hidden}<button type="submit" class="button ${input.tone ?? 'secondary'}">${escapeHtml(input.label)}${context}</button></form>`;
}

/** A table that scrolls sideways on a phone, focusable so a keyboard can scroll it. */
export function dataTable(input: {
  caption: string;
  headers: string[];
  /** Cells are already safe HTML. */
  rows: string[][];
  empty: string;
  /** Shows the caption; by default it is only for screen readers. */
  showCaption?: boolean;
}): string {
  if (input.rows.length === 0) return `<p class="empty">${escapeHtml(input.empty)}</p>`;
  const head = input.headers.map((header) => `<th scope="col">${escapeHtml(header)}</th>`).join('');
  const body = input.rows
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="table-wrap" role="region" aria-label="${escapeHtml(input.caption)}" tabindex="0"><table><caption${input.showCaption ? '' : ' class="visually-hidden"'}>${escapeHtml(input.caption)}</caption><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

export type Tone = 'ok' | 'warn' | 'fail' | 'muted' | 'info';

/** A short state word in colour and in text (never colour alone). */
export function badge(text: string, tone: Tone): string {
  return `<span class="badge ${tone}">${escapeHtml(text)}</span>`;
}

/** `2026-12-02T06:12:00.000Z` → `2 Dec 2026, 06:12 UTC`. */
export function formatWhen(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeHtml(iso);
  const day = date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const time = date.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
  });
  return `<time datetime="${escapeHtml(iso)}">${day}, ${time} UTC</time>`;
}
