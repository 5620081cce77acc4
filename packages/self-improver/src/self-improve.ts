// The self-improving stage (paper §4.3, Eq. 7–8) and the paper's comparison modes from one switch.
//
// Mirrors training_2nd_stage.py of github.com/zsh2000/diff-2-in-1:
//   θC and θE both load θW; θC's modules are in eval() mode, θE's in train(); a FRESH Adam over θE only
//   (lr 0.000357, no weight decay). The data is ONE shuffled pool of real and synthetic images (NYU_Dataset over
//   a folder holding both; `is_labelled` = 0 for the synthetic `rgb_syn_*` files), drop_last. Every iteration θC
//   labels the batch on the fly — `bae_module_c(..., mode='train')`, label = norm_out_list_c[-1][:, :3] — and the
//   target is `gt * is_labelled + c_sn * (1 − is_labelled)`; θC's parameters are never optimized (no gradient
//   reaches them: the pseudo-labels are plain inputs of θE's train step here). θC ← α·θC + (1 − α)·θE over the
//   state_dict (parameters AND buffers) every 40 samples (`ema.ts`).
// Modes:
//   'diff2in1'    partial-noise synthetic images (synthesis' createFromImage / runSynthesisJob), θC labels on the fly, EMA.
//   'gna'         synthetic images generated from Gaussian noise (generateFromNoise; see gna.ts), θC labels, EMA.
//   'da-fusion'   partial-noise images labelled ONCE by the frozen θW (dense 'eval' predictions, as data_creation.py
//                 writes sn_syn_*.png with mode='test'); θE trains on real + those fixed labels; no EMA; final = θE.
//   'warmup-only' no training: θW is evaluated and returned as the final model.
// Alternatives to the official pool: `mixing: { real: m, synthetic: n }` (m real + n synthetic per batch, two
// independent shuffled streams, the paper's Eq. 7 wording); `pseudoLabels: 'dense'` (θC's eval-mode predictions);
// `confidence: { minKappa }` masks pseudo-labelled pixels whose κ is below the threshold (off by default).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Dataset, Sample } from '@diff2in1/datasets';
import type { Predictions } from '@diff2in1/heads';
import { TrainStepSession } from '@diff2in1/runtime';
import type { Labels } from '@diff2in1/tasks';
import { Diff2in1Error, Tensor, choices, readSafetensors, writeSafetensors } from '@diff2in1/tensor';
import { configHash, saveCheckpoint } from './checkpoint.js';
import { DEFAULT_EMA_ALPHA, DEFAULT_EMA_SAMPLES, emaDue, emaUpdate } from './ema.js';
import { type Metrics, evaluate } from './evaluate.js';
import { type OptimizerName, makeOptimizer } from './perception.js';
import { Labeler, Predictor } from './predictor.js';
import { type SampleSource, type SourceItem, sliceBatch, stackFeatures } from './sample-source.js';
import { batchesPerEpoch, cursorAt, epochBatch, iterationRng } from './schedule.js';
import {
  type StageCommon, buildModel, checkAbort, drawStepFeeds, extractorFor, imageSizeOf, labelFeeds, logRecord, modelSpecOf,
  progressFor, resumePoint, sourceFor, stageFiles,
} from './stage.js';
import { summarize } from './warmup.js';

export const SELF_IMPROVE_MODES = ['warmup-only', 'gna', 'da-fusion', 'diff2in1'] as const;
export type SelfImproveMode = (typeof SELF_IMPROVE_MODES)[number];
export const PSEUDO_LABEL_MODES = ['official', 'dense'] as const;
/** 'official': θC modules in eval(), head built in 'train' mode (upstream); 'dense': θC's eval-mode predictions. */
export type PseudoLabelMode = (typeof PSEUDO_LABEL_MODES)[number];

/** The self-improving recipe of training_2nd_stage.py / appendix A.3 (batch 4 → EMA every 10 iterations). */
export const SELF_IMPROVE_DEFAULTS = { batchSize: 4, lr: 0.000357, optimizer: 'adam' as OptimizerName, epochs: 50, alpha: DEFAULT_EMA_ALPHA, everySamples: DEFAULT_EMA_SAMPLES };

