// A synthesis job: a dataset → a synthetic dataset in the folder format plus manifest.jsonl (see manifest.ts for
// the files). K samples per source image, each seeded by sampleSeed(job seed, source id, k), so any shard or
// subset reproduces the same bytes. Sharded (item number mod N), resumable (an item is done when its image AND its
// manifest line exist; images are written atomically before the line is appended), merge when complete.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '@diff2in1/datasets';
import { openAde20k, openFolder, openNyudmt, openNyuv2, openPascalContext, resizeSample } from '@diff2in1/datasets';
import type { ProgressStream } from '@diff2in1/tensor';
import { Diff2in1Error, appendJsonl, createProgress, writeFileAtomic, writePng } from '@diff2in1/tensor';
import type { JobFile, JobSettings, ManifestRecord } from './manifest.js';
import { JOB_FILE, imagePath, jobItems, mergeManifest, partPath, readJobFile, readManifest, settingsDiff } from './manifest.js';
import type { SynthesisModel } from './model.js';
import { modelHash } from './model.js';
import type { LatentMode, SchedulerKind } from './sampler.js';
import { DEFAULT_STEPS, DEFAULT_T, createFromImage } from './sampler.js';
import type { Shard } from './shards.js';
import { WHOLE, parseShard, sampleSeed, shardItems } from './shards.js';

export const DATASET_LAYOUTS = ['folder', 'nyuv2', 'nyudmt', 'pascal-context', 'ade20k'] as const;
export type DatasetLayout = (typeof DATASET_LAYOUTS)[number];

/** A model the job loads itself (and disposes at the end). */
export type LoadedModel = SynthesisModel & { dispose?(): Promise<void> };

export interface SynthesisJobOptions {
  /** The backbone, or a source for `loadModel` (a diffusers folder, an ONNX export folder, 'tiny'). */
  model: SynthesisModel | string;
  /** Loads a model from a source string (the CLI passes @diff2in1/backbone-sd's loadStableDiffusion). */
  loadModel?: (source: string) => Promise<LoadedModel>;
  /** A dataset, or the root of one in `layout`. */
  data: Dataset | string;
  /** Layout of `data` when it is a path (default 'folder'). */
  layout?: DatasetLayout;
  /** Split to read (default 'train'). */
  split?: string;
  /** Output folder. */
  out: string;
  /** K: samples per source image (default 1). */
  samplesPerImage?: number;
  /** Start timestep (default 600, official) — or `strength` (diffusers img2img), not both. */
  T?: number;
  strength?: number;
  steps?: number;
  scheduler?: SchedulerKind;
  eta?: number;
  guidanceScale?: number;
  negativePrompt?: string;
  latentMode?: LatentMode;
  /** Job seed (default 0); per-sample seeds are hashed from it. */
  seed?: number | bigint | string;
  /** Resize sources to [height, width] first (the official code uses 512×512; cv2 bilinear as ldm/data/nyu.py). */
  size?: [number, number];
  /** One prompt for every image instead of its caption ('' = the paper's no-caption ablation). */
  prompt?: string;
  /** Only the first `limit` source images. */
  limit?: number;
  /** This process's shard: {index, count}, 'i/N', 'auto' or 'auto/N' (default: the whole job). */
  shard?: Shard | string;
  /** Write manifest.jsonl, captions.json and splits/train.txt when every item is done (default true). */
  merge?: boolean;
  /** No progress output. */
  quiet?: boolean;
  progressStream?: ProgressStream;
  /** Messages (skipped work, merge) go here; default stderr unless quiet. */
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** Called after each item is written. */
  onItem?: (record: ManifestRecord) => void;
}

export interface SynthesisJobSummary {
  out: string;
  shard: Shard;
  /** Items of this shard, generated now, found done. */
  items: number;
  generated: number;
  skipped: number;
  /** True when this run wrote the merged manifest. */
  merged: boolean;
  /** Items of the whole job still missing after this run. */
  missing: number;
  modelHash: string | null;
  /** Seconds loading the model, and the generation loop's start / end (epoch ms). */
  loadSeconds: number;
  loopStart: number;
  loopEnd: number;
  /** CPU seconds (all threads of this process) spent in the generation loop. */
  loopCpuSeconds: number;
}

async function openData(data: Dataset | string, layout: DatasetLayout, split: string): Promise<Dataset> {
  if (typeof data !== 'string') return data;
  switch (layout) {
    case 'folder': return openFolder(data, { split, tasks: [] });
    case 'nyuv2': return openNyuv2(data, { split: split as 'train' | 'test' });
    case 'nyudmt': return openNyudmt(data, { split: split as 'train' | 'val', tasks: [] });
    case 'pascal-context': return openPascalContext(data, { split: split as 'train' | 'val', tasks: [] });
    case 'ade20k': return openAde20k(data, { split: split as 'train' | 'val' });
    default: throw new Diff2in1Error('synthesis', `dataset layout '${String(layout)}' is not known; one of: ${DATASET_LAYOUTS.join(', ')}`);
  }
}

