// Partial noise (SDEdit): noise a clean latent to some timestep, then denoise it with the usual loop.
//
// Two ways to choose where to start, both feeding the one `denoise` loop:
//
// 1. diffusers' img2img `strength` (pipelines/stable_diffusion/pipeline_stable_diffusion_img2img.py,
//    get_timesteps + prepare_latents): init = min(int(n·strength), n); t_start = max(n − init, 0); run
//    timesteps[t_start·order:] of the n-step schedule; the latent is noised at the first of them.
//    SD v1-5 / 50 steps / strength 0.6 → 30 steps 581, 561, …, 1, noised at t = 581.
//
// 2. An explicit start timestep, as the official Diff-2-in-1 code does it (github.com/zsh2000/diff-2-in-1,
//    data_creation.py + ldm/models/diffusion/ddim.py, batch size 1 as data_creation.py runs it):
//      t = ones(B).long() * 600
//      x_noisy = model.q_sample(z, t, noise)                       # noised at exactly T = 600
//      sampler.sample(S=50, x_T=x_noisy, eta=0, ddpm_num_steps=t)  # → make_schedule(num_ddpm_timesteps=600)
//    make_ddim_timesteps('uniform', 50, 600) = range(0, 600, 600 // 50) + 1 = [1, 13, …, 589], and
//    ddim_sampling runs all 50 of them from 589 down to 1, stepping 12 (each step's ᾱ_prev is ᾱ at the next
//    lower timestep of that list, t − 12, and ᾱ_0 for the step from t = 1: make_ddim_sampling_parameters).
//    So the official code does NOT keep the ≤ 600 part of the 1000-step schedule (that would be 30 steps of
//    stride 20): it spreads a full S-step schedule over [0, T), 50 UNet calls, and starts it from a latent
//    noised at T itself (the first UNet call sees t = 589 while the noise level is ᾱ_600).
//    `stochastic_encode` / `decode` in the same ddim.py (the CompVis img2img path) are not called by
//    data_creation.py. They would noise to the DDIM index t_enc (ᾱ at ddim_timesteps[t_enc]) and then run
//    ddim_timesteps[:t_enc] downwards, over the same [1 … 589] list (make_schedule's default there is
//    num_ddpm_timesteps=600).
//    `getStartTimesteps(scheduler, 50, 600)` reproduces data_creation.py: the scheduler is set with
//    timestepRange = 600 (leading spacing + steps_offset 1 → 589, 577, …, 1, prev = t − 12) and the plan's
//    noiseTimestep is 600. With `diff2in1OfficialDdimConfig`, the LDM ᾱ table (`ldmSchedule().alphasCumprod`)
//    and `ldmQSample` as the noising function the result equals the official sampler's output bit for bit
//    (fixtures/official.json, made by running its ddim.py); with diffusers' float32 tables (an SD v1-5 diffusers
//    folder) it agrees to 3e-6 on outputs of magnitude ≤ 3.
import { Diff2in1Error } from '@diff2in1/tensor';
import { checkInteger, checkSameLength, type Scheduler, type StepOptions } from './scheduling-utils.js';

export interface PartialNoisePlan {
  /** Timesteps to run, in order (empty: nothing to do, the input is returned unchanged). */
  timesteps: readonly number[];
  /** Where addNoise puts the clean latent; null when there are no steps. */
  noiseTimestep: number | null;
  /** Denoising steps that will run (diffusers' second return value of get_timesteps). */
  numInferenceSteps: number;
}

/**
 * diffusers' img2img schedule for a strength in [0, 1]: calls scheduler.setTimesteps(numInferenceSteps), then keeps
 * timesteps[t_start·order:] with t_start = n − min(⌊n·strength⌋, n). Strength 0 → no steps; 1 → the full schedule.
 */
export function getImg2ImgTimesteps(scheduler: Scheduler, numInferenceSteps: number, strength: number): PartialNoisePlan {
  if (!(typeof strength === 'number' && strength >= 0 && strength <= 1)) {
    throw new Diff2in1Error('scheduler', `strength must be a number in [0, 1], got ${String(strength)}`);
  }
  scheduler.setTimesteps(numInferenceSteps);
  const init = Math.min(Math.trunc(numInferenceSteps * strength), numInferenceSteps);
  const tStart = Math.max(numInferenceSteps - init, 0);
  const timesteps = Object.freeze(scheduler.timesteps.slice(tStart * scheduler.order));
  return { timesteps, noiseTimestep: timesteps[0] ?? null, numInferenceSteps: numInferenceSteps - tStart };
}

