// The warm-up stage (paper §4.1, Eq. 6): the adapter + head trained on the real pairs over frozen backbone
// features → θW. Mirrors training_1st_stage.py of github.com/zsh2000/diff-2-in-1: Adam (no weight decay),
// lr 0.000357 (Bae et al.'s), batch 8, shuffled with drop_last, no augmentation, features at t = 0 with the empty
// prompt; the official trains 50 epochs. Seeded, checkpointed atomically, resumable, logged (JSONL), evaluated.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '@diff2in1/datasets';
import { TrainStepSession } from '@diff2in1/runtime';
import { Diff2in1Error, type Tensor, readSafetensors, writeSafetensors } from '@diff2in1/tensor';
import { configHash, saveCheckpoint } from './checkpoint.js';
import { type Metrics, evaluate } from './evaluate.js';
import { type OptimizerName, makeOptimizer } from './perception.js';
import { Predictor } from './predictor.js';
import type { SampleSource } from './sample-source.js';
import { batchesPerEpoch, cursorAt, epochBatch, iterationRng } from './schedule.js';
import {
  type StageCommon, buildModel, checkAbort, drawStepFeeds, extractorFor, imageSizeOf, labelFeeds, logRecord, modelSpecOf,
  progressFor, resumePoint, sourceFor, stageFiles,
} from './stage.js';

/** training_1st_stage.py's recipe (Bae et al.'s lr). */
export const WARMUP_DEFAULTS = { batchSize: 8, lr: 0.000357, optimizer: 'adam' as OptimizerName, epochs: 50 };

export interface WarmupOptions extends StageCommon {
  train: Dataset;
  test?: Dataset;
  batchSize?: number;
  /** Length: `iterations`, or `epochs` (default 50) of floor(n / batchSize) iterations. */
  iterations?: number;
  epochs?: number;
  lr?: number | ((iteration: number) => number);
  optimizer?: OptimizerName;
  weightDecay?: number;
  /** Initial parameters (default: seeded initialisation). */
  init?: Readonly<Record<string, Tensor>>;
}

export interface WarmupResult {
  /** θW: parameters and persistent buffers by state name. */
  state: Record<string, Tensor>;
  /** Where θW was written (`<out>/theta_w.safetensors`). */
  weights: string;
  iterations: number;
  /** Iteration the run resumed from (0 = fresh). */
  resumedFrom: number;
  /** Final metrics on the test split (when given and evalEvery ≠ 0). */
  metrics: Metrics | undefined;
  /** Wall seconds of this process's training iterations, and per iteration (first / later epochs). */
  seconds: number;
  secondsPerIteration: { all: number; firstEpoch: number | undefined; laterEpochs: number | undefined };
  /** Seconds per iteration spent loading data + features (backbone or cache) and in the train step, by epoch group. */
  breakdown: { firstEpoch: { load: number; step: number } | undefined; laterEpochs: { load: number; step: number } | undefined };
  cache: { hits: number; misses: number } | undefined;
}

