// What every scheduler shares (diffusers' schedulers/scheduling_utils.py plus the helpers that DDIM, DDPM and
// PNDM each carry a copy of): the interface, add_noise, clipping / dynamic thresholding, timestep spacings.
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import { f32, torchLerpF32 } from './torch-numerics.js';
import { npArange, npLinspace, roundHalfEven } from './numpy-numerics.js';

/** The diffusers scheduler classes this package implements (`_class_name` in scheduler_config.json). */
export const SCHEDULER_CLASSES = ['DDIMScheduler', 'PNDMScheduler', 'DDPMScheduler'] as const;
export type SchedulerClassName = (typeof SCHEDULER_CLASSES)[number];

/** What the UNet predicts (`prediction_type`): noise ε, v (Salimans & Ho 2022) or the clean sample. */
export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/**
 * How inference timesteps are spread over the trained range (`timestep_spacing`; diffusers' names, after Lin et
 * al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed").
 */
export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

export interface SetTimestepsOptions {
  /**
   * Spread the schedule over [0, timestepRange) instead of [0, num_train_timesteps): every spacing and the
   * step size `timestepRange // numInferenceSteps` use this range while ᾱ stays the trained table. This is how the
   * official Diff-2-in-1 code runs a 50-step DDIM schedule below T = 600 (see partial-noise.ts).
   */
  timestepRange?: number;
}

export interface StepOptions {
  /** DDIM η (0 = deterministic DDIM, 1 = DDPM-like variance). Other schedulers ignore it. */
  eta?: number;
  /** DDIM: recompute ε from the clipped x̂0 (diffusers' use_clipped_model_output). */
  useClippedModelOutput?: boolean;
  /** The standard-normal noise for the variance term (DDIM with η > 0, DDPM with t > 0). */
  varianceNoise?: Float32Array;
  /** Draws n standard-normal numbers when varianceNoise is not given. */
  randn?: (n: number) => Float32Array;
  /** Leading batch dimension of sample, needed only for dynamic thresholding (per-sample quantile). */
  batchSize?: number;
}

export interface StepOutput {
  /** x_{t−δ}: the next sample. */
  prevSample: Float32Array;
  /** x̂0 predicted at this step (null for PNDM, which does not form it). */
  predOriginalSample: Float32Array | null;
}

