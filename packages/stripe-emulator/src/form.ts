/** A decoded form field: Stripe's bracket notation nests strings into arrays and hashes. */
export type FormValue = string | FormValue[] | FormHash;
export interface FormHash {
  [key: string]: FormValue;
}

/** Keys that would reach Object.prototype if used as property names. */
const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses `a=1&metadata[order]=7&expand[]=x&items[0][price]=p` into nested hashes and arrays.
 * `name[]` appends to an array; `name[0]` makes a hash keyed by the index (list readers accept
 * both), so numeric metadata keys stay keys.
 */
export function parseForm(text: string, into: FormHash = {}): FormHash {
  if (text.length === 0) return into;
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    setField(into, decodeComponent(rawKey), decodeComponent(rawValue));
  }
  return into;
}

function decodeComponent(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) return [key];
  const parts = [key.slice(0, open)];
  for (const part of key.slice(open + 1, -1).split('][')) parts.push(part);
  return parts;
}

function setField(root: FormHash, key: string, value: string): void {
  const path = splitKey(key);
  if (path.some((part) => unsafeKeys.has(part))) return;
  let container: FormHash | FormValue[] = root;
  for (let i = 0; i < path.length; i++) {
    const part = path[i] ?? '';
    const last = i === path.length - 1;
    if (Array.isArray(container)) {
      // Inside `list[]`: every `[]` starts a new element.
      if (last) {
        container.push(value);
        return;
      }
      const element: FormHash | FormValue[] = path[i + 1] === '' ? [] : {};
      container.push(element);
      container = element;
      continue;
    }
    if (last) {
      container[part] = value;
      return;
    }
    const existing: FormValue | undefined = container[part];
    if (path[i + 1] === '') {
      if (Array.isArray(existing)) {
        container = existing;
      } else {
        const created: FormValue[] = [];
        container[part] = created;
        container = created;
      }
    } else if (existing !== undefined && typeof existing === 'object' && !Array.isArray(existing)) {
      container = existing;
    } else {
      const created: FormHash = {};
      container[part] = created;
      container = created;
    }
  }
}

/** Reads a JSON request body for the control API; anything but an object is empty. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.trim().length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return { ...parsed };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
