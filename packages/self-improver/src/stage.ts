// What the warm-up and self-improving stages share: the model spec, sources with caches, run folders, logs,
// progress, and the settings hash checked on resume.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Sample } from '@diff2in1/datasets';
import type { AdapterOptions } from '@diff2in1/feature-pyramid';
import { targetFeeds } from '@diff2in1/heads';
import type { SessionOptions } from '@diff2in1/runtime';
import type { TapSetName } from '@diff2in1/backbone-sd';
import { Diff2in1Error, type ProgressStream, type Rng, type Tensor, appendJsonl, createProgress, type Progress } from '@diff2in1/tensor';
import { type CheckpointMeta, configDiff, configHash, loadCheckpoint, trimLog } from './checkpoint.js';
import { type FeatureBackbone, FeatureExtractor, type FeatureNoise, type LatentMode, featureTaps } from './features.js';
import { PerceptionModel } from './perception.js';
import { SampleSource } from './sample-source.js';
import type { Augmentation } from './schedule.js';

/** The perception model of a run: head plugin + hyper-parameters, adapter, tap set. */
export interface ModelSpec {
  /** Registered head id (default 'bae'). */
  head?: string;
  /** Head hyper-parameters (for 'bae': { preset: 'small' | 'official', ... }). */
  headOptions?: Record<string, unknown>;
  /** Adapter (default { kind: 'eq9' }; 'sn-module' is the official one over the 'all' taps). */
  adapter?: AdapterOptions;
  /** Tap set (default 'vpd'; 'all' for the 'sn-module' adapter). */
  taps?: TapSetName;
}

/** Feature extraction settings (see FeatureExtractor). */
export interface FeatureSettings {
  latentMode?: LatentMode;
  noise?: FeatureNoise;
  timestep?: number;
  qSample?: boolean;
  prompt?: string;
}

/** Options every training stage takes. */
export interface StageCommon {
  /** The frozen backbone (@diff2in1/backbone-sd's StableDiffusion). */
  backbone: FeatureBackbone;
  /** Stage folder: checkpoints/, log.jsonl, eval.jsonl, final weights. */
  out: string;
  model?: ModelSpec;
  features?: FeatureSettings;
  /** Folder of the fp16 feature caches (default `<out>/../feature-cache`); false: no cache. */
  cache?: string | false;
  augment?: Augmentation;
  seed?: number;
  /** ORT session options of the trainable graphs (device, intraOpThreads — fix threads for bit-exact resumes). */
  session?: SessionOptions;
  /** Checkpoint every this many iterations (default: once per epoch) and at the end. */
  checkpointEvery?: number;
  /** Evaluate on the test split every this many iterations (default: at the end only); 0 = never. */
  evalEvery?: number;
  /** Evaluate on the first `evalLimit` test samples only. */
  evalLimit?: number;
  /** Resume from <out>/checkpoints when present (default true); false starts over. */
  resume?: boolean;
  /** Stop after this many iterations of THIS process (tests; the checkpoint at stop is written). */
  stopAfter?: number;
  quiet?: boolean;
  progressStream?: ProgressStream;
  log?: (message: string) => void;
  signal?: AbortSignal;
}

export function modelSpecOf(spec: ModelSpec = {}): Required<Pick<ModelSpec, 'head' | 'taps'>> & ModelSpec {
  const taps = spec.taps ?? (spec.adapter?.kind === 'sn-module' ? 'all' : 'vpd');
  return { ...spec, head: spec.head ?? 'bae', taps, adapter: spec.adapter ?? { kind: 'eq9' } };
}

/** The perception model of `spec` for `backbone` at image size `image`. */
export function buildModel(backbone: FeatureBackbone, spec: ModelSpec, image: readonly [number, number], seed: number): PerceptionModel {
  const s = modelSpecOf(spec);
  return new PerceptionModel({ taps: featureTaps(backbone, s.taps), image, head: { id: s.head, hyperParameters: s.headOptions ?? {} }, adapter: s.adapter ?? {}, seed });
}

