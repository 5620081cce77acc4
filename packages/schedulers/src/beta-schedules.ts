// Noise schedules of diffusers v0.25.0 (schedulers/scheduling_ddim.py, scheduling_ddpm.py, scheduling_pndm.py),
// in the float32 arithmetic those files run in (see torch-numerics.ts).
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import { f32, torchCumprodF32, torchLinspaceF32 } from './torch-numerics.js';

/** The `beta_schedule` values diffusers v0.25 accepts for these schedulers. */
export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

/** The config fields every scheduler's betas come from (diffusers' key names). */
export interface BetaConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: readonly number[] | null;
}

/**
 * Glide's cosine schedule (`betas_for_alpha_bar`, alpha_transform_type "cosine"): β_i = min(1 − ᾱ((i+1)/T) / ᾱ(i/T),
 * max_beta) with ᾱ(t) = cos²((t + 0.008)/1.008 · π/2), computed in float64 and stored as float32.
 */
export function betasForAlphaBar(numDiffusionTimesteps: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number): number => {
    const c = Math.cos(((t + 0.008) / 1.008) * Math.PI / 2);
    return c * c;
  };
  const out = new Float32Array(numDiffusionTimesteps);
  for (let i = 0; i < numDiffusionTimesteps; i++) {
    const t1 = i / numDiffusionTimesteps;
    const t2 = (i + 1) / numDiffusionTimesteps;
    out[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return out;
}

/**
 * Rescales betas to zero terminal SNR (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are
 * Flawed", Algorithm 1): shift √ᾱ so the last is 0, scale so the first is unchanged, and undo the cumprod.
 */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const n = betas.length;
  const alphas = betas.map((b) => f32(1 - b));
  const sq = torchCumprodF32(alphas).map((a) => Math.sqrt(a));
  const first = sq[0]!;
  const last = sq[n - 1]!;
  const scale = f32(first / f32(first - last));
  const bar = sq.map((v) => {
    const shifted = f32(f32(v - last) * scale);
    return shifted * shifted;
  });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const alpha = i === 0 ? bar[0]! : f32(bar[i]! / bar[i - 1]!);
    out[i] = 1 - alpha;
  }
  return out;
}

/** β_1..β_T of a config, exactly as the diffusers constructors make them (float32). */
export function makeBetas(config: BetaConfig, className = 'scheduler'): Float32Array {
  const T = config.num_train_timesteps;
  if (config.trained_betas !== null) {
    if (config.trained_betas.length !== T) {
      throw new Diff2in1Error('config', `${className}: trained_betas has ${config.trained_betas.length} entries but num_train_timesteps is ${T}; they must agree`);
    }
    return Float32Array.from(config.trained_betas);
  }
  switch (config.beta_schedule) {
    case 'linear':
      return torchLinspaceF32(config.beta_start, config.beta_end, T);
    case 'scaled_linear':
      // the latent-diffusion schedule: linear in √β, squared in float32
      return torchLinspaceF32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), T).map((x) => x * x);
    case 'squaredcos_cap_v2':
      return betasForAlphaBar(T);
    default:
      throw new Diff2in1Error('config', `${className}: beta_schedule "${String(config.beta_schedule)}" is not supported; use ${choices(BETA_SCHEDULES)}`);
  }
}

/** ᾱ_t = Π_{s≤t} (1 − β_s), the float32 table every step reads (torch.cumprod of float32 alphas). */
export function alphasCumprodOf(betas: Float32Array): Float32Array {
  return torchCumprodF32(betas.map((b) => f32(1 - b)));
}

/** Options that are not part of a diffusers config. */
export interface SchedulerTableOptions {
  /**
   * Replace ᾱ (length num_train_timesteps), e.g. with the CompVis LDM table (`ldmAlphasCumprod`) to reproduce the
   * official Diff-2-in-1 sampler exactly. Betas keep the config's values.
   */
  alphasCumprod?: Float32Array;
}

/** β and ᾱ of a scheduler config (rescaled to zero terminal SNR when the config asks), or the given ᾱ. */
export function scheduleTables(
  className: string, config: BetaConfig & { rescale_betas_zero_snr?: boolean }, options: SchedulerTableOptions = {},
): { betas: Float32Array; alphasCumprod: Float32Array } {
  let betas = makeBetas(config, className);
  if (config.rescale_betas_zero_snr) betas = rescaleZeroTerminalSnr(betas);
  let alphasCumprod = alphasCumprodOf(betas);
  if (options.alphasCumprod) {
    if (options.alphasCumprod.length !== config.num_train_timesteps) {
      throw new Diff2in1Error('scheduler', `${className}: alphasCumprod has ${options.alphasCumprod.length} entries but num_train_timesteps is ${config.num_train_timesteps}`);
    }
    alphasCumprod = Float32Array.from(options.alphasCumprod);
  }
  return { betas, alphasCumprod };
}
