import { escapeHtml } from '../http/pages.js';
import type { RoutingConfig } from '../routing/index.js';
import type { ConsoleVisit } from './console-app.js';
import { csrfInput, errorSummary, textareaField } from './forms.js';

/** The whole routing document as JSON, for people who would rather type it than fill a form. */

export const documentField = 'document';

/** The rules and pins of a document; the accounts' routing fields live on Payment gateways. */
export function documentText(document: RoutingConfig): string {
  const { rules, products, steps, funnels } = document;
  return JSON.stringify({ rules, products, steps, funnels }, null, 2);
}

export function renderDocumentEditor(input: {
  visit: ConsoleVisit;
  text: string;
  message: string;
  basedOn: string;
  canSave: boolean;
  /** Each problem as "where: what", shown beside the text box. */
  problems: string[];
}): string {
  const error = input.problems.length === 0 ? undefined : input.problems.join(' · ');
  const summary =
    input.problems.length === 0
      ? ''
      : errorSummary(
          'The routing was not saved. Your text is kept below.',
          {
            [documentField]: error ?? '',
          },
          { [documentField]: 'Routing document' },
        );
  const save = input.canSave
    ? `${textareaField({ name: 'message', label: 'What changed, and why', hint: 'Left empty: “Changed in the console”.', value: input.message, rows: 2 })}
<div class="buttons"><button type="submit" class="button primary">Save routing</button> <a href="/admin/routing">Back to the form</a></div>`
    : '<p class="muted">Only an owner or an admin can save the routing. <a href="/admin/routing">Back to the form</a></p>';
  return `${summary}<form method="post" action="/admin/routing/document" class="panel" novalidate>
${csrfInput(input.visit)}<input type="hidden" name="basedOn" value="${escapeHtml(input.basedOn)}">
${textareaField({
  name: documentField,
  label: 'Rules and pins as JSON',
  hint: 'The same document as “switchyard config export” without its accounts part: "rules" (tried in order), and "products", "steps" and "funnels" pins. Accounts are changed on Payment gateways.',
  value: input.text,
  rows: 24,
  error,
})}
${save}
</form>`;
}