/** Image size [H, W] of a dataset (its first sample); all samples must share it. */
export async function imageSizeOf(ds: Dataset): Promise<[number, number]> {
  if (ds.length === 0) throw new Diff2in1Error('self-improver', `dataset ${ds.root} (${ds.split}) is empty`);
  const s = await ds.get(0);
  return [s.image.shape[1]!, s.image.shape[2]!];
}

export function extractorFor(backbone: FeatureBackbone, spec: ModelSpec, f: FeatureSettings = {}, seed = 0): FeatureExtractor {
  return new FeatureExtractor(backbone, { taps: modelSpecOf(spec).taps, latentMode: f.latentMode, timestep: f.timestep, qSample: f.qSample, prompt: f.prompt, seed });
}

export function sourceFor(ds: Dataset, extractor: FeatureExtractor, image: readonly [number, number], c: Pick<StageCommon, 'cache' | 'out' | 'features' | 'log'>, variants: readonly ('none' | 'hflip')[], name?: string): SampleSource {
  const cacheDir = c.cache === false ? undefined : c.cache ?? join(c.out, '..', 'feature-cache');
  return new SampleSource(ds, extractor, image, { noise: c.features?.noise ?? 'fixed', cacheDir, variants, log: c.log, ...(name ? { cacheName: name } : {}) });
}

/** Feeds of targets and valid masks (heads' targetFeeds over the samples' labels). */
export function labelFeeds(tasks: readonly string[], samples: readonly Sample[]): Record<string, Tensor> {
  return targetFeeds(tasks as never, samples.map((s) => s.labels));
}

/** The head's step feeds drawn from `rng`. */
export function drawStepFeeds(model: PerceptionModel, batch: number, rng: Rng): Record<string, Tensor> {
  return Object.fromEntries(model.stepFeeds(batch).map((f) => [f.name, f.sample(rng.fork(f.name))]));
}

export interface StageFiles {
  dir: string;
  checkpoints: string;
  log: string;
  evalLog: string;
}

export function stageFiles(out: string): StageFiles {
  mkdirSync(out, { recursive: true });
  return { dir: out, checkpoints: join(out, 'checkpoints'), log: join(out, 'log.jsonl'), evalLog: join(out, 'eval.jsonl') };
}

/**
 * The checkpoint to resume from (checked against the run's settings: a different setting is an error naming it),
 * with the logs trimmed to its iteration; undefined to start fresh.
 */
export function resumePoint(files: StageFiles, stage: string, config: Record<string, unknown>, resume: boolean): ReturnType<typeof loadCheckpoint> {
  if (!resume || !existsSync(files.checkpoints)) return undefined;
  const ck = loadCheckpoint(files.checkpoints);
  if (!ck) return undefined;
  if (ck.meta.stage !== stage) throw new Diff2in1Error('checkpoint', `holds stage '${ck.meta.stage}', not '${stage}'`, { file: join(files.checkpoints, 'checkpoint.json') });
  if (ck.meta.configHash !== configHash(config)) {
    throw new Diff2in1Error('checkpoint', `was written with other settings (${configDiff(ck.meta.config, config).join('; ')}); use the same settings to resume, or resume: false / a new folder to start over`, { file: join(files.checkpoints, 'checkpoint.json') });
  }
  trimLog(files.log, ck.meta.iteration);
  trimLog(files.evalLog, ck.meta.iteration);
  return ck;
}

export function progressFor(c: StageCommon, label: string, total: number): Progress {
  return createProgress({ label, total, unit: 'it', quiet: c.quiet, stream: c.progressStream });
}

export function logRecord(path: string, rec: Record<string, unknown>): void {
  appendJsonl(path, rec);
}

export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Diff2in1Error('aborted', 'the stage was aborted; rerun to resume from its last checkpoint');
}

export type { CheckpointMeta };