function seedString(seed: number | bigint | string | undefined): string {
  if (seed === undefined) return '0';
  if (typeof seed === 'string' && !/^\d+$/.test(seed.trim())) throw new Diff2in1Error('synthesis', `seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  if (typeof seed === 'number' && (!Number.isSafeInteger(seed) || seed < 0)) throw new Diff2in1Error('synthesis', `seed must be a non-negative integer, got ${seed}`);
  return BigInt.asUintN(64, BigInt(typeof seed === 'string' ? seed.trim() : seed)).toString();
}

function settingsOf(o: SynthesisJobOptions, model: string): JobSettings {
  const k = o.samplesPerImage ?? 1;
  if (!Number.isSafeInteger(k) || k < 1) throw new Diff2in1Error('synthesis', `samplesPerImage must be an integer ≥ 1, got ${String(k)}`);
  if (o.T !== undefined && o.strength !== undefined) throw new Diff2in1Error('synthesis', 'give either T (a timestep) or strength (in [0, 1]), not both');
  if (o.size !== undefined && !(o.size.length === 2 && o.size.every((v) => Number.isSafeInteger(v) && v > 0))) {
    throw new Diff2in1Error('synthesis', `size must be [height, width] in positive integers, got ${JSON.stringify(o.size)}`);
  }
  return {
    samplesPerImage: k,
    T: o.strength === undefined ? o.T ?? DEFAULT_T : null,
    strength: o.strength ?? null,
    steps: o.steps ?? DEFAULT_STEPS,
    scheduler: o.scheduler ?? 'ddim',
    eta: o.eta ?? 0,
    guidanceScale: o.guidanceScale ?? 1,
    negativePrompt: o.negativePrompt ?? '',
    latentMode: o.latentMode ?? 'sample',
    seed: seedString(o.seed),
    size: o.size ? [o.size[0], o.size[1]] : null,
    prompt: o.prompt ?? null,
    model,
  };
}

/** Removes temp files that a killed writer left for this shard's images (never another shard's). */
function removeStaleTemps(out: string, mine: ReadonlySet<string>): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(join(out, 'images'));
  } catch {
    return 0;
  }
  for (const f of names) {
    const m = /^\.(.+)\.png\.\d+\.\d+\.tmp$/.exec(f);
    if (m && mine.has(m[1] as string)) {
      rmSync(join(out, 'images', f), { force: true });
      removed++;
    }
  }
  return removed;
}

/** Runs (this shard of) a synthesis job; see the file comment. Safe to run again: finished items are skipped. */
export async function runSynthesisJob(options: SynthesisJobOptions): Promise<SynthesisJobSummary> {
  const { out } = options;
  const log = options.log ?? (options.quiet ? () => {} : (m: string) => process.stderr.write(`${m}\n`));
  const shard = options.shard === undefined ? WHOLE : typeof options.shard === 'string' ? parseShard(options.shard) : parseShard(`${options.shard.index}/${options.shard.count}`);
  const layout = options.layout ?? 'folder';
  const split = options.split ?? 'train';
  const dataset = await openData(options.data, layout, split);
  const limit = options.limit ?? dataset.length;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Diff2in1Error('synthesis', `limit must be an integer ≥ 0, got ${String(options.limit)}`);
  const sourceIds = dataset.ids.slice(0, limit);
  for (const id of sourceIds) {
    if (!/^[\w.-]+$/.test(id)) throw new Diff2in1Error('synthesis', `source id '${id}' must use only letters, digits, '_', '-' and '.' (it becomes a file name)`, { file: dataset.root });
  }
  const draft = settingsOf(options, '');
  const existing = readJobFile(out);
  const items = jobItems({ sourceIds, settings: draft });
  const mine = shardItems(items, shard);
  const part = partPath(out, shard);
  const mineIds = new Set(mine.map((x) => x.id));
  const removed = removeStaleTemps(out, mineIds);
  if (removed > 0) log(`synthesis: removed ${removed} temp file(s) left by an interrupted run`);
  const done = new Set(existing ? readManifest(out).records.map((r) => r.id) : []);
  const todo = mine.filter((x) => !done.has(x.id));

  let model: SynthesisModel | undefined;
  let loaded: LoadedModel | undefined;
  let hash: string | null = existing?.settings.model ?? null;
  const t0 = performance.now();
  if (typeof options.model !== 'string') {
    model = options.model;
    hash = modelHash(model);
  } else if (todo.length > 0 || !existing) {
    // A source string is loaded only when there is work (a finished shard re-run on a cluster costs nothing).
    if (!options.loadModel) throw new Diff2in1Error('synthesis', `model '${options.model}' is a source string but no loadModel was given (pass a loaded model, or loadStableDiffusion from @diff2in1/backbone-sd)`);
    loaded = await options.loadModel(options.model);
    model = loaded;
    hash = modelHash(model);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  try {
    const settings: JobSettings = { ...draft, model: hash as string };
    if (existing) {
      const diff = settingsDiff(existing.settings, settings);
      if (JSON.stringify(existing.sourceIds) !== JSON.stringify(sourceIds)) diff.push(`source images: ${existing.sourceIds.length} listed in ${JOB_FILE}, ${sourceIds.length} now (or a different order)`);
      if (diff.length > 0) {
        throw new Diff2in1Error('synthesis', `this folder holds a job with other settings (${diff.join('; ')}); use another output folder, or delete it to start over`, { file: join(out, JOB_FILE) });
      }
    } else {
      const job: JobFile = {
        version: 1, settings, sourceIds,
        data: { layout: typeof options.data === 'string' ? layout : dataset.name, split: dataset.split, root: dataset.root },
        modelSource: model?.source ?? '',
      };
      await writeFileAtomic(join(out, JOB_FILE), JSON.stringify(job, null, 1) + '\n');
    }

    const progress = createProgress({ label: `synthesis ${shard.index}/${shard.count}`, total: mine.length, unit: 'img', quiet: options.quiet ?? false, ...(options.progressStream ? { stream: options.progressStream } : {}) });
    if (mine.length - todo.length > 0) log(`synthesis: ${mine.length - todo.length} of ${mine.length} items of shard ${shard.index}/${shard.count} already done, skipped`);
    progress.update(mine.length - todo.length);
    const indexOf = new Map(dataset.ids.map((id, i) => [id, i]));
    const loopStart = Date.now();
    const cpu0 = process.cpuUsage();
    let generated = 0;
    let i = 0;
    while (i < todo.length) {
      const source = (todo[i] as { source: string }).source;
      const group = [];
      while (i < todo.length && (todo[i] as { source: string }).source === source) group.push(todo[i++] as { id: string; source: string; k: number });
      const loadedSample = await dataset.get(indexOf.get(source) as number);
      let image = loadedSample.image;
      if (settings.size) image = resizeSample({ id: source, image, labels: {} }, settings.size, 'official').image;
      const caption = settings.prompt ?? loadedSample.caption;
      if (caption === undefined) {
        throw new Diff2in1Error('synthesis', `source image '${source}' has no caption; caption the dataset first (captions.json, e.g. with the captioner's captionDataset) or give one prompt for all images (prompt / --prompt, '' for none)`, { file: dataset.root });
      }
      for (const it of group) {
        options.signal?.throwIfAborted();
        const started = performance.now();
        const seed = sampleSeed(BigInt(settings.seed), source, it.k);
        const res = await createFromImage(model as SynthesisModel, image, {
          caption, steps: settings.steps, scheduler: settings.scheduler, eta: settings.eta, guidanceScale: settings.guidanceScale,
          negativePrompt: settings.negativePrompt, latentMode: settings.latentMode, seed,
          ...(settings.strength === null ? { T: settings.T as number } : { strength: settings.strength }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        await writePng(imagePath(out, it.id), res.image);
        const record: ManifestRecord = {
          id: it.id, source, k: it.k, caption, T: settings.T, strength: settings.strength,
          noiseTimestep: res.plan.noiseTimestep, steps: settings.steps, stepsRun: res.plan.timesteps.length,
          scheduler: settings.scheduler, eta: settings.eta, guidanceScale: settings.guidanceScale, negativePrompt: settings.negativePrompt,
          latentMode: settings.latentMode, seed: seed.toString(), jobSeed: settings.seed, model: settings.model,
          width: res.image.width, height: res.image.height,
          time: new Date().toISOString(), seconds: +((performance.now() - started) / 1000).toFixed(3),
        };
        appendJsonl(part, record);
        generated++;
        options.onItem?.(record);
        progress.tick(1);
      }
    }
    const loopEnd = Date.now();
    const cpu1 = process.cpuUsage(cpu0);
    const loopCpuSeconds = (cpu1.user + cpu1.system) / 1e6;
    progress.done();
    let merged = false;
    const missing = readManifest(out).missing.length;
    if ((options.merge ?? true) && missing === 0) {
      await mergeManifest(out);
      merged = true;
      log(`synthesis: all ${items.length} items done; wrote manifest.jsonl, captions.json and splits/train.txt in ${out}`);
    } else if (missing > 0) {
      log(`synthesis: shard ${shard.index}/${shard.count} finished; ${missing} item(s) of the job are still missing (other shards), merge when they are done`);
    }
    return { out, shard, items: mine.length, generated, skipped: mine.length - todo.length, merged, missing, modelHash: hash, loadSeconds, loopStart, loopEnd, loopCpuSeconds };
  } finally {
    if (loaded?.dispose) await loaded.dispose();
  }
}
