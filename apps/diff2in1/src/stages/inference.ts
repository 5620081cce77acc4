// Inference over the frozen SD features with any parameter set (θW, θC, θE): the perception model of the run,
// its feature extractor (the same settings as training, so cached features are shared), a predictor, and the
// pictures and label files of predictions.
import type { StableDiffusion } from '@diff2in1/backbone-sd';
import type { Dataset, Sample } from '@diff2in1/datasets';
import type { Predictions, TaskPrediction } from '@diff2in1/heads';
import { FeatureExtractor, Predictor, SampleSource, buildModel, modelSpecOf } from '@diff2in1/self-improver';
import type { PerceptionModel } from '@diff2in1/self-improver';
import type { TaskName } from '@diff2in1/tasks';
import { getTask } from '@diff2in1/tasks';
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, readSafetensors, tensorToRaw } from '@diff2in1/tensor';
import type { Diff2in1Config } from '../config/finalize.js';
import type { StageContext } from '../stages.js';
import { featureCache, featureSettings, modelSpec, sessionOptions } from './model.js';

export type ModelRole = 'warmup' | 'creation' | 'exploitation';

/** checkpoints/<role>.safetensors */
export function weightsPath(role: ModelRole): string {
  return `checkpoints/${role}.safetensors`;
}

/** The weights a stage reads, with an error naming the stage that makes them. */
export function loadWeights(ctx: StageContext, role: ModelRole): Record<string, Tensor> {
  try {
    return readSafetensors(ctx.path(weightsPath(role)));
  } catch (e) {
    const by = role === 'warmup' ? 'warmup' : 'self-improve';
    throw new Diff2in1Error('run-dir', `cannot read ${weightsPath(role)} (made by \`diff2in1 ${by}\`): ${(e as Error).message}`, { cause: e });
  }
}

/** The model each self-improving mode hands on (the "Diff-2-in-1" column): θC, but θE for da-fusion (no EMA). */
export function finalRole(config: Diff2in1Config): ModelRole {
  return config.selfImprove.mode === 'da-fusion' ? 'exploitation' : config.selfImprove.mode === 'warmup-only' ? 'warmup' : 'creation';
}

/** Column title of the final model per mode (paper Table 1's rows). */
export function finalLabel(config: Diff2in1Config): string {
  const m = config.selfImprove.mode;
  return m === 'diff2in1' ? 'Diff-2-in-1 θC' : m === 'gna' ? 'GNA θC' : m === 'da-fusion' ? 'DA-Fusion θE' : 'warm-up θW';
}

export class Inference {
  private constructor(
    readonly model: PerceptionModel,
    readonly extractor: FeatureExtractor,
    readonly predictor: Predictor,
    private readonly cacheDir: string | false,
    private readonly log: (m: string) => void,
  ) {}

  /** `cache: false` for images outside the run's datasets (predict, generate). */
  static async create(ctx: StageContext, backbone: StableDiffusion, o: { cache?: false } = {}): Promise<Inference> {
    const { config } = ctx;
    const image = [config.data.imageSize.height, config.data.imageSize.width] as const;
    const spec = modelSpecOf(modelSpec(config));
    const model = buildModel(backbone, spec, image, config.run.seed);
    // The same extractor settings as the training stages' (self-improver's extractorFor): cached features match.
    const f = featureSettings(config);
    const extractor = new FeatureExtractor(backbone, { taps: spec.taps, timestep: f.timestep, prompt: f.prompt, seed: config.run.seed });
    const predictor = await Predictor.create(model, sessionOptions(config));
    return new Inference(model, extractor, predictor, o.cache === false ? false : featureCache(ctx), (m) => ctx.info(m));
  }

  get image(): readonly [number, number] {
    return this.model.image;
  }

  /** Samples with features; `cacheName` shares the training stages' cache file of the same images. */
  source(ds: Dataset, cacheName?: string): SampleSource {
    return new SampleSource(ds, this.extractor, this.image, this.cacheDir === false ? {} : { cacheDir: this.cacheDir, log: this.log, ...(cacheName ? { cacheName } : {}) });
  }

  async predict(state: Readonly<Record<string, Tensor>>, features: Readonly<Record<string, Tensor>>): Promise<Predictions> {
    return this.predictor.predict(state, features);
  }

  async release(): Promise<void> {
    await this.predictor.release();
  }
}

/** Sample k of a [N, ...] tensor as [...]. */
export function take(t: Tensor<'float32'>, k: number): Tensor<'float32'> {
  const per = t.size / t.shape[0]!;
  return new Tensor('float32', t.shape.slice(1), t.data.slice(k * per, (k + 1) * per));
}

/** The prediction of image k for a task as its label value: dense [C, H, W], or class ids int32 [H, W]. */
export function predictionValue(task: TaskName, p: TaskPrediction, k: number): Tensor {
  const v = take(p.value, k);
  if (getTask(task).kind === 'dense') return v;
  const [h, w] = v.shape.slice(-2) as [number, number];
  return new Tensor('int32', [h, w], Int32Array.from(v.data, (x) => Math.round(x)));
}

/** A batch's prediction in the metric's form: dense [N, C, H, W], or class ids int32 [N, H, W]. */
export function batchPrediction(task: TaskName, p: TaskPrediction): Tensor {
  if (getTask(task).kind === 'dense') return p.value;
  const [n, , h, w] = p.value.shape as [number, number, number, number];
  return new Tensor('int32', [n, h, w], Int32Array.from(p.value.data, (x) => Math.round(x)));
}

/** A picture of a label value (the task's visualisation). */
export function visualize(task: TaskName, value: Tensor, valid?: Tensor<'bool'>): RawImage {
  return (getTask(task).visualize as (v: Tensor, m?: Tensor<'bool'>) => RawImage)(value, valid);
}

/** The input image of a sample as 8-bit RGB. */
export function inputImage(s: Sample): RawImage {
  return tensorToRaw(s.image, { range: '0-1' });
}

/** Safe file stem of a sample id. */
export function stem(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}
