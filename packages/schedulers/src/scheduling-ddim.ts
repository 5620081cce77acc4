// DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models"), numerically equal to diffusers v0.25.0's
// schedulers/scheduling_ddim.py: float32 scalars and elementwise ops in the order torch evaluates them.
import { Diff2in1Error } from '@diff2in1/tensor';
import { scheduleTables, type SchedulerTableOptions } from './beta-schedules.js';
import { resolveConfig, type DDIMConfig } from './config.js';
import {
  addNoiseF32, alphaAt, checkSameLength, clipSample, predictOriginal, spacedTimestepsAscending, thresholdSample,
  timestepRangeOf, varianceNoiseFor,
  type Scheduler, type SetTimestepsOptions, type StepOptions, type StepOutput,
} from './scheduling-utils.js';
import { f32 } from './torch-numerics.js';

/** diffusers' DDIMScheduler: deterministic (η = 0) or stochastic (η > 0) DDIM steps over a spaced schedule. */
export class DDIMScheduler implements Scheduler {
  readonly className = 'DDIMScheduler' as const;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly config: Readonly<DDIMConfig>;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  /** ᾱ used before the first trained step: 1 if set_alpha_to_one, else ᾱ_0. */
  readonly finalAlphaCumprod: number;
  private _timesteps: readonly number[];
  private _numInferenceSteps: number | null = null;
  private range: number;

  constructor(config: Partial<DDIMConfig> = {}, options: SchedulerTableOptions = {}) {
    this.config = resolveConfig('DDIMScheduler', config);
    const { betas, alphasCumprod } = scheduleTables(this.className, this.config, options);
    this.betas = betas;
    this.alphasCumprod = alphasCumprod;
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : alphasCumprod[0]!;
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

  /** σ_t² = (1−ᾱ_prev)/(1−ᾱ_t) · (1 − ᾱ_t/ᾱ_prev) (DDIM eq. 16 without η). */
  variance(timestep: number, prevTimestep: number): number {
    const a = alphaAt(this.alphasCumprod, timestep, this.className);
    const ap = prevTimestep >= 0 ? alphaAt(this.alphasCumprod, prevTimestep, this.className) : this.finalAlphaCumprod;
    return f32(f32(f32(1 - ap) / f32(1 - a)) * f32(1 - f32(a / ap)));
  }

  /** The timestep a step from `timestep` lands on: timestep − range // numInferenceSteps (diffusers' rule). */
  prevTimestep(timestep: number): number {
    if (this._numInferenceSteps === null) {
      throw new Diff2in1Error('scheduler', `${this.className}: numInferenceSteps is not set; call setTimesteps(n) before step()`);
    }
    return timestep - Math.floor(this.range / this._numInferenceSteps);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    checkSameLength(sample, modelOutput, 'sample', 'modelOutput');
    const c = this.config;
    const prev = this.prevTimestep(timestep);
    const a = alphaAt(this.alphasCumprod, timestep, this.className);
    const ap = prev >= 0 ? alphaAt(this.alphasCumprod, prev, this.className) : this.finalAlphaCumprod;
    const b = f32(1 - a);

    let { x0, eps } = predictOriginal(c.prediction_type, modelOutput, sample, a, this.className);
    if (c.thresholding) x0 = thresholdSample(x0, options.batchSize ?? 1, c.dynamic_thresholding_ratio, c.sample_max_value);
    else if (c.clip_sample) x0 = clipSample(x0, c.clip_sample_range);

    const eta = options.eta ?? 0;
    if (!Number.isFinite(eta) || eta < 0) throw new Diff2in1Error('scheduler', `${this.className}.step: eta must be a finite number ≥ 0, got ${String(eta)}`);
    const std = f32(f32(eta) * f32(Math.sqrt(this.variance(timestep, prev))));

    const sa = f32(Math.sqrt(a));
    const sb = f32(Math.sqrt(b));
    if (options.useClippedModelOutput) {
      eps = new Float32Array(sample.length);
      for (let i = 0; i < eps.length; i++) eps[i] = f32(sample[i]! - f32(sa * x0[i]!)) / sb;
    }
    const dirCoeff = f32(Math.sqrt(f32(f32(1 - ap) - f32(std * std))));
    const sap = f32(Math.sqrt(ap));
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < prevSample.length; i++) prevSample[i] = f32(sap * x0[i]!) + f32(dirCoeff * eps[i]!);
    if (eta > 0) {
      const noise = varianceNoiseFor(options, sample.length, this.className);
      for (let i = 0; i < prevSample.length; i++) prevSample[i] = prevSample[i]! + f32(std * noise[i]!);
    }
    return { prevSample, predOriginalSample: x0 };
  }
}