export interface SelfImproveOptions extends StageCommon {
  mode: SelfImproveMode;
  /** Real labelled pairs. */
  train: Dataset;
  /** Synthetic images (no labels needed); required unless mode is 'warmup-only'. */
  synthetic?: Dataset;
  test?: Dataset;
  /** θW: a state record, or a path to theta_w.safetensors. */
  warmup: Readonly<Record<string, Tensor>> | string;
  /** 'pool' (default, official) or m real + n synthetic per batch. */
  mixing?: 'pool' | { real: number; synthetic: number };
  /** Pool batch size (default 4, the paper's); with explicit mixing the batch is real + synthetic. */
  batchSize?: number;
  iterations?: number;
  /** Epochs over the pool (or over the real set with explicit mixing); default 50. */
  epochs?: number;
  lr?: number | ((iteration: number) => number);
  optimizer?: OptimizerName;
  weightDecay?: number;
  ema?: { alpha?: number; everySamples?: number };
  pseudoLabels?: PseudoLabelMode;
  /** Mask pseudo-labelled pixels with κ < minKappa (off by default). */
  confidence?: { minKappa: number };
}

export interface SelfImproveResult {
  mode: SelfImproveMode;
  creation: Record<string, Tensor>;
  exploitation: Record<string, Tensor>;
  /** The model the mode hands on: θC (diff2in1, gna), θE (da-fusion), θW (warmup-only). */
  final: Record<string, Tensor>;
  finalWeights: string;
  iterations: number;
  resumedFrom: number;
  emaUpdates: number;
  metrics: { creation?: Metrics; exploitation?: Metrics; final?: Metrics };
  seconds: number;
}

interface PoolItem extends SourceItem {
  synthetic: boolean;
}

function loadState(w: SelfImproveOptions['warmup']): Record<string, Tensor> {
  return typeof w === 'string' ? readSafetensors(w) : { ...w };
}

