import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import {
  describeTarget,
  type RoutingConfig,
  type Target,
  targetAccounts,
} from '../routing/index.js';
import { findActiveVersion } from './routing-config.repository.js';

/**
 * Every rule and pin of the active version that names the account, in a split or a fallback list
 * too: what
 * must change before the account can be removed.
 */
export async function referencesTo(
  db: Kysely<Database>,
  workspaceId: string,
  handle: string,
): Promise<string[]> {
  const active = await findActiveVersion(db, workspaceId);
  if (!active) return [];
  return listReferencesTo(active.document, handle);
}

/** The same, of a document already read (the console's removal page). */
export function listReferencesTo(config: RoutingConfig, handle: string): string[] {
  const references: string[] = [];
  for (const rule of config.rules) {
    if (names(rule.use, handle)) references.push(`rule "${rule.name}"${splitWords(rule.use)}`);
    if (Array.isArray(rule.fallback) && rule.fallback.includes(handle)) {
      references.push(`the fallback list of rule "${rule.name}"`);
    }
  }
  const pinGroups = [
    ['product', config.products],
    ['step', config.steps],
    ['funnel', config.funnels],
  ] as const;
  for (const [noun, pins] of pinGroups) {
    for (const [slug, pin] of Object.entries(pins)) {
      if (names(pin.use, handle)) {
        references.push(`the pin of ${noun} "${slug}"${splitWords(pin.use)}`);
      }
      if (Array.isArray(pin.fallback) && pin.fallback.includes(handle)) {
        references.push(`the fallback list of ${noun} "${slug}"`);
      }
    }
  }
  return references;
}

/** The target sends payments to the account: it is the account, or a split lists it. */
function names(use: Target, handle: string): boolean {
  return targetAccounts(use).includes(handle);
}

/** " (split us 50 / us2 50)" after a split's owner, so the merchant sees which share to move. */
function splitWords(use: Target): string {
  return typeof use === 'string' ? '' : ` (${describeTarget(use)})`;
}
