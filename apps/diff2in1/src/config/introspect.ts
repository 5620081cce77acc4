// Walks the zod config schema: the fields at a path (for "did you mean"), every leaf with its type, allowed values,
// default and description (for --help and the README). Reads zod v4's `_zod.def`, the documented way to inspect a
// schema's structure.
import type { z } from 'zod';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  options?: AnySchema[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  element?: AnySchema;
  valueType?: AnySchema;
  defaultValue?: unknown;
  in?: AnySchema;
}

function defOf(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** The description attached with .describe() on the schema or any wrapper around its core. */
export function descriptionOf(s: AnySchema): string | undefined {
  let cur: AnySchema | undefined = s;
  while (cur) {
    if (cur.description) return cur.description;
    const d = defOf(cur);
    cur = WRAPPERS.has(d.type) ? d.innerType : d.type === 'pipe' ? d.in : undefined;
  }
  return undefined;
}

/** The schema without optional/default/prefault/nullable wrappers. */
export function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    if (WRAPPERS.has(d.type) && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

/** The object schema among a union's options (or the schema itself when it is an object). */
function objectOf(s: AnySchema): AnySchema | undefined {
  const u = unwrap(s);
  const d = defOf(u);
  if (d.type === 'object') return u;
  if (d.type === 'union') for (const o of d.options ?? []) if (defOf(unwrap(o)).type === 'object') return unwrap(o);
  return undefined;
}

/** The field names of the object at `path` (through unions with an object option); undefined if none. */
export function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] | undefined {
  const s = schemaAt(schema, path);
  const obj = s && objectOf(s);
  return obj ? Object.keys(defOf(obj).shape ?? {}) : undefined;
}

/** The schema at `path` (object fields, array elements, record values), or undefined. */
export function schemaAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let cur: AnySchema | undefined = schema;
  for (const key of path) {
    if (!cur) return undefined;
    const u = unwrap(cur);
    const d = defOf(u);
    if (d.type === 'array' && typeof key === 'number') cur = d.element;
    else if (d.type === 'record') cur = d.valueType;
    else {
      const obj = objectOf(u);
      cur = obj ? defOf(obj).shape?.[String(key)] : undefined;
    }
  }
  return cur;
}

/** Literal/enum values a schema accepts, when it is a closed set (through unions). */
export function allowedValues(s: AnySchema): unknown[] | undefined {
  const d = defOf(unwrap(s));
  if (d.type === 'enum') return Object.values(d.entries ?? {});
  if (d.type === 'literal') return [...(d.values ?? [])];
  return undefined;
}

/** A short human description of what a schema accepts, e.g. 'an integer ≥ 1' or 'one of a, b'. */
export function describeType(s: AnySchema): string {
  const u = unwrap(s);
  const d = defOf(u);
  switch (d.type) {
    case 'enum':
    case 'literal':
      return `one of ${(allowedValues(u) ?? []).map((v) => String(v)).join(', ')}`;
    case 'number': {
      const checks = ((d as { checks?: { _zod: { def: { check: string; format?: string; value?: number; inclusive?: boolean } } }[] }).checks ?? []).map((c) => c._zod.def);
      const base = checks.some((c) => c.check === 'number_format' && c.format === 'safeint') ? 'an integer' : 'a number';
      const parts = checks.flatMap((c) => {
        if (c.check === 'greater_than') return [`${c.inclusive ? '≥' : '>'} ${c.value}`];
        if (c.check === 'less_than') return [`${c.inclusive ? '≤' : '<'} ${c.value}`];
        return [];
      });
      return parts.length ? `${base} ${parts.join(', ')}` : base;
    }
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return `a list of ${describeType(d.element!).replace(/^(a|an) /, '')}${/^(a|an) /.test(describeType(d.element!)) ? 's' : ''}`;
    case 'record':
      return 'an object of name → value';
    case 'object':
      return `an object { ${Object.keys(d.shape ?? {}).join(', ')} }`;
    case 'union':
      return (d.options ?? []).map((o) => {
        const od = defOf(unwrap(o));
        if (od.type === 'literal') return (od.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
        return describeType(o);
      }).join(' or ');
    default:
      return d.type;
  }
}

export interface FieldInfo {
  /** Dotted path, e.g. 'selfImprove.mixing.real'. */
  path: string;
  type: string;
  description: string | undefined;
  allowed: unknown[] | undefined;
}

/**
 * Every field a config can set under `prefix` (a section name or '' for all), depth first, objects expanded —
 * including the object option of a union (e.g. selfImprove.mixing and selfImprove.mixing.real).
 */
export function fields(schema: AnySchema, prefix = ''): FieldInfo[] {
  const start = prefix ? schemaAt(schema, prefix.split('.')) : schema;
  if (!start) return [];
  const out: FieldInfo[] = [];
  const visit = (s: AnySchema, path: string): void => {
    const u = unwrap(s);
    const d = defOf(u);
    const isPlainObject = d.type === 'object';
    if (path && !isPlainObject) {
      out.push({ path, type: describeType(s), description: descriptionOf(s), allowed: allowedValues(s) });
    }
    const obj = objectOf(s);
    if (obj) for (const [k, v] of Object.entries(defOf(obj).shape ?? {})) visit(v, path ? `${path}.${k}` : k);
  };
  visit(start, prefix);
  return out;
}
