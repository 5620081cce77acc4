// Shared machinery for reading the `config.json` files of a diffusers folder into typed configs.
// Field names stay exactly the upstream keys (snake_case), defaults are upstream's, and every error names
// the file, the field, what was found and what is allowed.

import { Diff2in1Error, choices } from '@diff2in1/tensor';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A parsed JSON object. */
export type JsonObject = { [key: string]: Json };

/** Keys every config file may carry that describe the file rather than the model (`_class_name`, ...). */
export interface ConfigMeta {
  _class_name?: string;
  _diffusers_version?: string;
  _name_or_path?: string;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Reads typed fields out of one config object. Every getter takes the upstream default, so a missing key means
 * what it means upstream; a present key of the wrong type or outside the allowed values throws a
 * `Diff2in1Error('config', ...)` naming `file` and the field.
 */
export class ConfigReader {
  readonly seen = new Set<string>();

  constructor(
    readonly json: JsonObject,
    /** The file (or a label such as `sd15 unet config`) named in errors. */
    readonly file: string,
  ) {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new Diff2in1Error('config', `expected a JSON object, got ${describe(json)}`, { file });
    }
  }

  fail(key: string, expected: string, got: unknown = this.json[key]): never {
    throw new Diff2in1Error('config', `field "${key}": expected ${expected}, got ${describe(got)}`, { file: this.file });
  }

  private raw(key: string): Json | undefined {
    this.seen.add(key);
    return Object.hasOwn(this.json, key) ? this.json[key] : undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.json, key);
  }

  int(key: string, dflt: number, min = -Infinity): number {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.fail(key, min === -Infinity ? 'an integer' : `an integer >= ${min}`);
    }
    return v;
  }

  intOrNull(key: string, dflt: number | null, min = -Infinity): number | null {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    return this.int(key, 0, min);
  }

  num(key: string, dflt: number): number {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a finite number');
    return v;
  }

  numOrNull(key: string, dflt: number | null): number | null {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    return this.num(key, 0);
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  boolOrNull(key: string, dflt: boolean | null): boolean | null {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    return this.bool(key, false);
  }

  str(key: string, dflt: string): string {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  strOrNull(key: string, dflt: string | null): string | null {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    return this.str(key, '');
  }

  optionalStr(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  strList(key: string, dflt: readonly string[]): string[] {
    const v = this.raw(key);
    if (v === undefined) return [...dflt];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(key, 'a list of strings');
    return v as string[];
  }

  intList(key: string, dflt: readonly number[], min = -Infinity): number[] {
    const v = this.raw(key);
    if (v === undefined) return [...dflt];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x) || x < min)) {
      this.fail(key, min === -Infinity ? 'a list of integers' : `a list of integers >= ${min}`);
    }
    return v as number[];
  }

  intOrIntList(key: string, dflt: number | readonly number[], min = -Infinity): number | number[] {
    const v = this.raw(key);
    if (v === undefined) return typeof dflt === 'number' ? dflt : [...dflt];
    if (typeof v === 'number') return this.int(key, 0, min);
    return this.intList(key, [], min);
  }

  intOrIntListOrNull(key: string, dflt: number | number[] | null, min = -Infinity): number | number[] | null {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    return this.intOrIntList(key, 0, min);
  }

  boolOrBoolList(key: string, dflt: boolean): boolean | boolean[] {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v === 'boolean') return v;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'boolean')) this.fail(key, 'true, false or a list of them');
    return v as boolean[];
  }

  /** An integer, or a [height, width] pair (diffusers allows both for `sample_size`). */
  sizeOrNull(key: string, dflt: number | [number, number] | null): number | [number, number] | null {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x > 0)) {
      return [v[0] as number, v[1] as number];
    }
    return this.fail(key, 'a positive integer or a [height, width] pair');
  }

  /** Any JSON value, unchecked (for keys that only describe the file). */
  any(key: string): Json | undefined {
    return this.raw(key);
  }

  meta(): ConfigMeta {
    const out: ConfigMeta = {};
    const c = this.optionalStr('_class_name');
    const d = this.optionalStr('_diffusers_version');
    const n = this.optionalStr('_name_or_path');
    if (c !== undefined) out._class_name = c;
    if (d !== undefined) out._diffusers_version = d;
    if (n !== undefined) out._name_or_path = n;
    return out;
  }

  /** Keys present in the file that no getter asked for (diffusers ignores such keys with a warning). */
  unknownKeys(): string[] {
    return Object.keys(this.json).filter((k) => !this.seen.has(k));
  }
}

/** Throws unless `value` is one of `allowed`; the message lists them. */
export function requireOneOf<T extends string | number | boolean | null>(
  file: string,
  field: string,
  value: T,
  allowed: readonly T[],
  why = '',
): void {
  if (!allowed.includes(value)) {
    throw new Diff2in1Error(
      'config',
      `field "${field}": ${describe(value)} is not supported${why ? ` ${why}` : ''}; allowed: ${choices(allowed.map((a) => JSON.stringify(a)))}`,
      { file },
    );
  }
}

/** Throws a config error for `field` with a free-form reason. */
export function configError(file: string, field: string, message: string): never {
  throw new Diff2in1Error('config', `field "${field}": ${message}`, { file });
}

/** Expands a per-block setting that may be given once for all blocks, checking the length of a list. */
export function perBlock<T>(file: string, field: string, value: T | T[], blocks: number, lengthOf = 'down_block_types'): T[] {
  if (!Array.isArray(value)) return Array.from({ length: blocks }, () => value);
  if (value.length !== blocks) {
    configError(file, field, `has ${value.length} entries but "${lengthOf}" has ${blocks}; give one value or one per block`);
  }
  return value;
}

/** Parses JSON text, naming the file on a syntax error. */
export function parseJsonText(text: string, file: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Diff2in1Error('config', `not valid JSON (${(e as Error).message})`, { file, cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new Diff2in1Error('config', `expected a JSON object at the top level, got ${describe(v)}`, { file });
  }
  return v as JsonObject;
}
