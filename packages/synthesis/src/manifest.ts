// The files of a synthetic dataset and how shards' records become one manifest.
//
//   <out>/job.json                            the job's settings and its canonical item list (written by every shard,
//                                             identical; a resumed or added shard must agree with it)
//   <out>/images/<sourceId>_k<k>.png          the generated images (atomic writes)
//   <out>/manifest.shard-<i>-of-<N>.jsonl     one JSON line per finished item of shard i (appended after its image)
//   <out>/manifest.jsonl                      all records in canonical order (merge)
//   <out>/captions.json, splits/train.txt     the folder format (merge): openFolder(out) reads the result
// Synthetic images carry NO labels: the self-improving stage predicts them on the fly with θC (paper §4.3).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Diff2in1Error, jsonlLine, readJsonl, writeFileAtomic } from '@diff2in1/tensor';
import type { LatentMode, SchedulerKind } from './sampler.js';

/** Settings that decide every output byte; a job folder holds one set. */
export interface JobSettings {
  /** Samples per source image (K). */
  samplesPerImage: number;
  /** Start timestep (official), or null when strength is used. */
  T: number | null;
  strength: number | null;
  steps: number;
  scheduler: SchedulerKind;
  eta: number;
  guidanceScale: number;
  negativePrompt: string;
  latentMode: LatentMode;
  /** Job seed (decimal string: 64-bit). */
  seed: string;
  /** Resize [height, width] applied to source images, or null. */
  size: [number, number] | null;
  /** One prompt for every image instead of its caption, or null. */
  prompt: string | null;
  /** modelHash() of the backbone. */
  model: string;
}

export interface JobFile {
  version: 1;
  settings: JobSettings;
  /** Where the sources came from (informational; not compared on resume). */
  data: { layout: string; split: string; root: string };
  /** Source image ids in dataset order; items are (id, k) for each id, k = 0..K−1. */
  sourceIds: string[];
  /** The model source (informational). */
  modelSource: string;
}

/** One line of the manifest. */
export interface ManifestRecord {
  /** Synthetic image id: `<source>_k<k>` (file images/<id>.png). */
  id: string;
  source: string;
  k: number;
  caption: string;
  T: number | null;
  strength: number | null;
  /** Timestep the latent was noised to (null: no denoising, strength 0 / T 0). */
  noiseTimestep: number | null;
  /** Configured schedule length and the denoising steps actually run. */
  steps: number;
  stepsRun: number;
  scheduler: SchedulerKind;
  eta: number;
  guidanceScale: number;
  negativePrompt: string;
  latentMode: LatentMode;
  /** The sample's own seed (decimal; sampleSeed(job seed, source, k)). */
  seed: string;
  /** The job seed it was derived from. */
  jobSeed: string;
  model: string;
  width: number;
  height: number;
  /** ISO time the image was finished, and seconds it took (timing fields: differ between runs). */
  time: string;
  seconds: number;
}

export const TIMING_FIELDS = ['time', 'seconds'] as const;

export const JOB_FILE = 'job.json';
export const MANIFEST_FILE = 'manifest.jsonl';

export function itemId(sourceId: string, k: number): string {
  return `${sourceId}_k${k}`;
}

export function imagePath(out: string, id: string): string {
  return join(out, 'images', `${id}.png`);
}

export function partPath(out: string, shard: { index: number; count: number }): string {
  return join(out, `manifest.shard-${shard.index}-of-${shard.count}.jsonl`);
}

const PART_RE = /^manifest\.shard-(\d+)-of-(\d+)\.jsonl$/;

