// The StableDiffusion API the rest of the project codes against, and what its two implementations share
// (compiled-sd.ts: graphs compiled from a diffusers folder; onnx-export-sd.ts: an existing ONNX export):
// argument checks, float16 conversion of feeds, classifier-free guidance, VAE sampling noise from a seeded Rng.
import type { DeviceRequest } from '@diff2in1/runtime';
import type { AnyScheduler } from '@diff2in1/schedulers';
import { Diff2in1Error, Rng, Tensor, choices, randn, toFloat16, toFloat32 } from '@diff2in1/tensor';
import type { AttentionImpl } from './attention.js';
import type { SdConfigs } from './configs/sd-configs.js';
import { assertImageSize } from './graphs.js';
import { TAP_SETS, type TapSetName } from './taps.js';
import type { ClipTokenizer } from './tokenizer.js';

export interface StableDiffusion {
  readonly configs: SdConfigs;
  /** Pixels per latent cell (8 for SD). */
  readonly vaeScaleFactor: number;
  /** The folder (or 'tiny') it was loaded from. */
  readonly source: string;
  /** From scheduler/scheduler_config.json (@diff2in1/schedulers fromConfig). */
  readonly scheduler: AnyScheduler;
  /** CLIP last_hidden_state [B, 77, D] of the prompts (tokenized, padded / truncated to 77 as SD does). */
  encodePrompt(texts: string[]): Promise<Tensor<'float32'>>;
  /**
   * Scaled latents [B, 4, H/8, W/8] of images [B, 3, H, W] in [−1, 1] (H, W multiples of 8, else an error naming
   * the size): mean × scaling_factor ('mean', the default) or (mean + std · ε) × scaling_factor ('sample', ε from
   * `rng`, default new Rng(0)).
   */
  encodeImage(images: Tensor<'float32'>, opts?: { mode?: 'mean' | 'sample'; rng?: Rng }): Promise<Tensor<'float32'>>;
  /** Images [B, 3, 8h, 8w] (≈ [−1, 1], not clamped, as diffusers' vae.decode) of scaled latents [B, 4, h, w]. */
  decodeLatents(latents: Tensor<'float32'>): Promise<Tensor<'float32'>>;
  /**
   * The UNet's prediction for latents [B, 4, h, w] at timestep(s) t (one for all, or one per sample) with context
   * [B or 1, 77, D]. With `guidanceScale` (≠ 1): classifier-free guidance over one batch of [uncond; cond]
   * (`uncondContext` [B or 1, 77, D], default the empty prompt's embedding): u + s·(c − u).
   */
  predictNoise(latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>, opts?: { guidanceScale?: number; uncondContext?: Tensor<'float32'> }): Promise<Tensor<'float32'>>;
  /** UNet feature taps (taps.ts) by module name; the graph stops at the last tap (no conv_norm_out / conv_out). */
  features(latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>, taps: TapSetName): Promise<Record<string, Tensor<'float32'>>>;
  /** Releases every session. */
  dispose(): Promise<void>;
}

export interface LoadStableDiffusionOptions {
  /** Device request for every session (default 'auto'). */
  device?: DeviceRequest;
  /** Compiled-graph cache (default $DIFF2IN1_CACHE or ~/.cache/diff2in1). */
  cacheDir?: string;
  /** ORT intra-op threads (default: ORT's choice, one per core). */
  threads?: number;
  /** Float16 graphs (weights and activations; GroupNorm and upcast softmax in float32) — for GPUs. */
  fp16?: boolean;
  /** Run sessions in worker threads so `run` does not block the event loop. */
  worker?: boolean;
  /** Attention graph form for the compiled UNet (default 'mha' for float32, 'matmul' for float16). */
  attention?: AttentionImpl;
}

