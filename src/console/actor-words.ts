import { escapeHtml } from '../http/pages.js';

/**
 * Who made a change, as the audit log names them (`Olive Owner <olive@example.com>`, a token,
 * a job): a person by name with their email on hover; anyone else as recorded.
 */
export function actorHtml(actor: string): string {
  const person = /^(.+) <([^>]+)>$/.exec(actor);
  if (!person) return escapeHtml(sourceWords(actor));
  return `<span title="${escapeHtml(person[2] ?? '')}">${escapeHtml(person[1] ?? '')}</span>`;
}

const sources: Record<string, string> = {
  token: 'the API token',
  cli: 'the command line as',
  job: 'the scheduled job',
  stripe: 'Stripe:',
};

/** `token:ci` → `the API token ci`, `job:verify` → `the scheduled job verify`. */
function sourceWords(actor: string): string {
  const colon = actor.indexOf(':');
  const words = colon > 0 ? sources[actor.slice(0, colon)] : undefined;
  return words ? `${words} ${actor.slice(colon + 1)}` : actor;
}