/**
 * The official Diff-2-in-1 start: noise to exactly `startTimestep` (T), then run a `numInferenceSteps`-step schedule
 * spread over [0, T) (scheduler.setTimesteps(n, { timestepRange: T })). For DDIM with leading spacing and
 * steps_offset 1, T = 600 and n = 50 give 589, 577, …, 13, 1. See the comment at the top of this file.
 */
export function getStartTimesteps(scheduler: Scheduler, numInferenceSteps: number, startTimestep: number): PartialNoisePlan {
  checkInteger(startTimestep, 'startTimestep', 1, scheduler.numTrainTimesteps - 1);
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > startTimestep) {
    throw new Diff2in1Error('scheduler', `numInferenceSteps must be an integer in [1, startTimestep = ${startTimestep}], got ${String(numInferenceSteps)}`);
  }
  scheduler.setTimesteps(numInferenceSteps, { timestepRange: startTimestep });
  return { timesteps: scheduler.timesteps, noiseTimestep: startTimestep, numInferenceSteps };
}

export interface StepInfo {
  /** 0-based index of the step just taken. */
  index: number;
  /** Steps in the run. */
  total: number;
  timestep: number;
  /** Latents after the step. */
  latents: Float32Array;
  predOriginalSample: Float32Array | null;
}

export interface DenoiseOptions {
  scheduler: Scheduler;
  /** Starting latents (not modified). */
  latents: Float32Array;
  timesteps: readonly number[];
  /** The model: ε̂ (or v̂ / x̂0, per the scheduler's prediction_type) for latents at t. Guidance is the caller's. */
  predictNoise: (latents: Float32Array, timestep: number, index: number) => Promise<Float32Array> | Float32Array;
  /** Per-run or per-step options for scheduler.step (η and its noise for DDIM, noise for DDPM). */
  stepOptions?: StepOptions | ((index: number, timestep: number) => StepOptions);
  onStep?: (info: StepInfo) => void | Promise<void>;
  signal?: AbortSignal;
}

/** The denoising loop every sampler here shares: scale input → model → scheduler.step, for each timestep. */
export async function denoise(options: DenoiseOptions): Promise<Float32Array> {
  const { scheduler, timesteps, predictNoise, stepOptions, onStep, signal } = options;
  let x: Float32Array = options.latents.slice();
  for (let i = 0; i < timesteps.length; i++) {
    signal?.throwIfAborted();
    const t = timesteps[i]!;
    const modelInput = scheduler.scaleModelInput(x, t);
    const prediction = await predictNoise(modelInput, t, i);
    checkSameLength(x, prediction, 'latents', 'predictNoise output');
    const opts = typeof stepOptions === 'function' ? stepOptions(i, t) : stepOptions;
    const out = scheduler.step(prediction, t, x, opts);
    x = out.prevSample;
    if (onStep) await onStep({ index: i, total: timesteps.length, timestep: t, latents: x, predOriginalSample: out.predOriginalSample });
  }
  return x;
}

export interface DenoiseFromOptions extends Omit<DenoiseOptions, 'latents' | 'timesteps'> {
  /** The clean latent z0 (VAE mean or sample × scaling_factor). */
  original: Float32Array;
  /** Standard-normal noise, same size as original. */
  noise: Float32Array;
  /** From getImg2ImgTimesteps or getStartTimesteps, made with this scheduler. */
  plan: PartialNoisePlan;
  /** Noising function; scheduler.addNoise unless given (e.g. `ldmQSample` to replay the official code exactly). */
  addNoise?: (original: Float32Array, noise: Float32Array, timestep: number) => Float32Array;
}

/**
 * SDEdit: addNoise(original, noise, plan.noiseTimestep), then `denoise` over plan.timesteps. With no timesteps
 * (strength 0) the original comes back unchanged (as a copy).
 */
export async function denoiseFrom(options: DenoiseFromOptions): Promise<Float32Array> {
  const { original, noise, plan, addNoise, ...rest } = options;
  checkSameLength(original, noise, 'original', 'noise');
  if (plan.timesteps.length === 0 || plan.noiseTimestep === null) return original.slice();
  const latents = addNoise ? addNoise(original, noise, plan.noiseTimestep) : options.scheduler.addNoise(original, noise, plan.noiseTimestep);
  return denoise({ ...rest, latents, timesteps: plan.timesteps });
}
