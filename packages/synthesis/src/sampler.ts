// Partial-noise creation (paper §4.2, SDEdit) and generation from pure noise (Φ_gen), both on the schedulers'
// one denoising loop.
//
// createFromImage mirrors the official data creation (github.com/zsh2000/diff-2-in-1, data_creation.py):
//   z = get_first_stage_encoding(encode_first_stage(x))  → a SAMPLE of the VAE posterior × 0.18215 (latentMode 'sample';
//                                                          'mean' is offered for a noise-free encoding)
//   x_T = q_sample(z, T = 600, randn_like(z))              → scheduler.addNoise at the plan's noiseTimestep
//   DDIM S = 50, eta 0, scale 1.0 (no CFG), conditioned on the image's caption, over range(0, 600, 12) + 1
//                                                          → getStartTimesteps (see @diff2in1/schedulers partial-noise.ts)
//   decode_first_stage, clip to [−1, 1], (x + 1) / 2 · 255 written as 8-bit (cv2 rounds to nearest, ties to even)
// The official ᾱ table is LDM's float64 one; ours is the backbone's scheduler config in diffusers' float32 (the
// schedulers package measured ≤ 3e-6 difference in the result). `strength` gives diffusers' img2img schedule instead.
import type { AnyScheduler, PartialNoisePlan, StepInfo, StepOptions } from '@diff2in1/schedulers';
import { denoise, denoiseFrom, fromConfig, getImg2ImgTimesteps, getStartTimesteps } from '@diff2in1/schedulers';
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Rng, Tensor, convertChannels, rawToTensor, tensorToRaw } from '@diff2in1/tensor';
import type { SynthesisModel } from './model.js';

export const SCHEDULER_KINDS = ['ddim', 'pndm'] as const;
export type SchedulerKind = (typeof SCHEDULER_KINDS)[number];
export const LATENT_MODES = ['sample', 'mean'] as const;
export type LatentMode = (typeof LATENT_MODES)[number];

/** Options shared by createFromImage and generateFromNoise. */
export interface SamplingOptions {
  /** Denoising schedule length (default 50, as the official code). */
  steps?: number;
  /** 'ddim' (default, official) or 'pndm' (PLMS, SD v1-5's own scheduler). */
  scheduler?: SchedulerKind;
  /** DDIM η (default 0 = deterministic DDIM, official); ignored by PNDM. */
  eta?: number;
  /** Classifier-free guidance scale (default 1 = no guidance, as the official data creation). */
  guidanceScale?: number;
  /** The unconditional prompt used when guidanceScale ≠ 1 (default ''). */
  negativePrompt?: string;
  /** Seed of every random draw of this sample (posterior sample, noise, η noise); default 0. */
  seed?: number | bigint;
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void | Promise<void>;
}

export interface FromImageOptions extends SamplingOptions {
  /** The prompt: the image's caption ('' = the paper's "no caption" ablation). */
  caption: string;
  /** Noise the latent to exactly this timestep and run `steps` steps spread over [0, T) (official; default 600). */
  T?: number;
  /** Instead of T: diffusers' img2img strength in [0, 1] (keeps the last ⌊steps·strength⌋ steps of the full schedule). */
  strength?: number;
  /** VAE encoding: 'sample' (default, official) or 'mean'. */
  latentMode?: LatentMode;
}

export interface FromImageResult {
  /** The new image, RGB 8-bit. */
  image: RawImage;
  /** Final latent [1, C, h, w] (before decoding). */
  latent: Tensor<'float32'>;
  /** The source image's latent [1, C, h, w] (what was noised). */
  sourceLatent: Tensor<'float32'>;
  plan: PartialNoisePlan;
}

export interface FromNoiseOptions extends SamplingOptions {
  prompt: string;
  /** Image size in pixels (multiples of the model's VAE scale factor). */
  height: number;
  width: number;
}

export interface FromNoiseResult {
  image: RawImage;
  latent: Tensor<'float32'>;
  timesteps: readonly number[];
}

/** The default start of the official code. */
export const DEFAULT_T = 600;
export const DEFAULT_STEPS = 50;