/** Every manifest part file in `out` (any shard count), sorted by count then index. */
export function listParts(out: string): string[] {
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .map((f) => ({ f, m: PART_RE.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[2]) - Number(b.m[2]) || Number(a.m[1]) - Number(b.m[1]))
    .map((x) => join(out, x.f));
}

/** The canonical item list of a job: (source, k) for every source id, k = 0..K−1. */
export function jobItems(job: Pick<JobFile, 'sourceIds' | 'settings'>): { id: string; source: string; k: number }[] {
  const out: { id: string; source: string; k: number }[] = [];
  for (const source of job.sourceIds) for (let k = 0; k < job.settings.samplesPerImage; k++) out.push({ id: itemId(source, k), source, k });
  return out;
}

export function readJobFile(out: string): JobFile | undefined {
  const path = join(out, JOB_FILE);
  if (!existsSync(path)) return undefined;
  let job: JobFile;
  try {
    job = JSON.parse(readFileSync(path, 'utf8')) as JobFile;
  } catch (e) {
    throw new Diff2in1Error('synthesis', `not valid JSON (${(e as Error).message}); delete it to start the job afresh`, { file: path, cause: e });
  }
  if (job.version !== 1 || typeof job.settings !== 'object' || !Array.isArray(job.sourceIds)) {
    throw new Diff2in1Error('synthesis', 'not a synthesis job file (expected {version: 1, settings, sourceIds, ...})', { file: path });
  }
  return job;
}

/** Fields of `a` and `b` that differ, as "field: a → b". */
export function settingsDiff(a: JobSettings, b: JobSettings): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof JobSettings>;
  const out: string[] = [];
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(`${k}: ${JSON.stringify(a[k])} → ${JSON.stringify(b[k])}`);
  return out;
}

/** Reads every part's records (torn last lines dropped); later lines for the same id replace earlier ones. */
export function readParts(out: string): Map<string, ManifestRecord> {
  const byId = new Map<string, ManifestRecord>();
  for (const p of listParts(out)) for (const r of readJsonl<ManifestRecord>(p)) byId.set(r.id, r);
  return byId;
}

/** A record without its timing fields (for comparing runs). */
export function withoutTiming(r: ManifestRecord): Omit<ManifestRecord, (typeof TIMING_FIELDS)[number]> {
  const { time: _t, seconds: _s, ...rest } = r;
  return rest;
}

export interface MergeResult {
  /** Records in canonical order (those present). */
  records: ManifestRecord[];
  /** Items with no record or no image. */
  missing: string[];
  /** True when manifest.jsonl, captions.json and splits/train.txt were written. */
  written: boolean;
}

/**
 * The job's records in canonical order: manifest.jsonl when it is complete, else the parts combined. An item
 * counts only when its image exists too.
 */
export function readManifest(out: string): MergeResult {
  const job = readJobFile(out);
  if (!job) throw new Diff2in1Error('synthesis', `no ${JOB_FILE}: not a synthesis output folder (run the job first)`, { file: out });
  const byId = readParts(out);
  for (const r of readJsonl<ManifestRecord>(join(out, MANIFEST_FILE))) if (!byId.has(r.id)) byId.set(r.id, r);
  const records: ManifestRecord[] = [];
  const missing: string[] = [];
  for (const it of jobItems(job)) {
    const r = byId.get(it.id);
    if (r && existsSync(imagePath(out, it.id))) records.push(r);
    else missing.push(it.id);
  }
  return { records, missing, written: false };
}

/**
 * Combines the shards' records into manifest.jsonl (canonical order), captions.json (id → the caption it was
 * conditioned on) and splits/train.txt, all written atomically. Incomplete jobs are an error listing what is
 * missing, unless `allowPartial` (then the files cover the finished items).
 */
export async function mergeManifest(out: string, opts: { allowPartial?: boolean } = {}): Promise<MergeResult> {
  const res = readManifest(out);
  if (res.missing.length > 0 && !opts.allowPartial) {
    const job = readJobFile(out) as JobFile;
    const all = jobItems(job);
    const shown = res.missing.slice(0, 5).join(', ');
    throw new Diff2in1Error('synthesis', `cannot merge: ${res.missing.length} of ${all.length} items are not finished (${shown}${res.missing.length > 5 ? ', …' : ''}); run the missing shards again (finished items are skipped) or pass allowPartial / --allow-partial`, { file: out });
  }
  await writeFileAtomic(join(out, MANIFEST_FILE), res.records.map((r) => jsonlLine(r)).join(''));
  const captions: Record<string, string> = {};
  for (const r of res.records) captions[r.id] = r.caption;
  await writeFileAtomic(join(out, 'captions.json'), JSON.stringify(captions, null, 1) + '\n');
  await writeFileAtomic(join(out, 'splits', 'train.txt'), res.records.map((r) => `${r.id}\n`).join(''));
  return { ...res, written: true };
}
