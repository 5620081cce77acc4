// PNDM (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds"), numerically equal to
// diffusers v0.25.0's schedulers/scheduling_pndm.py: Runge-Kutta warm-up (PRK) then linear multistep (PLMS), or
// PLMS alone with skip_prk_steps (crowsonkb's variant, what Stable Diffusion v1-5's scheduler_config.json uses).
// The scheduler is stateful: the last four model outputs (ets) and the step counter drive each update.
import { Diff2in1Error } from '@diff2in1/tensor';
import { scheduleTables, type SchedulerTableOptions } from './beta-schedules.js';
import { resolveConfig, type PNDMConfig } from './config.js';
import {
  addNoiseF32, alphaAt, checkSameLength, spacedTimestepsAscending, timestepRangeOf,
  type Scheduler, type SetTimestepsOptions, type StepOptions, type StepOutput,
} from './scheduling-utils.js';
import { f32 } from './torch-numerics.js';

/** Order of the pseudo linear multistep method. */
const PNDM_ORDER = 4;

/** diffusers' PNDMScheduler (PRK warm-up then PLMS, or PLMS alone with skip_prk_steps); stateful across steps. */
export class PNDMScheduler implements Scheduler {
  readonly className = 'PNDMScheduler' as const;
  /** diffusers declares order = 1 for PNDM (img2img slices timesteps[t_start:]). */
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly config: Readonly<PNDMConfig>;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  readonly finalAlphaCumprod: number;
  private _timesteps: readonly number[] = Object.freeze([]);
  private _numInferenceSteps: number | null = null;
  private range: number;
  private prkTimesteps: number[] = [];
  // running state, reset by setTimesteps
  private ets: Float32Array[] = [];
  private counter = 0;
  private curModelOutput: Float32Array | null = null;
  private curSample: Float32Array | null = null;

  constructor(config: Partial<PNDMConfig> = {}, options: SchedulerTableOptions = {}) {
    this.config = resolveConfig('PNDMScheduler', config);
    const { betas, alphasCumprod } = scheduleTables(this.className, this.config, options);
    this.betas = betas;
    this.alphasCumprod = alphasCumprod;
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : alphasCumprod[0]!;
    this.range = this.config.num_train_timesteps;
  }

  get numTrainTimesteps(): number { return this.config.num_train_timesteps; }
  get timesteps(): readonly number[] { return this._timesteps; }
  get numInferenceSteps(): number | null { return this._numInferenceSteps; }
  /** Steps taken since the last setTimesteps (decides PRK vs PLMS and which multistep formula applies). */
  get stepCount(): number { return this.counter; }

  setTimesteps(numInferenceSteps: number, options?: SetTimestepsOptions): void {
    const range = timestepRangeOf(this.className, this.numTrainTimesteps, numInferenceSteps, options);
    const c = this.config;
    const ts = spacedTimestepsAscending(c.timestep_spacing, numInferenceSteps, range, c.steps_offset, this.className);
    let prk: number[];
    let plms: number[];
    if (c.skip_prk_steps) {
      // the second-to-last timestep is visited twice: the second visit completes a Heun-like first step
      prk = [];
      plms = [...ts.slice(0, -1), ...(ts.length >= 2 ? [ts[ts.length - 2]!] : []), ...ts.slice(-1)].reverse();
    } else {
      if (ts.length < PNDM_ORDER) {
        throw new Diff2in1Error('scheduler', `${this.className}: with skip_prk_steps=false numInferenceSteps must be ≥ ${PNDM_ORDER} (the Runge-Kutta warm-up needs ${PNDM_ORDER} timesteps), got ${numInferenceSteps}`);
      }
      const half = Math.floor(Math.floor(range / numInferenceSteps) / 2);
      // the last PNDM_ORDER timesteps, each with its half-step: t, t + half
      const pairs = ts.slice(-PNDM_ORDER).flatMap((t) => [t, t + half]);
      const doubled = pairs.slice(0, -1).flatMap((t) => [t, t]);
      prk = doubled.slice(1, -1).reverse();
      plms = ts.slice(0, -3).reverse();
    }
    this.range = range;
    this._numInferenceSteps = numInferenceSteps;
    this.prkTimesteps = prk;
    this._timesteps = Object.freeze([...prk, ...plms]);
    this.ets = [];
    this.counter = 0;
    this.curModelOutput = null;
    this.curSample = null;
  }

