import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { RoutingConfig } from '../routing/index.js';
import { findActiveVersion } from './routing-config.repository.js';

/**
 * Every rule and pin of the active version that names the account, fallback lists too: what
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
    if (rule.use === handle) references.push(`rule "${rule.name}"`);
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
      if (pin.use === handle) references.push(`the pin of ${noun} "${slug}"`);
      if (Array.isArray(pin.fallback) && pin.fallback.includes(handle)) {
        references.push(`the fallback list of ${noun} "${slug}"`);
      }
    }
  }
  return references;
}
