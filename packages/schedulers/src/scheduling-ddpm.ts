// DDPM (Ho et al. 2020, "Denoising Diffusion Probabilistic Models"), numerically equal to diffusers v0.25.0's
// schedulers/scheduling_ddpm.py for the fixed variance types (learned variances need a UNet that predicts them).
import { scheduleTables, type SchedulerTableOptions } from './beta-schedules.js';
import { resolveConfig, type DDPMConfig } from './config.js';
import {
  addNoiseF32, alphaAt, checkSameLength, clipSample, predictOriginal, spacedTimestepsAscending, thresholdSample,
  timestepRangeOf, varianceNoiseFor,
  type Scheduler, type SetTimestepsOptions, type StepOptions, type StepOutput,
} from './scheduling-utils.js';
import { f32 } from './torch-numerics.js';

/** diffusers' DDPMScheduler with a fixed variance (fixed_small / fixed_small_log / fixed_large). */
export class DDPMScheduler implements Scheduler {
  readonly className = 'DDPMScheduler' as const;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly config: Readonly<DDPMConfig>;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  private _timesteps: readonly number[];
  private _numInferenceSteps: number | null = null;
  private range: number;

  constructor(config: Partial<DDPMConfig> = {}, options: SchedulerTableOptions = {}) {
    this.config = resolveConfig('DDPMScheduler', config);
    const { betas, alphasCumprod } = scheduleTables(this.className, this.config, options);
    this.betas = betas;
    this.alphasCumprod = alphasCumprod;
    this.range = this.config.num_train_timesteps;
    this._timesteps = Object.freeze(Array.from({ length: this.range }, (_, i) => this.range - 1 - i));
  }

  get numTrainTimesteps(): number { return this.config.num_train_timesteps; }
  get timesteps(): readonly number[] { return this._timesteps; }
  get numInferenceSteps(): number | null { return this._numInferenceSteps; }

  setTimesteps(numInferenceSteps: number, options?: SetTimestepsOptions): void {
    const range = timestepRangeOf(this.className, this.numTrainTimesteps, numInferenceSteps, options);
    const c = this.config;
    this._numInferenceSteps = numInferenceSteps;
    this.range = range;
    this._timesteps = Object.freeze(spacedTimestepsAscending(c.timestep_spacing, numInferenceSteps, range, c.steps_offset, this.className).reverse());
  }

  scaleModelInput(sample: Float32Array, _timestep: number): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseF32(this.alphasCumprod, original, noise, timestep, this.className);
  }

  /** t − range // n after setTimesteps, else t − 1 (every trained step). */
  prevTimestep(timestep: number): number {
    return timestep - Math.floor(this.range / (this._numInferenceSteps ?? this.range));
  }

  /** Variance of x_{t−δ} given x_t and x̂0 for the configured variance type. */
  variance(timestep: number): number {
    const prev = this.prevTimestep(timestep);
    const a = alphaAt(this.alphasCumprod, timestep, this.className);
    const ap = prev >= 0 ? alphaAt(this.alphasCumprod, prev, this.className) : 1;
    const beta = f32(1 - f32(a / ap));
    // β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t)·β_t, clamped away from 0 because the log variants take its log
    const small = Math.max(f32(f32(f32(1 - ap) / f32(1 - a)) * beta), f32(1e-20));
    switch (this.config.variance_type) {
      case 'fixed_small': return small;
      case 'fixed_small_log': return f32(Math.exp(f32(0.5 * f32(Math.log(small)))));
      case 'fixed_large': return beta;
    }
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    checkSameLength(sample, modelOutput, 'sample', 'modelOutput');
    const c = this.config;
    const prev = this.prevTimestep(timestep);
    const a = alphaAt(this.alphasCumprod, timestep, this.className);
    const ap = prev >= 0 ? alphaAt(this.alphasCumprod, prev, this.className) : 1;
    const b = f32(1 - a);
    const bp = f32(1 - ap);
    const curAlpha = f32(a / ap);
    const curBeta = f32(1 - curAlpha);

    let { x0 } = predictOriginal(c.prediction_type, modelOutput, sample, a, this.className);
    if (c.thresholding) x0 = thresholdSample(x0, options.batchSize ?? 1, c.dynamic_thresholding_ratio, c.sample_max_value);
    else if (c.clip_sample) x0 = clipSample(x0, c.clip_sample_range);

    // posterior mean (DDPM eq. 7)
    const x0Coeff = f32(f32(f32(Math.sqrt(ap)) * curBeta) / b);
    const xtCoeff = f32(f32(f32(Math.sqrt(curAlpha)) * bp) / b);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < prevSample.length; i++) prevSample[i] = f32(x0Coeff * x0[i]!) + f32(xtCoeff * sample[i]!);

    if (timestep > 0) {
      const noise = varianceNoiseFor(options, sample.length, this.className);
      const v = this.variance(timestep);
      // the log variant already is a standard deviation; the others are variances
      const std = c.variance_type === 'fixed_small_log' ? v : f32(Math.sqrt(v));
      for (let i = 0; i < prevSample.length; i++) prevSample[i] = prevSample[i]! + f32(std * noise[i]!);
    }
    return { prevSample, predOriginalSample: x0 };
  }
}