/** Runs (or resumes) the warm-up stage. */
export async function runWarmup(o: WarmupOptions): Promise<WarmupResult> {
  const seed = o.seed ?? 0;
  const batchSize = o.batchSize ?? WARMUP_DEFAULTS.batchSize;
  const spec = modelSpecOf(o.model);
  const image = await imageSizeOf(o.train);
  const perEpoch = batchesPerEpoch(o.train.length, batchSize, 'training set');
  const total = o.iterations ?? (o.epochs ?? WARMUP_DEFAULTS.epochs) * perEpoch;
  const augment = o.augment ?? 'none';
  const files = stageFiles(o.out);
  const log = o.log ?? (o.quiet ? () => {} : (m: string) => process.stderr.write(`${m}\n`));
  const config = {
    stage: 'warmup', seed, batchSize, total, augment, image, model: spec, features: o.features ?? {}, cache: o.cache !== false,
    optimizer: o.optimizer ?? WARMUP_DEFAULTS.optimizer, weightDecay: o.weightDecay ?? null, lr: typeof o.lr === 'function' ? 'schedule' : o.lr ?? WARMUP_DEFAULTS.lr,
    train: { root: o.train.root, split: o.train.split, n: o.train.length }, backbone: o.backbone.source,
  };
  const model = buildModel(o.backbone, spec, image, seed);
  const extractor = extractorFor(o.backbone, spec, o.features, seed);
  const variants = augment === 'none' ? (['none'] as const) : (['none', 'hflip'] as const);
  const train = sourceFor(o.train, extractor, image, { ...o, log }, variants);
  const test: SampleSource | undefined = o.test ? sourceFor(o.test, extractor, image, { ...o, log }, ['none']) : undefined;
  const lr = o.lr ?? WARMUP_DEFAULTS.lr;
  const program = model.trainProgram(batchSize, makeOptimizer(o.optimizer ?? WARMUP_DEFAULTS.optimizer, o.weightDecay), 'warmup_step');
  const session = await TrainStepSession.create(program, { ...o.session, lr, state: o.init ? { ...program.initialState(), ...o.init } : undefined });
  let predictor: Predictor | undefined;
  const evalEvery = o.evalEvery ?? total;
  const checkpointEvery = o.checkpointEvery ?? perEpoch;
  const progress = progressFor(o, 'warm-up', total);
  try {
    const ck = resumePoint(files, 'warmup', config, o.resume ?? true);
    let start = 0;
    if (ck) {
      session.importState(ck.path('train'), { requireOptimizer: true });
      start = ck.meta.iteration;
      log(`warm-up: resuming at iteration ${start} of ${total} from ${files.checkpoints}`);
      progress.update(start);
    }
    const checkpoint = (it: number): void => {
      const c = cursorAt(it, perEpoch);
      saveCheckpoint(files.checkpoints, {
        stage: 'warmup', iteration: it, configHash: configHash(config), config, cursor: { epoch: c.epoch, batch: c.batch, samples: it * batchSize },
        rng: { seed, scheme: 'Rng(seed).fork(stream).fork(iteration); data order Rng(seed).fork("shuffle").fork(epoch)' },
      }, { train: (p) => session.exportState(p) });
    };
    const runEval = async (it: number): Promise<Metrics | undefined> => {
      if (!test || evalEvery === 0) return undefined;
      predictor ??= await Predictor.create(model, o.session);
      const metrics = await evaluate(predictor, session.state, test, { batchSize, ...(o.evalLimit ? { limit: o.evalLimit } : {}) });
      logRecord(files.evalLog, { stage: 'warmup', iteration: it, model: 'theta_w', metrics });
      progress.log(`warm-up: iteration ${it}: ${summarize(metrics)}`);
      return metrics;
    };
    const times: { epoch: number; s: number; load: number; step: number }[] = [];
    let metrics: Metrics | undefined;
    let it = start;
    const stopAt = o.stopAfter === undefined ? total : Math.min(total, start + o.stopAfter);
    while (it < stopAt) {
      checkAbort(o.signal);
      const t0 = performance.now();
      const c = cursorAt(it, perEpoch);
      const items = epochBatch(o.train.length, batchSize, seed, c.epoch, c.batch, augment);
      const batch = await train.load(items);
      const t1 = performance.now();
      const feeds = { ...batch.features, ...labelFeeds(model.tasks, batch.samples), ...drawStepFeeds(model, batchSize, iterationRng(seed, 'step', it)) };
      const loss = await session.step(feeds);
      if (!Number.isFinite(loss)) throw new Diff2in1Error('self-improver', `warm-up: the loss is ${loss} at iteration ${it}; lower the learning rate`);
      it++;
      const t2 = performance.now();
      const s = (t2 - t0) / 1000;
      times.push({ epoch: c.epoch, s, load: (t1 - t0) / 1000, step: (t2 - t1) / 1000 });
      logRecord(files.log, { stage: 'warmup', iteration: it, epoch: c.epoch, loss, lr: typeof lr === 'number' ? lr : lr(it - 1), seconds: s, cached: batch.cached, computed: batch.computed });
      progress.tick(1, { loss: loss.toFixed(4), epoch: c.epoch });
      if (it % checkpointEvery === 0 || it === stopAt) checkpoint(it);
      if (evalEvery > 0 && it % evalEvery === 0 && it < total) metrics = await runEval(it);
    }
    if (it === total && o.test && evalEvery !== 0) metrics = await runEval(it);
    progress.done(metrics ? { test: summarize(metrics) } : {});
    const state = session.stateDict();
    const weights = join(o.out, 'theta_w.safetensors');
    if (it === total) writeSafetensors(weights, state, { format: 'diff2in1-weights/1', stage: 'warmup', iterations: String(total), model: JSON.stringify(spec) });
    const sum = (xs: { s: number }[]): number => xs.reduce((a, x) => a + x.s, 0);
    const split = (xs: typeof times): { load: number; step: number } | undefined => (xs.length ? { load: xs.reduce((a, x) => a + x.load, 0) / xs.length, step: xs.reduce((a, x) => a + x.step, 0) / xs.length } : undefined);
    const first = times.filter((x) => x.epoch === 0), later = times.filter((x) => x.epoch > 0);
    return {
      state, weights, iterations: it, resumedFrom: start, metrics, seconds: sum(times),
      secondsPerIteration: { all: times.length ? sum(times) / times.length : 0, firstEpoch: first.length ? sum(first) / first.length : undefined, laterEpochs: later.length ? sum(later) / later.length : undefined },
      breakdown: { firstEpoch: split(first), laterEpochs: split(later) },
      cache: train.cache ? { hits: train.cache.hits, misses: train.cache.misses } : undefined,
    };
  } finally {
    await session.release();
    await predictor?.release();
    train.close();
    test?.close();
  }
}

/** One line of the headline metrics (normals: mean / median / within 11.25°). */
export function summarize(m: Metrics): string {
  return Object.entries(m).map(([task, v]) => {
    const r = v as { mean?: number; median?: number; within?: Record<string, number> };
    if (task === 'normals' && typeof r.mean === 'number') return `normals mean ${r.mean.toFixed(2)}° median ${r.median?.toFixed(2)}° <11.25° ${r.within?.['11.25']?.toFixed(1)}%`;
    return `${task} ${JSON.stringify(v)}`;
  }).join('; ');
}

/** θW from a finished warm-up folder. */
export function loadWarmupWeights(out: string): Record<string, Tensor> {
  const p = join(out, 'theta_w.safetensors');
  if (!existsSync(p)) throw new Diff2in1Error('self-improver', `no warm-up weights at ${p}; run the warm-up stage first`);
  return readSafetensors(p);
}
