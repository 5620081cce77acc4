// Checkpoints a training stage resumes from after kill -9.
//
//   <dir>/<name>-<iteration>.safetensors   one file per state set (θE's train state with its optimizer, θC, ...)
//   <dir>/checkpoint.json                   { format, stage, iteration, files, configHash, ... } — written LAST
// Every file is written atomically (temp + fsync + rename) and checkpoint.json only names files that are complete,
// so a kill at any moment leaves the previous checkpoint intact; files of older iterations are removed after the
// new checkpoint.json is in place. Training randomness is forked from (seed, iteration) and the data order from
// (seed, epoch), so the iteration number is the whole RNG / data-cursor state; the JSON records both anyway.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Diff2in1Error, type Tensor, readJsonl, readSafetensors, writeFileAtomicSync, writeSafetensors } from '@diff2in1/tensor';

export const CHECKPOINT_FORMAT = 'diff2in1-checkpoint/1';
export const CHECKPOINT_FILE = 'checkpoint.json';

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  stage: string;
  /** Iterations completed. */
  iteration: number;
  /** State set name → file name in the checkpoint folder. */
  files: Record<string, string>;
  /** Hash of the settings that must not change on resume, and those settings. */
  configHash: string;
  config: Record<string, unknown>;
  /** Data cursor: epoch and position (batches) within it, and samples consumed. */
  cursor: { epoch: number; batch: number; samples: number };
  /** How the run's randomness continues (forks of the seed by iteration). */
  rng: { seed: number; scheme: string };
  /** Anything else the stage needs (EMA counters, ...). */
  extra?: Record<string, unknown>;
  time: string;
}

/** A stable hash of a JSON-able settings object (keys sorted). */
export function configHash(config: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson(config)).digest('hex').slice(0, 16);
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Settings that differ between two configs, as "field: old → new" lines. */
export function configDiff(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => stableJson(a[k]) !== stableJson(b[k])).map((k) => `${k}: ${stableJson(a[k])} → ${stableJson(b[k])}`);
}

/**
 * Writes a checkpoint: each state set with `write(path)` (e.g. TrainStepSession.exportState) or as a tensor record,
 * then checkpoint.json, then removes files of other iterations.
 */
export function saveCheckpoint(dir: string, meta: Omit<CheckpointMeta, 'format' | 'files' | 'time'>, sets: Record<string, Record<string, Tensor> | ((path: string) => void)>): CheckpointMeta {
  const files: Record<string, string> = {};
  for (const [name, s] of Object.entries(sets)) {
    const file = `${name}-${meta.iteration}.safetensors`;
    const path = join(dir, file);
    if (typeof s === 'function') s(path);
    else writeSafetensors(path, s, { format: CHECKPOINT_FORMAT, stage: meta.stage, set: name, iteration: String(meta.iteration) });
    files[name] = file;
  }
  const full: CheckpointMeta = { format: CHECKPOINT_FORMAT, ...meta, files, time: new Date().toISOString() };
  writeFileAtomicSync(join(dir, CHECKPOINT_FILE), `${JSON.stringify(full, null, 1)}\n`);
  const keep = new Set(Object.values(files));
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.safetensors') && !keep.has(f) && /-\d+\.safetensors$/.test(f)) rmSync(join(dir, f), { force: true });
  }
  return full;
}

/** The latest checkpoint in `dir`, or undefined. Its files must exist (they are written before the JSON). */
export function loadCheckpoint(dir: string): { meta: CheckpointMeta; path: (set: string) => string; read: (set: string) => Record<string, Tensor> } | undefined {
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) return undefined;
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new Diff2in1Error('checkpoint', `not valid JSON (${(e as Error).message}); delete the folder to start over`, { file });
  }
  if (meta.format !== CHECKPOINT_FORMAT) throw new Diff2in1Error('checkpoint', `format '${String(meta.format)}' is not '${CHECKPOINT_FORMAT}'`, { file });
  const path = (set: string): string => {
    const f = meta.files[set];
    if (!f) throw new Diff2in1Error('checkpoint', `has no state set '${set}' (sets: ${Object.keys(meta.files).join(', ')})`, { file });
    const p = join(dir, f);
    if (!existsSync(p)) throw new Diff2in1Error('checkpoint', `names ${f}, which is missing`, { file });
    return p;
  };
  return { meta, path, read: (set) => readSafetensors(path(set)) };
}

/**
 * Rewrites a JSONL log keeping only records of iterations ≤ `iteration` (and records without one), so a run resumed
 * from a checkpoint does not log the iterations after the checkpoint twice.
 */
export function trimLog(path: string, iteration: number, field = 'iteration'): void {
  if (!existsSync(path)) return;
  const recs = readJsonl<Record<string, unknown>>(path);
  const kept = recs.filter((r) => typeof r[field] !== 'number' || (r[field] as number) <= iteration);
  if (kept.length === recs.length) return;
  writeFileAtomicSync(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
