// Loading a config: a JSON(C) file, optionally `extends` other files (deep merge; cycles are errors), then --set
// overrides, then schema validation and finalize. Relative paths inside a file are relative to that file (as in
// tsconfig.json); relative paths on the command line are relative to the current directory.
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diff2in1Error } from '@diff2in1/tensor';
import { ConfigError, configIssues } from './errors.js';
import type { Diff2in1Config } from './finalize.js';
import { finalizeConfig } from './finalize.js';
import { parseJsonc } from './jsonc.js';
import type { Json } from './json-tree.js';
import { deepMerge, dropNulls, isPlainObject, resolvePathFields } from './json-tree.js';
import type { Override } from './overrides.js';
import { applyOverrides, parseOverride } from './overrides.js';
import { configSchema } from './schema.js';

/** The repository's configs/ folder (same depth from src/config and dist/config). */
export const CONFIGS_DIR = fileURLToPath(new URL('../../../../configs/', import.meta.url));

/** A config name (`demo`, `nyuv2-bae`) means configs/<name>.json; anything with a slash or extension is a path. */
export function resolveConfigPath(nameOrPath: string, cwd: string): string {
  if (!nameOrPath.includes('/') && !nameOrPath.includes('\\') && extname(nameOrPath) === '') {
    const builtin = join(CONFIGS_DIR, `${nameOrPath}.json`);
    if (existsSync(builtin)) return builtin;
    throw new Diff2in1Error('config', `no built-in config named "${nameOrPath}" (looked for ${builtin}); give a path to a .json file or one of: ${listBuiltinConfigs().join(', ')}`);
  }
  const p = resolve(cwd, nameOrPath);
  if (!existsSync(p)) throw new Diff2in1Error('config', `config file not found: ${p}`);
  return p;
}

/** Names of the configs in configs/. */
export function listBuiltinConfigs(): string[] {
  if (!existsSync(CONFIGS_DIR)) return [];
  return readdirSync(CONFIGS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export interface ConfigFileResult {
  /** The merged contents, paths absolute, `extends` removed. */
  raw: Json;
  /** Files read, the named one first, then what it extends (depth first). */
  files: string[];
}

/** Reads a config file and everything it extends. `extends` may be a path or a list (later entries win). */
export function readConfigFile(file: string, stack: string[] = []): ConfigFileResult {
  const real = realpathSync(file);
  if (stack.includes(real)) {
    throw new Diff2in1Error('config', `"extends" cycle: ${[...stack, real].map((p) => basename(p)).join(' → ')}`, { file });
  }
  const parsed = parseJsonc(readFileSync(real, 'utf8'), file) as Json;
  if (!isPlainObject(parsed)) throw new Diff2in1Error('config', 'a config file must hold a JSON object', { file });
  const { extends: ext, ...own } = parsed;
  const dir = dirname(real);
  let merged: Json = {};
  const files = [real];
  if (ext !== undefined) {
    const list = typeof ext === 'string' ? [ext] : Array.isArray(ext) && ext.every((e) => typeof e === 'string') ? (ext as string[]) : undefined;
    if (!list) throw new ConfigError([{ path: ['extends'], message: `expected a config file path or a list of them, got ${JSON.stringify(ext)}` }], file);
    for (const e of list) {
      const target = resolve(dir, e);
      if (!existsSync(target)) throw new Diff2in1Error('config', `"extends": file not found: ${target}`, { file });
      const sub = readConfigFile(target, [...stack, real]);
      merged = deepMerge(merged, sub.raw);
      files.push(...sub.files);
    }
  }
  merged = deepMerge(merged, resolvePathFields(own, dir));
  return { raw: merged, files };
}

/** Validates a merged raw config (schema + finalize) and returns the resolved config. */
export function validateConfig(raw: unknown, opts: { runDir: string; file?: string }): Diff2in1Config {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(configIssues(result.error, configSchema), opts.file);
  return finalizeConfig(result.data, opts.runDir, opts.file);
}

export interface LoadConfigOptions {
  /** A config file path or a built-in name (configs/<name>.json). */
  file?: string;
  /** A config object to start from when there is no file (e.g. a run directory's config.resolved.json). */
  base?: Json;
  /** Where `base` came from, for messages. */
  baseFile?: string;
  /** --set key.path=value overrides (or parsed ones, e.g. from --device), applied in order. */
  overrides?: readonly (string | Override)[];
  /** Directory for relative paths on the command line (default process.cwd()). */
  cwd?: string;
}

export interface LoadedConfig {
  config: Diff2in1Config;
  /** The config's name: its file name without .json (run directories default to runs/<name>). */
  name: string;
  /** Files read: the named one, then what it extends. */
  files: string[];
}

function startsWith(path: readonly PropertyKey[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => path[i] === k);
}

/** file or base → extends → overrides → schema → finalize. */
export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  let raw: Json = {};
  let files: string[] = [];
  let name = 'default';
  let file: string | undefined;
  if (opts.file !== undefined) {
    file = resolveConfigPath(opts.file, cwd);
    const r = readConfigFile(file);
    raw = r.raw;
    files = r.files;
    name = basename(file).replace(/\.jsonc?$/, '');
  } else if (opts.base !== undefined) {
    raw = opts.base;
    file = opts.baseFile;
    const run = isPlainObject(opts.base) ? opts.base['run'] : undefined;
    if (isPlainObject(run) && typeof run['dir'] === 'string') name = basename(run['dir']);
  }
  const overrides = (opts.overrides ?? []).map((o) => (typeof o === 'string' ? parseOverride(o) : o));
  raw = dropNulls(applyOverrides(raw, overrides, cwd));
  const runDir = resolve(cwd, 'runs', name);
  try {
    return { config: validateConfig(raw, { runDir, file }), name, files };
  } catch (e) {
    if (!(e instanceof ConfigError) || overrides.length === 0) throw e;
    // Say which command-line override a problem came from.
    const issues = e.issues.map((i) => {
      const from = [...overrides].reverse().find((o) => startsWith(i.path, o.path));
      return from ? { ...i, message: `${i.message} (from ${from.text.startsWith('--') ? from.text : `--set ${from.text}`})` } : i;
    });
    throw new ConfigError(issues, file);
  }
}
