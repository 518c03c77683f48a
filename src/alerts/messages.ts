import type { Credential } from '../accounts/accounts.repository.js';
import type { AuditEntry } from '../audit/audit.repository.js';
import type { Finding } from '../doctor/finding.js';
import type { AlertCondition, QueuedMessage } from './alerts.repository.js';

/**
 * The words of every alert. A message is about one topic (a condition opening or clearing, an
 * audit entry, a key, a day's digest): the topic keeps it from being queued twice.
 */
const prefix = '[Switchyard]';

function place(scope: { account: string | null; mode: string | null }): string {
  if (scope.account === null) return 'the workspace';
  return scope.mode ? `${scope.account} (${scope.mode})` : scope.account;
}

function conditionTopic(condition: Pick<AlertCondition, 'code' | 'account' | 'mode' | 'since'>) {
  return `condition:${condition.code}:${condition.account ?? ''}:${condition.mode ?? ''}:${condition.since}`;
}

export function conditionOpened(finding: Finding, since: string): QueuedMessage {
  const word = finding.status === 'fail' ? 'Failing' : 'Warning';
  return {
    topic: `${conditionTopic({ ...finding, since })}:opened`,
    subject: `${prefix} ${word}: ${finding.code} on ${place(finding)}`,
    body: [
      finding.detail,
      ...(finding.fix ? [`Fix: ${finding.fix}`] : []),
      `Seen by switchyard doctor at ${since}. You will hear once more when it is resolved.`,
    ].join('\n'),
  };
}

export function conditionResolved(
  condition: AlertCondition,
  now: string,
  finding: Finding | undefined,
): QueuedMessage {
  return {
    topic: `${conditionTopic(condition)}:resolved`,
    subject: `${prefix} Resolved: ${condition.code} on ${place(condition)}`,
    body: [
      `Resolved at ${now}; it was ${condition.status === 'fail' ? 'failing' : 'warning'} since ${condition.since}.`,
      finding
        ? `Doctor now says: ${finding.detail}`
        : 'Doctor no longer reports it (the account or mode is gone).',
      `It was: ${condition.detail}`,
    ].join('\n'),
  };
}

/** The audit actions the team hears of: every change to accounts, routing and the alert channels. */
export function isTeamNews(entry: AuditEntry): boolean {
  if (!/^(account|routing|alerts)\./.test(entry.action)) return false;
  return JSON.stringify(entry.before) !== JSON.stringify(entry.after);
}

/** `routing`: for a routing change, what it changed in the document (`+`, `-`, `~` lines). */
export function auditChange(entry: AuditEntry, routing: readonly string[] = []): QueuedMessage {
  const changes = [
    ...describeChanges(entry.before, entry.after),
    ...(routing.length > 0
      ? ['In the routing document:', ...routing.slice(0, maxChangeLines)]
      : []),
  ];
  return {
    topic: `audit:${entry.id}`,
    subject: `${prefix} ${entry.action} ${entry.subject} by ${entry.actor}`,
    body: [
      `${entry.actor} made ${entry.action} on ${entry.subject} at ${entry.at}.`,
      ...(changes.length > 0 ? changes : ['Nothing changed in what the log shows.']),
    ].join('\n'),
  };
}

const maxChangeLines = 40;

/** One line per changed field: `enabled: true → false`; a creation or removal lists the fields. */
export function describeChanges(before: unknown, after: unknown): string[] {
  const old = flatten(before);
  const now = flatten(after);
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort();
  const lines: string[] = [];
  for (const path of paths) {
    const was = old.get(path);
    const is = now.get(path);
    if (was === is) continue;
    // Nothing before and nothing after is no change, whatever the log's shape says.
    if (isEmpty(was) && isEmpty(is)) continue;
    lines.push(`${path}: ${was ?? '(none)'} → ${is ?? '(none)'}`);
  }
  if (lines.length <= maxChangeLines) return lines;
  return [
    ...lines.slice(0, maxChangeLines),
    `… and ${lines.length - maxChangeLines} more changes.`,
  ];
}

function isEmpty(value: string | undefined): boolean {
  return value === undefined || value === 'null' || value === '[]';
}

function flatten(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  if (value === null || value === undefined) {
    if (path !== '') into.set(path, 'null');
    return into;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      flatten(inner, path === '' ? key : `${path}.${key}`, into);
    }
    return into;
  }
  into.set(path === '' ? '(value)' : path, JSON.stringify(value));
  return into;
}

export function keyAgeReminder(reminder: {
  handle: string;
  credential: Credential;
  ageDays: number;
  rotationDays: number;
}): QueuedMessage {
  const { handle, credential, ageDays, rotationDays } = reminder;
  const what = credential.kind === 'oauth' ? 'OAuth grant' : 'secret key';
  const flag = credential.mode === 'live' ? '--live' : '--test';
  return {
    topic: `key_age:${credential.accountId}:${credential.mode}:${credential.createdAt}`,
    subject: `${prefix} Time to roll the ${credential.mode} key of ${handle}: ${ageDays} days old`,
    body: [
      `The ${what} ${credential.maskedSecret} of ${handle} (${credential.mode}) was added on ${credential.createdAt}, ${ageDays} days ago; keys are rolled every ${rotationDays} days (KEY_ROTATION_DAYS).`,
      credential.kind === 'oauth'
        ? `Fix: connect ${handle} again with "Connect with Stripe" to get a fresh grant.`
        : `Fix: in Stripe's dashboard (Developers → API keys) roll the key, then run: switchyard accounts keys ${handle} ${flag}-secret-key <new key> ${flag}-publishable-key <publishable key>`,
      'This reminder is sent once per key.',
    ].join('\n'),
  };
}

export function dailyDigest(digest: {
  day: string;
  changes: AuditEntry[];
  open: AlertCondition[];
  resolvedThatDay: AlertCondition[];
}): QueuedMessage {
  const lines = [`What happened on ${digest.day} (UTC).`, ''];
  lines.push(`Changes to accounts and routing: ${digest.changes.length}`);
  for (const entry of digest.changes.slice(0, 50)) {
    lines.push(`- ${entry.at} ${entry.actor}: ${entry.action} ${entry.subject}`);
  }
  lines.push('', `Open findings: ${digest.open.length}`);
  for (const condition of digest.open) {
    lines.push(
      `- ${condition.status} ${condition.code} on ${place(condition)} since ${condition.since}: ${condition.detail}`,
    );
  }
  lines.push('', `Resolved that day: ${digest.resolvedThatDay.length}`);
  for (const condition of digest.resolvedThatDay) {
    lines.push(`- ${condition.code} on ${place(condition)} at ${condition.resolvedAt}`);
  }
  return {
    topic: `digest:${digest.day}`,
    subject: `${prefix} Daily digest for ${digest.day}: ${digest.open.length} open, ${digest.changes.length} changes`,
    body: lines.join('\n'),
  };
}

export function testMessage(now: string, actor: string): { subject: string; body: string } {
  return {
    subject: `${prefix} Test alert`,
    body: `${actor} sent this test at ${now}. Alerts from Switchyard reach this channel.`,
  };
}
