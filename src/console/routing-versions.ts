import { escapeHtml } from '../http/pages.js';
import type { RoutingConfig } from '../routing/index.js';
import { describeRoutingDifferences } from '../routing-config/routing-config.diff.js';
import type {
  RoutingVersion,
  RoutingVersionSummary,
} from '../routing-config/routing-config.service.js';
import type { ConsoleVisit } from './console-app.js';
import { badge, dataTable, formatWhen, postButton } from './forms.js';

/** The routing versions: who saved what, when and why; what each changed; rolling back. */

export function rollbackButton(visit: ConsoleVisit, version: number): string {
  return postButton({
    action: `/admin/routing/versions/${version}/rollback`,
    label: 'Roll back',
    visit,
    context: `to version ${version}`,
  });
}

export function renderVersionList(
  visit: ConsoleVisit,
  versions: readonly RoutingVersionSummary[],
  canRollBack: boolean,
): string {
  const rows = versions.map((version) => [
    `<a href="/admin/routing/versions/${version.version}">Version ${version.version}</a>${version.active ? ` ${badge('Active', 'ok')}` : ''}`,
    formatWhen(version.createdAt),
    authorCell(version.author),
    `${escapeHtml(version.message)}${version.restoredFrom === null ? '' : ` <span class="muted">(restores version ${version.restoredFrom})</span>`}`,
    `${version.rules} rule${version.rules === 1 ? '' : 's'}, ${version.pins} pin${version.pins === 1 ? '' : 's'}`,
    canRollBack && !version.active ? rollbackButton(visit, version.version) : '',
  ]);
  return `<section class="panel" id="versions" aria-labelledby="versions-title">
<h2 id="versions-title">Versions</h2>
<p class="muted">Every save is kept. Rolling back saves a new version equal to the old one.</p>
${dataTable({
  caption: 'Routing versions, newest first',
  headers: ['Version', 'When', 'Who', 'Message', 'Rules and pins', ''],
  rows,
  empty: 'Nothing saved yet: payments go to the primary account until rules are saved.',
})}
</section>`;
}

const lineKinds = {
  '+': { className: 'diff-add', word: 'Added' },
  '-': { className: 'diff-del', word: 'Removed' },
  '~': { className: 'diff-change', word: 'Changed' },
} as const;

function readableValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(readableValue).join(', ');
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length > 0 && keys.every((key) => key === 'min' || key === 'max')) {
      const from = record.min === undefined ? '' : `from ${String(record.min)}`;
      const to = record.max === undefined ? '' : `up to ${String(record.max)}`;
      return `${[from, to].filter(Boolean).join(' ')} (in cents)`;
    }
    return keys.length === 0
      ? 'always'
      : keys.map((key) => `${key} ${readableValue(record[key])}`).join('; ');
  }
  return String(value);
}

/** The diff's lines with their JSON values in words: `["eur","gbp"]` reads `eur, gbp`. */
export function readableLine(line: string): string {
  let out = '';
  let index = 0;
  while (index < line.length) {
    const char = line[index];
    const end = char === '[' || char === '{' ? closingOf(line, index) : -1;
    if (end > index) {
      try {
        out += readableValue(JSON.parse(line.slice(index, end + 1)));
        index = end + 1;
        continue;
      } catch {
        // Not JSON (a fallback list such as [eu, backup]): kept as written.
      }
    }
    out += char;
    index++;
  }
  return out;
}

function closingOf(line: string, start: number): number {
  let depth = 0;
  let quoted = false;
  for (let index = start; index < line.length; index++) {
    const char = line[index];
    if (quoted) {
      if (char === '\\') index++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '[' || char === '{') depth++;
    else if (char === ']' || char === '}') {
      depth--;
      if (depth === 0) return index;
    }
  }
  return -1;
}

// "Name <email>" as the audit names a person: the name first, the email quieter below it.
function authorCell(author: string): string {
  const match = /^(.*) <([^>]+)>$/.exec(author);
  if (!match) return escapeHtml(author);
  return `${escapeHtml(match[1] ?? '')}<br><span class="muted">${escapeHtml(match[2] ?? '')}</span>`;
}

/** The changes a version made, one line each, marked in words as well as colour. */
export function renderDifferences(before: RoutingConfig, after: RoutingConfig): string {
  const lines = describeRoutingDifferences(before, after);
  if (lines.length === 0) {
    return '<p class="empty">No change to the rules, pins or accounts.</p>';
  }
  const items = lines
    .map((line) => {
      const kind = lineKinds[line[0] as keyof typeof lineKinds];
      const textOf = readableLine(line.slice(2)).replaceAll(' -> ', ' → ');
      return kind
        ? `<li class="${kind.className}"><span class="diff-word">${kind.word}</span> ${escapeHtml(textOf)}</li>`
        : `<li class="diff-note">${escapeHtml(textOf)}</li>`;
    })
    .join('');
  return `<ul class="routing-diff">${items}</ul>`;
}

export function renderVersionPage(input: {
  visit: ConsoleVisit;
  version: RoutingVersion;
  previous: RoutingVersion | undefined;
  active: boolean;
  canRollBack: boolean;
}): string {
  const { version, previous } = input;
  // The first version is compared with no rules and no pins: everything in it was added.
  const before = previous?.document ?? {
    ...version.document,
    rules: [],
    products: {},
    steps: {},
    funnels: {},
  };
  const facts = `<dl class="facts">
<dt>Saved</dt><dd>${formatWhen(version.createdAt)}</dd>
<dt>By</dt><dd>${escapeHtml(version.author)}</dd>
<dt>Message</dt><dd>${escapeHtml(version.message)}</dd>
${version.restoredFrom === null ? '' : `<dt>Restores</dt><dd><a href="/admin/routing/versions/${version.restoredFrom}">Version ${version.restoredFrom}</a></dd>`}
<dt>State</dt><dd>${input.active ? badge('Active', 'ok') : badge('Not active', 'muted')}</dd>
</dl>`;
  const rollback =
    input.canRollBack && !input.active
      ? `<div class="buttons">${rollbackButton(input.visit, version.version)}</div>`
      : '';
  return `<section class="panel">${facts}${rollback}</section>
<section class="panel" aria-labelledby="changes-title">
<h2 id="changes-title">${previous ? `Changes from version ${previous.version}` : 'What the first version set up'}</h2>
${renderDifferences(before, version.document)}
</section>`;
}
