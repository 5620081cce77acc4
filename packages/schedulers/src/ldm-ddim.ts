// The CompVis latent-diffusion schedule as the official Diff-2-in-1 code builds it
// (github.com/zsh2000/diff-2-in-1: ldm/modules/diffusionmodules/util.py make_beta_schedule, ldm/models/diffusion/
// ddpm.py register_schedule): betas = linspace(√start, √end, T, float64)², ᾱ = np.cumprod(1 − β) in float64,
// stored as float32 buffers. diffusers builds the same schedule in float32 ("scaled_linear"); the two ᾱ tables
// differ by a few float32 ulps. Use this table (DDIMScheduler's `alphasCumprod` option) to replay the official
// sampler bit for bit; see partial-noise.ts for its timesteps.
import { Diff2in1Error } from '@diff2in1/tensor';
import { torchLinspaceF64 } from './torch-numerics.js';

export interface LdmScheduleOptions {
  /** v1-inference.yaml linear_start (0.00085). */
  linearStart?: number;
  /** v1-inference.yaml linear_end (0.012). */
  linearEnd?: number;
  /** v1-inference.yaml timesteps (1000). */
  timesteps?: number;
}

/** The LatentDiffusion buffers the official sampler reads, each a float64 value rounded once to float32. */
export interface LdmSchedule {
  alphasCumprod: Float32Array;
  /** √ᾱ taken in float64 (ddpm.py: to_torch(np.sqrt(alphas_cumprod))). */
  sqrtAlphasCumprod: Float32Array;
  /** √(1 − ᾱ) taken in float64. */
  sqrtOneMinusAlphasCumprod: Float32Array;
}

/** The LDM "linear" schedule of configs/stable-diffusion/v1-inference.yaml, as LatentDiffusion.register_schedule stores it. */
export function ldmSchedule(options: LdmScheduleOptions = {}): LdmSchedule {
  const { linearStart = 0.00085, linearEnd = 0.012, timesteps = 1000 } = options;
  const roots = torchLinspaceF64(Math.sqrt(linearStart), Math.sqrt(linearEnd), timesteps);
  const alphasCumprod = new Float32Array(timesteps);
  const sqrtAlphasCumprod = new Float32Array(timesteps);
  const sqrtOneMinusAlphasCumprod = new Float32Array(timesteps);
  let acc = 1;
  for (let i = 0; i < timesteps; i++) {
    const beta = roots[i]! * roots[i]!;
    acc *= 1 - beta;
    alphasCumprod[i] = acc;
    sqrtAlphasCumprod[i] = Math.sqrt(acc);
    sqrtOneMinusAlphasCumprod[i] = Math.sqrt(1 - acc);
  }
  return { alphasCumprod, sqrtAlphasCumprod, sqrtOneMinusAlphasCumprod };
}

/** ᾱ of the LDM schedule (float64 cumprod rounded once to float32): pass it as a scheduler's `alphasCumprod`. */
export function ldmAlphasCumprod(options: LdmScheduleOptions = {}): Float32Array {
  return ldmSchedule(options).alphasCumprod;
}

/**
 * LatentDiffusion.q_sample: √ᾱ_t·x0 + √(1−ᾱ_t)·ε with the float64-derived square roots (differs from a scheduler's
 * addNoise, which takes them from the float32 ᾱ, by at most one float32 rounding per coefficient).
 */
export function ldmQSample(schedule: LdmSchedule, original: Float32Array, noise: Float32Array, t: number): Float32Array {
  if (!Number.isInteger(t) || t < 0 || t >= schedule.alphasCumprod.length) {
    throw new Diff2in1Error('scheduler', `ldmQSample: timestep ${String(t)} is outside [0, ${schedule.alphasCumprod.length - 1}]`);
  }
  if (noise.length !== original.length) {
    throw new Diff2in1Error('scheduler', `ldmQSample: noise has ${noise.length} elements but original has ${original.length}`);
  }
  const sa = schedule.sqrtAlphasCumprod[t]!;
  const sb = schedule.sqrtOneMinusAlphasCumprod[t]!;
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(sa * original[i]!) + Math.fround(sb * noise[i]!);
  return out;
}
