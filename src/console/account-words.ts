import type { AccountView } from '../accounts/accounts.service.js';
import type { ModeHealth } from '../accounts/health.service.js';
import type { Mode } from '../accounts/key-verification.js';
import { formatMoney } from '../catalog/money.js';
import { escapeHtml } from '../http/pages.js';
import type { AccountCap, HealthState } from '../routing/index.js';
import { badge, type Tone } from './forms.js';

/** The gateways screens' words for an account's state, shared by the list and the detail. */

export const modeNames: Record<Mode, string> = { test: 'Test', live: 'Live' };

const healthWords: Record<HealthState, { text: string; tone: Tone }> = {
  healthy: { text: 'Healthy', tone: 'ok' },
  degraded: { text: 'Degraded', tone: 'warn' },
  down: { text: 'Down', tone: 'fail' },
  disconnected: { text: 'Disconnected', tone: 'fail' },
  restricted: { text: 'Restricted', tone: 'fail' },
};

/** `Restricted`: the health in a word, for sentences. */
export function healthWord(health: HealthState): string {
  return healthWords[health].text;
}

export function healthBadge(health: HealthState): string {
  const words = healthWords[health];
  return badge(words.text, words.tone);
}

/** Primary, or secondary with its place in the failover order. */
export function roleText(account: AccountView, secondaries: readonly AccountView[]): string {
  if (account.role === 'primary') return badge('Primary', 'info');
  const place = secondaries.findIndex((other) => other.handle === account.handle) + 1;
  return `${badge('Secondary', 'muted')} <span class="muted">${place > 0 ? `tried ${ordinal(place)} after the primary` : ''}, priority ${account.priority}</span>`;
}

function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10];
  return `${n}${suffix ?? 'th'}`;
}

/** Secondaries as routing tries them: by priority (lower first), then by handle. */
export function secondariesInOrder(accounts: readonly AccountView[]): AccountView[] {
  return accounts
    .filter((account) => account.role === 'secondary')
    .sort((a, b) => a.priority - b.priority || a.handle.localeCompare(b.handle));
}

/** What stops new payments, if anything: disabled, draining. */
export function stateBadges(account: AccountView): string {
  const states: string[] = [];
  if (!account.enabled) states.push(badge('Disabled', 'fail'));
  if (account.drain) states.push(badge('Draining: takes no new payments', 'warn'));
  if (!account.chargesEnabled) states.push(badge('Charges off at Stripe', 'fail'));
  return states.join(' ');
}

const capPeriodWords: Record<AccountCap['period'], string> = {
  day: 'a UTC day',
  month: 'a UTC month',
};

/** "$50,000.00 a UTC day". */
export function describeCap(cap: AccountCap): string {
  return `${formatMoney(cap.amount, cap.currency)} ${capPeriodWords[cap.period]}`;
}

/** The caps in words with a "Capped" badge, or "None" (issue 16's volume caps). */
export function capsText(account: AccountView): string {
  return account.caps?.length
    ? `${badge('Capped', 'info')} ${escapeHtml(account.caps.map(describeCap).join('; '))}`
    : '<span class="muted">None</span>';
}

export function currenciesText(account: AccountView): string {
  return account.currencies?.length
    ? escapeHtml(account.currencies.map((code) => code.toUpperCase()).join(', '))
    : '<span class="muted">Any currency</span>';
}

export function modesText(account: AccountView): string {
  const modes = (['test', 'live'] as const).filter((mode) => account.modes[mode]);
  return modes.length
    ? modes.map((mode) => badge(modeNames[mode], mode === 'live' ? 'ok' : 'muted')).join(' ')
    : '<span class="muted">No keys</span>';
}

/** "3 days old", with a warning tone once a key is a year old (time to roll it). */
export function keyAgeText(days: number): string {
  const words = days === 0 ? 'added today' : days === 1 ? '1 day old' : `${days} days old`;
  return days >= 365
    ? `${badge(words, 'warn')} <span class="muted">consider rolling it</span>`
    : escapeHtml(words);
}

export function keyAges(account: AccountView): string {
  const lines = (['test', 'live'] as const).flatMap((mode) => {
    const keys = account.modes[mode];
    return keys ? [`${modeNames[mode]}: ${keyAgeText(keys.keyAgeDays)}`] : [];
  });
  return lines.length ? lines.join('<br>') : '<span class="muted">—</span>';
}

/** The health of each mode the account has keys for, in words and colour. */
export function healthCell(account: AccountView, modes: Partial<Record<Mode, ModeHealth>>): string {
  const parts = (['live', 'test'] as const).flatMap((mode) => {
    const health = modes[mode];
    if (!account.modes[mode]) return [];
    const state = health?.health ?? account.health;
    return [
      `<span class="gw-health">${healthBadge(state)} <span class="muted">${modeNames[mode].toLowerCase()}</span></span>`,
    ];
  });
  return parts.length ? parts.join(' ') : healthBadge(account.health);
}

const keyTypeNames: Record<string, string> = {
  secret_key: 'Secret key',
  restricted_key: 'Restricted key',
  oauth: 'Connect with Stripe',
};

export function keyTypeName(kind: string): string {
  return keyTypeNames[kind] ?? kind;
}