/**
 * A fresh scheduler of the chosen kind from the model's scheduler_config.json, as diffusers'
 * `DDIMScheduler.from_config(pipe.scheduler.config)`. The raw file matters: diffusers keeps keys the loaded class
 * does not read (ConfigMixin's "hidden" config), so SD v1-5's `clip_sample: false`, which PNDM ignores, reaches
 * DDIM (whose default is true). The loaded scheduler's typed config is used only when the raw one is absent.
 */
export function schedulerFor(model: Pick<SynthesisModel, 'scheduler' | 'configs'>, kind: SchedulerKind = 'ddim'): AnyScheduler {
  if (!(SCHEDULER_KINDS as readonly string[]).includes(kind)) throw new Diff2in1Error('synthesis', `scheduler '${String(kind)}' is not supported; one of: ${SCHEDULER_KINDS.join(', ')}`);
  const config = model.configs.scheduler ?? { ...model.scheduler.config };
  return fromConfig(config, { className: kind === 'ddim' ? 'DDIMScheduler' : 'PNDMScheduler' });
}

/** The partial-noise plan for T (0 = no steps, the input comes back) or strength. */
export function partialNoisePlan(scheduler: AnyScheduler, steps: number, start: { T?: number | undefined; strength?: number | undefined }): PartialNoisePlan {
  if (start.T !== undefined && start.strength !== undefined) throw new Diff2in1Error('synthesis', 'give either T (a timestep) or strength (in [0, 1]), not both');
  if (start.strength !== undefined) return getImg2ImgTimesteps(scheduler, steps, start.strength);
  const T = start.T ?? DEFAULT_T;
  if (T === 0) return { timesteps: [], noiseTimestep: null, numInferenceSteps: 0 };
  return getStartTimesteps(scheduler, steps, T);
}

function checkSampling(o: SamplingOptions): { steps: number; eta: number; guidanceScale: number } {
  const steps = o.steps ?? DEFAULT_STEPS;
  const eta = o.eta ?? 0;
  const guidanceScale = o.guidanceScale ?? 1;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new Diff2in1Error('synthesis', `steps must be an integer ≥ 1, got ${String(steps)}`);
  if (!Number.isFinite(eta) || eta < 0) throw new Diff2in1Error('synthesis', `eta must be a number ≥ 0, got ${String(eta)}`);
  if (!Number.isFinite(guidanceScale)) throw new Diff2in1Error('synthesis', `guidanceScale must be a finite number, got ${String(guidanceScale)}`);
  return { steps, eta, guidanceScale };
}

/** Image [3, H, W] or [1, 3, H, W] in 0..1 (as dataset readers give), or 8/16-bit RGB(A)/grey pixels → [1, 3, H, W] in [−1, 1]. */
export function toModelInput(image: Tensor<'float32'> | RawImage): Tensor<'float32'> {
  let t: Tensor<'float32'>;
  if (image instanceof Tensor) t = image;
  else t = rawToTensor(image.channels === 3 ? image : convertChannels(image, 3), { range: '0-1' });
  const s = t.shape;
  const ok = (s.length === 3 && s[0] === 3) || (s.length === 4 && s[0] === 1 && s[1] === 3);
  if (!ok) throw new Diff2in1Error('synthesis', `the image must be [3, H, W] or [1, 3, H, W] in 0..1, got [${s.join(', ')}]`);
  const [h, w] = s.slice(-2) as [number, number];
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 2 * (t.data[i] as number) - 1;
  return new Tensor('float32', [1, 3, h, w], out);
}

function checkSize(model: SynthesisModel, h: number, w: number, what: string): void {
  const f = model.vaeScaleFactor;
  if (h % f !== 0 || w % f !== 0 || h <= 0 || w <= 0) {
    throw new Diff2in1Error('synthesis', `${what} is ${w}×${h}; width and height must be positive multiples of the VAE scale factor ${f} (resize first, e.g. --size)`);
  }
}

/** Prompt embedding, and the unconditional one when guidance is on. */
async function conditioning(model: SynthesisModel, prompt: string, guidanceScale: number, negativePrompt: string | undefined) {
  const context = await model.encodePrompt([prompt]);
  const guided = guidanceScale !== 1;
  const uncondContext = guided ? await model.encodePrompt([negativePrompt ?? '']) : undefined;
  return { context, opts: guided ? { guidanceScale, uncondContext } : {} };
}

