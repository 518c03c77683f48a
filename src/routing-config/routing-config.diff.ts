import type { FallbackPolicy, Pin, RoutingConfig, RoutingRule } from '../routing/index.js';

/**
 * What applying `proposed` would change in the `active` routing document, one line per change in
 * the merchant's words: `+` added, `-` removed, `~` changed, and plain lines for notes.
 */
export function describeRoutingDifferences(
  active: RoutingConfig,
  proposed: RoutingConfig,
): string[] {
  return [
    ...describeAccountChanges(active, proposed),
    ...describeRuleChanges(active.rules, proposed.rules),
    ...describePinChanges('product', active.products, proposed.products),
    ...describePinChanges('step', active.steps, proposed.steps),
    ...describePinChanges('funnel', active.funnels, proposed.funnels),
  ];
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function describeAccountChanges(active: RoutingConfig, proposed: RoutingConfig): string[] {
  const lines: string[] = [];
  const current = new Map(active.accounts.map((account) => [account.handle, account]));
  const named = new Set(proposed.accounts.map((account) => account.handle));
  for (const account of proposed.accounts) {
    const before = current.get(account.handle);
    if (!before) {
      lines.push(
        `+ account ${account.handle}: not connected; apply refuses it (connect it with its keys first)`,
      );
      continue;
    }
    const fields = [
      'role',
      'priority',
      'currencies',
      'enabled',
      'drain',
      'label',
      'purpose',
    ] as const;
    for (const field of fields) {
      const wanted = account[field];
      // A label or purpose left out of the file stays as it is.
      if ((field === 'label' || field === 'purpose') && wanted === undefined) continue;
      if (JSON.stringify(wanted ?? null) !== JSON.stringify(before[field] ?? null)) {
        const any = field === 'currencies' ? 'any' : 'none';
        lines.push(
          `~ account ${account.handle}: ${field} ${before[field] === undefined ? any : show(before[field])} -> ${wanted === undefined ? any : show(wanted)}`,
        );
      }
    }
  }
  for (const account of active.accounts) {
    if (!named.has(account.handle)) {
      lines.push(`  account ${account.handle}: not in the file; apply leaves it as it is`);
    }
  }
  return lines;
}

function describeRule(rule: RoutingRule): string {
  const conditions = Object.entries(rule.when).map(([name, value]) => `${name} ${show(value)}`);
  return `use ${rule.use}${conditions.length === 0 ? ', always' : ` when ${conditions.join(', ')}`}, fallback ${describeFallback(rule.fallback)}`;
}

function describeFallback(policy: FallbackPolicy): string {
  return Array.isArray(policy) ? `[${policy.join(', ')}]` : policy;
}

function describeRuleChanges(active: RoutingRule[], proposed: RoutingRule[]): string[] {
  const lines: string[] = [];
  const before = new Map(active.map((rule) => [rule.name, rule]));
  const after = new Map(proposed.map((rule) => [rule.name, rule]));
  for (const rule of active) {
    if (!after.has(rule.name)) lines.push(`- rule ${rule.name}: ${describeRule(rule)}`);
  }
  for (const rule of proposed) {
    const old = before.get(rule.name);
    if (!old) {
      lines.push(`+ rule ${rule.name}: ${describeRule(rule)}`);
      continue;
    }
    if (old.use !== rule.use) lines.push(`~ rule ${rule.name}: use ${old.use} -> ${rule.use}`);
    if (JSON.stringify(old.when) !== JSON.stringify(rule.when)) {
      lines.push(`~ rule ${rule.name}: when ${show(old.when)} -> ${show(rule.when)}`);
    }
    if (JSON.stringify(old.fallback) !== JSON.stringify(rule.fallback)) {
      lines.push(
        `~ rule ${rule.name}: fallback ${describeFallback(old.fallback)} -> ${describeFallback(rule.fallback)}`,
      );
    }
  }
  // The first matching rule wins, so the order of the rules both keep is a change of its own.
  const keptBefore = active.map((rule) => rule.name).filter((name) => after.has(name));
  const keptAfter = proposed.map((rule) => rule.name).filter((name) => before.has(name));
  if (keptBefore.join('\n') !== keptAfter.join('\n')) {
    lines.push(`~ rule order: ${keptBefore.join(', ')} -> ${keptAfter.join(', ')}`);
  }
  return lines;
}

function describePinChanges(
  noun: string,
  active: Record<string, Pin>,
  proposed: Record<string, Pin>,
): string[] {
  const lines: string[] = [];
  const describePin = (pin: Pin) => `use ${pin.use}, fallback ${describeFallback(pin.fallback)}`;
  for (const [slug, pin] of Object.entries(active)) {
    if (!Object.hasOwn(proposed, slug)) lines.push(`- ${noun} ${slug} pin: ${describePin(pin)}`);
  }
  for (const [slug, pin] of Object.entries(proposed)) {
    const old = Object.hasOwn(active, slug) ? active[slug] : undefined;
    if (!old) {
      lines.push(`+ ${noun} ${slug} pin: ${describePin(pin)}`);
    } else if (JSON.stringify(old) !== JSON.stringify(pin)) {
      lines.push(`~ ${noun} ${slug} pin: ${describePin(old)} -> ${describePin(pin)}`);
    }
  }
  return lines;
}
