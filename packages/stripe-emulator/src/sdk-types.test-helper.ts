import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/*
 * Reads the object types the official `stripe` package declares (its .d.ts files), so the
 * shape tests compare what the emulator answers with what the SDK says Stripe answers, field by
 * field, at any depth: a field the SDK declares without `?` must be there (null when Stripe
 * answers null). The .d.ts files are generated in one fixed layout (one member per line,
 * nested types in a `namespace` of the same name), which is all this reader understands; it
 * fails loudly on a name it cannot find rather than passing.
 */

export interface DeclaredField {
  name: string;
  /** Declared with `?`: Stripe leaves it out unless asked (`expand`) or in some contexts. */
  optional: boolean;
  type: string;
}

interface DeclaredInterface {
  /** `Invoice`, `Invoice.AutomaticTax`, … */
  name: string;
  file: string;
  typeParameters: string[];
  extendsTypes: string[];
  fields: DeclaredField[];
  /** `[name: string]: …` (metadata and the like): any key is declared. */
  hasIndexSignature: boolean;
}

interface ParsedFile {
  interfaces: Map<string, DeclaredInterface>;
  /** Imported name -> the file it comes from; `* as Billing` maps `Billing` to a folder index. */
  imports: Map<string, string>;
}

/** A value found where the SDK declares a field that is not there, or not an object/list. */
export interface ShapeProblem {
  path: string;
  problem: 'missing' | 'undeclared' | 'not an object';
  /** The SDK type that declares (or does not declare) the field: `Invoice.AutomaticTax`. */
  type: string;
}

export interface SdkTypes {
  /** The fields an SDK type declares, its `extends` included: `Invoice`, `Invoice.AutomaticTax`. */
  fieldsOf(typeName: string): DeclaredField[];
  /**
   * Every declared, non-optional field the value lacks, at any depth: nested objects, arrays,
   * lists and expanded objects are followed through the types the SDK declares for them.
   * `typeName` names a top-level SDK type, or a generic one with its arguments
   * (`ApiList<Customer>`).
   */
  check(value: unknown, typeName: string, path?: string): ShapeProblem[];
  /** The SDK interfaces a `check` call has walked so far (a test can ask that it went deep). */
  visited: ReadonlySet<string>;
  /**
   * Objects found where the declared type names no interface this reader could find (an
   * object where the SDK declares a string, or a type it failed to read): `path: type`. Each
   * one is a part of an answer that was not checked, so a test should expect none.
   */
  unchecked: ReadonlySet<string>;
}

const stripeRoot = dirname(createRequire(import.meta.url).resolve('stripe'));
/** A type named from the file that declares it: `@/…/InvoiceLineItems.d.ts#InvoiceLineItem`. */
const qualifiedPattern = /^@(.+)#(.+)$/;