  scaleModelInput(sample: Float32Array, _timestep: number): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseF32(this.alphasCumprod, original, noise, timestep, this.className);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, _options: StepOptions = {}): StepOutput {
    checkSameLength(sample, modelOutput, 'sample', 'modelOutput');
    if (this._numInferenceSteps === null) {
      throw new Diff2in1Error('scheduler', `${this.className}: numInferenceSteps is not set; call setTimesteps(n) before step()`);
    }
    const prevSample = this.counter < this.prkTimesteps.length && !this.config.skip_prk_steps
      ? this.stepPrk(modelOutput, timestep, sample)
      : this.stepPlms(modelOutput, timestep, sample);
    return { prevSample, predOriginalSample: null };
  }

  /** Fourth-order Runge-Kutta warm-up: four model calls per step, weights 1/6, 1/3, 1/3, 1/6. */
  private stepPrk(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const half = Math.floor(Math.floor(this.range / this._numInferenceSteps!) / 2);
    const prevTimestep = timestep - (this.counter % 2 ? 0 : half);
    const t = this.prkTimesteps[Math.floor(this.counter / 4) * 4]!;
    const w6 = f32(1 / 6);
    const w3 = f32(1 / 3);
    let mo = modelOutput;
    const phase = this.counter % 4;
    if (phase === 0) {
      this.curModelOutput = modelOutput.map((v) => f32(w6 * v));
      this.ets.push(modelOutput);
      this.curSample = sample;
    } else if (phase === 1 || phase === 2) {
      const cur = this.curModelOutput!;
      this.curModelOutput = cur.map((v, i) => v + f32(w3 * modelOutput[i]!));
    } else {
      const cur = this.curModelOutput!;
      mo = cur.map((v, i) => v + f32(w6 * modelOutput[i]!));
      this.curModelOutput = null;
    }
    const curSample = this.curSample ?? sample;
    const prev = this.prevSample(curSample, t, prevTimestep, mo);
    this.counter += 1;
    return prev;
  }

  /** Linear multistep with the Adams-Bashforth weights of orders 1..4 (PNDM paper eq. 12). */
  private stepPlms(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (!this.config.skip_prk_steps && this.ets.length < 3) {
      throw new Diff2in1Error('scheduler', `${this.className}: PLMS steps can only follow the 12 Runge-Kutta steps when skip_prk_steps=false; run the scheduler's timesteps from the start`);
    }
    const ratio = Math.floor(this.range / this._numInferenceSteps!);
    let t = timestep;
    let prevTimestep = timestep - ratio;
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(modelOutput);
    } else {
      prevTimestep = timestep;
      t = timestep + ratio;
    }
    const e = this.ets;
    const n = e.length;
    let mo: Float32Array;
    let x = sample;
    if (n === 1 && this.counter === 0) {
      mo = modelOutput;
      this.curSample = sample;
    } else if (n === 1 && this.counter === 1) {
      const e1 = e[0]!;
      mo = modelOutput.map((v, i) => f32(v + e1[i]!) / 2);
      x = this.curSample!;
      this.curSample = null;
    } else if (n === 2) {
      const [e2, e1] = [e[0]!, e[1]!];
      mo = e1.map((v, i) => f32(f32(3 * v) - e2[i]!) / 2);
    } else if (n === 3) {
      const [e3, e2, e1] = [e[0]!, e[1]!, e[2]!];
      mo = e1.map((v, i) => f32(f32(f32(23 * v) - f32(16 * e2[i]!)) + f32(5 * e3[i]!)) / 12);
    } else {
      const [e4, e3, e2, e1] = [e[n - 4]!, e[n - 3]!, e[n - 2]!, e[n - 1]!];
      const w = f32(1 / 24);
      mo = e1.map((v, i) => w * f32(f32(f32(f32(55 * v) - f32(59 * e2[i]!)) + f32(37 * e3[i]!)) - f32(9 * e4[i]!)));
    }
    const prev = this.prevSample(x, t, prevTimestep, mo);
    this.counter += 1;
    return prev;
  }

  /** x_{t−δ} from x_t and ε (PNDM paper eq. 9, the transfer part φ). */
  private prevSample(sample: Float32Array, timestep: number, prevTimestep: number, modelOutput: Float32Array): Float32Array {
    const a = alphaAt(this.alphasCumprod, timestep, this.className);
    const ap = prevTimestep >= 0 ? alphaAt(this.alphasCumprod, prevTimestep, this.className) : this.finalAlphaCumprod;
    const b = f32(1 - a);
    const bp = f32(1 - ap);
    let eps = modelOutput;
    if (this.config.prediction_type === 'v_prediction') {
      const sa = f32(Math.sqrt(a));
      const sb = f32(Math.sqrt(b));
      eps = modelOutput.map((v, i) => f32(sa * v) + f32(sb * sample[i]!));
    }
    const sampleCoeff = f32(Math.sqrt(f32(ap / a)));
    const denom = f32(f32(a * f32(Math.sqrt(bp))) + f32(Math.sqrt(f32(f32(a * b) * ap))));
    const diff = f32(ap - a);
    return sample.map((v, i) => f32(sampleCoeff * v) - f32(f32(diff * eps[i]!) / denom));
  }
}
