// --set key.path=value: one config field from the command line. The key must name a field of the schema (an
// unknown one is an error with a "did you mean"); the value is read as JSON when it parses (numbers, true/false,
// null, lists, objects, "quoted strings") and as a plain string otherwise (--set backbone.model=/models/sd15).
// null deletes the field. Values are then validated with the rest of the config.
import { resolve } from 'node:path';
import { Diff2in1Error } from '@diff2in1/tensor';
import { didYouMean } from './errors.js';
import { keysAt, schemaAt, unwrap } from './introspect.js';
import type { Json } from './json-tree.js';
import { isPlainObject, resolvePathValue } from './json-tree.js';
import { configSchema } from './schema.js';

export interface Override {
  /** 'selfImprove.mixing.real' split on dots. */
  path: string[];
  value: Json;
  /** The argument as given, for messages. */
  text: string;
}

function isRecordSchema(path: string[]): boolean {
  const s = schemaAt(configSchema, path);
  return s !== undefined && (unwrap(s) as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'record';
}

/** Parses and checks one `key.path=value`. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Diff2in1Error('config', `--set ${text}: expected key.path=value, e.g. --set warmup.lr=1e-4`);
  const key = text.slice(0, eq).trim();
  const rawValue = text.slice(eq + 1);
  const path = key.split('.');
  if (path.some((p) => p === '')) throw new Diff2in1Error('config', `--set ${text}: "${key}" is not a field path (empty segment)`);
  // Every segment must be a field of the schema, except keys inside a record (head.options.<anything>).
  for (let i = 0; i < path.length; i++) {
    if (i > 0 && isRecordSchema(path.slice(0, i))) break;
    if (schemaAt(configSchema, path.slice(0, i + 1)) === undefined) {
      const parent = path.slice(0, i);
      const keys = keysAt(configSchema, parent);
      const where = parent.length ? `${parent.join('.')} fields` : 'top-level fields';
      if (!keys) throw new Diff2in1Error('config', `--set ${text}: ${parent.join('.')} has no fields`);
      const guess = didYouMean(path[i]!, keys);
      const hint = guess ? ` (did you mean "${[...parent, guess].join('.')}"?)` : '';
      throw new Diff2in1Error('config', `--set ${text}: ${path.slice(0, i + 1).join('.')}: unknown field${hint}; ${where} are: ${keys.join(', ')}`);
    }
  }
  let value: Json;
  try {
    value = JSON.parse(rawValue) as Json;
  } catch {
    value = rawValue;
  }
  return { path, value, text };
}

/** Applies overrides in order to a raw config (a copy is returned); path values are made absolute against cwd. */
export function applyOverrides(raw: Json, overrides: readonly (string | Override)[], cwd: string): Json {
  const out: Json = isPlainObject(raw) ? structuredClone(raw) : {};
  for (const o of overrides) {
    const ov = typeof o === 'string' ? parseOverride(o) : o;
    let node = out;
    for (let i = 0; i < ov.path.length - 1; i++) {
      const k = ov.path[i]!;
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (!isPlainObject(next)) {
        const field = ov.path.slice(0, i + 1).join('.');
        throw new Diff2in1Error('config', `--set ${ov.text}: ${field} is ${JSON.stringify(next)}, not an object; set it whole, e.g. --set '${field}=${JSON.stringify({ [ov.path[i + 1]!]: ov.value })}'`);
      }
      node = node[k] as { [k: string]: Json };
    }
    const last = ov.path[ov.path.length - 1]!;
    if (ov.value === null) delete node[last];
    else node[last] = typeof ov.value === 'string' ? resolvePathValue(ov.path, ov.value, cwd) : ov.value;
  }
  return out;
}

/** Shorthand flags for common fields: --device, --seed, --threads, --run-dir. */
export function flagOverrides(flags: { device?: string; seed?: string; threads?: string; runDir?: string }, cwd: string): Override[] {
  const out: Override[] = [];
  if (flags.device !== undefined) out.push(parseOverride(`run.device=${JSON.stringify(flags.device)}`));
  if (flags.seed !== undefined) out.push({ ...parseOverride(`run.seed=${flags.seed}`), text: `--seed ${flags.seed}` });
  if (flags.threads !== undefined) out.push({ ...parseOverride(`run.threads=${flags.threads}`), text: `--threads ${flags.threads}` });
  if (flags.runDir !== undefined) out.push({ path: ['run', 'dir'], value: resolve(cwd, flags.runDir), text: `--run-dir ${flags.runDir}` });
  return out;
}