export function readSdkTypes(): SdkTypes {
  const files = new Map<string, ParsedFile>();
  const visited = new Set<string>();
  const unchecked = new Set<string>();

  function parsed(file: string): ParsedFile {
    let result = files.get(file);
    if (result === undefined) {
      result = parseDeclarations(file, readFileSync(file, 'utf8'));
      files.set(file, result);
    }
    return result;
  }

  let topLevel: Map<string, string> | undefined;
  /** Top-level interface name -> file, over the SDK's resources (not their sub-folders). */
  function topLevelIndex(): Map<string, string> {
    if (topLevel !== undefined) return topLevel;
    topLevel = new Map();
    const folder = join(stripeRoot, 'resources');
    for (const entry of readdirSync(folder)) {
      if (!entry.endsWith('.d.ts')) continue;
      const text = readFileSync(join(folder, entry), 'utf8');
      for (const match of text.matchAll(/^export interface (\w+)/gm)) {
        if (!topLevel.has(match[1] ?? '')) topLevel.set(match[1] ?? '', join(folder, entry));
      }
    }
    return topLevel;
  }

  /** Where a top-level name lives: the SDK's resources first, then its shared types. */
  function fileOfRoot(name: string): string {
    for (const candidate of [
      join(stripeRoot, 'resources', `${name}s.d.ts`),
      join(stripeRoot, 'resources', `${name}.d.ts`),
      join(stripeRoot, 'lib.d.ts'),
      join(stripeRoot, 'shared.d.ts'),
      join(stripeRoot, 'Types.d.ts'),
    ]) {
      try {
        if (parsed(candidate).interfaces.has(name)) return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const declaring = topLevelIndex().get(name);
    if (declaring !== undefined) return declaring;
    throw new Error(`The stripe package declares no top-level type ${name} this reader can find`);
  }

  /**
   * Resolves a type name as TypeScript would from inside the namespace `scope`: that namespace
   * and its parents outwards, then the file's top level, then the file's imports.
   */
  function resolve(name: string, file: string, scope: string): DeclaredInterface | undefined {
    const qualified = qualifiedPattern.exec(name);
    if (qualified !== null) return parsed(qualified[1] ?? '').interfaces.get(qualified[2] ?? '');
    const declarations = parsed(file);
    const parts = scope === '' ? [] : scope.split('.');
    for (let depth = parts.length; depth >= 0; depth--) {
      const prefix = parts.slice(0, depth).join('.');
      const found = declarations.interfaces.get(prefix === '' ? name : `${prefix}.${name}`);
      if (found !== undefined) return found;
    }
    const [head = '', ...rest] = name.split('.');
    const imported = declarations.imports.get(head);
    if (imported === undefined) return undefined;
    if (imported.endsWith('/index.d.ts')) {
      // `Billing.Meter` through `import * as Billing from './Billing/index.js'`.
      const [member = '', ...inner] = rest;
      const folder = dirname(imported);
      for (const candidate of [`${member}s.d.ts`, `${member}.d.ts`, `${member}es.d.ts`]) {
        try {
          const target = parsed(join(folder, candidate));
          const found = target.interfaces.get([member, ...inner].join('.'));
          if (found !== undefined) return found;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      return undefined;
    }
    return parsed(imported).interfaces.get(name);
  }

  function rootInterface(typeName: string): DeclaredInterface {
    const [head = ''] = typeName.split('.');
    const file = fileOfRoot(head);
    const found = parsed(file).interfaces.get(typeName);
    if (found === undefined) throw new Error(`No type ${typeName} in ${file}`);
    return found;
  }

  function fieldsWithInherited(declared: DeclaredInterface): DeclaredField[] {
    const fields = [...declared.fields];
    for (const base of declared.extendsTypes) {
      const parent = resolve(base.replace(/<.*$/, ''), declared.file, scopeOf(declared));
      if (parent === undefined) continue;
      for (const field of fieldsWithInherited(parent)) {
        if (!fields.some((own) => own.name === field.name)) fields.push(field);
      }
    }
    return fields;
  }

  function check(
    value: unknown,
    declared: DeclaredInterface,
    typeArguments: Map<string, string>,
    path: string,
  ): ShapeProblem[] {
    if (!isObject(value)) return [{ path, problem: 'not an object', type: declared.name }];
    visited.add(declared.name);
    const problems: ShapeProblem[] = [];
    const fields = fieldsWithInherited(declared);
    for (const key of Object.keys(value)) {
      // An interface without fields (`Event.Data.Object`) stands for any object.
      const open = declared.hasIndexSignature || fields.length === 0;
      if (!open && !fields.some((field) => field.name === key)) {
        problems.push({ path: `${path}.${key}`, problem: 'undeclared', type: declared.name });
      }
    }
    for (const field of fields) {
      const fieldPath = `${path}.${field.name}`;
      const fieldValue = value[field.name];
      if (fieldValue === undefined) {
        if (!field.optional) {
          problems.push({ path: fieldPath, problem: 'missing', type: declared.name });
        }
        continue;
      }
      const type = substitute(field.type, typeArguments);
      problems.push(...checkValue(fieldValue, type, declared, fieldPath));
    }
    return problems;
  }

  /** Follows a field's value into the interfaces its declared type names. */
  function checkValue(
    value: unknown,
    type: string,
    owner: DeclaredInterface,
    path: string,
  ): ShapeProblem[] {
    if (Array.isArray(value)) {
      const element = elementType(type);
      if (element === undefined) return [];
      return value.flatMap((item, index) => checkValue(item, element, owner, `${path}[${index}]`));
    }
    if (!isObject(value)) return [];
    const candidates = namedTypes(type).flatMap(function resolveCandidate(reference) {
      const generic = /^(\w[\w.]*)<(.+)>$/.exec(reference);
      const name = generic?.[1] ?? reference;
      const found = resolve(name, owner.file, scopeOf(owner));
      if (found === undefined) return [];
      const typeArguments = new Map<string, string>();
      if (generic !== null) {
        const [argument = ''] = splitTopLevel(generic[2] ?? '', ',');
        found.typeParameters.forEach((parameter) => {
          typeArguments.set(parameter, qualify(argument.trim(), owner));
        });
      }
      return [{ declared: found, typeArguments }];
    });
    if (candidates.length === 0) {
      unchecked.add(`${path}: ${type}`);
      return [];
    }
    const matching = candidates.filter(({ declared }) => fitsObjectKind(declared, value));
    const pool = matching.length > 0 ? matching : candidates;
    let best: ShapeProblem[] | undefined;
    for (const candidate of pool) {
      const problems = check(value, candidate.declared, candidate.typeArguments, path);
      if (problems.length === 0) return [];
      if (best === undefined || problems.length < best.length) best = problems;
    }
    return best ?? [];
  }

  /** A generic's argument is named from where the field is declared, not where it is used. */
  function qualify(argument: string, owner: DeclaredInterface): string {
    const found = resolve(argument.replace(/<.*$/, ''), owner.file, scopeOf(owner));
    return found === undefined ? argument : `@${found.file}#${found.name}`;
  }

  function fitsObjectKind(declared: DeclaredInterface, value: Record<string, unknown>): boolean {
    const objectField = declared.fields.find((field) => field.name === 'object');
    const deletedField = declared.fields.find((field) => field.name === 'deleted');
    if (objectField !== undefined && /^'[^']*'$/.test(objectField.type)) {
      if (objectField.type !== `'${String(value.object)}'`) return false;
    }
    // `deleted?: void` on the live type, `deleted: true` on its Deleted… twin.
    return (deletedField?.type === 'true') === (value.deleted === true);
  }

  return {
    visited,
    unchecked,
    fieldsOf(typeName) {
      return fieldsWithInherited(rootInterface(typeName));
    },
    check(value, typeName, path = typeName) {
      // `ApiList<Customer>`: a generic with top-level SDK types as its arguments.
      const generic = /^(\w+)<(.+)>$/.exec(typeName);
      const declared = rootInterface(generic?.[1] ?? typeName);
      const typeArguments = new Map<string, string>();
      const argumentNames = splitTopLevel(generic?.[2] ?? '', ',').map((name) => name.trim());
      declared.typeParameters.forEach((parameter, index) => {
        const argument = argumentNames[index];
        if (argument === undefined || argument === '') return;
        const found = rootInterface(argument);
        typeArguments.set(parameter, `@${found.file}#${found.name}`);
      });
      return check(value, declared, typeArguments, path);
    },
  };

  /** The namespace a type is declared in (`Invoice` for `Invoice.AutomaticTax`). */
  function scopeOf(declared: DeclaredInterface): string {
    return declared.name.split('.').slice(0, -1).join('.');
  }

  /** The names in a type that may be interfaces: `string | Customer | null` -> [Customer]. */
  function namedTypes(type: string): string[] {
    const names: string[] = [];
    for (const part of splitTopLevel(type, '|')) {
      const text = part.trim();
      const qualified = qualifiedPattern.exec(text);
      if (qualified !== null) {
        names.push(text);
        continue;
      }
      if (/^[A-Z][\w.]*(<.+>)?$/.test(text) && !text.startsWith('Array<')) names.push(text);
    }
    return names;
  }

  function elementType(type: string): string | undefined {
    for (const part of splitTopLevel(type, '|')) {
      const text = part.trim();
      const generic = /^Array<(.+)>$/.exec(text);
      if (generic !== null) return generic[1];
      if (text.endsWith('[]')) return text.slice(0, -2);
    }
    return undefined;
  }

  function substitute(type: string, typeArguments: Map<string, string>): string {
    let result = type;
    for (const [parameter, argument] of typeArguments) {
      result = result.replaceAll(new RegExp(`\\b${parameter}\\b`, 'g'), argument);
    }
    return result;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits at `separator` outside <>, (), {} and []. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of text) {
    if ('<({['.includes(character)) depth++;
    else if ('>)}]'.includes(character)) depth--;
    if (character === separator && depth === 0) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  return parts;
}

function braceBalance(text: string): number {
  let balance = 0;
  for (const character of text) {
    if (character === '{') balance++;
    else if (character === '}') balance--;
  }
  return balance;
}

type Block =
  | { kind: 'namespace'; name: string }
  | { kind: 'interface'; declared: DeclaredInterface }
  | { kind: 'other'; depth: number };

function parseDeclarations(file: string, source: string): ParsedFile {
  const interfaces = new Map<string, DeclaredInterface>();
  const imports = new Map<string, string>();
  const text = source.replaceAll(/\/\*[\s\S]*?\*\//g, '');
  const lines = text.split('\n');
  const stack: Block[] = [];
  const namespacePath = () =>
    stack.flatMap((block) => (block.kind === 'namespace' ? [block.name] : []));
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    if (line.length === 0 || line.startsWith('//')) continue;
    const top = stack.at(-1);
    if (top?.kind === 'other') {
      top.depth += braceBalance(line);
      if (top.depth <= 0) stack.pop();
      continue;
    }
    if (line === '}' || line === '};') {
      stack.pop();
      continue;
    }
    const importNames = /^import \{ (.+) \} from '(.+)';$/.exec(line);
    if (importNames !== null) {
      const from = join(dirname(file), (importNames[2] ?? '').replace(/\.js$/, '.d.ts'));
      for (const entry of (importNames[1] ?? '').split(',')) {
        const [imported = '', local = imported] = entry.trim().split(/\s+as\s+/);
        if (local.length > 0) imports.set(local.trim(), from);
      }
      continue;
    }
    const importAll = /^import \* as (\w+) from '(.+)';$/.exec(line);
    if (importAll !== null) {
      imports.set(
        importAll[1] ?? '',
        join(dirname(file), (importAll[2] ?? '').replace(/\.js$/, '.d.ts')),
      );
      continue;
    }
    const namespace = /^(?:export )?(?:declare )?namespace ([\w.]+) \{$/.exec(line);
    if (namespace !== null) {
      for (const part of (namespace[1] ?? '').split('.')) {
        stack.push({ kind: 'namespace', name: part });
      }
      continue;
    }
    const declaration =
      /^(?:export )?(?:declare )?interface (\w+)(?:<(.+?)>)?(?: extends (.+))? \{$/.exec(line) ??
      // `type StripeRawError = {`: an object type under another name reads the same.
      /^(?:export )?(?:declare )?type (\w+)(?:<(.+?)>)?() = \{$/.exec(line);
    if (declaration !== null) {
      const name = [...namespacePath(), declaration[1] ?? ''].join('.');
      const declared: DeclaredInterface = {
        name,
        file,
        typeParameters: splitTopLevel(declaration[2] ?? '', ',')
          .map((parameter) => parameter.trim().split(/\s/)[0] ?? '')
          .filter((parameter) => parameter.length > 0),
        extendsTypes: splitTopLevel(declaration[3] ?? '', ',')
          .map((base) => base.trim())
          .filter((base) => base.length > 0),
        fields: [],
        hasIndexSignature: false,
      };
      interfaces.set(name, declared);
      stack.push({ kind: 'interface', declared });
      continue;
    }
    if (top?.kind === 'interface') {
      const member = /^(?:readonly )?(\w+)(\?)?: (.*)$/.exec(line);
      if (member !== null) {
        let type = member[3] ?? '';
        // A type spread over several lines (an inline object type) ends where braces balance.
        while ((braceBalance(type) > 0 || !type.endsWith(';')) && index + 1 < lines.length) {
          index++;
          type += ` ${(lines[index] ?? '').trim()}`;
        }
        top.declared.fields.push({
          name: member[1] ?? '',
          optional: member[2] === '?',
          type: type.replace(/;$/, '').trim(),
        });
        continue;
      }
      if (/^\[\w+: string\]/.test(line)) top.declared.hasIndexSignature = true;
      // Index signatures, methods: not fields.
      const balance = braceBalance(line);
      if (balance > 0) stack.push({ kind: 'other', depth: balance });
      continue;
    }
    // Classes, functions, type aliases and the like: skipped with whatever they open.
    const balance = braceBalance(line);
    if (balance > 0) stack.push({ kind: 'other', depth: balance });
  }
  return { interfaces, imports };
}