/** The component runners an implementation provides (feeds and results in float32; dtype conversion is here). */
export interface SdRunners {
  text(ids: Tensor<'int64'>): Promise<Tensor>;
  unet(sample: Tensor, t: Tensor<'float32'>, context: Tensor, outputs: 'noise' | TapSetName): Promise<Record<string, Tensor>>;
  vaeEncode(images: Tensor, noise: Tensor): Promise<Tensor>;
  vaeDecode(latents: Tensor): Promise<Tensor>;
  release(): Promise<void>;
}

function fail(msg: string): never {
  throw new Diff2in1Error('input', msg);
}

function checkRank4(t: Tensor, what: string, channels: number): void {
  if (!(t instanceof Tensor) || t.dtype !== 'float32' || t.rank !== 4 || t.shape[1] !== channels) {
    fail(`${what} must be a float32 tensor [B, ${channels}, H, W], got ${t instanceof Tensor ? `${t.dtype} [${t.shape.join(', ')}]` : typeof t}`);
  }
}

/** Repeats a [1, ...] tensor to [b, ...] along the batch axis. */
function repeatBatch(t: Tensor<'float32'>, b: number): Tensor<'float32'> {
  if (t.shape[0] === b) return t;
  const out = new Tensor('float32', [b, ...t.shape.slice(1)]);
  for (let i = 0; i < b; i++) out.data.set(t.data, i * t.size);
  return out;
}

function concatBatch(a: Tensor<'float32'>, b: Tensor<'float32'>): Tensor<'float32'> {
  const out = new Tensor('float32', [a.shape[0]! + b.shape[0]!, ...a.shape.slice(1)]);
  out.data.set(a.data, 0);
  out.data.set(b.data, a.size);
  return out;
}

export class SdPipeline implements StableDiffusion {
  readonly vaeScaleFactor: number;
  #uncond: Tensor<'float32'> | undefined;

  constructor(
    readonly source: string,
    readonly configs: SdConfigs,
    readonly scheduler: AnyScheduler,
    readonly tokenizer: ClipTokenizer,
    private readonly runners: SdRunners,
    /** Float dtype the graphs take and give. */
    private readonly dtype: 'float32' | 'float16',
  ) {
    this.vaeScaleFactor = 2 ** (configs.vae.block_out_channels.length - 1);
  }

  private feed(t: Tensor<'float32'>): Tensor {
    return this.dtype === 'float16' ? toFloat16(t) : t;
  }

  private result(t: Tensor | undefined, what: string): Tensor<'float32'> {
    if (!t) throw new Diff2in1Error('session', `the ${what} graph returned no output`);
    return (t.dtype === 'float32' ? t : toFloat32(t)) as Tensor<'float32'>;
  }