function modelFn(model: SynthesisModel, shape: readonly number[], cond: Awaited<ReturnType<typeof conditioning>>) {
  return async (latents: Float32Array, t: number): Promise<Float32Array> => {
    const eps = await model.predictNoise(new Tensor('float32', shape, latents), t, cond.context, cond.opts);
    return eps.data;
  };
}

function stepOptionsFor(eta: number, rng: Rng): StepOptions {
  if (eta === 0) return { eta: 0 };
  const etaRng = rng.fork('eta');
  return { eta, randn: (n) => etaRng.fillNormal(new Float32Array(n)) as Float32Array };
}

async function decode(model: SynthesisModel, latent: Tensor<'float32'>): Promise<RawImage> {
  const x = await model.decodeLatents(latent);
  const [, c, h, w] = x.shape as [number, number, number, number];
  return tensorToRaw(new Tensor('float32', [c, h, w], x.data.subarray(0, c * h * w)), { range: '-1-1' });
}

/**
 * A new image from a real one (paper §4.2): encode, noise to T (or by strength), denoise conditioned on the
 * caption, decode. Same model, image, options and seed → the same bytes.
 */
export async function createFromImage(model: SynthesisModel, image: Tensor<'float32'> | RawImage, options: FromImageOptions): Promise<FromImageResult> {
  const { steps, eta, guidanceScale } = checkSampling(options);
  if (typeof options.caption !== 'string') throw new Diff2in1Error('synthesis', 'caption must be a string (use \'\' for no caption)');
  const latentMode = options.latentMode ?? 'sample';
  if (!(LATENT_MODES as readonly string[]).includes(latentMode)) throw new Diff2in1Error('synthesis', `latentMode '${String(latentMode)}' is not valid; one of: ${LATENT_MODES.join(', ')}`);
  const x = toModelInput(image);
  checkSize(model, x.shape[2] as number, x.shape[3] as number, 'the image');
  const scheduler = schedulerFor(model, options.scheduler);
  const plan = partialNoisePlan(scheduler, steps, options);
  const rng = new Rng(options.seed ?? 0);
  const sourceLatent = await model.encodeImage(x, latentMode === 'sample' ? { mode: 'sample', rng: rng.fork('posterior') } : { mode: 'mean' });
  const noise = rng.fork('noise').fillNormal(new Float32Array(sourceLatent.data.length)) as Float32Array;
  const cond = plan.timesteps.length > 0 ? await conditioning(model, options.caption, guidanceScale, options.negativePrompt) : undefined;
  const out = cond === undefined
    ? sourceLatent.data.slice()
    : await denoiseFrom({
      scheduler, original: sourceLatent.data, noise, plan,
      predictNoise: modelFn(model, sourceLatent.shape, cond),
      stepOptions: stepOptionsFor(eta, rng),
      ...(options.onStep ? { onStep: options.onStep } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const latent = new Tensor('float32', sourceLatent.shape, out);
  return { image: await decode(model, latent), latent, sourceLatent, plan };
}

/** Φ_gen: an image from pure Gaussian noise over the full `steps` schedule (the GNA baseline and `generate`). */
export async function generateFromNoise(model: SynthesisModel, options: FromNoiseOptions): Promise<FromNoiseResult> {
  const { steps, eta, guidanceScale } = checkSampling(options);
  checkSize(model, options.height, options.width, 'the requested size');
  const f = model.vaeScaleFactor;
  const shape = [1, model.configs.vae.latent_channels, options.height / f, options.width / f];
  const scheduler = schedulerFor(model, options.scheduler);
  scheduler.setTimesteps(steps);
  const rng = new Rng(options.seed ?? 0);
  const start = rng.fork('noise').fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, scheduler.initNoiseSigma) as Float32Array;
  const cond = await conditioning(model, options.prompt, guidanceScale, options.negativePrompt);
  const out = await denoise({
    scheduler, latents: start, timesteps: scheduler.timesteps,
    predictNoise: modelFn(model, shape, cond),
    stepOptions: stepOptionsFor(eta, rng),
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const latent = new Tensor('float32', shape, out);
  return { image: await decode(model, latent), latent, timesteps: scheduler.timesteps };
}