/** Runs (or resumes) the self-improving stage in `mode`. */
export async function runSelfImprove(o: SelfImproveOptions): Promise<SelfImproveResult> {
  if (!(SELF_IMPROVE_MODES as readonly string[]).includes(o.mode)) throw new Diff2in1Error('self-improver', `mode '${String(o.mode)}' is unknown; ${choices(SELF_IMPROVE_MODES)}`);
  const pseudo = o.pseudoLabels ?? 'official';
  if (!(PSEUDO_LABEL_MODES as readonly string[]).includes(pseudo)) throw new Diff2in1Error('self-improver', `pseudoLabels '${String(pseudo)}' is unknown; ${choices(PSEUDO_LABEL_MODES)}`);
  const seed = o.seed ?? 0;
  const spec = modelSpecOf(o.model);
  const image = await imageSizeOf(o.train);
  const files = stageFiles(o.out);
  const log = o.log ?? (o.quiet ? () => {} : (m: string) => process.stderr.write(`${m}\n`));
  const thetaW = loadState(o.warmup);
  const model = buildModel(o.backbone, spec, image, seed);
  const extractor = extractorFor(o.backbone, spec, o.features, seed);
  const augment = o.augment ?? 'none';
  const variants = augment === 'none' ? (['none'] as const) : (['none', 'hflip'] as const);
  const test: SampleSource | undefined = o.test ? sourceFor(o.test, extractor, image, { ...o, log }, ['none']) : undefined;
  let predictor: Predictor | undefined;
  const getPredictor = async (): Promise<Predictor> => (predictor ??= await Predictor.create(model, o.session));
  const evalOf = async (state: Record<string, Tensor>): Promise<Metrics | undefined> =>
    test && o.evalEvery !== 0 ? evaluate(await getPredictor(), state, test, { batchSize: 8, ...(o.evalLimit ? { limit: o.evalLimit } : {}) }) : undefined;

  if (o.mode === 'warmup-only') {
    try {
      const metrics = await evalOf(thetaW);
      if (metrics) logRecord(files.evalLog, { stage: 'self-improve', mode: o.mode, iteration: 0, model: 'theta_w', metrics });
      const finalWeights = join(o.out, 'final.safetensors');
      writeSafetensors(finalWeights, thetaW, { format: 'diff2in1-weights/1', stage: 'self-improve', mode: o.mode });
      return { mode: o.mode, creation: thetaW, exploitation: thetaW, final: thetaW, finalWeights, iterations: 0, resumedFrom: 0, emaUpdates: 0, metrics: { final: metrics }, seconds: 0 };
    } finally {
      await predictor?.release();
      test?.close();
    }
  }
  if (!o.synthetic || o.synthetic.length === 0) throw new Diff2in1Error('self-improver', `mode '${o.mode}' needs synthetic images (options.synthetic): partial-noise ones from the synthesis stage${o.mode === 'gna' ? ', or from-noise ones (synthesizeFromNoise)' : ''}`);
  const synthetic = o.synthetic;
  const real = sourceFor(o.train, extractor, image, { ...o, log }, variants);
  const syn = sourceFor(synthetic, extractor, image, { ...o, log }, variants, `synthetic-${createHash('sha256').update(synthetic.root).digest('hex').slice(0, 10)}-${synthetic.split}`);

  // The data plan: pool (official) or m real + n synthetic per batch.
  const mix = o.mixing ?? 'pool';
  const B = mix === 'pool' ? o.batchSize ?? SELF_IMPROVE_DEFAULTS.batchSize : mix.real + mix.synthetic;
  const nr = o.train.length, ns = synthetic.length;
  let perEpoch: number;
  let itemsAt: (it: number) => PoolItem[];
  if (mix === 'pool') {
    perEpoch = batchesPerEpoch(nr + ns, B, 'real + synthetic pool');
    itemsAt = (it) => {
      const c = cursorAt(it, perEpoch);
      return epochBatch(nr + ns, B, seed, c.epoch, c.batch, augment).map((x) => (x.index < nr ? { ...x, synthetic: false } : { ...x, index: x.index - nr, synthetic: true }));
    };
  } else {
    if (!(Number.isSafeInteger(mix.real) && mix.real >= 0 && Number.isSafeInteger(mix.synthetic) && mix.synthetic >= 0 && B > 0)) throw new Diff2in1Error('self-improver', `mixing must give non-negative integers real and synthetic (not both 0), got ${JSON.stringify(mix)}`);
    const pr = mix.real ? batchesPerEpoch(nr, mix.real, 'real set') : 1;
    const ps = mix.synthetic ? batchesPerEpoch(ns, mix.synthetic, 'synthetic set') : 1;
    perEpoch = mix.real ? pr : ps;
    itemsAt = (it) => {
      const r = cursorAt(it, pr), s = cursorAt(it, ps);
      return [
        ...(mix.real ? epochBatch(nr, mix.real, seed, r.epoch, r.batch, augment, 'real').map((x) => ({ ...x, synthetic: false })) : []),
        ...(mix.synthetic ? epochBatch(ns, mix.synthetic, seed, s.epoch, s.batch, augment, 'synthetic').map((x) => ({ ...x, synthetic: true })) : []),
      ];
    };
  }
  const total = o.iterations ?? (o.epochs ?? SELF_IMPROVE_DEFAULTS.epochs) * perEpoch;
  const alpha = o.ema?.alpha ?? SELF_IMPROVE_DEFAULTS.alpha;
  const everySamples = o.ema?.everySamples ?? SELF_IMPROVE_DEFAULTS.everySamples;
  const useEma = o.mode !== 'da-fusion';
  const config = {
    stage: 'self-improve', mode: o.mode, seed, batch: B, mixing: mix, total, augment, image, model: spec, features: o.features ?? {}, cache: o.cache !== false,
    optimizer: o.optimizer ?? SELF_IMPROVE_DEFAULTS.optimizer, weightDecay: o.weightDecay ?? null, lr: typeof o.lr === 'function' ? 'schedule' : o.lr ?? SELF_IMPROVE_DEFAULTS.lr,
    ema: useEma ? { alpha, everySamples } : null, pseudoLabels: pseudo, confidence: o.confidence ?? null,
    train: { root: o.train.root, n: nr }, synthetic: { root: synthetic.root, n: ns }, backbone: o.backbone.source,
  };

  const program = model.trainProgram(B, makeOptimizer(o.optimizer ?? SELF_IMPROVE_DEFAULTS.optimizer, o.weightDecay), 'self_improve_step');
  const base = program.initialState();
  for (const e of program.state) if (e.kind !== 'optimizer' && !thetaW[e.name] && e.persistent) throw new Diff2in1Error('self-improver', `θW lacks '${e.name}' (does it come from a warm-up of the same model settings?)`);
  const session = await TrainStepSession.create(program, { ...o.session, lr: o.lr ?? SELF_IMPROVE_DEFAULTS.lr, state: { ...base, ...pick(thetaW, program.state.map((e) => e.name)) } });
  let creation = session.stateDict();
  let labeler: Labeler | undefined;
  const fixedLabels = new Map<string, Labels>();
  const progress = progressFor(o, `self-improve (${o.mode})`, total);
  let emaUpdates = 0;
  const t0 = performance.now();
  try {
    const ck = resumePoint(files, 'self-improve', config, o.resume ?? true);
    let start = 0;
    if (ck) {
      session.importState(ck.path('exploitation'), { requireOptimizer: true });
      creation = ck.read('creation');
      start = ck.meta.iteration;
      emaUpdates = Number(ck.meta.extra?.emaUpdates ?? 0);
      log(`self-improve (${o.mode}): resuming at iteration ${start} of ${total}`);
      progress.update(start);
    }

    // Pseudo-labels of synthetic samples (features [k, ...]) by θC (on the fly) or θW (da-fusion, once).
    const labelSynthetic = async (items: PoolItem[], feats: Record<string, Tensor<'float32'>>[], it: number): Promise<Labels[]> => {
      const out: Labels[] = [];
      for (let k = 0; k < items.length; k++) {
        const item = items[k]!;
        const key = `${item.index}/${item.variant}`;
        if (o.mode === 'da-fusion' && fixedLabels.has(key)) {
          out.push(fixedLabels.get(key)!);
          continue;
        }
        let pred: Predictions;
        if (o.mode === 'da-fusion' || pseudo === 'dense') pred = await (await getPredictor()).predict(o.mode === 'da-fusion' ? thetaW : creation, feats[k]!);
        else {
          labeler ??= await Labeler.create(model, 1, o.session);
          pred = await labeler.predict(creation, feats[k]!, iterationRng(seed, 'labels', it).fork(k));
        }
        const labels = toLabels(pred, o.confidence?.minKappa);
        if (o.mode === 'da-fusion') fixedLabels.set(key, labels);
        out.push(labels);
      }
      return out;
    };

    const checkpoint = (it: number): void => {
      const c = cursorAt(it, perEpoch);
      saveCheckpoint(files.checkpoints, {
        stage: 'self-improve', iteration: it, configHash: configHash(config), config, cursor: { epoch: c.epoch, batch: c.batch, samples: it * B },
        rng: { seed, scheme: 'Rng(seed).fork(stream).fork(iteration); data order Rng(seed).fork("shuffle").fork(epoch)' }, extra: { emaUpdates },
      }, { exploitation: (p) => session.exportState(p), creation });
    };
    const evalBoth = async (it: number): Promise<{ creation?: Metrics; exploitation?: Metrics }> => {
      const e = await evalOf(session.stateDict());
      const c = useEma ? await evalOf(creation) : undefined;
      if (e) logRecord(files.evalLog, { stage: 'self-improve', mode: o.mode, iteration: it, model: 'theta_e', metrics: e });
      if (c) logRecord(files.evalLog, { stage: 'self-improve', mode: o.mode, iteration: it, model: 'theta_c', metrics: c });
      if (e) progress.log(`self-improve (${o.mode}) iteration ${it}: θE ${summarize(e)}${c ? ` | θC ${summarize(c)}` : ''}`);
      return { ...(c ? { creation: c } : {}), ...(e ? { exploitation: e } : {}) };
    };

    const evalEvery = o.evalEvery ?? total;
    const checkpointEvery = o.checkpointEvery ?? perEpoch;
    let metrics: { creation?: Metrics; exploitation?: Metrics } = {};
    let it = start;
    const stopAt = o.stopAfter === undefined ? total : Math.min(total, start + o.stopAfter);
    while (it < stopAt) {
      checkAbort(o.signal);
      const items = itemsAt(it);
      const realItems = items.filter((x) => !x.synthetic), synItems = items.filter((x) => x.synthetic);
      const rb = realItems.length ? await real.load(realItems) : undefined;
      const sb = synItems.length ? await syn.load(synItems) : undefined;
      const synPer = sb ? synItems.map((_, k) => Object.fromEntries(Object.entries(sb.features).map(([n, t]) => [n, sliceBatch(t, k)]))) : [];
      const synLabels = sb ? await labelSynthetic(synItems, synPer, it) : [];
      // Batch rows in the drawn order (pool) — real rows carry their ground truth, synthetic rows the pseudo-labels.
      const rows: { feats: Record<string, Tensor<'float32'>>; labels: Labels }[] = [];
      let ri = 0, si = 0;
      for (const x of items) {
        if (x.synthetic) {
          rows.push({ feats: synPer[si]!, labels: synLabels[si]! });
          si++;
        } else {
          const s = rb!.samples[ri]!;
          rows.push({ feats: Object.fromEntries(Object.entries(rb!.features).map(([n, t]) => [n, sliceBatch(t, ri)])), labels: s.labels });
          ri++;
        }
      }
      const feeds = {
        ...stackFeatures(rows.map((r) => r.feats)),
        ...labelFeeds(model.tasks, rows.map((r) => ({ labels: r.labels }) as Sample)),
        ...drawStepFeeds(model, B, iterationRng(seed, 'step', it)),
      };
      const loss = await session.step(feeds);
      if (!Number.isFinite(loss)) throw new Diff2in1Error('self-improver', `self-improve: the loss is ${loss} at iteration ${it}`);
      let ema = false;
      if (useEma && emaDue(it * B, (it + 1) * B, everySamples)) {
        creation = emaUpdate(creation, session.stateDict(), alpha);
        emaUpdates++;
        ema = true;
      }
      it++;
      logRecord(files.log, { stage: 'self-improve', mode: o.mode, iteration: it, loss, real: realItems.length, synthetic: synItems.length, ema, emaUpdates });
      progress.tick(1, { loss: loss.toFixed(4) });
      if (it % checkpointEvery === 0 || it === stopAt) checkpoint(it);
      if (evalEvery > 0 && it % evalEvery === 0 && it < total) metrics = await evalBoth(it);
    }
    if (it === total && o.evalEvery !== 0) metrics = await evalBoth(it);
    progress.done();
    const exploitation = session.stateDict();
    const final = o.mode === 'da-fusion' ? exploitation : creation;
    const finalWeights = join(o.out, 'final.safetensors');
    if (it === total) {
      const meta = { format: 'diff2in1-weights/1', stage: 'self-improve', mode: o.mode, iterations: String(total) };
      writeSafetensors(join(o.out, 'theta_e.safetensors'), exploitation, meta);
      if (useEma) writeSafetensors(join(o.out, 'theta_c.safetensors'), creation, meta);
      writeSafetensors(finalWeights, final, meta);
    }
    return {
      mode: o.mode, creation, exploitation, final, finalWeights, iterations: it, resumedFrom: start, emaUpdates,
      metrics: { ...metrics, final: o.mode === 'da-fusion' ? metrics.exploitation : metrics.creation }, seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await session.release();
    await labeler?.release();
    await predictor?.release();
    real.close();
    syn.close();
    test?.close();
  }
}

function pick(state: Readonly<Record<string, Tensor>>, names: readonly string[]): Record<string, Tensor> {
  return Object.fromEntries(names.filter((n) => state[n]).map((n) => [n, state[n]!]));
}

/**
 * Pseudo-labels from a prediction of ONE image: dense tasks take the raw prediction (normals: xyz as the head gives
 * them, upstream's c_sn — the loss normalises), valid everywhere unless κ masking is on.
 */
export function toLabels(pred: Predictions, minKappa?: number): Labels {
  const labels: Labels = {};
  for (const [task, p] of Object.entries(pred)) {
    if (!p) continue;
    const [n, c, h, w] = p.value.shape as [number, number, number, number];
    if (n !== 1) throw new Diff2in1Error('self-improver', `toLabels: expected one image, got ${n}`);
    const valid = new Tensor('bool', [h, w], new Uint8Array(h * w).fill(1));
    if (minKappa !== undefined && p.confidence) for (let i = 0; i < h * w; i++) valid.data[i] = p.confidence.data[i]! >= minKappa ? 1 : 0;
    if (task === 'semseg' || task === 'parts') {
      (labels as Record<string, unknown>)[task] = { value: new Tensor('int32', [h, w], Int32Array.from(p.value.data, (x) => Math.round(x))), valid };
    } else {
      (labels as Record<string, unknown>)[task] = { value: new Tensor('float32', [c, h, w], p.value.data.slice()), valid };
    }
  }
  return labels;
}