  async encodePrompt(texts: string[]): Promise<Tensor<'float32'>> {
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) fail('encodePrompt needs a non-empty array of strings');
    return this.result(await this.runners.text(this.tokenizer.encodePromptIds(texts)), 'text encoder');
  }

  async encodeImage(images: Tensor<'float32'>, opts: { mode?: 'mean' | 'sample'; rng?: Rng } = {}): Promise<Tensor<'float32'>> {
    const vae = this.configs.vae;
    checkRank4(images, 'encodeImage: images', vae.in_channels);
    const [b, , h, w] = images.shape as [number, number, number, number];
    assertImageSize(vae, h, w);
    const mode = opts.mode ?? 'mean';
    if (mode !== 'mean' && mode !== 'sample') fail(`encodeImage: mode '${String(mode)}' is not one of ${choices(['mean', 'sample'])}`);
    const f = this.vaeScaleFactor;
    const shape = [b, vae.latent_channels, h / f, w / f];
    const noise = mode === 'mean' ? new Tensor('float32', shape) : randn(opts.rng ?? new Rng(0), shape);
    return this.result(await this.runners.vaeEncode(this.feed(images), this.feed(noise)), 'VAE encoder');
  }

  async decodeLatents(latents: Tensor<'float32'>): Promise<Tensor<'float32'>> {
    checkRank4(latents, 'decodeLatents: latents', this.configs.vae.latent_channels);
    return this.result(await this.runners.vaeDecode(this.feed(latents)), 'VAE decoder');
  }

  /** Checks latents / t / context and returns the per-sample timesteps and the context repeated to B. */
  private unetArgs(latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>, what: string): { ts: Tensor<'float32'>; ctx: Tensor<'float32'> } {
    const u = this.configs.unet;
    checkRank4(latents, `${what}: latents`, u.in_channels);
    const b = latents.shape[0]!;
    const list = typeof t === 'number' ? [t] : [...t];
    if (list.length !== 1 && list.length !== b) fail(`${what}: give one timestep or one per sample (${b}), got ${list.length}`);
    if (list.some((x) => typeof x !== 'number' || !Number.isFinite(x))) fail(`${what}: timesteps must be finite numbers, got [${list.join(', ')}]`);
    const ts = new Tensor('float32', [b], Float32Array.from({ length: b }, (_, i) => list[list.length === 1 ? 0 : i]!));
    const d = this.configs.text_encoder.hidden_size;
    const len = this.configs.tokenizer.model_max_length;
    if (!(context instanceof Tensor) || context.dtype !== 'float32' || context.rank !== 3 || context.shape[1] !== len || context.shape[2] !== d ||
      (context.shape[0] !== 1 && context.shape[0] !== b)) {
      fail(`${what}: context must be float32 [${b} or 1, ${len}, ${d}] (encodePrompt's output), got ${context instanceof Tensor ? `${context.dtype} [${context.shape.join(', ')}]` : typeof context}`);
    }
    return { ts, ctx: repeatBatch(context, b) };
  }

  async predictNoise(latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>, opts: { guidanceScale?: number; uncondContext?: Tensor<'float32'> } = {}): Promise<Tensor<'float32'>> {
    const { ts, ctx } = this.unetArgs(latents, t, context, 'predictNoise');
    const s = opts.guidanceScale;
    if (s !== undefined && !Number.isFinite(s)) fail(`predictNoise: guidanceScale must be a finite number, got ${s}`);
    if (s === undefined || s === 1) {
      return this.result((await this.runners.unet(this.feed(latents), ts, this.feed(ctx), 'noise'))['out_sample'], 'UNet');
    }
    const b = latents.shape[0]!;
    const uncondIn = opts.uncondContext ?? (this.#uncond ??= await this.encodePrompt(['']));
    const { ctx: uncond } = this.unetArgs(latents, t, uncondIn, 'predictNoise (uncondContext)');
    const ts2 = new Tensor('float32', [2 * b], Float32Array.from([...ts.data, ...ts.data]));
    const out = this.result((await this.runners.unet(this.feed(concatBatch(latents, latents)), ts2, this.feed(concatBatch(uncond, ctx)), 'noise'))['out_sample'], 'UNet');
    const half = out.size / 2;
    const res = new Tensor('float32', latents.shape);
    const f = Math.fround;
    // diffusers: noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond), in float32
    for (let i = 0; i < half; i++) res.data[i] = f(out.data[i]! + f(f(s) * f(out.data[half + i]! - out.data[i]!)));
    return res;
  }

  async features(latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>, taps: TapSetName): Promise<Record<string, Tensor<'float32'>>> {
    if (!(TAP_SETS as readonly string[]).includes(taps)) fail(`features: taps '${String(taps)}' is not one of ${choices(TAP_SETS)}`);
    const { ts, ctx } = this.unetArgs(latents, t, context, 'features');
    const out = await this.runners.unet(this.feed(latents), ts, this.feed(ctx), taps);
    const res: Record<string, Tensor<'float32'>> = {};
    for (const [k, v] of Object.entries(out)) res[k] = this.result(v, 'UNet features');
    return res;
  }

  async dispose(): Promise<void> {
    await this.runners.release();
  }
}