/** One interface for DDIM, PNDM and DDPM; arrays are flat float32 latents (e.g. N×4×H×W). */
export interface Scheduler {
  readonly className: SchedulerClassName;
  /** diffusers' `order` (1 for all three; img2img slices `timesteps[t_start * order:]`). */
  readonly order: number;
  /** Standard deviation of the initial noise (1 for these schedulers). */
  readonly initNoiseSigma: number;
  readonly numTrainTimesteps: number;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  /** Timesteps of the current schedule, in the order they are run (empty before setTimesteps). */
  readonly timesteps: readonly number[];
  readonly numInferenceSteps: number | null;
  setTimesteps(numInferenceSteps: number, options?: SetTimestepsOptions): void;
  /** Identity for these schedulers (diffusers returns the same tensor). */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /** q(x_t | x_0): √ᾱ_t·x0 + √(1−ᾱ_t)·ε, in float32. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, options?: StepOptions): StepOutput;
}

/** Throws a Diff2in1Error unless `value` is an integer in [min, max]. */
export function checkInteger(value: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Diff2in1Error('scheduler', `${what} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws a Diff2in1Error unless the two latents have the same number of elements. */
export function checkSameLength(a: Float32Array, b: Float32Array, aName: string, bName: string): void {
  if (a.length !== b.length) {
    throw new Diff2in1Error('scheduler', `${bName} has ${b.length} elements but ${aName} has ${a.length}; they must have the same shape`);
  }
}

/** ᾱ at an integer timestep, with a clear error outside the table. */
export function alphaAt(alphasCumprod: Float32Array, t: number, className: string): number {
  if (!Number.isInteger(t) || t < 0 || t >= alphasCumprod.length) {
    throw new Diff2in1Error('scheduler', `${className}: timestep ${String(t)} is outside [0, ${alphasCumprod.length - 1}] (num_train_timesteps = ${alphasCumprod.length})`);
  }
  return alphasCumprod[t]!;
}

/** diffusers' add_noise (identical in DDIM, DDPM and PNDM). */
export function addNoiseF32(alphasCumprod: Float32Array, original: Float32Array, noise: Float32Array, t: number, className: string): Float32Array {
  checkSameLength(original, noise, 'original', 'noise');
  const a = alphaAt(alphasCumprod, t, className);
  const sa = f32(Math.sqrt(a));
  const sb = f32(Math.sqrt(f32(1 - a)));
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = f32(sa * original[i]!) + f32(sb * noise[i]!);
  return out;
}

/** `x.clamp(-range, range)` (the range is a Python float, rounded to float32 by torch). */
export function clipSample(x: Float32Array, range: number): Float32Array {
  const r = f32(range);
  return x.map((v) => Math.min(Math.max(v, -r), r));
}

/**
 * Imagen's dynamic thresholding (diffusers `_threshold_sample`): per batch element, s = quantile(|x|, ratio)
 * clamped to [1, maxValue]; x ← clamp(x, −s, s) / s. torch.quantile's linear interpolation in float32.
 */
export function thresholdSample(x: Float32Array, batchSize: number, ratio: number, maxValue: number): Float32Array {
  checkInteger(batchSize, 'batchSize', 1);
  if (x.length % batchSize !== 0) {
    throw new Diff2in1Error('scheduler', `thresholding: sample has ${x.length} elements, not divisible by batchSize ${batchSize}`);
  }
  const per = x.length / batchSize;
  const out = new Float32Array(x.length);
  const q = f32(ratio);
  const maxV = f32(maxValue);
  for (let b = 0; b < batchSize; b++) {
    const row = x.subarray(b * per, (b + 1) * per);
    const sorted = Float32Array.from(row, Math.abs).sort();
    const rank = f32(q * (per - 1));
    const below = Math.trunc(rank);
    const above = Math.ceil(rank);
    const weight = f32(rank - below);
    let s = torchLerpF32(sorted[below]!, sorted[above]!, weight);
    s = Math.min(Math.max(s, 1), maxV);
    for (let i = 0; i < per; i++) out[b * per + i] = f32(Math.min(Math.max(row[i]!, -s), s) / s);
  }
  return out;
}

/**
 * Timesteps of the three spacings of "Common Diffusion Noise Schedules and Sample Steps are Flawed" (Table 2),
 * in ascending order, as set_timesteps computes them over [0, range).
 *   linspace: round(linspace(0, range−1, n));  leading: i·(range//n) + steps_offset;
 *   trailing: round(arange(range, 0, −range/n)) − 1 (ascending here).
 */
export function spacedTimestepsAscending(spacing: TimestepSpacing, n: number, range: number, stepsOffset: number, className: string): number[] {
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, range - 1, n).map(roundHalfEven);
    case 'leading': {
      const ratio = Math.floor(range / n);
      return Array.from({ length: n }, (_, i) => i * ratio + stepsOffset);
    }
    case 'trailing':
      return npArange(range, 0, -(range / n)).map((v) => roundHalfEven(v) - 1).reverse();
    default:
      throw new Diff2in1Error('config', `${className}: timestep_spacing "${String(spacing)}" is not supported; use ${choices(TIMESTEP_SPACINGS)}`);
  }
}

/** Validates setTimesteps' arguments; returns the range the schedule spans. */
export function timestepRangeOf(className: string, numTrainTimesteps: number, n: number, options: SetTimestepsOptions | undefined): number {
  const range = options?.timestepRange ?? numTrainTimesteps;
  checkInteger(range, `${className}.setTimesteps: timestepRange`, 1, numTrainTimesteps);
  checkInteger(n, `${className}.setTimesteps: numInferenceSteps`, 1, range);
  return range;
}

/** x̂0 and ε̂ from a model output under each prediction type (DDIM's step, also DDPM's x̂0). */
export function predictOriginal(
  predictionType: PredictionType, modelOutput: Float32Array, sample: Float32Array, alphaProd: number, className: string,
): { x0: Float32Array; eps: Float32Array } {
  const sa = f32(Math.sqrt(alphaProd));
  const sb = f32(Math.sqrt(f32(1 - alphaProd)));
  const n = sample.length;
  const x0 = new Float32Array(n);
  const eps = new Float32Array(n);
  switch (predictionType) {
    case 'epsilon':
      for (let i = 0; i < n; i++) {
        x0[i] = f32(sample[i]! - f32(sb * modelOutput[i]!)) / sa;
        eps[i] = modelOutput[i]!;
      }
      break;
    case 'sample':
      for (let i = 0; i < n; i++) {
        x0[i] = modelOutput[i]!;
        eps[i] = f32(sample[i]! - f32(sa * modelOutput[i]!)) / sb;
      }
      break;
    case 'v_prediction':
      for (let i = 0; i < n; i++) {
        x0[i] = f32(sa * sample[i]!) - f32(sb * modelOutput[i]!);
        eps[i] = f32(sa * modelOutput[i]!) + f32(sb * sample[i]!);
      }
      break;
    default:
      throw new Diff2in1Error('config', `${className}: prediction_type "${String(predictionType)}" is not supported; use ${choices(PREDICTION_TYPES)}`);
  }
  return { x0, eps };
}

/** Draws or takes the variance noise of a stochastic step. */
export function varianceNoiseFor(options: StepOptions, length: number, className: string): Float32Array {
  if (options.varianceNoise && options.randn) {
    throw new Diff2in1Error('scheduler', `${className}.step: pass either varianceNoise or randn, not both`);
  }
  const noise = options.varianceNoise ?? options.randn?.(length);
  if (!noise) {
    throw new Diff2in1Error('scheduler', `${className}.step: this step adds noise; pass varianceNoise (a Float32Array) or randn (a normal sampler)`);
  }
  if (noise.length !== length) {
    throw new Diff2in1Error('scheduler', `${className}.step: variance noise has ${noise.length} elements but the sample has ${length}`);
  }
  return noise;
}
