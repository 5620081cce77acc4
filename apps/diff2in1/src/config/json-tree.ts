// Plain JSON trees as config files hold them: deep merge with null-as-delete, and path fields made absolute.
import { isAbsolute, resolve } from 'node:path';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isPlainObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Deep merge: objects merge key by key, anything else in `over` replaces, and `null` in `over` deletes the key
 * (so a config can drop an inherited field, e.g. "epochs": null when it sets "iterations").
 */
export function deepMerge(base: Json | undefined, over: Json): Json {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = deepMerge(out[k], v);
  }
  return out;
}

/** Drops null values left in a tree (null only ever means "delete"). */
export function dropNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isPlainObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

/** A placeholder the user must replace, e.g. "<path to stable-diffusion-v1-5>". */
export function isPlaceholder(v: unknown): v is string {
  return typeof v === 'string' && /^<[^<>]*>$/.test(v.trim());
}

/** Config fields that are paths, and how to find the path inside the value. */
export const PATH_FIELDS: readonly { path: readonly string[]; get: (v: string) => { prefix: string; path: string } | undefined }[] = [
  { path: ['run', 'dir'], get: (v) => ({ prefix: '', path: v }) },
  { path: ['data', 'path'], get: (v) => ({ prefix: '', path: v }) },
  { path: ['backbone', 'model'], get: (v) => (v === 'tiny' ? undefined : { prefix: '', path: v }) },
  {
    path: ['caption', 'captioner'],
    get: (v) => {
      const m = /^(transformers:|blip2:)(.+)$/s.exec(v);
      return m ? { prefix: m[1]!, path: m[2]! } : undefined;
    },
  },
];

/** A path field's value made absolute against baseDir (placeholders, 'tiny', non-path fields unchanged). */
export function resolvePathValue(path: readonly string[], value: string, baseDir: string): string {
  const f = PATH_FIELDS.find((p) => p.path.length === path.length && p.path.every((k, i) => k === path[i]));
  const got = f?.get(value);
  if (!got || isPlaceholder(got.path) || isAbsolute(got.path)) return value;
  return got.prefix + resolve(baseDir, got.path);
}

/** Makes every path field of a raw config absolute against baseDir. */
export function resolvePathFields(raw: Json, baseDir: string): Json {
  if (!isPlainObject(raw)) return raw;
  const out = structuredClone(raw);
  for (const f of PATH_FIELDS) {
    const parent = f.path.slice(0, -1).reduce<Json | undefined>((o, k) => (isPlainObject(o) ? o[k] : undefined), out);
    const key = f.path[f.path.length - 1]!;
    if (isPlainObject(parent) && typeof parent[key] === 'string') parent[key] = resolvePathValue(f.path, parent[key], baseDir);
  }
  return out;
}
